/*!
The `switchyard` binary: parse the command line, run the command, print
errors (redacted) and exit with the documented code. `anyhow` is not needed
here: every failure is a typed [`HostError`] with its exit code.
*/

use clap::Parser;
use switchyard::cli::Cli;
use switchyard::error::HostError;
use switchyard::{call, commands, term};

fn main() {
    let cli = Cli::parse();
    term::set_verbosity(if cli.quiet {
        -1
    } else {
        cli.verbose.min(3) as i8
    });
    let json = cli.json;
    call::install_ctrlc(json);
    let code = match commands::run(cli) {
        Ok(()) => 0,
        Err(e) => {
            report(&e, json);
            e.exit_code()
        }
    };
    std::process::exit(code);
}

fn report(e: &HostError, json: bool) {
    term::error(&e.to_string());
    if json {
        term::out(&e.to_json().to_string());
    }
}

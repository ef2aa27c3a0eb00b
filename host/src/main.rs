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
    let cli = Cli::try_parse().unwrap_or_else(|e| exit_with_usage(&e));
    term::set_verbosity(if cli.quiet {
        -1
    } else {
        cli.verbose.min(3) as i8
    });
    let json = cli.json;
    call::install_ctrlc(json);
    let mut code = match commands::run(cli) {
        Ok(()) => 0,
        Err(e) => {
            report(&e, json);
            e.exit_code()
        }
    };
    term::flush_stream();
    if let Some(why) = term::stdout_error() {
        term::error(&format!(
            "cannot write to standard output: {why}; the output is lost or incomplete"
        ));
        if code == 0 {
            code = 1;
        }
    }
    std::process::exit(code);
}

/// Prints clap's help, version or usage error and exits with its code; a
/// closed stdout ends quietly, another stdout write error exits 1.
fn exit_with_usage(e: &clap::Error) -> ! {
    let mut code = e.exit_code();
    if let Err(err) = e.print() {
        if err.kind() != std::io::ErrorKind::BrokenPipe && !e.use_stderr() {
            term::error(&format!("cannot write to standard output: {err}"));
            code = 1;
        }
    }
    std::process::exit(code)
}

fn report(e: &HostError, json: bool) {
    term::error(&e.to_string());
    if json {
        term::out(&e.to_json().to_string());
    }
}

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
    call::install_ctrlc();
    let json = cli.json;
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
        let mut err = serde_json::Map::new();
        err.insert("kind".into(), e.kind_name().into());
        err.insert("message".into(), e.to_string().into());
        if let Some(s) = e.status() {
            err.insert("status".into(), s.into());
        }
        if let Some(j) = e.job_id() {
            err.insert("job_id".into(), j.into());
        }
        term::out(&serde_json::json!({"error": err}).to_string());
    }
}

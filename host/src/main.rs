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
    call::install_ctrlc();
    let json = cli.json;
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

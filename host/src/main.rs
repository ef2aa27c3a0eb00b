/*!
The `switchyard` binary: parse the command line, create the session and
the terminal it reports to, install the Ctrl-C handler, run the command,
print errors (redacted) and exit with the documented code. `anyhow` is not
needed here: every failure is a typed `HostError` with its exit code.
*/

#![warn(clippy::too_many_lines)]

use switchyard_cli as cli;
mod commands;
mod term;

use crate::cli::Cli;
use clap::Parser;
use std::sync::Arc;
use switchyard_core::output::LiveTemps;
use switchyard_core::secrets::Secrets;
use switchyard_core::session::{Session, GRACE};
use term::Term;

fn main() {
    let cli = Cli::try_parse().unwrap_or_else(|e| exit_with_usage(&e));
    let verbosity = if cli.quiet {
        -1
    } else {
        cli.verbose.min(3) as i8
    };
    let (secrets, temps) = (Secrets::default(), LiveTemps::default());
    let term = Arc::new(Term::new(
        verbosity,
        cli.json,
        secrets.clone(),
        temps.clone(),
    ));
    term::init_logging(&term);
    let session = Session::new(term.clone(), secrets, temps);
    install_ctrlc(&session);
    let mut code = match commands::run(cli, &session, &term) {
        Ok(()) => 0,
        Err(e) => {
            term.report(&e);
            e.exit_code()
        }
    };
    term.flush_stream();
    if let Some(why) = term.stdout_error() {
        term.error(&format!(
            "cannot write to standard output: {why}; the output is lost or incomplete"
        ));
        if code == 0 {
            code = 1;
        }
    }
    std::process::exit(code);
}

/// Installs the Ctrl-C handler: the first press asks the running call to
/// stop cleanly, and the host exits anyway (130) if it has not ended
/// [`GRACE`] later; a second press exits at once with code 130.
fn install_ctrlc(session: &Arc<Session>) {
    let session = session.clone();
    let _ = ctrlc::set_handler(move || {
        if session.is_cancelled() {
            session.abandon(false, "interrupted");
        }
        session.cancel_all();
        let session = session.clone();
        let _ = std::thread::Builder::new()
            .name("switchyard-ctrlc-grace".into())
            .spawn(move || {
                std::thread::sleep(GRACE);
                session.abandon(
                    false,
                    &format!(
                        "interrupted: the plugin did not stop within {} s of Ctrl-C",
                        GRACE.as_secs()
                    ),
                );
            });
    });
}

/// Prints clap's help, version or usage error and exits with its code; a
/// closed stdout ends quietly, another stdout write error exits 1.
fn exit_with_usage(e: &clap::Error) -> ! {
    let mut code = e.exit_code();
    if let Err(err) = e.print() {
        if err.kind() != std::io::ErrorKind::BrokenPipe && !e.use_stderr() {
            let _ = writeln_stderr(&format!("error: cannot write to standard output: {err}"));
            code = 1;
        }
    }
    std::process::exit(code)
}

fn writeln_stderr(line: &str) -> std::io::Result<()> {
    use std::io::Write;
    writeln!(std::io::stderr().lock(), "{line}")
}

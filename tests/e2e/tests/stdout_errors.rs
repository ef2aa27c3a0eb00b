//! Writing results to a stdout that fails: a closed pipe (`| head`) ends
//! the command quietly (exit 0, no panic, no message); any other write
//! error (`> /dev/full`) is an error: a non-zero exit and a message on stderr.

use std::process::{Command, Stdio};
use switchyard_e2e::{Env, Output};

/// Runs `c` with stdout a pipe whose reading end is closed at once.
fn run_into_closed_pipe(mut c: Command) -> Output {
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c.spawn().expect("spawn switchyard");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait for switchyard");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::new(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `c` with stdout on `/dev/full` (every write fails with ENOSPC).
fn run_into_full_device(mut c: Command) -> Output {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("open /dev/full");
    c.stdout(Stdio::from(full)).stderr(Stdio::piped());
    let out = c.output().expect("run switchyard");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::new(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[track_caller]
fn assert_write_error_reported(out: &Output, what: &str) {
    assert_eq!(out.code, 1, "{what}: {}", out.stderr);
    assert!(
        out.stderr
            .contains("error: cannot write to standard output: No space left on device"),
        "{what}: {}",
        out.stderr
    );
    assert!(!out.stderr.contains("panicked"), "{what}: {}", out.stderr);
}

#[test]
fn completions_into_a_closed_pipe_end_quietly() {
    let env = Env::new();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = run_into_closed_pipe(env.cmd(&["completions", shell]));
        assert_eq!(out.code, 0, "{shell}: {}", out.stderr);
        assert_eq!(out.stderr, "", "{shell}: no message, no panic");
    }
}

#[test]
fn completions_into_a_full_device_exit_1_with_a_message() {
    let env = Env::new();
    for shell in ["bash", "zsh"] {
        let out = run_into_full_device(env.cmd(&["completions", shell]));
        assert_write_error_reported(&out, shell);
    }
}

#[test]
fn chat_answer_into_a_closed_pipe_ends_quietly() {
    let env = Env::new();
    for args in [
        vec!["chat", "hi"],
        vec!["chat", "--stream", "hi"],
        vec!["--json", "chat", "hi"],
    ] {
        let out = run_into_closed_pipe(env.cmd(&args));
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        assert!(!out.stderr.contains("error"), "{args:?}: {}", out.stderr);
        assert!(!out.stderr.contains("panicked"), "{args:?}: {}", out.stderr);
    }
}

#[test]
fn chat_answer_into_a_full_device_exits_1_saying_the_answer_was_lost() {
    let env = Env::new();
    for args in [
        vec!["chat", "hi"],
        vec!["--json", "chat", "hi"],
        vec!["chat", "--stream", "hi"],
        vec!["--json", "chat", "--stream", "hi"],
    ] {
        let out = run_into_full_device(env.cmd(&args));
        assert_write_error_reported(&out, &format!("{args:?}"));
        assert!(out.stderr.contains("lost"), "{args:?}: {}", out.stderr);
    }
}

#[test]
fn models_list_into_a_full_device_exits_1_with_a_message() {
    let env = Env::new();
    let out = run_into_full_device(env.cmd(&["models", "list"]));
    assert_write_error_reported(&out, "models list");
}

#[test]
fn help_into_a_full_device_exits_1_with_a_message() {
    let env = Env::new();
    let out = run_into_full_device(env.cmd(&["--help"]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("cannot write to standard output"),
        "{}",
        out.stderr
    );
}

#[test]
fn notices_and_errors_on_a_full_stderr_never_panic() {
    let env = Env::new();
    let full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("open /dev/full")
    };
    let mut ok = env.cmd(&["chat", "hi"]);
    ok.stderr(Stdio::from(full()));
    let out = ok.output().expect("run switchyard");
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("You said: hi"));
    let mut bad = env.cmd(&["chat", "--model", "nope/x", "hi"]);
    bad.stderr(Stdio::from(full()));
    assert_eq!(bad.output().expect("run switchyard").status.code(), Some(2));
}

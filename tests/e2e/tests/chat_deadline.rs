//! `--timeout` is the whole command's deadline, retries and fallbacks
//! included: a retry that cannot finish in the time left is not started,
//! each attempt gets the time left, and the command ends timed out (exit 5).

use fake_openrouter::{Route, Step};
use std::time::{Duration, Instant};
use switchyard_e2e::{Env, Output};

const HANG: Step = Step::Delay(Duration::from_secs(30));

fn status(code: u16, retry_after: Option<u32>) -> Step {
    Step::Status {
        code,
        retry_after,
        message: None,
    }
}

/// Runs `args`, returning the output and how long it took.
fn timed(env: &Env, args: &[&str]) -> (Output, Duration) {
    let start = Instant::now();
    let out = env.run(args);
    (out, start.elapsed())
}

#[track_caller]
fn assert_timed_out_within(out: &Output, took: Duration, limit: Duration) {
    out.assert_code(5);
    assert!(took < limit, "took {took:?}: {}", out.stderr);
    assert!(out.stderr.contains("timed out"), "{}", out.stderr);
    assert!(out.stderr.contains("--timeout of 2.0 s"), "{}", out.stderr);
}

#[test]
fn chat_timeout_against_a_hanging_server_ends_the_command_with_its_retries() {
    let env = Env::new();
    env.server.script(Route::Chat, [HANG, HANG, HANG]);
    let (out, took) = timed(&env, &["chat", "--timeout", "2s", "hi"]);
    assert_timed_out_within(&out, took, Duration::from_millis(2500));
    assert_eq!(
        env.chat_requests().len(),
        1,
        "no retry fits in the time left"
    );
}

#[test]
fn chat_timeout_includes_the_fallbacks() {
    let env = Env::new();
    env.server.script(Route::Chat, [HANG, HANG, HANG, HANG]);
    let (out, took) = timed(
        &env,
        &[
            "chat",
            "--timeout",
            "2s",
            "--fallback",
            "openrouter/openai/gpt-4o-mini",
            "hi",
        ],
    );
    assert_timed_out_within(&out, took, Duration::from_millis(2500));
}

#[test]
fn a_retry_gets_only_the_time_left() {
    let env = Env::new();
    // The first answer fails fast; the retry (after 0.5 s) hangs and is
    // cut off at the deadline, not 2 s after it started.
    env.server
        .script(Route::Chat, [status(503, None), HANG, HANG]);
    let (out, took) = timed(&env, &["chat", "--timeout", "2s", "hi"]);
    assert_timed_out_within(&out, took, Duration::from_millis(2500));
    assert_eq!(env.chat_requests().len(), 2);
    assert!(out.stderr.contains("retrying in 0.5s"), "{}", out.stderr);
}

#[test]
fn a_retry_that_cannot_fit_in_the_time_left_is_not_started() {
    let env = Env::new();
    env.server.script(Route::Chat, [status(429, Some(3))]);
    let (out, took) = timed(&env, &["chat", "--timeout", "2s", "hi"]);
    assert_timed_out_within(&out, took, Duration::from_millis(1500));
    assert!(
        out.stderr.contains("no time is left for a retry"),
        "{}",
        out.stderr
    );
    assert_eq!(env.chat_requests().len(), 1);
}

#[test]
fn image_timeout_also_bounds_its_retries() {
    let env = Env::new();
    env.server
        .script(Route::Chat, [status(503, None), HANG, HANG]);
    let (out, took) = timed(&env, &["image", "--timeout", "2s", "a cat"]);
    assert_timed_out_within(&out, took, Duration::from_millis(2500));
    assert_eq!(env.chat_requests().len(), 2);
    assert!(env.work_files().is_empty(), "{:?}", env.work_files());
}

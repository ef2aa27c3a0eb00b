//! Input a provider would bill for, or answer with something useless, is
//! refused with exit 2 and a message saying what is allowed, before any
//! request reaches the server (issue 16: what a new user hit).

use switchyard_e2e::video::fast_env;
use switchyard_e2e::{Env, Output};

/// Runs `args` and checks the refusal: exit 2, every `needles` in stderr,
/// and nothing sent.
#[track_caller]
fn refused(env: &Env, args: &[&str], needles: &[&str]) -> Output {
    let out = env.run(args);
    out.assert_code(2);
    for n in needles {
        assert!(
            out.stderr.contains(n),
            "{args:?}: {n:?} not in {}",
            out.stderr
        );
    }
    assert!(
        env.server.requests().is_empty(),
        "{args:?}: a request was sent: {:?}",
        env.server
            .requests()
            .iter()
            .map(|r| r.path.clone())
            .collect::<Vec<_>>()
    );
    out
}

#[test]
fn empty_or_blank_prompts_are_refused_before_any_request() {
    let env = fast_env();
    for text in ["", "   ", " \n\t "] {
        for cmd in ["chat", "image", "video", "speak"] {
            refused(&env, &[cmd, text], &["is empty"]);
        }
    }
    assert!(env.work_files().is_empty(), "{:?}", env.work_files());
    assert_eq!(env.run(&["video", "jobs"]).stdout.trim(), "");
}

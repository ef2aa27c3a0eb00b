//! Progress goes to stderr only when it is a terminal: under a pseudo
//! terminal (`script`) the status, poll count and download appear; piped,
//! stderr carries no progress line.

use fake_openrouter::VideoJobSpec;
use std::process::Command;
use switchyard_e2e::{bin, video::fast_env};

#[test]
fn progress_is_drawn_on_a_terminal() {
    let env = fast_env();
    env.server.set_video_job(VideoJobSpec {
        in_progress_polls: 4,
        ..VideoJobSpec::default()
    });
    let template = env.cmd(&[]);
    let mut c = Command::new("script");
    c.args([
        "-qec",
        &format!("{} video --out v.mp4 a-cat", bin().display()),
        "/dev/null",
    ])
    .current_dir(env.work());
    for (k, v) in template.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    let out = c.output().expect("script runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("in_progress") && text.contains("poll"),
        "no progress line on the terminal: {text}"
    );
    assert!(env.work().join("v.mp4").is_file());
}

#[test]
fn no_progress_when_stderr_is_not_a_terminal() {
    let env = fast_env();
    env.server.set_video_job(VideoJobSpec {
        in_progress_polls: 4,
        ..VideoJobSpec::default()
    });
    let out = env.run(&["video", "--out", "v.mp4", "a-cat"]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(
        !out.stderr.contains("poll 1") && !out.stderr.contains('\r'),
        "{}",
        out.stderr
    );
}

//! Opt-in live tests against the real OpenRouter API (they cost credits).
//! Each is `#[ignore]`d: `cargo test -- --ignored` runs them, and fails
//! unless `SWITCHYARD_LIVE_TEST=1` and `OPENROUTER_API_KEY` are set;
//! `cargo xtask test` runs them when both are set and otherwise reports
//! them as skipped with that reason. The video
//! model is `SWITCHYARD_LIVE_VIDEO_MODEL` (default
//! `openrouter/google/veo-3.1-fast`).

use switchyard_e2e::Env;

/// The key. These tests run only when asked for (`--ignored`), so live
/// tests that are not enabled fail here instead of passing silently.
fn live(test: &str) -> String {
    let enabled = std::env::var("SWITCHYARD_LIVE_TEST").is_ok_and(|v| v == "1");
    let key = std::env::var("OPENROUTER_API_KEY")
        .ok()
        .filter(|k| !k.trim().is_empty());
    match (enabled, key) {
        (true, Some(k)) => k,
        _ => panic!("{test}: set SWITCHYARD_LIVE_TEST=1 and OPENROUTER_API_KEY to run it against the real API (it costs credits)"),
    }
}

/// An environment whose config has no base URL (so the real API is used).
fn live_env() -> Env {
    let env = Env::new();
    env.write_raw_config("[agents.defaults.videoGenerationModel]\npollIntervalMs = 5000\n");
    env
}

#[test]
#[ignore = "live: needs SWITCHYARD_LIVE_TEST=1 and OPENROUTER_API_KEY (costs credits); cargo xtask test runs it with --ignored when both are set"]
fn live_chat_answers_through_openrouter_auto() {
    let key = live("live_chat_answers_through_openrouter_auto");
    let env = live_env();
    let out = env.run_with_env(
        &["--json", "chat", "Reply with the single word: pong"],
        &[("OPENROUTER_API_KEY", &key)],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v = out.json();
    assert!(!v["text"].as_str().unwrap_or("").is_empty());
    assert!(!out.all().contains(&key));
}

#[test]
#[ignore = "live: needs SWITCHYARD_LIVE_TEST=1 and OPENROUTER_API_KEY (costs credits); cargo xtask test runs it with --ignored when both are set"]
fn live_streamed_chat_prints_text() {
    let key = live("live_streamed_chat_prints_text");
    let env = live_env();
    let out = env.run_with_env(
        &["chat", "--stream", "Count from 1 to 5."],
        &[("OPENROUTER_API_KEY", &key)],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains('3'), "{}", out.stdout);
}

#[test]
#[ignore = "live: needs SWITCHYARD_LIVE_TEST=1 and OPENROUTER_API_KEY (costs credits); cargo xtask test runs it with --ignored when both are set"]
fn live_image_writes_a_real_image() {
    let key = live("live_image_writes_a_real_image");
    let env = live_env();
    let out = env.run_with_env(
        &[
            "image",
            "--aspect-ratio",
            "1:1",
            "--out",
            "live.png",
            "A red circle on white",
        ],
        &[("OPENROUTER_API_KEY", &key)],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let b = std::fs::read(env.work().join("live.png")).unwrap();
    assert!(b.len() > 100);
}

#[test]
#[ignore = "live: needs SWITCHYARD_LIVE_TEST=1 and OPENROUTER_API_KEY (costs credits); cargo xtask test runs it with --ignored when both are set"]
fn live_speech_writes_mp3() {
    let key = live("live_speech_writes_mp3");
    let env = live_env();
    let out = env.run_with_env(
        &[
            "speak",
            "--format",
            "mp3",
            "--out",
            "live.mp3",
            "Hello from Switchyard.",
        ],
        &[("OPENROUTER_API_KEY", &key)],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let b = std::fs::read(env.work().join("live.mp3")).unwrap();
    assert!(b.starts_with(b"ID3") || (b.len() > 2 && b[0] == 0xFF && b[1] & 0xE0 == 0xE0));
}

#[test]
#[ignore = "live: needs SWITCHYARD_LIVE_TEST=1 and OPENROUTER_API_KEY (costs credits); cargo xtask test runs it with --ignored when both are set"]
fn live_video_generates_a_short_real_video() {
    let key = live("live_video_generates_a_short_real_video");
    let model = std::env::var("SWITCHYARD_LIVE_VIDEO_MODEL")
        .unwrap_or_else(|_| "openrouter/google/veo-3.1-fast".into());
    let env = live_env();
    let out = env.run_with_env(
        &[
            "--json",
            "video",
            "--model",
            &model,
            "--duration",
            "4",
            "--resolution",
            "720p",
            "--out",
            "live.mp4",
            "A paper boat drifting on a calm river",
        ],
        &[("OPENROUTER_API_KEY", &key)],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let b = std::fs::read(env.work().join("live.mp4")).unwrap();
    assert!(b.len() > 10_000 && &b[4..8] == b"ftyp", "not an MP4");
    assert_eq!(env.work_files(), vec!["live.mp4"]);
}

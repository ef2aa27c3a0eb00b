//! Opt-in live tests against the real OpenRouter API (they cost credits).
//! Each is `#[ignore]`d: `cargo test -- --ignored` runs them, and fails
//! unless `SWITCHYARD_LIVE_TEST=1` and `OPENROUTER_API_KEY` are set;
//! `cargo xtask test` runs them when both are set and otherwise reports
//! them as skipped with that reason. The video
//! model is `SWITCHYARD_LIVE_VIDEO_MODEL` (default
//! `openrouter/google/veo-3.1-fast`); the Image API model is
//! `SWITCHYARD_LIVE_IMAGE_API_MODEL` (default
//! `openrouter/bytedance-seed/seedream-4.5`).

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

#[test]
#[ignore = "live: needs SWITCHYARD_LIVE_TEST=1 and OPENROUTER_API_KEY (costs credits); cargo xtask test runs it with --ignored when both are set"]
fn live_chat_with_an_image_and_a_schema_answers_valid_json() {
    let key = live("live_chat_with_an_image_and_a_schema_answers_valid_json");
    let env = live_env();
    std::fs::write(
        env.work_file("colour.json"),
        r#"{"type":"object","properties":{"colour":{"type":"string"}},"required":["colour"],"additionalProperties":false}"#,
    )
    .expect("write schema");
    std::fs::write(env.work_file("red.png"), red_png()).expect("write image");
    let out = env.run_with_env(
        &[
            "--json",
            "chat",
            "--model",
            "openrouter/openai/gpt-4o-mini",
            "--image",
            "red.png",
            "--schema",
            "colour.json",
            "What colour fills this image?",
        ],
        &[("OPENROUTER_API_KEY", &key)],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v = out.json();
    assert!(v["json"]["colour"].is_string(), "{v}");
}

#[test]
#[ignore = "live: needs SWITCHYARD_LIVE_TEST=1 and OPENROUTER_API_KEY (costs credits); cargo xtask test runs it with --ignored when both are set"]
fn live_image_api_makes_two_images() {
    let key = live("live_image_api_makes_two_images");
    let env = live_env();
    let model = std::env::var("SWITCHYARD_LIVE_IMAGE_API_MODEL")
        .unwrap_or_else(|_| "openrouter/bytedance-seed/seedream-4.5".into());
    let out = env.run_with_env(
        &[
            "image",
            "--model",
            &model,
            "--count",
            "2",
            "--out",
            "pair.png",
            "A red circle on white",
        ],
        &[("OPENROUTER_API_KEY", &key)],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    for f in ["pair.png", "pair-2.png"] {
        let b = std::fs::read(env.work().join(f)).unwrap_or_default();
        assert!(b.len() > 100, "{f}");
    }
}

#[test]
#[ignore = "live: needs SWITCHYARD_LIVE_TEST=1 and OPENROUTER_API_KEY (costs credits); cargo xtask test runs it with --ignored when both are set"]
fn live_transcribe_hears_synthesized_speech() {
    let key = live("live_transcribe_hears_synthesized_speech");
    let env = live_env();
    let spoken = env.run_with_env(
        &[
            "speak",
            "--format",
            "mp3",
            "--out",
            "hello.mp3",
            "Hello world.",
        ],
        &[("OPENROUTER_API_KEY", &key)],
    );
    assert_eq!(spoken.code, 0, "{}", spoken.stderr);
    let out = env.run_with_env(
        &["--json", "transcribe", "--language", "en", "hello.mp3"],
        &[("OPENROUTER_API_KEY", &key)],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let text = out.json()["text"]
        .as_str()
        .unwrap_or("")
        .to_ascii_lowercase();
    assert!(text.contains("hello"), "{text}");
}

#[test]
#[ignore = "live: needs SWITCHYARD_LIVE_TEST=1 and OPENROUTER_API_KEY (costs credits); cargo xtask test runs it with --ignored when both are set"]
fn live_embed_prints_one_vector_per_input() {
    let key = live("live_embed_prints_one_vector_per_input");
    let env = live_env();
    let out = env.run_with_env(
        &["embed", "--dimensions", "64", "a cat", "a dog"],
        &[("OPENROUTER_API_KEY", &key)],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", out.stdout);
    for l in lines {
        let v: serde_json::Value = serde_json::from_str(l).expect("a JSON array");
        assert_eq!(v.as_array().map(Vec::len), Some(64), "{l}");
    }
}

/// A 2x2 PNG filled with red.
fn red_png() -> Vec<u8> {
    const RED_2X2: &str = "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGP4z8AARAwQCgAf7gP9i18U1AAAAABJRU5ErkJggg==";
    decode_base64(RED_2X2)
}

/// Standard base64 (with padding) back to bytes.
fn decode_base64(text: &str) -> Vec<u8> {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let vals: Vec<u32> = text
        .bytes()
        .filter(|b| *b != b'=')
        .filter_map(|b| T.iter().position(|t| *t == b).map(|p| p as u32))
        .collect();
    let mut out = Vec::new();
    for c in vals.chunks(4) {
        let n = c
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, v)| n | (v << (18 - 6 * i)));
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..c.len().saturating_sub(1)]);
    }
    out
}

/// The live tests' own helper, checked offline.
#[test]
fn the_red_test_image_decodes_to_a_png() {
    let b = red_png();
    assert!(b.starts_with(b"\x89PNG\r\n\x1a\n"), "{b:?}");
    assert!(b.ends_with(b"IEND\xaeB`\x82"), "{b:?}");
}

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

#[test]
fn speak_sample_rate_0_is_refused_before_any_request() {
    let env = Env::new();
    for rate in ["0", "100", "1000000"] {
        refused(
            &env,
            &["speak", "--sample-rate", rate, "--out", "x.wav", "hello"],
            &["--sample-rate", "8000 to 192000 Hz"],
        );
    }
    assert!(env.work_files().is_empty(), "{:?}", env.work_files());
}

#[test]
fn speak_speed_0_is_refused_before_any_request_and_a_valid_speed_is_sent() {
    let env = Env::new();
    for speed in ["--speed=0", "--speed=-1", "--speed=4.5", "--speed=NaN"] {
        refused(
            &env,
            &["speak", speed, "--out", "x.mp3", "hello"],
            &["--speed", "allowed: 0.25 to 4"],
        );
    }
    env.run(&["speak", "--speed", "1.5", "--out", "x.mp3", "hello"])
        .assert_code(0);
    let sent = env.server.requests_to(switchyard_e2e::SPEECH_PATH);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].json().expect("JSON body")["speed"], 1.5);
}

#[test]
fn a_configured_speed_out_of_range_is_refused_naming_its_key() {
    let env = Env::new();
    env.write_config("[messages.tts.providers.openrouter]\nspeed = 0.0\n");
    let out = env.run(&["speak", "--out", "x.mp3", "hello"]);
    // A bad value in the config file is a configuration problem (exit 3).
    out.assert_code(3);
    for needle in ["messages.tts.providers.openrouter.speed", "0.25 to 4"] {
        assert!(out.stderr.contains(needle), "{needle}: {}", out.stderr);
    }
    assert!(env.server.requests().is_empty(), "nothing is sent");
}

#[test]
fn chat_max_tokens_0_is_refused_before_any_request() {
    let env = Env::new();
    refused(
        &env,
        &["chat", "--max-tokens", "0", "hi"],
        &["--max-tokens 0", "1 or more"],
    );
}

#[test]
fn speak_pcm_into_an_mp3_file_is_refused_before_any_request() {
    let env = Env::new();
    refused(
        &env,
        &["speak", "--format", "pcm", "--out", "x.mp3", "hello"],
        &["x.mp3", "cannot hold raw PCM", ".wav", "--format mp3"],
    );
    refused(
        &env,
        &["speak", "--format", "mp3", "--out", "x.pcm", "hello"],
        &["x.pcm", "cannot hold MP3", "--format pcm"],
    );
    refused(
        &env,
        &["speak", "--out", "x.ogg", "hello"],
        &["x.ogg", "is written as .mp3"],
    );
    env.write_config("[messages.tts.providers.openrouter]\nresponseFormat = \"pcm\"\n");
    refused(
        &env,
        &["speak", "--out", "x.mp3", "hello"],
        &["responseFormat in the config"],
    );
    assert!(env.work_files().is_empty(), "{:?}", env.work_files());
}

#[test]
fn image_out_with_a_non_image_extension_is_refused_before_any_request() {
    let env = Env::new();
    refused(
        &env,
        &["image", "--out", "pic.mp4", "a lighthouse"],
        &["pic.mp4", "allowed: .png, .jpg, .jpeg, .webp, .gif"],
    );
}

#[test]
fn image_out_pic_jpg_receiving_a_png_is_saved_as_pic_png_and_says_so() {
    let env = Env::new();
    let out = env.run(&["image", "--out", "pic.jpg", "a lighthouse"]);
    out.assert_code(0);
    assert_eq!(env.work_files(), vec!["pic.png"]);
    let png = std::fs::read(env.work_file("pic.png")).unwrap();
    assert!(
        png.starts_with(b"\x89PNG"),
        "the bytes are the provider's PNG"
    );
    assert_eq!(out.stdout, format!("{}\n", env.printed_path("pic.png")));
    assert!(out.stderr.contains("image/png"), "{}", out.stderr);
    assert!(out.stderr.contains("pic.jpg"), "{}", out.stderr);
}

#[test]
fn video_reference_to_a_model_that_declares_no_input_references_is_refused() {
    let env = fast_env();
    std::fs::write(env.work_file("ref.png"), fake_openrouter::sample_png()).unwrap();
    refused(
        &env,
        &[
            "video",
            "--model",
            "openrouter/google/veo-3.1-lite",
            "--reference",
            "ref.png",
            "a paper boat",
        ],
        &[
            "--reference is not offered by openrouter/google/veo-3.1-lite",
            "openrouter/google/veo-3.1-fast",
        ],
    );
    assert_eq!(env.run(&["video", "jobs"]).stdout.trim(), "");
}

//! `switchyard speak`: text-to-speech written to a file, settings from the
//! `[messages.tts.providers.openrouter]` config, WAV wrapping of PCM.

use fake_openrouter::{sample_mp3, Options, Route, Step};
use switchyard_e2e::{Env, SPEECH_PATH};

fn speech_body(env: &Env) -> serde_json::Value {
    let reqs = env.server.requests_to(SPEECH_PATH);
    assert_eq!(reqs.len(), 1, "one speech request");
    reqs[0].json().expect("JSON body")
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

#[test]
fn writes_the_exact_mp3_bytes_the_server_sent() {
    let env = Env::new();
    let out = env.run(&["speak", "--out", "hello.mp3", "hello world"]);
    out.assert_code(0);
    assert_eq!(
        std::fs::read(env.work_file("hello.mp3")).expect("hello.mp3"),
        sample_mp3()
    );
    assert_eq!(env.work_files(), vec!["hello.mp3"]);
    assert_eq!(out.stdout, format!("{}\n", env.printed_path("hello.mp3")));
}

#[test]
fn request_carries_the_text_and_the_default_model_and_format() {
    let env = Env::new();
    env.run(&["speak", "--out", "hello.mp3", "hello world"])
        .assert_code(0);
    let body = speech_body(&env);
    assert_eq!(body["model"], "hexgrad/kokoro-82m");
    assert_eq!(body["input"], "hello world");
    assert_eq!(body["response_format"], "mp3");
}

#[test]
fn model_voice_and_format_come_from_the_tts_config() {
    let env = Env::new();
    env.write_config(
        "[messages.tts]\nprovider = \"openrouter\"\n\n[messages.tts.providers.openrouter]\n\
         model = \"hexgrad/kokoro-82m\"\nvoice = \"af_bella\"\nresponseFormat = \"pcm\"\n",
    );
    let out = env.run(&["speak", "--out", "hello.pcm", "hello"]);
    out.assert_code(0);
    let body = speech_body(&env);
    assert_eq!(body["model"], "hexgrad/kokoro-82m");
    assert_eq!(body["voice"], "af_bella");
    assert_eq!(body["response_format"], "pcm");
}

#[test]
fn configured_openai_tts_model_is_sent_as_its_api_id() {
    let env = Env::new();
    env.write_config(
        "[messages.tts.providers.openrouter]\nmodel = \"openai/gpt-4o-mini-tts-2025-12-15\"\nvoice = \"nova\"\n",
    );
    env.run(&["speak", "--out", "hello.mp3", "hello"])
        .assert_code(0);
    let body = speech_body(&env);
    assert_eq!(body["model"], "openai/gpt-4o-mini-tts-2025-12-15");
    assert_eq!(body["voice"], "nova");
}

#[test]
fn format_flag_wins_over_the_configured_response_format() {
    let env = Env::new();
    env.write_config("[messages.tts.providers.openrouter]\nresponseFormat = \"mp3\"\n");
    env.run(&["speak", "--format", "pcm", "--out", "hello.pcm", "hello"])
        .assert_code(0);
    assert_eq!(speech_body(&env)["response_format"], "pcm");
}

#[test]
fn voice_flag_wins_over_the_configured_voice() {
    let env = Env::new();
    env.write_config("[messages.tts.providers.openrouter]\nvoice = \"af_bella\"\n");
    env.run(&["speak", "--voice", "AM_ADAM", "--out", "a.mp3", "hello"])
        .assert_code(0);
    assert_eq!(speech_body(&env)["voice"], "am_adam");
}

#[test]
fn speech_api_key_wins_over_the_provider_key() {
    let speech_key = "sk-or-v1-speech-only-key-000111222";
    let env = Env::with_options(Options {
        api_key: speech_key.to_string(),
        ..Options::default()
    });
    env.write_raw_config(&format!(
        "[models.providers.openrouter]\napiKey = \"sk-or-v1-general-key-999888777\"\nbaseUrl = \"{}\"\n\n\
         [messages.tts.providers.openrouter]\napiKey = \"{speech_key}\"\n",
        env.server.base_url()
    ));
    let out = env.run(&["speak", "--out", "hello.mp3", "hello"]);
    out.assert_code(0);
    let reqs = env.server.requests_to(SPEECH_PATH);
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        reqs[0].header("authorization"),
        Some(format!("Bearer {speech_key}").as_str())
    );
}

#[test]
fn chat_does_not_use_the_speech_api_key() {
    let speech_key = "sk-or-v1-speech-only-key-000111222";
    let env = Env::with_options(Options {
        api_key: speech_key.to_string(),
        ..Options::default()
    });
    env.write_raw_config(&format!(
        "[models.providers.openrouter]\napiKey = \"sk-or-v1-general-key-999888777\"\nbaseUrl = \"{}\"\n\n\
         [messages.tts.providers.openrouter]\napiKey = \"{speech_key}\"\n",
        env.server.base_url()
    ));
    env.run(&["chat", "hi"]).assert_code(3);
}

#[test]
fn pcm_to_wav_has_a_correct_header() {
    let env = Env::new();
    env.run(&["speak", "--format", "pcm", "--out", "x.wav", "hello"])
        .assert_code(0);
    assert_eq!(speech_body(&env)["response_format"], "pcm");
    let b = std::fs::read(env.work_file("x.wav")).expect("x.wav");
    assert!(b.len() > 44, "{} bytes", b.len());
    let data_len = (b.len() - 44) as u32;
    assert_eq!(&b[0..4], b"RIFF");
    assert_eq!(u32_at(&b, 4), 36 + data_len, "RIFF chunk size");
    assert_eq!(&b[8..16], b"WAVEfmt ");
    assert_eq!(u32_at(&b, 16), 16, "fmt chunk size");
    assert_eq!(u16_at(&b, 20), 1, "PCM");
    assert_eq!(u16_at(&b, 22), 1, "mono");
    assert_eq!(u32_at(&b, 24), 24_000, "sample rate");
    assert_eq!(u32_at(&b, 28), 48_000, "byte rate");
    assert_eq!(u16_at(&b, 32), 2, "block align");
    assert_eq!(u16_at(&b, 34), 16, "bits per sample");
    assert_eq!(&b[36..40], b"data");
    assert_eq!(u32_at(&b, 40), data_len, "data length");
    // The fake sends 100 ms of 16-bit mono at 24 kHz.
    assert_eq!(data_len, 4800);
    assert!(b[44..].iter().any(|&x| x != 0), "the samples were written");
}

#[test]
fn sample_rate_flag_sets_the_wav_header() {
    let env = Env::new();
    env.run(&[
        "speak",
        "--format",
        "pcm",
        "--sample-rate",
        "16000",
        "--out",
        "x.wav",
        "hello",
    ])
    .assert_code(0);
    let b = std::fs::read(env.work_file("x.wav")).expect("x.wav");
    assert_eq!(u32_at(&b, 24), 16_000, "sample rate");
    assert_eq!(u32_at(&b, 28), 32_000, "byte rate");
    assert_eq!(u32_at(&b, 40), (b.len() - 44) as u32, "data length");
}

#[test]
fn wav_extension_alone_selects_pcm() {
    let env = Env::new();
    env.run(&["speak", "--out", "x.wav", "hello"])
        .assert_code(0);
    assert_eq!(speech_body(&env)["response_format"], "pcm");
    let b = std::fs::read(env.work_file("x.wav")).expect("x.wav");
    assert_eq!(&b[0..4], b"RIFF");
}

#[test]
fn raw_pcm_output_has_no_header() {
    let env = Env::new();
    env.run(&["speak", "--format", "pcm", "--out", "x.pcm", "hello"])
        .assert_code(0);
    let b = std::fs::read(env.work_file("x.pcm")).expect("x.pcm");
    assert_eq!(b.len(), 4800);
    assert_ne!(&b[0..4], b"RIFF");
}

#[test]
fn mp3_into_a_wav_file_exits_2_without_a_request() {
    let env = Env::new();
    let out = env.run(&["speak", "--format", "mp3", "--out", "x.wav", "hello"]);
    out.assert_code(2);
    assert!(env.server.requests().is_empty());
    assert!(env.work_files().is_empty());
}

#[test]
fn unknown_voice_exits_2_without_a_request() {
    let env = Env::new();
    let out = env.run(&["speak", "--voice", "nobody", "--out", "x.mp3", "hello"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("af_alloy"),
        "allowed voices listed: {}",
        out.stderr
    );
    assert!(env.server.requests().is_empty());
}

#[test]
fn unsupported_format_exits_2_without_a_request() {
    let env = Env::new();
    let out = env.run(&["speak", "--format", "ogg", "--out", "x.ogg", "hello"]);
    out.assert_code(2);
    assert!(env.server.requests().is_empty());
}

#[test]
fn mp3_answered_with_json_leaves_no_file() {
    let env = Env::new();
    env.server.script(
        Route::Speech,
        [Step::Malformed {
            status: 200,
            content_type: "application/json".into(),
            body: "{\"id\": \"gen-123\", \"status\": \"ok\"}".into(),
        }],
    );
    let out = env.run(&["speak", "--format", "mp3", "--out", "x.mp3", "hello"]);
    out.assert_code(6);
    assert!(out.stderr.contains("not audio"), "{}", out.stderr);
    assert!(env.work_files().is_empty(), "{:?}", env.work_files());
}

#[test]
fn mp3_answered_with_an_in_band_error_exits_with_its_kind_and_leaves_no_file() {
    let env = Env::new();
    env.server.script(
        Route::Speech,
        [Step::Malformed {
            status: 200,
            content_type: "application/json".into(),
            body: "{\"error\": {\"code\": 402, \"message\": \"Insufficient credits\"}}".into(),
        }],
    );
    let out = env.run(&["speak", "--out", "x.mp3", "hello"]);
    out.assert_code(4);
    assert!(
        out.stderr.contains("Insufficient credits"),
        "{}",
        out.stderr
    );
    assert!(env.work_files().is_empty(), "{:?}", env.work_files());
}

#[test]
fn mp3_answered_with_non_mp3_bytes_leaves_no_file() {
    let env = Env::new();
    env.server.script(
        Route::Speech,
        [Step::Malformed {
            status: 200,
            content_type: "audio/mpeg".into(),
            body: "<html><body>Bad Gateway</body></html>".into(),
        }],
    );
    let out = env.run(&["speak", "--out", "x.mp3", "hello"]);
    out.assert_code(6);
    assert!(env.work_files().is_empty(), "{:?}", env.work_files());
}

#[test]
fn truncated_audio_leaves_no_file() {
    let env = Env::new();
    env.server
        .script(Route::Speech, [Step::ShortContentLength(100)]);
    let out = env.run(&["speak", "--out", "x.mp3", "hello"]);
    out.assert_code(6);
    assert!(env.work_files().is_empty(), "{:?}", env.work_files());
}

#[test]
fn default_output_name_is_speech_timestamp_mp3() {
    let env = Env::new();
    env.run(&["speak", "hello"]).assert_code(0);
    let files = env.work_files();
    assert_eq!(files.len(), 1, "{files:?}");
    let stamp = files[0]
        .strip_prefix("speech-")
        .and_then(|s| s.strip_suffix(".mp3"))
        .unwrap_or_else(|| panic!("unexpected name {}", files[0]));
    assert!(stamp.chars().all(|c| c.is_ascii_digit()), "{}", files[0]);
}

#[test]
fn dash_reads_the_text_from_stdin() {
    let env = Env::new();
    env.run_stdin(&["speak", "--out", "x.mp3", "-"], "piped words\n")
        .assert_code(0);
    assert_eq!(speech_body(&env)["input"], "piped words");
}

#[test]
fn json_output_names_path_model_and_format() {
    let env = Env::new();
    let out = env.run(&["--json", "speak", "--out", "x.mp3", "hello"]);
    out.assert_code(0);
    let v = out.json();
    assert_eq!(v["path"], env.printed_path("x.mp3"));
    assert_eq!(v["bytes"], sample_mp3().len());
    assert_eq!(v["model"], "openrouter/hexgrad/kokoro-82m");
    assert_eq!(v["format"], "mp3");
}

#[test]
fn out_in_a_missing_directory_exits_2_without_a_request() {
    let env = Env::new();
    let out = env.run(&["speak", "--out", "nodir/x.mp3", "hello"]);
    out.assert_code(2);
    assert!(out.stderr.contains("nodir"), "{}", out.stderr);
    assert!(env.server.requests().is_empty(), "a paid request was sent");
}

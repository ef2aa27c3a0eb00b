//! `switchyard transcribe`: the audio is checked (type from its bytes,
//! size cap, transcript format) before anything is sent, goes as a blob
//! (base64 only on the wire), and the transcript reaches stdout or an
//! atomically written `--out` file.

use fake_openrouter::{sample_png, sample_wav, Route, Step};
use switchyard_e2e::video::{base64, temp_files};
use switchyard_e2e::{Env, TRANSCRIPTIONS_PATH};

fn with_audio() -> Env {
    let env = Env::new();
    std::fs::write(env.work_file("talk.wav"), sample_wav()).expect("write audio");
    env
}

#[test]
fn the_transcript_is_printed_from_the_default_model() {
    let env = with_audio();
    env.server.script(
        Route::Transcriptions,
        [Step::Transcript("hello there".into())],
    );
    let out = env.run(&["transcribe", "talk.wav"]);
    out.assert_code(0);
    assert_eq!(out.stdout, "hello there\n");
    assert!(
        out.stderr
            .contains("transcribed by openrouter/openai/whisper-large-v3"),
        "{}",
        out.stderr
    );
    let body = env.only_body(TRANSCRIPTIONS_PATH);
    assert_eq!(body["model"], "openai/whisper-large-v3");
    assert_eq!(body["input_audio"]["format"], "wav");
    assert_eq!(body["input_audio"]["data"], base64(&sample_wav()));
    assert!(body.get("language").is_none(), "{body}");
}

#[test]
fn json_output_has_text_model_language_duration_and_cost() {
    let env = with_audio();
    let v = env
        .run(&["--json", "transcribe", "--language", "EN", "talk.wav"])
        .assert_code(0)
        .json();
    assert!(v["text"].as_str().is_some_and(|t| !t.is_empty()), "{v}");
    assert_eq!(v["model"], "openrouter/openai/whisper-large-v3");
    assert!(v["language"].is_string(), "{v}");
    assert!(v["duration"].as_f64().is_some_and(|d| d > 0.0), "{v}");
    assert!(v["cost"].as_f64().is_some(), "{v}");
    assert_eq!(env.only_body(TRANSCRIPTIONS_PATH)["language"], "en");
}

#[test]
fn out_writes_subtitles_in_the_format_its_extension_names() {
    let env = with_audio();
    let out = env.run(&["transcribe", "--out", "talk.srt", "talk.wav"]);
    out.assert_code(0);
    assert_eq!(out.stdout.trim(), env.printed_path("talk.srt"));
    let srt = std::fs::read_to_string(env.work_file("talk.srt")).expect("read");
    assert!(srt.starts_with("1\n00:00:00,000 --> "), "{srt}");
    assert_eq!(
        env.only_body(TRANSCRIPTIONS_PATH)["response_format"],
        "verbose_json"
    );
    assert!(temp_files(&env.work()).is_empty(), "{:?}", env.work_files());
    env.run(&[
        "transcribe",
        "--format",
        "VTT",
        "--out",
        "talk.txt",
        "talk.wav",
    ])
    .assert_code(0);
    let vtt = std::fs::read_to_string(env.work_file("talk.txt")).expect("read");
    assert!(vtt.starts_with("WEBVTT"), "{vtt}");
}

#[test]
fn out_as_a_directory_gets_the_default_name() {
    let env = with_audio();
    let dir = env.subdir("texts");
    let out = env.run(&[
        "transcribe",
        "--out",
        dir.to_str().expect("utf-8"),
        "talk.wav",
    ]);
    out.assert_code(0);
    let files = switchyard_e2e::list_files(&dir);
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(
        files[0].starts_with("transcript-") && files[0].ends_with(".txt"),
        "{files:?}"
    );
}

#[test]
fn audio_is_read_from_stdin_with_a_dash() {
    let env = Env::new();
    env.server.script(
        Route::Transcriptions,
        [Step::Transcript("from a pipe".into())],
    );
    let out = env.run_stdin_bytes(&["transcribe", "-"], &sample_wav());
    out.assert_code(0);
    assert_eq!(out.stdout.trim(), "from a pipe");
    let body = env.only_body(TRANSCRIPTIONS_PATH);
    assert_eq!(body["input_audio"]["format"], "wav");
}

#[test]
fn what_is_not_audio_is_refused_before_sending() {
    let env = Env::new();
    std::fs::write(env.work_file("cat.wav"), sample_png()).expect("write");
    std::fs::write(env.work_file("notes.mp3"), "just text").expect("write");
    std::fs::write(env.work_file("empty.wav"), "").expect("write");
    env.assert_refused(
        &["transcribe", "cat.wav"],
        &["cat.wav: it is an image (image/png), not audio"],
    );
    env.assert_refused(&["transcribe", "notes.mp3"], &["not a WAV, MP3, FLAC"]);
    env.assert_refused(&["transcribe", "empty.wav"], &["the file is empty"]);
    env.assert_refused(
        &["transcribe", "missing.wav"],
        &["missing.wav: cannot read the file"],
    );
    let out = env.run_stdin_bytes(&["transcribe", "-"], b"not audio at all");
    out.assert_code(2);
    assert!(out.stderr.contains("stdin: not a WAV"), "{}", out.stderr);
    assert!(env.server.requests().is_empty());
}

#[test]
fn audio_over_25_mib_is_refused_before_sending() {
    let env = Env::new();
    let path = env.work_file("long.wav");
    let f = std::fs::File::create(&path).expect("create");
    f.set_len(26 * 1024 * 1024).expect("grow");
    drop(f);
    let mut head = sample_wav();
    head.truncate(44);
    let mut bytes = std::fs::read(&path).expect("read");
    bytes[..44].copy_from_slice(&head);
    std::fs::write(&path, &bytes).expect("write");
    env.assert_refused(&["transcribe", "long.wav"], &["at most 25 MiB"]);
    let out = env.run_stdin_bytes(&["transcribe", "-"], &bytes);
    out.assert_code(2);
    assert!(out.stderr.contains("at most 25 MiB"), "{}", out.stderr);
    assert!(env.server.requests().is_empty());
}

#[test]
fn a_bad_format_language_or_out_is_refused_before_sending() {
    let env = with_audio();
    env.assert_refused(
        &["transcribe", "--format", "docx", "talk.wav"],
        &["--format docx", "text, json, srt, vtt"],
    );
    env.assert_refused(
        &["transcribe", "--language", "en glish", "talk.wav"],
        &["--language"],
    );
    env.assert_refused(
        &["transcribe", "--out", "no/such/dir/t.txt", "talk.wav"],
        &["does not exist"],
    );
    env.assert_refused(
        &[
            "transcribe",
            "--model",
            "openrouter/openai/gpt-4o-mini",
            "talk.wav",
        ],
        &[
            "does not offer transcribe",
            "openrouter/openai/whisper-large-v3",
        ],
    );
}

#[test]
fn a_dry_run_sends_nothing_and_shows_the_audio_as_a_blob() {
    let env = with_audio();
    let v = env
        .run(&["--json", "transcribe", "--dry-run", "talk.wav"])
        .assert_code(0)
        .json();
    assert_eq!(v["operation"], "transcribe");
    assert_eq!(v["request"]["audio"]["blob"], 0);
    assert_eq!(v["request"]["audio"]["media_type"], "audio/wav");
    assert_eq!(v["inputs"][0]["bytes"], sample_wav().len());
    assert!(env.server.requests().is_empty());
}

#[test]
fn the_provider_refusing_the_audio_exits_4() {
    let env = with_audio();
    env.server.script(
        Route::Transcriptions,
        [Step::Status {
            code: 400,
            retry_after: None,
            message: Some("bad audio".into()),
        }],
    );
    let out = env.run(&["transcribe", "talk.wav"]);
    out.assert_code(4);
    assert!(out.stderr.contains("bad audio"), "{}", out.stderr);
}

#[test]
fn the_openai_compatible_plugin_transcribes_through_a_form() {
    let env = with_audio();
    env.write_config(&format!(
        "[models.providers.openai-compatible]\nbaseUrl = \"{}\"\napiKey = \"{}\"\n",
        env.server.base_url(),
        env.server.api_key()
    ));
    env.server.script(
        Route::Transcriptions,
        [Step::Transcript("local words".into())],
    );
    let out = env.run(&["transcribe", "--model", "local/whisper-1", "talk.wav"]);
    out.assert_code(0);
    assert_eq!(out.stdout.trim(), "local words");
    let reqs = env.server.requests_to(TRANSCRIPTIONS_PATH);
    let form = reqs[0].form().expect("a multipart form");
    assert!(form.iter().any(|p| p.name == "file"), "{form:?}");
}

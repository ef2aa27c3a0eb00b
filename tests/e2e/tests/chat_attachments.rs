//! Chat attachments (`--image`, `--audio`, `--file`): local files travel
//! as blobs beside the request and reach the API as content parts
//! (`image_url` data URLs, `input_audio` with the format read from the
//! bytes, `file` with its name), URLs pass through, and a model whose
//! input modalities (the manifest's, refined by the catalog) leave the kind
//! out refuses it before anything is sent.

use fake_openrouter::{sample_png, sample_wav};
use serde_json::Value;
use switchyard_e2e::video::base64;
use switchyard_e2e::{Env, CHAT_PATH};

const VISION: &str = "openrouter/openai/gpt-4o-mini";
const AUDIO: &str = "openrouter/google/gemini-2.5-flash";

/// The content parts of the last message of the single chat request.
fn parts(env: &Env) -> Vec<Value> {
    let body = env.only_body(CHAT_PATH);
    let messages = body["messages"].as_array().expect("messages").clone();
    let last = messages.last().expect("a message").clone();
    last["content"].as_array().expect("content parts").clone()
}

#[test]
fn an_image_file_is_sent_as_an_image_url_data_part_after_the_text() {
    let env = Env::new();
    std::fs::write(env.work_file("cat.png"), sample_png()).expect("write");
    let out = env.run(&[
        "chat",
        "--model",
        VISION,
        "--image",
        "cat.png",
        "what is this?",
    ]);
    out.assert_code(0);
    assert!(out.stdout.contains("[attached: image]"), "{}", out.all());
    let p = parts(&env);
    assert_eq!(
        p[0],
        serde_json::json!({"type": "text", "text": "what is this?"})
    );
    assert_eq!(
        p[1]["image_url"]["url"],
        format!("data:image/png;base64,{}", base64(&sample_png()))
    );
}

#[test]
fn an_image_url_is_passed_through() {
    let env = Env::new();
    env.run(&[
        "chat",
        "--model",
        VISION,
        "--image",
        "https://example.test/cat.png",
        "what?",
    ])
    .assert_code(0);
    assert_eq!(
        parts(&env)[1]["image_url"]["url"],
        "https://example.test/cat.png"
    );
}

#[test]
fn audio_is_sent_as_input_audio_with_the_format_its_bytes_show() {
    let env = Env::new();
    // A WAV file under an .mp3 name: the bytes decide.
    std::fs::write(env.work_file("talk.mp3"), sample_wav()).expect("write");
    let out = env.run(&["chat", "--model", AUDIO, "--audio", "talk.mp3", "summarize"]);
    out.assert_code(0);
    assert!(
        out.stdout.contains("[attached: audio/wav]"),
        "{}",
        out.all()
    );
    let a = &parts(&env)[1];
    assert_eq!(a["type"], "input_audio");
    assert_eq!(a["input_audio"]["format"], "wav");
    assert_eq!(a["input_audio"]["data"], base64(&sample_wav()));
}

#[test]
fn a_file_is_sent_as_a_file_part_with_its_name_and_media_type() {
    let env = Env::new();
    let pdf = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n".to_vec();
    std::fs::create_dir_all(env.work_file("docs")).expect("mkdir");
    std::fs::write(env.work_file("docs/report.pdf"), &pdf).expect("write");
    let out = env.run(&[
        "chat",
        "--model",
        VISION,
        "--file",
        "docs/report.pdf",
        "summarize",
    ]);
    out.assert_code(0);
    assert!(
        out.stdout.contains("[attached: file report.pdf]"),
        "{}",
        out.all()
    );
    let f = &parts(&env)[1];
    assert_eq!(f["file"]["filename"], "report.pdf");
    assert_eq!(
        f["file"]["file_data"],
        format!("data:application/pdf;base64,{}", base64(&pdf))
    );
}

#[test]
fn several_attachments_keep_their_order_images_audio_files() {
    let env = Env::new();
    std::fs::write(env.work_file("a.png"), sample_png()).expect("write");
    std::fs::write(env.work_file("b.wav"), sample_wav()).expect("write");
    std::fs::write(env.work_file("c.txt"), "notes").expect("write");
    env.run(&[
        "chat",
        "--model",
        AUDIO,
        "--file",
        "c.txt",
        "--audio",
        "b.wav",
        "--image",
        "a.png",
        "--image",
        "https://example.test/d.png",
        "look",
    ])
    .assert_code(0);
    let kinds: Vec<String> = parts(&env)
        .iter()
        .map(|p| p["type"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(
        kinds,
        ["text", "image_url", "image_url", "input_audio", "file"]
    );
}

#[test]
fn an_attachment_the_model_does_not_take_is_refused_before_sending() {
    let env = Env::new();
    // The catalog states Kimi's input modalities (text only).
    env.refresh_catalog();
    std::fs::write(env.work_file("cat.png"), sample_png()).expect("write");
    std::fs::write(env.work_file("talk.wav"), sample_wav()).expect("write");
    let out = env.assert_refused(
        &[
            "chat",
            "--model",
            "openrouter/moonshotai/kimi-k2.6",
            "--image",
            "cat.png",
            "hi",
        ],
        &[
            "--image is not offered by openrouter/moonshotai/kimi-k2.6",
            "it takes text input only",
        ],
    );
    assert!(
        out.stderr.contains(VISION),
        "the hint names vision models: {}",
        out.stderr
    );
    env.assert_refused(
        &["chat", "--model", VISION, "--audio", "talk.wav", "hi"],
        &[
            "--audio is not offered",
            "chat models that take audio input: ",
            AUDIO,
        ],
    );
}

#[test]
fn a_fallback_that_does_not_take_the_attachment_is_left_out_with_a_notice() {
    let env = Env::new();
    env.refresh_catalog();
    std::fs::write(env.work_file("cat.png"), sample_png()).expect("write");
    let out = env.run(&[
        "chat",
        "--model",
        VISION,
        "--fallback",
        "openrouter/moonshotai/kimi-k2.6",
        "--image",
        "cat.png",
        "hi",
    ]);
    out.assert_code(0);
    assert!(
        out.stderr
            .contains("fallback openrouter/moonshotai/kimi-k2.6 is left out"),
        "{}",
        out.stderr
    );
    assert_eq!(env.chat_models(), ["openai/gpt-4o-mini"]);
}

#[test]
fn unreadable_or_wrong_attachments_are_refused_before_sending() {
    let env = Env::new();
    std::fs::write(env.work_file("cat.png"), sample_png()).expect("write");
    std::fs::write(env.work_file("empty.txt"), "").expect("write");
    std::fs::write(env.work_file("clip.mp4"), fake_openrouter::sample_mp4()).expect("write");
    for (args, needle) in [
        (
            vec!["--image", "missing.png"],
            "--image missing.png: cannot read the file",
        ),
        (vec!["--image", "clip.mp4"], "is a video"),
        (
            vec!["--audio", "cat.png"],
            "--audio cat.png: it is an image (image/png), not audio",
        ),
        (
            vec!["--audio", "https://example.test/stream"],
            "cannot tell the audio format",
        ),
        (
            vec!["--file", "empty.txt"],
            "--file empty.txt: the file is empty",
        ),
        (
            vec!["--file", "ftp://example.test/a.pdf"],
            "only local files and http(s) URLs",
        ),
    ] {
        let mut all = vec!["chat", "--model", AUDIO];
        all.extend(args);
        all.push("hi");
        env.assert_refused(&all, &[needle]);
    }
}

#[test]
fn a_dry_run_shows_attachments_as_blobs_never_base64() {
    let env = Env::new();
    std::fs::write(env.work_file("cat.png"), sample_png()).expect("write");
    let out = env.run(&[
        "--json",
        "chat",
        "--model",
        VISION,
        "--image",
        "cat.png",
        "--dry-run",
        "hi",
    ]);
    out.assert_code(0);
    let v = out.json();
    let part = &v["request"]["messages"][0]["parts"][0];
    assert_eq!(part["kind"], "image");
    assert_eq!(part["input"]["blob"], 0);
    assert_eq!(part["input"]["media_type"], "image/png");
    assert_eq!(v["inputs"][0]["bytes"], sample_png().len());
    assert!(
        !out.stdout.contains(&base64(&sample_png())),
        "{}",
        out.stdout
    );
    assert!(env.server.requests().is_empty());
}

#[test]
fn a_model_that_states_no_input_modalities_gets_the_attachment_with_a_note() {
    let env = Env::new();
    std::fs::write(env.work_file("cat.png"), sample_png()).expect("write");
    let out = env.run(&[
        "chat",
        "--model",
        "openrouter/moonshotai/kimi-k2.6",
        "--image",
        "cat.png",
        "hi",
    ]);
    out.assert_code(0);
    assert!(
        out.stderr
            .contains("does not state which inputs it takes; --image is sent unchecked"),
        "{}",
        out.stderr
    );
}

#[test]
fn an_audio_url_is_refused_by_the_plugin_before_sending() {
    // OpenRouter takes audio as bytes only: the plugin refuses the URL
    // while building the request (exit 2), so nothing reaches the server.
    let env = Env::new();
    env.assert_refused(
        &[
            "chat",
            "--model",
            AUDIO,
            "--audio",
            "https://example.test/talk.mp3",
            "hi",
        ],
        &["must be a local file"],
    );
}

//! `switchyard image`: image generation through chat completions, the
//! request it sends, the files it writes (and never leaves half-written).

use fake_openrouter::{sample_png, Route, ServedFile, Step};
use switchyard_e2e::{tagged_png, Env};

const IMAGE_MODEL_API: &str = "google/gemini-3.1-flash-image-preview";

#[test]
fn writes_the_exact_png_bytes_the_server_sent() {
    let env = Env::new();
    let png = tagged_png("only-image");
    env.server
        .script(Route::Chat, [Step::Images(vec![png.clone()])]);
    let out = env.run(&["image", "--out", "cat.png", "a cat"]);
    out.assert_code(0);
    assert_eq!(
        std::fs::read(env.work_file("cat.png")).expect("cat.png"),
        png
    );
    assert_eq!(env.work_files(), vec!["cat.png"]);
    assert_eq!(out.stdout, format!("{}\n", env.printed_path("cat.png")));
}

#[test]
fn request_asks_for_image_and_text_output() {
    let env = Env::new();
    env.run(&["image", "--out", "x.png", "a cat"])
        .assert_code(0);
    let reqs = env.chat_requests();
    assert_eq!(reqs.len(), 1);
    let body = reqs[0].json().expect("JSON body");
    assert_eq!(body["model"], IMAGE_MODEL_API);
    assert_eq!(body["modalities"], serde_json::json!(["image", "text"]));
    assert_eq!(
        body["messages"],
        serde_json::json!([{"role": "user", "content": "a cat"}])
    );
}

#[test]
fn aspect_ratio_and_size_are_sent_in_image_config_in_api_spelling() {
    let env = Env::new();
    env.run(&[
        "image",
        "--aspect-ratio",
        "16:9",
        "--size",
        "2k",
        "--out",
        "x.png",
        "a cat",
    ])
    .assert_code(0);
    let body = env.chat_requests()[0].json().expect("JSON body");
    assert_eq!(
        body["image_config"],
        serde_json::json!({"aspect_ratio": "16:9", "image_size": "2K"})
    );
}

#[test]
fn no_image_config_without_aspect_ratio_or_size() {
    let env = Env::new();
    env.run(&["image", "--out", "x.png", "a cat"])
        .assert_code(0);
    let body = env.chat_requests()[0].json().expect("JSON body");
    assert!(body.get("image_config").is_none(), "{body}");
}

#[test]
fn unsupported_aspect_ratio_exits_2_without_a_request() {
    let env = Env::new();
    let out = env.run(&["image", "--aspect-ratio", "7:3", "--out", "x.png", "a cat"]);
    out.assert_code(2);
    assert!(out.stderr.contains("7:3"), "{}", out.stderr);
    assert!(
        out.stderr.contains("16:9"),
        "allowed values are listed: {}",
        out.stderr
    );
    assert!(env.server.requests().is_empty());
    assert!(env.work_files().is_empty());
}

#[test]
fn size_the_model_does_not_offer_exits_2_without_a_request() {
    let env = Env::new();
    let out = env.run(&[
        "image",
        "--model",
        "openrouter/google/gemini-2.5-flash-image",
        "--size",
        "0.5K",
        "--out",
        "x.png",
        "a cat",
    ]);
    out.assert_code(2);
    assert!(out.stderr.contains("0.5K"), "{}", out.stderr);
    assert!(env.server.requests().is_empty());
}

#[test]
fn chat_only_model_exits_2_without_a_request() {
    let env = Env::new();
    let out = env.run(&[
        "image",
        "--model",
        "openrouter/moonshotai/kimi-k2.6",
        "--out",
        "x.png",
        "a cat",
    ]);
    out.assert_code(2);
    assert!(out.stderr.contains("image"), "{}", out.stderr);
    assert!(env.server.requests().is_empty());
}

#[test]
fn several_images_go_to_numbered_files() {
    let env = Env::new();
    let imgs = vec![tagged_png("one"), tagged_png("two"), tagged_png("three")];
    env.server.script(Route::Chat, [Step::Images(imgs.clone())]);
    let out = env.run(&["image", "--out", "pic.png", "three cats"]);
    out.assert_code(0);
    assert_eq!(env.work_files(), vec!["pic-2.png", "pic-3.png", "pic.png"]);
    assert_eq!(
        std::fs::read(env.work_file("pic.png")).expect("pic.png"),
        imgs[0]
    );
    assert_eq!(
        std::fs::read(env.work_file("pic-2.png")).expect("pic-2.png"),
        imgs[1]
    );
    assert_eq!(
        std::fs::read(env.work_file("pic-3.png")).expect("pic-3.png"),
        imgs[2]
    );
    let printed: Vec<String> = ["pic.png", "pic-2.png", "pic-3.png"]
        .iter()
        .map(|n| env.printed_path(n))
        .collect();
    assert_eq!(out.stdout, format!("{}\n", printed.join("\n")));
}

#[test]
fn default_output_name_is_image_timestamp_png() {
    let env = Env::new();
    let out = env.run(&["image", "a cat"]);
    out.assert_code(0);
    let files = env.work_files();
    assert_eq!(files.len(), 1, "{files:?}");
    let name = &files[0];
    let stamp = name
        .strip_prefix("image-")
        .and_then(|s| s.strip_suffix(".png"))
        .unwrap_or_else(|| panic!("unexpected name {name}"));
    assert!(
        !stamp.is_empty() && stamp.chars().all(|c| c.is_ascii_digit()),
        "{name}"
    );
    assert_eq!(
        std::fs::read(env.work_file(name)).expect("image"),
        sample_png()
    );
}

#[test]
fn image_served_by_url_is_downloaded_exactly() {
    let env = Env::new();
    let png = tagged_png("from-url");
    env.server
        .add_file("/cdn/cat.png", ServedFile::bytes("image/png", png.clone()));
    let url = format!("{}/cdn/cat.png", env.server.origin());
    env.server.script(Route::Chat, [Step::ImageUrls(vec![url])]);
    env.run(&["image", "--out", "cat.png", "a cat"])
        .assert_code(0);
    assert_eq!(
        std::fs::read(env.work_file("cat.png")).expect("cat.png"),
        png
    );
    assert_eq!(env.work_files(), vec!["cat.png"]);
}

#[test]
fn answer_without_image_shows_the_models_text_and_leaves_no_file() {
    let env = Env::new();
    env.server.script(Route::Chat, [Step::NoImages]);
    let out = env.run(&["image", "--out", "cat.png", "a cat please"]);
    out.assert_code(4);
    assert!(
        out.stderr.contains("You said: a cat please"),
        "the model's text is shown: {}",
        out.stderr
    );
    assert!(env.work_files().is_empty(), "{:?}", env.work_files());
}

#[test]
fn html_sent_as_an_image_leaves_no_file() {
    let env = Env::new();
    env.server.script(
        Route::Chat,
        [Step::Images(vec![
            b"<html><body>502 Bad Gateway</body></html>".to_vec(),
        ])],
    );
    let out = env.run(&["image", "--out", "cat.png", "a cat"]);
    out.assert_code(6);
    assert!(out.stderr.contains("HTML"), "{}", out.stderr);
    assert!(env.work_files().is_empty(), "{:?}", env.work_files());
}

#[test]
fn garbage_bytes_sent_as_an_image_leave_no_file() {
    let env = Env::new();
    env.server.script(
        Route::Chat,
        [Step::Images(vec![vec![
            0x13, 0x37, 0x00, 0x42, 0x99, 0x10, 0x20, 0x30,
        ]])],
    );
    let out = env.run(&["image", "--out", "cat.png", "a cat"]);
    out.assert_code(6);
    assert!(out.stderr.contains("not an image"), "{}", out.stderr);
    assert!(env.work_files().is_empty(), "{:?}", env.work_files());
}

#[test]
fn html_page_at_the_image_url_leaves_no_file() {
    let env = Env::new();
    env.server.add_file(
        "/cdn/cat.png",
        ServedFile::bytes("text/html", b"<html><body>login</body></html>".to_vec()),
    );
    let url = format!("{}/cdn/cat.png", env.server.origin());
    env.server.script(Route::Chat, [Step::ImageUrls(vec![url])]);
    let out = env.run(&["image", "--out", "cat.png", "a cat"]);
    out.assert_code(6);
    assert!(out.stderr.contains("text/html"), "{}", out.stderr);
    assert!(env.work_files().is_empty(), "{:?}", env.work_files());
}

#[test]
fn one_bad_image_among_several_leaves_no_file_at_all() {
    let env = Env::new();
    env.server.script(
        Route::Chat,
        [Step::Images(vec![
            tagged_png("good"),
            b"{\"error\": \"nope\"}".to_vec(),
        ])],
    );
    let out = env.run(&["image", "--out", "pic.png", "two cats"]);
    out.assert_code(6);
    assert!(env.work_files().is_empty(), "{:?}", env.work_files());
}

#[test]
fn json_output_lists_each_written_file() {
    let env = Env::new();
    env.server.script(
        Route::Chat,
        [Step::Images(vec![tagged_png("a"), tagged_png("b")])],
    );
    let out = env.run(&["--json", "image", "--out", "pic.png", "two cats"]);
    out.assert_code(0);
    let v = out.json();
    let outputs = v["outputs"].as_array().expect("outputs array");
    assert_eq!(outputs.len(), 2, "{v}");
    assert_eq!(outputs[0]["path"], env.printed_path("pic.png"));
    assert_eq!(outputs[1]["path"], env.printed_path("pic-2.png"));
    assert_eq!(outputs[0]["format"], "image/png");
    assert_eq!(outputs[0]["bytes"], tagged_png("a").len());
    assert_eq!(v["model"], IMAGE_MODEL_API);
}

#[test]
fn upstream_error_leaves_no_file() {
    let env = Env::new();
    env.server.script(
        Route::Chat,
        [Step::Status {
            code: 402,
            retry_after: None,
            message: None,
        }],
    );
    let out = env.run(&["image", "--out", "cat.png", "a cat"]);
    out.assert_code(4);
    assert!(env.work_files().is_empty(), "{:?}", env.work_files());
}

#[test]
fn out_in_a_missing_directory_exits_2_without_a_request() {
    let env = Env::new();
    let out = env.run(&["image", "--out", "nodir/cat.png", "a cat"]);
    out.assert_code(2);
    assert!(out.stderr.contains("nodir"), "{}", out.stderr);
    assert!(env.server.requests().is_empty(), "a paid request was sent");
}

#[test]
fn timeout_flag_ends_a_slow_answer_with_exit_5_and_no_file() {
    let env = Env::new();
    env.server.script(
        Route::Chat,
        [Step::Delay(std::time::Duration::from_millis(1500))],
    );
    let started = std::time::Instant::now();
    let out = env.run(&["image", "--timeout", "300ms", "--out", "cat.png", "a cat"]);
    out.assert_code(5);
    assert!(
        started.elapsed() < std::time::Duration::from_millis(1400),
        "{:?}",
        started.elapsed()
    );
    assert!(env.work_files().is_empty(), "{:?}", env.work_files());
}

#[test]
fn configured_timeout_ms_applies_without_the_flag() {
    let env = Env::new();
    env.write_config("[agents.defaults.imageGenerationModel]\ntimeoutMs = 300\n");
    env.server.script(
        Route::Chat,
        [Step::Delay(std::time::Duration::from_millis(1500))],
    );
    let out = env.run(&["image", "--out", "cat.png", "a cat"]);
    out.assert_code(5);
    assert!(env.work_files().is_empty(), "{:?}", env.work_files());
}

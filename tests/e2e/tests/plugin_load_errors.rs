//! A plugin whose library cannot be found is named with the reason and the
//! places searched, before any key check: never reported as a missing key.

use switchyard_e2e::Env;

const BROKEN: &str = r#"id = "broken"
name = "Broken"
version = "0.1.0"
plugin_api = "^2.0"
library = "switchyard_no_such_plugin"
model_prefix = "broken/"
capabilities = ["chat", "image", "speech"]

[auth]
env = ["BROKEN_API_KEY"]
"#;

fn env_with_broken_plugin() -> (Env, String) {
    let env = Env::new();
    let dir = env.subdir("broken-plugin");
    std::fs::write(dir.join("broken.toml"), BROKEN).expect("write manifest");
    let dir = dir.to_str().expect("utf-8 path").to_string();
    (env, dir)
}

#[track_caller]
fn assert_names_the_missing_library(out: &switchyard_e2e::Output, dir: &str) {
    out.assert_code(3);
    assert!(
        out.stderr.contains("library") && out.stderr.contains("not found"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("switchyard_no_such_plugin"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("looked in"), "{}", out.stderr);
    assert!(
        out.stderr.contains(dir),
        "the manifest's directory: {}",
        out.stderr
    );
    assert!(!out.stderr.contains("no API key"), "{}", out.stderr);
}

#[test]
fn chat_with_a_plugin_whose_library_is_missing_says_the_library_was_not_found() {
    let (env, dir) = env_with_broken_plugin();
    let out = env.run(&["--plugin-dir", &dir, "chat", "--model", "broken/x", "hi"]);
    assert_names_the_missing_library(&out, &dir);
    assert!(env.server.requests().is_empty());
}

#[test]
fn image_and_speak_with_a_missing_library_say_so_before_any_key_check() {
    let (env, dir) = env_with_broken_plugin();
    let image = env.run(&[
        "--plugin-dir",
        &dir,
        "image",
        "--model",
        "broken/x",
        "a cat",
    ]);
    assert_names_the_missing_library(&image, &dir);
    let speak = env.run(&[
        "--plugin-dir",
        &dir,
        "speak",
        "--model",
        "broken/x",
        "hello",
    ]);
    assert_names_the_missing_library(&speak, &dir);
    assert!(env.server.requests().is_empty());
}

//! The new kinds in the command line's surface: `models list
//! --capability transcribe|embed`, shell completions, help.

use switchyard_e2e::Env;

#[test]
fn models_list_filters_transcribe_and_embed_models() {
    let env = Env::new();
    let out = env.run(&["models", "list", "--capability", "transcribe"]);
    out.assert_code(0);
    assert!(
        out.stdout.contains("openrouter/openai/whisper-large-v3"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("local/whisper-1"), "{}", out.stdout);
    assert!(!out.stdout.contains("text-embedding"), "{}", out.stdout);
    let v = env
        .run(&["--json", "models", "list", "--capability", "embed"])
        .assert_code(0)
        .json();
    let refs: Vec<&str> = v["models"]
        .as_array()
        .expect("models")
        .iter()
        .filter_map(|m| m["ref"].as_str())
        .collect();
    assert_eq!(
        refs,
        [
            "local/nomic-embed-text",
            "openrouter/openai/text-embedding-3-small"
        ]
    );
}

#[test]
fn models_list_shows_the_image_limits_of_the_catalog() {
    let env = Env::new();
    env.refresh_catalog();
    let v = env
        .run(&["--json", "models", "list", "--capability", "image"])
        .assert_code(0)
        .json();
    let gpt = v["models"]
        .as_array()
        .expect("models")
        .iter()
        .find(|m| m["ref"] == "openrouter/openai/gpt-5-image")
        .expect("gpt-5-image listed")
        .clone();
    assert_eq!(gpt["limits"]["max_count"], 10, "{gpt}");
    assert_eq!(gpt["limits"]["supports_seed"], false, "{gpt}");
    assert!(gpt["limits"]["qualities"].as_array().is_some(), "{gpt}");
}

#[test]
fn completions_know_the_new_commands_and_flags() {
    let env = Env::new();
    let out = env.run(&["completions", "bash"]);
    out.assert_code(0);
    for word in [
        "transcribe",
        "embed",
        "--schema",
        "--reasoning",
        "--provider-order",
        "--count",
        "--dimensions",
    ] {
        assert!(
            out.stdout.contains(word),
            "{word} missing from bash completions"
        );
    }
}

#[test]
fn the_default_models_come_from_a_configured_plugin() {
    let env = Env::new();
    std::fs::write(env.work_file("a.wav"), fake_openrouter::sample_wav()).expect("write");
    // Only OpenRouter is set up: the OpenAI-compatible plugin, first in
    // scan order, is passed over.
    let v = env
        .run(&["--json", "transcribe", "--dry-run", "a.wav"])
        .assert_code(0)
        .json();
    assert_eq!(v["model"], "openrouter/openai/whisper-large-v3");
    let v = env
        .run(&["--json", "embed", "--dry-run", "x"])
        .assert_code(0)
        .json();
    assert_eq!(v["model"], "openrouter/openai/text-embedding-3-small");
    env.write_config(&format!(
        "[models.providers.openai-compatible]\nbaseUrl = \"{}\"\n",
        env.server.base_url()
    ));
    let v = env
        .run(&["--json", "embed", "--dry-run", "x"])
        .assert_code(0)
        .json();
    assert_eq!(
        v["model"], "local/nomic-embed-text",
        "both set up: the first in scan order"
    );
}

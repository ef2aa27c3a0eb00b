//! Getting started as the provider page promises: onboarding, `models set`,
//! the live catalog, config commands, completions, speaking chat answers.

use fake_openrouter::FakeServer;
use std::os::unix::fs::PermissionsExt;
use switchyard_e2e::{workspace_root, Env, TempDir};

/// A plugin dir holding a copy of the OpenRouter manifest whose default
/// base URL is the fake server (so a config file need not exist).
fn manifest_pointing_at(server: &FakeServer) -> TempDir {
    let d = TempDir::new("manifests");
    let text = std::fs::read_to_string(workspace_root().join("manifests/openrouter.toml")).unwrap();
    let text = text.replace("https://openrouter.ai/api/v1", &server.base_url());
    std::fs::write(d.path().join("openrouter.toml"), text).unwrap();
    d
}

#[test]
fn onboarding_from_stdin_creates_a_0600_config_holding_the_key() {
    let env = Env::new();
    std::fs::remove_file(env.config_path()).unwrap();
    let m = manifest_pointing_at(&env.server);
    let key = env.server.api_key();
    let out = env.run_stdin(
        &[
            "--plugin-dir",
            m.path().to_str().unwrap(),
            "onboard",
            "--api-key-stdin",
        ],
        &format!("{key}\n"),
    );
    assert_eq!(out.code, 0, "{}", out.all());
    let text = std::fs::read_to_string(env.config_path()).unwrap();
    assert!(text.contains(&format!("apiKey = \"{key}\"")), "{text}");
    assert!(text.contains("primary = \"openrouter/auto\""), "{text}");
    let mode = std::fs::metadata(env.config_path())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    assert!(
        out.stdout.contains("fake-key") && out.stdout.contains("switchyard chat"),
        "{}",
        out.all()
    );
    assert!(!out.all().contains(&key), "the key was printed");
    assert_eq!(env.server.requests_to("/api/v1/key").len(), 1);
}

#[test]
fn onboarding_keeps_an_existing_comment_and_primary() {
    let env = Env::new();
    let original = format!(
        "# my own notes, keep me\n[agents.defaults.model]\nprimary = \"openrouter/moonshotai/kimi-k2.6\"\n\n[models.providers.openrouter]\nbaseUrl = \"{}\"\n",
        env.server.base_url()
    );
    env.write_raw_config(&original);
    let out = env.run_stdin(
        &["onboard", "--api-key-stdin"],
        &format!("{}\n", env.server.api_key()),
    );
    assert_eq!(out.code, 0, "{}", out.all());
    let text = std::fs::read_to_string(env.config_path()).unwrap();
    assert!(text.starts_with("# my own notes, keep me\n[agents.defaults.model]\nprimary = \"openrouter/moonshotai/kimi-k2.6\""), "{text}");
    assert!(
        text.contains(&format!("apiKey = \"{}\"", env.server.api_key())),
        "{text}"
    );
}

#[test]
fn a_rejected_key_exits_3_and_leaves_the_file_unchanged() {
    let env = Env::new();
    let original = format!(
        "# untouched\n[models.providers.openrouter]\nbaseUrl = \"{}\"\n",
        env.server.base_url()
    );
    env.write_raw_config(&original);
    let out = env.run_stdin(
        &["onboard", "--api-key-stdin"],
        "sk-or-v1-wrong-key-000000\n",
    );
    assert_eq!(out.code, 3, "{}", out.all());
    assert!(
        out.stderr.contains("rejected") && out.stderr.contains("nothing was written"),
        "{}",
        out.all()
    );
    assert_eq!(
        std::fs::read_to_string(env.config_path()).unwrap(),
        original
    );
    assert!(
        !out.all().contains("wrong-key"),
        "the rejected key was echoed"
    );
}

#[test]
fn models_set_then_chat_sends_the_provider_model_id() {
    let env = Env::new();
    let out = env.run(&["models", "set", "openrouter/moonshotai/kimi-k2.6"]);
    assert_eq!(out.code, 0, "{}", out.all());
    let chat = env.run(&["chat", "hi"]);
    assert_eq!(chat.code, 0, "{}", chat.all());
    let reqs = env.server.requests_to("/api/v1/chat/completions");
    assert_eq!(
        reqs.last().unwrap().json().unwrap()["model"],
        "moonshotai/kimi-k2.6"
    );
}

#[test]
fn models_set_video_with_a_chat_model_exits_2_and_writes_nothing() {
    let env = Env::new();
    let before = std::fs::read_to_string(env.config_path()).unwrap();
    let out = env.run(&[
        "models",
        "set",
        "--video",
        "openrouter/moonshotai/kimi-k2.6",
    ]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(
        out.stderr.contains("veo"),
        "closest matches missing: {}",
        out.all()
    );
    assert_eq!(std::fs::read_to_string(env.config_path()).unwrap(), before);
}

#[test]
fn models_set_with_an_unclaimed_prefix_exits_2() {
    let env = Env::new();
    let out = env.run(&["models", "set", "nosuch/vendor/model"]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(out.stderr.contains("openrouter/"), "{}", out.all());
}

#[test]
fn models_set_tts_writes_the_provider_local_speech_model() {
    let env = Env::new();
    let out = env.run(&[
        "models",
        "set",
        "--tts",
        "openai/gpt-4o-mini-tts-2025-12-15",
    ]);
    assert_eq!(out.code, 0, "{}", out.all());
    let text = std::fs::read_to_string(env.config_path()).unwrap();
    assert!(
        text.contains(
            "[messages.tts.providers.openrouter]\nmodel = \"openai/gpt-4o-mini-tts-2025-12-15\""
        ),
        "{text}"
    );
}

fn catalog_with_duration(extra: u32) -> (serde_json::Value, serde_json::Value) {
    let models = serde_json::json!({"data": [], "total_count": 0, "links": {"next": null}});
    let videos = serde_json::json!({"data": [{
        "id": "google/veo-3.1-fast", "canonical_slug": "google/veo-3.1-fast", "name": "Veo 3.1 Fast", "created": 1,
        "supported_resolutions": ["720p", "1080p"], "supported_aspect_ratios": ["16:9", "9:16"], "supported_sizes": null,
        "supported_durations": [4, 6, 8, extra], "supported_frame_images": ["first_frame", "last_frame"],
        "upscale_factor": null, "creativity": null, "generate_audio": true, "seed": true, "allowed_passthrough_parameters": []
    }]});
    (models, videos)
}

#[test]
fn a_refreshed_catalog_duration_passes_the_check_and_is_refused_again_without_the_cache() {
    let env = Env::new();
    env.write_config("[agents.defaults.videoGenerationModel]\npollIntervalMs = 20\n");
    let (m, v) = catalog_with_duration(10);
    env.server.set_catalog(m, v);
    let refused = env.run(&["video", "--duration", "10", "a cat"]);
    assert_eq!(refused.code, 2, "{}", refused.all());
    let r = env.run(&["models", "refresh"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let list = env.run(&["models", "list", "--capability", "video"]);
    assert!(list.stdout.contains("catalog"), "{}", list.all());
    let ok = env.run(&["video", "--duration", "10", "a cat"]);
    assert_eq!(ok.code, 0, "{}", ok.all());
    assert_eq!(
        env.server
            .requests_to("/api/v1/videos")
            .iter()
            .filter(|r| r.method == "POST")
            .count(),
        1
    );
    std::fs::remove_dir_all(env.dir.path().join("cache")).unwrap();
    let again = env.run(&["video", "--duration", "10", "a cat"]);
    assert_eq!(again.code, 2, "{}", again.all());
}

#[test]
fn an_unreadable_catalog_cache_falls_back_to_the_manifest_with_a_notice() {
    let env = Env::new();
    let dir = env.dir.path().join("cache/switchyard");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("catalog-openrouter.json"), "{not json").unwrap();
    let out = env.run(&["video", "--duration", "5", "a cat"]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(out.stderr.contains("unreadable"), "{}", out.all());
}

#[test]
fn only_refresh_and_onboard_reach_the_network_for_models() {
    let env = Env::new();
    for args in [
        vec!["models", "list"],
        vec!["plugins", "list"],
        vec!["config", "show"],
        vec!["models", "set", "openrouter/auto"],
    ] {
        let out = env.run(&args);
        assert_eq!(out.code, 0, "{args:?}: {}", out.all());
    }
    assert!(
        env.server.requests().is_empty(),
        "{:?}",
        env.server
            .requests()
            .iter()
            .map(|r| r.path.clone())
            .collect::<Vec<_>>()
    );
}

#[test]
fn config_show_never_shows_the_key_even_verbose() {
    let env = Env::new();
    let out = env.run(&["-vv", "config", "show"]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(out.stdout.contains("[redacted]"), "{}", out.all());
    assert!(!out.all().contains(&env.server.api_key()));
}

#[test]
fn config_check_reports_unknown_keys_and_exits_3() {
    let env = Env::new();
    env.write_config("[agents.defaults.model]\nprimery = \"x\"\n");
    let out = env.run(&["config", "check"]);
    assert_eq!(out.code, 3, "{}", out.all());
    assert!(
        out.stdout.contains("agents.defaults.model.primery"),
        "{}",
        out.all()
    );
}

#[test]
fn config_path_prints_the_file_in_use() {
    let env = Env::new();
    let out = env.run(&["config", "path"]);
    assert_eq!(
        out.stdout.lines().next(),
        Some(env.config_path().display().to_string().as_str())
    );
}

#[test]
fn config_path_lists_the_plugin_directories_in_search_order() {
    let env = Env::new();
    let named = env.subdir("mine");
    let out = env.run(&[
        "--json",
        "--plugin-dir",
        named.to_str().unwrap(),
        "config",
        "path",
    ]);
    out.assert_code(0);
    let v = out.json();
    assert_eq!(v["path"], env.config_path().display().to_string());
    let dirs: Vec<(String, String, bool)> = v["plugin_dirs"]
        .as_array()
        .expect("plugin_dirs")
        .iter()
        .map(|d| {
            (
                d["source"].as_str().unwrap().to_string(),
                d["path"].as_str().unwrap().to_string(),
                d["exists"].as_bool().unwrap(),
            )
        })
        .collect();
    let sources: Vec<&str> = dirs.iter().map(|d| d.0.as_str()).collect();
    // The debug binary runs from the workspace's target/: the development fallback applies.
    assert_eq!(
        sources,
        ["--plugin-dir", "user", "bundled", "workspace"],
        "{v}"
    );
    assert_eq!(dirs[0].1, named.display().to_string());
    assert!(dirs[0].2 && !dirs[1].2 && dirs[3].2, "{v}");
    let user = env.dir.path().join("home/.local/share/switchyard/plugins");
    assert_eq!(dirs[1].1, user.display().to_string());
    let text = env.run(&["config", "path"]);
    assert!(
        text.stdout.contains("plugin directories, in search order:")
            && text.stdout.contains("(missing)"),
        "{}",
        text.stdout
    );
}

#[test]
fn bash_completions_load_in_bash() {
    let env = Env::new();
    let out = env.run(&["completions", "bash"]);
    assert_eq!(out.code, 0);
    let file = env.dir.path().join("c.bash");
    std::fs::write(&file, &out.stdout).unwrap();
    let st = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source {} && complete -p switchyard",
            file.display()
        ))
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    assert!(String::from_utf8_lossy(&st.stdout).contains("switchyard"));
}

#[test]
fn tts_auto_always_speaks_the_chat_answer_and_says_where() {
    let env = Env::new();
    env.write_config("[messages.tts]\nauto = \"always\"\n[messages.tts.providers.openrouter]\nmodel = \"hexgrad/kokoro-82m\"\nvoice = \"af_alloy\"\nresponseFormat = \"mp3\"\n");
    let out = env.run(&["chat", "--speak-to", "answer.mp3", "hi"]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(out.stderr.contains("answer.mp3"), "{}", out.all());
    assert_eq!(
        std::fs::read(env.work().join("answer.mp3")).unwrap(),
        fake_openrouter::sample_mp3()
    );
    let speech = env.server.requests_to("/api/v1/audio/speech");
    assert_eq!(speech.len(), 1);
    let body = speech[0].json().unwrap();
    assert!(
        body["input"].as_str().unwrap().contains("You said: hi"),
        "{body}"
    );
}

#[test]
fn tts_off_by_default_does_not_speak() {
    let env = Env::new();
    let out = env.run(&["chat", "hi"]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(env.server.requests_to("/api/v1/audio/speech").is_empty());
}

/// Issue 16: real `/models` entries say nothing of image aspect ratios, and
/// the refreshed catalog used to replace the manifest's limits, so
/// `--aspect-ratio` was refused after `models refresh`.
#[test]
fn image_aspect_ratio_is_still_accepted_after_models_refresh() {
    let env = Env::new();
    env.run(&["models", "refresh"]).assert_code(0);
    let out = env.run(&["image", "--aspect-ratio", "16:9", "A lighthouse at dawn"]);
    out.assert_code(0);
    let reqs = env.chat_requests();
    assert_eq!(reqs.len(), 1, "{}", out.all());
    let body = reqs[0].json().expect("JSON body");
    assert_eq!(body["image_config"]["aspect_ratio"], "16:9", "{body}");
    // The manifest's list still applies: a ratio outside it is refused.
    let bad = env.run(&["image", "--aspect-ratio", "7:3", "A lighthouse at dawn"]);
    bad.assert_code(2);
    assert!(bad.stderr.contains("21:9"), "{}", bad.stderr);
    assert_eq!(env.chat_requests().len(), 1, "nothing sent for the refusal");
}

#[test]
fn after_models_refresh_the_hint_names_the_merged_models_of_the_capability_asked() {
    let env = Env::new();
    let image_model = |id: &str| serde_json::json!({"id": id, "name": id, "architecture": {"output_modalities": ["image", "text"]}});
    let models = serde_json::json!({"data": [
        image_model("google/gemini-3.1-flash-image-preview"),
        image_model("black-forest-labs/flux.2-pro"),
    ]});
    let (_, videos) = catalog_with_duration(10);
    env.server.set_catalog(models, videos);
    env.run(&["models", "refresh"]).assert_code(0);
    env.server.clear_requests();
    let out = env.run(&[
        "image",
        "--model",
        "openrouter/google/veo-3.1-fast",
        "A lighthouse at dawn",
    ]);
    out.assert_code(2);
    let hint = out
        .stderr
        .split("models that do: ")
        .nth(1)
        .unwrap_or_else(|| panic!("no hint: {}", out.stderr));
    for m in [
        "openrouter/google/gemini-3.1-flash-image-preview",
        "openrouter/google/gemini-2.5-flash-image",
        "openrouter/black-forest-labs/flux.2-pro",
    ] {
        assert!(
            hint.contains(m),
            "{m} missing from the hint: {}",
            out.stderr
        );
    }
    assert!(
        !hint.contains("veo"),
        "a video model in an image hint: {hint}"
    );
    assert!(env.server.requests().is_empty());
    // A catalog-only model gets the catalog's limits, which say nothing of
    // aspect ratios: the ratio is sent unchecked, with a note.
    let flux = env.run(&[
        "image",
        "--model",
        "openrouter/black-forest-labs/flux.2-pro",
        "--aspect-ratio",
        "16:9",
        "A lighthouse at dawn",
    ]);
    flux.assert_code(0);
    assert!(flux.stderr.contains("sent unchecked"), "{}", flux.stderr);
}

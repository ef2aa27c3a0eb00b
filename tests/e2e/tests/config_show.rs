//! `config show` lists every setting that applies, with its source (file,
//! env, default, manifest), secrets redacted.

use switchyard_e2e::Env;

fn env_with_settings() -> Env {
    let env = Env::new();
    env.write_raw_config(&format!(
        "[env]\nOPENROUTER_API_KEY = \"sk-or-v1-env-table-secret-424242\"\n\
         [agents.defaults]\nmediaMaxMb = 512\n\
         [agents.defaults.imageGenerationModel]\ntimeoutMs = 120000\n\
         [agents.defaults.videoGenerationModel]\npollIntervalMs = 750\n\
         [messages.tts]\nauto = \"always\"\n\
         [messages.tts.providers.openrouter]\nvoice = \"af_alloy\"\nspeed = 1.25\n\
         [models.providers.openrouter]\nbaseUrl = \"{}\"\nreadTimeoutMs = 2000\n\
         [plugins]\ndirs = [\"/opt/switchyard-plugins\"]\n",
        env.server.base_url()
    ));
    env
}

/// The `(value, source)` of `key` in the JSON listing.
fn setting(v: &serde_json::Value, key: &str) -> (String, String) {
    let row = v["settings"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["key"] == key))
        .unwrap_or_else(|| panic!("{key} is not shown: {v}"));
    (
        row["value"].as_str().unwrap_or_default().to_string(),
        row["source"].as_str().unwrap_or_default().to_string(),
    )
}

#[test]
fn config_show_lists_every_setting_with_its_source() {
    let env = env_with_settings();
    let out = env.run_with_env(
        &["--json", "config", "show"],
        &[("OPENROUTER_API_KEY", "sk-or-v1-process-env-secret-777")],
    );
    out.assert_code(0);
    let v = out.json();
    let want = [
        (
            "agents.defaults.model.primary",
            "openrouter/auto",
            "default",
        ),
        (
            "agents.defaults.imageGenerationModel.timeoutMs",
            "120000",
            "file",
        ),
        (
            "agents.defaults.videoGenerationModel.timeoutMs",
            "900000",
            "default",
        ),
        (
            "agents.defaults.videoGenerationModel.pollIntervalMs",
            "750",
            "file",
        ),
        ("agents.defaults.mediaMaxMb", "512", "file"),
        ("messages.tts.auto", "always", "file"),
        ("messages.tts.provider", "openrouter", "default"),
        (
            "messages.tts.providers.openrouter.model",
            "hexgrad/kokoro-82m",
            "default",
        ),
        (
            "messages.tts.providers.openrouter.voice",
            "af_alloy",
            "file",
        ),
        ("messages.tts.providers.openrouter.speed", "1.25", "file"),
        ("models.providers.openrouter.readTimeoutMs", "2000", "file"),
        (
            "models.providers.openrouter.baseUrl",
            &env.server.base_url(),
            "file",
        ),
        (
            "openrouter API key",
            "[redacted]",
            "file env.OPENROUTER_API_KEY",
        ),
        ("env.OPENROUTER_API_KEY", "[redacted]", "file"),
    ];
    for (key, value, source) in want {
        assert_eq!(
            setting(&v, key),
            (value.to_string(), source.to_string()),
            "{key}"
        );
    }
    assert!(setting(&v, "messages.tts.providers.openrouter.responseFormat").1 == "default");
    let dirs: Vec<_> = v["settings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["key"] == "plugin directory")
        .map(|r| (r["value"].as_str().unwrap(), r["source"].as_str().unwrap()))
        .collect();
    assert!(
        dirs.contains(&("/opt/switchyard-plugins", "file")),
        "{dirs:?}"
    );
    assert!(dirs.iter().any(|(_, s)| *s == "default"), "{dirs:?}");
    for secret in ["env-table-secret", "process-env-secret"] {
        assert!(!out.all().contains(secret), "{}", out.all());
    }
}

/// Per-provider defaults come from the plugins' manifests, never from the
/// host: each provider's read timeout is shown with `manifest` as source.
#[test]
fn read_timeouts_not_in_the_file_come_from_each_plugins_manifest() {
    let env = Env::new();
    env.write_raw_config(&format!(
        "[models.providers.openrouter]\nbaseUrl = \"{}\"\n",
        env.server.base_url()
    ));
    let out = env.run(&["--json", "config", "show"]);
    out.assert_code(0);
    let v = out.json();
    assert_eq!(
        setting(&v, "models.providers.openrouter.readTimeoutMs"),
        ("60000".to_string(), "manifest".to_string())
    );
    assert_eq!(
        setting(&v, "models.providers.openai-compatible.readTimeoutMs"),
        ("300000".to_string(), "manifest".to_string())
    );
}

#[test]
fn config_show_names_a_key_from_the_environment_as_env() {
    let env = Env::new();
    env.write_raw_config(&format!(
        "[models.providers.openrouter]\nbaseUrl = \"{}\"\n",
        env.server.base_url()
    ));
    let out = env.run_with_env(
        &["config", "show"],
        &[("OPENROUTER_API_KEY", "sk-or-v1-process-env-secret-777")],
    );
    out.assert_code(0);
    assert!(
        out.stdout
            .contains("openrouter API key = [redacted]    (env OPENROUTER_API_KEY)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("agents.defaults.videoGenerationModel.pollIntervalMs = 2000    (default)"),
        "{}",
        out.stdout
    );
    assert!(!out.all().contains("process-env-secret"), "{}", out.all());
}

#[test]
fn config_show_marks_an_invalid_value_instead_of_showing_the_default() {
    let env = Env::new();
    env.write_config("[agents.defaults]\nmediaMaxMb = \"lots\"\n");
    let out = env.run(&["config", "show"]);
    out.assert_code(0);
    assert!(
        out.stdout
            .contains("agents.defaults.mediaMaxMb = (invalid: see `switchyard config check`)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("`agents.defaults.mediaMaxMb`"),
        "{}",
        out.stderr
    );
}

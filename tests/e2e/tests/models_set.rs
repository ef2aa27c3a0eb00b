//! `models set` with a ref that no manifest and no cached catalog lists (a
//! typo, usually) is written with a warning naming the closest known ref.

use serde_json::json;
use switchyard_e2e::Env;

fn primary(env: &Env) -> String {
    std::fs::read_to_string(env.config_path()).expect("read config")
}

#[test]
fn models_set_of_an_unknown_ref_warns_with_the_closest_known_ref() {
    let env = Env::new();
    let out = env.run(&["models", "set", "openrouter/moonshot/kimi"]);
    out.assert_code(0);
    assert!(
        out.stderr.contains("warning: openrouter/moonshot/kimi is not in the openrouter manifest or the cached model catalog"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("did you mean openrouter/moonshotai/kimi-k2.6?"),
        "{}",
        out.stderr
    );
    assert!(
        primary(&env).contains("primary = \"openrouter/moonshot/kimi\""),
        "still written: {}",
        primary(&env)
    );
}

#[test]
fn models_set_tts_of_an_unknown_voice_model_suggests_the_local_id() {
    let env = Env::new();
    let out = env.run(&["models", "set", "--tts", "hexgrad/kokoro-8m"]);
    out.assert_code(0);
    assert!(
        out.stderr.contains("did you mean hexgrad/kokoro-82m?"),
        "{}",
        out.stderr
    );
}

#[test]
fn models_set_of_a_listed_model_does_not_warn() {
    let env = Env::new();
    let out = env.run(&["models", "set", "openrouter/moonshotai/kimi-k2.6"]);
    out.assert_code(0);
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);
}

#[test]
fn models_set_of_a_model_only_the_cached_catalog_knows_does_not_warn() {
    let env = Env::new();
    let model = json!({
        "id": "newco/brand-new-1", "canonical_slug": "newco/brand-new-1", "name": "Newco: Brand New", "created": 1,
        "description": "", "context_length": 8192,
        "architecture": {"modality": "text->text", "input_modalities": ["text"], "output_modalities": ["text"], "tokenizer": "Other", "instruct_type": null},
        "pricing": {"prompt": "0.000001", "completion": "0.000002"},
        "top_provider": {"context_length": 8192, "max_completion_tokens": null, "is_moderated": false},
        "per_request_limits": null, "supported_parameters": []
    });
    env.server.set_catalog(
        json!({"data": [model], "total_count": 1, "links": {"next": null}}),
        json!({"data": []}),
    );
    let before = env.run(&["models", "set", "openrouter/newco/brand-new-1"]);
    assert!(before.stderr.contains("warning"), "{}", before.stderr);
    env.run(&["models", "refresh"]).assert_code(0);
    let out = env.run(&["models", "set", "openrouter/newco/brand-new-1"]);
    out.assert_code(0);
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);
}

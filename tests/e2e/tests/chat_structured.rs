//! `chat --schema FILE` (a strict `json_schema` answer, checked by the
//! host: exit 4 when it does not follow the schema), `--reasoning`, and
//! provider routing (`--provider-*`, `--data-collection`, the config's
//! `models.providers.openrouter.provider` table).

use fake_openrouter::{Route, Step};
use serde_json::json;
use switchyard_e2e::{Env, CHAT_PATH};

const CITY: &str = r#"{
  "type": "object",
  "properties": {
    "city": {"type": "string"},
    "population": {"type": "integer", "minimum": 0},
    "rivers": {"type": "array", "items": {"type": "string"}}
  },
  "required": ["city", "population", "rivers"],
  "additionalProperties": false
}"#;

fn with_schema() -> Env {
    let env = Env::new();
    std::fs::write(env.work_file("city-facts.json"), CITY).expect("write schema");
    env
}

#[test]
fn a_schema_is_asked_for_strictly_and_the_valid_answer_is_printed() {
    let env = with_schema();
    let out = env.run(&["chat", "--schema", "city-facts.json", "Tell me about Paris"]);
    out.assert_code(0);
    let answer: serde_json::Value = serde_json::from_str(out.stdout.trim()).expect("JSON answer");
    assert!(answer["city"].is_string(), "{answer}");
    let body = env.only_body(CHAT_PATH);
    let rf = &body["response_format"];
    assert_eq!(rf["type"], "json_schema");
    assert_eq!(rf["json_schema"]["name"], "city-facts");
    assert_eq!(rf["json_schema"]["strict"], true);
    let sent: serde_json::Value = serde_json::from_str(CITY).expect("schema");
    assert_eq!(rf["json_schema"]["schema"], sent);
}

#[test]
fn json_output_carries_the_parsed_answer() {
    let env = with_schema();
    let v = env
        .run(&["--json", "chat", "--schema", "city-facts.json", "Paris"])
        .assert_code(0)
        .json();
    assert!(v["json"]["population"].is_u64(), "{v}");
    assert!(v["usage"]["total_tokens"].is_u64(), "{v}");
}

#[test]
fn an_answer_that_breaks_the_schema_exits_4_and_says_where() {
    let env = with_schema();
    env.server.script(Route::Chat, [Step::SchemaViolation]);
    let out = env.run(&["chat", "--schema", "city-facts.json", "Paris"]);
    out.assert_code(4);
    assert!(
        out.stderr
            .contains("does not follow the schema city-facts.json"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.trim().is_empty(), "{}", out.stdout);
    env.server.script(Route::Chat, [Step::SchemaViolation]);
    let out = env.run(&["--json", "chat", "--schema", "city-facts.json", "Paris"]);
    out.assert_code(4);
    assert_eq!(out.json()["error"]["kind"], "schema_violation");
}

#[test]
fn a_streamed_answer_is_checked_when_it_ends() {
    let env = with_schema();
    env.run(&["chat", "--stream", "--schema", "city-facts.json", "Paris"])
        .assert_code(0);
    env.server.script(Route::Chat, [Step::SchemaViolation]);
    let out = env.run(&["chat", "--stream", "--schema", "city-facts.json", "Paris"]);
    out.assert_code(4);
    assert!(
        out.stderr.contains("does not follow the schema"),
        "{}",
        out.stderr
    );
}

#[test]
fn an_answer_that_is_not_json_exits_4() {
    let env = with_schema();
    env.server.script(
        Route::Chat,
        [Step::SseChunks(vec!["Paris is nice.".into()])],
    );
    let out = env.run(&["chat", "--schema", "city-facts.json", "Paris"]);
    out.assert_code(4);
    assert!(out.stderr.contains("it is not JSON"), "{}", out.stderr);
}

#[test]
fn an_unusable_schema_file_is_refused_before_sending() {
    let env = Env::new();
    std::fs::write(env.work_file("list.json"), "[1, 2]").expect("write");
    std::fs::write(env.work_file("typo.json"), r#"{"type": "obj"}"#).expect("write");
    std::fs::write(env.work_file("ref.json"), r##"{"$ref": "#/$defs/none"}"##).expect("write");
    env.assert_refused(
        &["chat", "--schema", "list.json", "hi"],
        &["--schema list.json", "JSON object"],
    );
    env.assert_refused(
        &["chat", "--schema", "typo.json", "hi"],
        &["\"obj\" is not a JSON type"],
    );
    env.assert_refused(
        &["chat", "--schema", "ref.json", "hi"],
        &["points to nothing"],
    );
    env.assert_refused(
        &["chat", "--schema", "nope.json", "hi"],
        &["cannot read the file"],
    );
}

#[test]
fn keywords_not_checked_locally_are_named() {
    let env = Env::new();
    std::fs::write(
        env.work_file("mail.json"),
        r#"{"type":"object","properties":{"to":{"type":"string","format":"email"}},"required":["to"],"additionalProperties":false}"#,
    )
    .expect("write");
    let out = env.run(&["chat", "--schema", "mail.json", "hi"]);
    out.assert_code(0);
    assert!(
        out.stderr
            .contains("format is asked of the provider but not checked here"),
        "{}",
        out.stderr
    );
}

#[test]
fn reasoning_effort_is_sent_in_openrouters_shape() {
    let env = Env::new();
    env.run(&["chat", "--reasoning", "HIGH", "think"])
        .assert_code(0);
    assert_eq!(
        env.only_body(CHAT_PATH)["reasoning"],
        json!({"effort": "high"})
    );
    let out = env.run(&["chat", "--reasoning", "extreme", "think"]);
    out.assert_code(2);
}

#[test]
fn routing_flags_become_the_provider_object() {
    let env = Env::new();
    env.run(&[
        "chat",
        "--provider-order",
        "openai,together",
        "--provider-sort",
        "price",
        "--no-provider-fallbacks",
        "--data-collection",
        "deny",
        "hi",
    ])
    .assert_code(0);
    assert_eq!(
        env.only_body(CHAT_PATH)["provider"],
        json!({"order": ["openai", "together"], "sort": "price", "allow_fallbacks": false, "data_collection": "deny"})
    );
}

const ROUTING: &str = "[models.providers.openrouter.provider]\norder = [\"anthropic\"]\nsort = \"throughput\"\ndata_collection = \"deny\"\n";

/// The config's routing table, with its key and base URL kept.
fn routed_env() -> Env {
    let env = Env::new();
    let text = format!(
        "[models.providers.openrouter]\napiKey = \"{}\"\nbaseUrl = \"{}\"\n\n{ROUTING}",
        env.server.api_key(),
        env.server.base_url()
    );
    env.write_raw_config(&text);
    env
}

#[test]
fn the_config_routing_table_is_sent_and_flags_replace_only_their_keys() {
    let env = routed_env();
    env.run(&["config", "check"]).assert_code(0);
    let show = env.run(&["config", "show"]);
    show.assert_code(0);
    assert!(
        show.stdout.contains("models.providers.openrouter.provider")
            && show.stdout.contains("\"data_collection\":\"deny\""),
        "{}",
        show.stdout
    );
    env.run(&["chat", "hi"]).assert_code(0);
    assert_eq!(
        env.only_body(CHAT_PATH)["provider"],
        json!({"order": ["anthropic"], "sort": "throughput", "data_collection": "deny"})
    );
    env.server.clear_requests();
    env.run(&["chat", "--provider-sort", "latency", "hi"])
        .assert_code(0);
    assert_eq!(
        env.only_body(CHAT_PATH)["provider"],
        json!({"order": ["anthropic"], "sort": "latency", "data_collection": "deny"})
    );
}

#[test]
fn a_bad_routing_value_in_the_config_is_named_by_config_check() {
    let env = Env::new();
    env.write_config(
        "[models.providers.openrouter.provider]\nsort = \"fastest\"\nallow_fallbacks = \"no\"\n",
    );
    let out = env.run(&["config", "check"]);
    assert_ne!(out.code, 0, "{}", out.all());
    assert!(
        out.all()
            .contains("models.providers.openrouter.provider.sort"),
        "{}",
        out.all()
    );
    assert!(
        out.all()
            .contains("provider.allow_fallbacks` must be true or false"),
        "{}",
        out.all()
    );
    let out = env.run(&["chat", "hi"]);
    out.assert_code(3);
    assert!(env.server.requests().is_empty());
}

#[test]
fn an_empty_provider_name_is_refused_before_sending() {
    let env = Env::new();
    env.assert_refused(
        &["chat", "--provider-order", "openai,,x", "hi"],
        &["an empty provider name"],
    );
}

#[test]
fn a_streamed_json_answer_reports_usage_and_cost_through_either_plugin() {
    let env = Env::new();
    env.write_config(&format!(
        "[models.providers.openai-compatible]\nbaseUrl = \"{}\"\napiKey = \"{}\"\n",
        env.server.base_url(),
        env.server.api_key()
    ));
    for model in ["openrouter/openai/gpt-4o-mini", "local/llama3.2"] {
        let v = env
            .run(&["--json", "chat", "--stream", "--model", model, "count"])
            .assert_code(0)
            .json();
        assert!(
            v["usage"]["total_tokens"].as_u64().is_some_and(|n| n > 0),
            "{model}: {v}"
        );
        assert!(v["usage"]["prompt_tokens"].is_u64(), "{model}: {v}");
        assert!(v["cost"].as_f64().is_some_and(|c| c > 0.0), "{model}: {v}");
    }
}

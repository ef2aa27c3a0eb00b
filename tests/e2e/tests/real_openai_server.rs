//! The OpenAI-compatible plugin against a real OpenAI-compatible server:
//! LiteLLM's proxy from PyPI ([`switchyard_e2e::litellm`]), with mocked
//! models and a master key, on a loopback port. What is checked is what a
//! user sees from the built `switchyard` binary.
//!
//! Each test is `#[ignore]`d: `cargo xtask test` runs them with `--ignored`
//! when `cargo xtask litellm-setup` has installed LiteLLM into
//! `target/litellm-venv`, and otherwise reports them as skipped. Run by
//! hand: `cargo test -p switchyard-e2e --test real_openai_server -- --ignored`.
//!
//! One proxy serves every test of this file (it takes 15 s or more to
//! start); it exits with the test process.

use serde_json::Value;
use std::sync::OnceLock;
use switchyard_e2e::litellm::{self, LiteLlm, CHAT_ANSWER, CHAT_MODEL, EMBED_MODEL, EMBED_VECTOR};
use switchyard_e2e::{Env, Output};

/// The proxy every test shares, started by the first one to ask.
fn proxy() -> &'static LiteLlm {
    static PROXY: OnceLock<Result<LiteLlm, String>> = OnceLock::new();
    match PROXY.get_or_init(LiteLlm::start) {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    }
}

/// An environment whose config points the OpenAI-compatible plugin at the
/// proxy with `key`.
fn env_with_key(key: &str) -> Env {
    let env = Env::new();
    env.write_raw_config(&format!(
        "[models.providers.openai-compatible]\nbaseUrl = \"{}\"\napiKey = \"{key}\"\n",
        proxy().base_url()
    ));
    env
}

/// An environment with the proxy's master key.
fn env() -> Env {
    env_with_key(proxy().master_key())
}

/// `local/<model>`.
fn model_ref(model: &str) -> String {
    format!("local/{model}")
}

/// Panics with the proxy's output too unless the exit code is `code`.
#[track_caller]
fn expect_code(out: &Output, code: i32) {
    assert_eq!(
        out.code,
        code,
        "expected exit code {code}, got {}\nstdout: {}\nstderr: {}\nproxy log (end):\n{}",
        out.code,
        out.stdout,
        out.stderr,
        tail(&proxy().log())
    );
}

fn tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

#[test]
#[ignore = "needs LiteLLM (cargo xtask litellm-setup); cargo xtask test runs it with --ignored when target/litellm-venv/bin/litellm exists"]
fn a_plain_chat_prints_the_mocked_answer() {
    let env = env();
    let out = env.run(&["chat", "--model", &model_ref(CHAT_MODEL), "Say hello"]);
    expect_code(&out, 0);
    assert_eq!(out.stdout.trim_end(), CHAT_ANSWER, "{}", out.all());
    assert!(
        out.stderr
            .contains(&format!("answered by {CHAT_MODEL} via local/{CHAT_MODEL}")),
        "{}",
        out.stderr
    );
}

#[test]
#[ignore = "needs LiteLLM (cargo xtask litellm-setup); cargo xtask test runs it with --ignored when target/litellm-venv/bin/litellm exists"]
fn a_streamed_chat_prints_the_answer_and_json_shows_the_usage() {
    let env = env();
    let m = model_ref(CHAT_MODEL);
    let out = env.run(&["chat", "--stream", "--model", &m, "Say hello"]);
    expect_code(&out, 0);
    assert_eq!(out.stdout.trim_end(), CHAT_ANSWER, "{}", out.all());
    for stream in [false, true] {
        let mut args = vec!["--json", "chat", "--model", &m];
        if stream {
            args.push("--stream");
        }
        args.push("Say hello");
        let out = env.run(&args);
        expect_code(&out, 0);
        let v = out.json();
        assert_eq!(v["text"], CHAT_ANSWER, "stream {stream}: {v}");
        assert_eq!(v["model_ref"], m.as_str(), "{v}");
        assert_eq!(v["fallback_used"], false, "{v}");
        let usage = &v["usage"];
        for k in ["prompt_tokens", "completion_tokens", "total_tokens"] {
            assert!(
                usage[k].as_u64().is_some_and(|n| n > 0),
                "stream {stream}: usage.{k} in {v}"
            );
        }
    }
}

#[test]
#[ignore = "needs LiteLLM (cargo xtask litellm-setup); cargo xtask test runs it with --ignored when target/litellm-venv/bin/litellm exists"]
fn an_unknown_model_is_model_unavailable_and_the_fallback_answers() {
    let env = env();
    let missing = model_ref("no-such-model");
    let alone = env.run(&["chat", "--model", &missing, "hi"]);
    expect_code(&alone, 4);
    assert!(
        alone.stderr.contains("Invalid model name"),
        "{}",
        alone.stderr
    );
    assert!(alone.stdout.is_empty(), "{}", alone.stdout);

    let good = model_ref(CHAT_MODEL);
    for stream in [false, true] {
        let mut args = vec!["chat", "--model", &missing, "--fallback", &good];
        if stream {
            args.push("--stream");
        }
        args.push("hi");
        let out = env.run(&args);
        expect_code(&out, 0);
        assert_eq!(out.stdout.trim_end(), CHAT_ANSWER, "{}", out.all());
        assert!(
            out.stderr.contains(&format!("(fallback for {missing})")),
            "{}",
            out.stderr
        );
    }
    let v = env
        .run(&[
            "--json",
            "chat",
            "--model",
            &missing,
            "--fallback",
            &good,
            "hi",
        ])
        .json();
    assert_eq!(v["fallback_used"], true, "{v}");
    assert_eq!(v["model_ref"], good.as_str(), "{v}");
}

#[test]
#[ignore = "needs LiteLLM (cargo xtask litellm-setup); cargo xtask test runs it with --ignored when target/litellm-venv/bin/litellm exists"]
fn a_wrong_master_key_is_an_auth_error_that_never_shows_a_key() {
    let wrong = "sk-wrong-master-key-7f3a9c1e5b";
    let env = env_with_key(wrong);
    for args in [
        vec!["chat", "--model", "local/mock-chat", "hi"],
        vec!["chat", "--stream", "--model", "local/mock-chat", "hi"],
        vec!["-vv", "chat", "--model", "local/mock-chat", "hi"],
        vec!["--json", "chat", "--model", "local/mock-chat", "hi"],
        vec!["embed", "--model", "local/mock-embed", "hi"],
    ] {
        let out = env.run(&args);
        expect_code(&out, 3);
        let all = out.all();
        for secret in [wrong, proxy().master_key(), &wrong[wrong.len() - 8..]] {
            assert!(!all.contains(secret), "{args:?} printed {secret:?}: {all}");
        }
        assert!(all.contains("API key"), "{args:?}: {all}");
    }
    // A fallback is no way around a wrong key: the chain stops at once.
    let out = env.run(&[
        "chat",
        "--model",
        "local/no-such-model",
        "--fallback",
        "local/mock-chat",
        "hi",
    ]);
    expect_code(&out, 3);
}

#[test]
#[ignore = "needs LiteLLM (cargo xtask litellm-setup); cargo xtask test runs it with --ignored when target/litellm-venv/bin/litellm exists"]
fn an_embedding_is_one_json_array_per_input() {
    let env = env();
    let m = model_ref(EMBED_MODEL);
    let out = env.run(&["embed", "--model", &m, "one text"]);
    expect_code(&out, 0);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{}", out.all());
    let v: Value = serde_json::from_str(lines[0]).expect("a JSON line");
    let got: Vec<f64> = v
        .as_array()
        .expect("a JSON array")
        .iter()
        .filter_map(Value::as_f64)
        .collect();
    assert_eq!(got, EMBED_VECTOR, "{}", out.stdout);

    let v = env
        .run(&["--json", "embed", "--model", &m, "one text"])
        .json();
    assert_eq!(v["vectors"].as_array().map(Vec::len), Some(1), "{v}");
    assert!(v["usage"]["prompt_tokens"].as_u64().is_some(), "{v}");

    // LiteLLM's mock answers one vector however many inputs a request
    // has: two inputs and one vector is refused, never printed shifted.
    let out = env.run(&["embed", "--model", &m, "first", "second"]);
    assert_ne!(out.code, 0, "{}", out.all());
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(
        out.stderr.contains("1 vectors for 2 inputs"),
        "{}",
        out.stderr
    );
}

#[test]
#[ignore = "needs LiteLLM (cargo xtask litellm-setup); cargo xtask test runs it with --ignored when target/litellm-venv/bin/litellm exists"]
fn the_proxy_is_the_pinned_litellm() {
    let _ = proxy();
    assert_eq!(
        litellm::installed_version().as_deref(),
        Some(litellm::VERSION),
        "target/litellm-venv holds another LiteLLM: run cargo xtask litellm-setup"
    );
}

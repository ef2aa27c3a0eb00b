//! `switchyard embed`: one JSON array per input on its own line, in input
//! order (whatever order the provider answers in), inputs from arguments
//! or stdin lines, large inputs batched by the plugin, empty inputs
//! refused before anything is sent.

use fake_openrouter::{Route, Step};
use serde_json::Value;
use switchyard_e2e::{Env, EMBEDDINGS_PATH};

/// Each stdout line parsed as a vector of numbers.
fn vectors(stdout: &str) -> Vec<Vec<f64>> {
    stdout
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}"));
            v.as_array()
                .expect("a JSON array")
                .iter()
                .map(|x| x.as_f64().expect("a number"))
                .collect()
        })
        .collect()
}

#[test]
fn each_input_gets_its_vector_on_its_own_line_in_input_order() {
    let env = Env::new();
    let alone = |text: &str| {
        let out = env.run(&["embed", text]);
        out.assert_code(0);
        vectors(&out.stdout).remove(0)
    };
    let (a, b) = (alone("first text"), alone("second text"));
    env.server.clear_requests();
    env.server
        .script(Route::Embeddings, [Step::EmbeddingsReversed]);
    let out = env.run(&["embed", "first text", "second text"]);
    out.assert_code(0);
    assert_eq!(vectors(&out.stdout), [a, b]);
    let body = env.only_body(EMBEDDINGS_PATH);
    assert_eq!(body["model"], "openai/text-embedding-3-small");
    assert_eq!(
        body["input"],
        serde_json::json!(["first text", "second text"])
    );
}

#[test]
fn stdin_gives_one_input_per_line() {
    let env = Env::new();
    let out = env.run_stdin(&["embed", "-"], "alpha\r\nbeta\ngamma\n");
    out.assert_code(0);
    assert_eq!(vectors(&out.stdout).len(), 3);
    assert_eq!(
        env.only_body(EMBEDDINGS_PATH)["input"],
        serde_json::json!(["alpha", "beta", "gamma"])
    );
    let piped = env.run_stdin(&["embed"], "delta\n");
    piped.assert_code(0);
    assert_eq!(vectors(&piped.stdout).len(), 1);
}

#[test]
fn json_wraps_the_vectors_with_model_and_usage() {
    let env = Env::new();
    let v = env
        .run(&["--json", "embed", "--dimensions", "4", "a", "b"])
        .assert_code(0)
        .json();
    assert_eq!(v["model_ref"], "openrouter/openai/text-embedding-3-small");
    assert!(v["model"].is_string(), "{v}");
    let vs = v["vectors"].as_array().expect("vectors");
    assert_eq!(vs.len(), 2);
    assert!(
        vs.iter().all(|x| x.as_array().map(Vec::len) == Some(4)),
        "{v}"
    );
    assert!(v["usage"]["prompt_tokens"].is_u64(), "{v}");
    assert!(v["cost"].as_f64().is_some(), "{v}");
    assert_eq!(env.only_body(EMBEDDINGS_PATH)["dimensions"], 4);
}

#[test]
fn large_inputs_are_batched_and_stay_in_order() {
    let env = Env::new();
    let lines: String = (0..300).map(|i| format!("line number {i}\n")).collect();
    let out = env.run_stdin(&["embed", "-"], &lines);
    out.assert_code(0);
    assert_eq!(vectors(&out.stdout).len(), 300);
    let reqs = env.server.requests_to(EMBEDDINGS_PATH);
    assert_eq!(reqs.len(), 2, "300 inputs in batches of 256");
    let one = env.run(&["embed", "line number 299"]);
    assert_eq!(vectors(&one.stdout)[0], vectors(&out.stdout)[299]);
}

#[test]
fn empty_inputs_are_refused_by_number_before_sending() {
    let env = Env::new();
    env.assert_refused(&["embed", "a", " "], &["input 2 is empty"]);
    env.assert_refused(&["embed", "a", "-"], &["not both"]);
    env.assert_refused(&["embed", "--dimensions", "0", "a"], &["--dimensions 0"]);
    env.assert_refused(
        &["embed", "--model", "openrouter/openai/gpt-4o-mini", "a"],
        &[
            "does not offer embed",
            "openrouter/openai/text-embedding-3-small",
        ],
    );
    let out = env.run_stdin(&["embed", "-"], "a\n\nb\n");
    out.assert_code(2);
    assert!(out.stderr.contains("line 2 is empty"), "{}", out.stderr);
    let out = env.run_stdin(&["embed", "-"], "");
    out.assert_code(2);
    assert!(env.server.requests().is_empty());
}

#[test]
fn the_catalog_price_gives_an_estimate_and_a_budget() {
    let env = Env::new();
    env.refresh_catalog();
    let v = env
        .run(&["--json", "embed", "--dry-run", "four words of text"])
        .assert_code(0)
        .json();
    assert!(
        v["estimate"]["usd"].as_f64().is_some_and(|u| u > 0.0),
        "{v}"
    );
    assert_eq!(
        v["request"]["inputs"],
        serde_json::json!(["four words of text"])
    );
    env.assert_refused(
        &["embed", "--max-cost", "0", "four words"],
        &["over the budget"],
    );
    env.run(&["embed", "--max-cost", "1", "four words"])
        .assert_code(0);
}

//! `image --input/--count/--seed/--quality` (plugin API 2.1) through the
//! Image API model (`POST /images`): numbered output files, each value
//! checked against the model's limits (the catalog's `max_count`,
//! `supports_seed`, `qualities`, input modalities) before anything is
//! sent, cost estimates from the catalog's per-image price, and streamed
//! partial images drawn as progress on a terminal.

use fake_openrouter::{sample_png, Route, Step};
use serde_json::json;
use std::process::Command;
use switchyard_e2e::video::base64;
use switchyard_e2e::{bin, tagged_png, Env, IMAGES_PATH};

const SEEDREAM: &str = "openrouter/bytedance-seed/seedream-4.5";
const GPT_IMAGE: &str = "openrouter/openai/gpt-5-image";

#[test]
fn count_writes_numbered_files_from_one_image_api_request() {
    let env = Env::new();
    env.server.script(
        Route::ImageApi,
        [Step::Images(vec![tagged_png("one"), tagged_png("two")])],
    );
    let out = env.run(&[
        "image", "--model", SEEDREAM, "--count", "2", "--out", "pic.png", "two cats",
    ]);
    out.assert_code(0);
    assert_eq!(env.work_files(), ["pic-2.png", "pic.png"]);
    assert_eq!(
        std::fs::read(env.work_file("pic.png")).expect("read"),
        tagged_png("one")
    );
    assert_eq!(
        std::fs::read(env.work_file("pic-2.png")).expect("read"),
        tagged_png("two")
    );
    assert_eq!(env.only_body(IMAGES_PATH)["n"], 2);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines,
        [env.printed_path("pic.png"), env.printed_path("pic-2.png")]
    );
}

#[test]
fn a_count_over_the_models_max_is_refused_before_sending() {
    let env = Env::new();
    env.refresh_catalog();
    env.assert_refused(
        &["image", "--model", SEEDREAM, "--count", "5", "a cat"],
        &["--count 5 is more than", "at most 4", GPT_IMAGE],
    );
    env.assert_refused(
        &["image", "--model", SEEDREAM, "--count", "0", "a cat"],
        &["--count 0"],
    );
    assert!(env.work_files().is_empty());
}

#[test]
fn seed_and_quality_are_checked_against_the_catalog_and_sent() {
    let env = Env::new();
    env.refresh_catalog();
    env.assert_refused(
        &["image", "--model", GPT_IMAGE, "--seed", "7", "a cat"],
        &[
            "--seed is not offered by openrouter/openai/gpt-5-image",
            SEEDREAM,
        ],
    );
    env.assert_refused(
        &["image", "--model", GPT_IMAGE, "--quality", "ultra", "a cat"],
        &["--quality ultra is not offered", "auto, low, medium, high"],
    );
    env.run(&[
        "image", "--model", SEEDREAM, "--seed", "7", "--out", "a.png", "a cat",
    ])
    .assert_code(0);
    assert_eq!(env.only_body(IMAGES_PATH)["seed"], 7);
    env.server.clear_requests();
    env.run(&[
        "image",
        "--model",
        GPT_IMAGE,
        "--quality",
        "HIGH",
        "--out",
        "b.png",
        "a cat",
    ])
    .assert_code(0);
    assert_eq!(env.only_body(IMAGES_PATH)["quality"], "high");
}

#[test]
fn a_quality_the_model_does_not_state_is_sent_with_a_note() {
    let env = Env::new();
    let out = env.run(&[
        "image",
        "--model",
        SEEDREAM,
        "--quality",
        "high",
        "--out",
        "a.png",
        "a cat",
    ]);
    out.assert_code(0);
    assert!(
        out.stderr.contains("does not state its qualities"),
        "{}",
        out.stderr
    );
}

#[test]
fn input_images_are_sent_as_input_references() {
    let env = Env::new();
    std::fs::write(env.work_file("ref.png"), sample_png()).expect("write");
    env.run(&[
        "image",
        "--model",
        SEEDREAM,
        "--input",
        "ref.png",
        "--input",
        "https://example.test/b.png",
        "--out",
        "a.png",
        "the same cat, at night",
    ])
    .assert_code(0);
    let refs = env.only_body(IMAGES_PATH)["input_references"].clone();
    assert_eq!(
        refs,
        json!([
            {"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{}", base64(&sample_png()))}},
            {"type": "image_url", "image_url": {"url": "https://example.test/b.png"}}
        ])
    );
}

#[test]
fn an_input_image_for_a_model_that_takes_none_is_refused_before_sending() {
    let env = Env::new();
    env.server.set_image_catalog(
        json!({"data": [{
            "id": "bytedance-seed/seedream-4.5", "name": "Seedream 4.5", "created": 1,
            "architecture": {"input_modalities": ["text"], "output_modalities": ["image"]},
            "supported_parameters": {}, "supports_streaming": false
        }]}),
        [],
    );
    env.refresh_catalog();
    std::fs::write(env.work_file("ref.png"), sample_png()).expect("write");
    env.assert_refused(
        &["image", "--model", SEEDREAM, "--input", "ref.png", "a cat"],
        &["--input is not offered by", "it takes text input only"],
    );
}

#[test]
fn the_estimate_is_the_per_image_price_times_the_count() {
    let env = Env::new();
    env.refresh_catalog();
    let v = env
        .run(&[
            "--json",
            "image",
            "--model",
            SEEDREAM,
            "--count",
            "3",
            "--dry-run",
            "cats",
        ])
        .assert_code(0)
        .json();
    let usd = v["estimate"]["usd"].as_f64().expect("an estimate");
    assert!((usd - 0.15).abs() < 1e-9, "{v}");
    assert_eq!(v["request"]["count"], 3);
    env.assert_refused(
        &[
            "image",
            "--model",
            SEEDREAM,
            "--count",
            "3",
            "--max-cost",
            "0.10",
            "cats",
        ],
        &["over the budget"],
    );
    assert!(env.work_files().is_empty());
}

#[test]
fn the_reported_cost_is_printed_with_json() {
    let env = Env::new();
    let v = env
        .run(&[
            "--json", "image", "--model", SEEDREAM, "--count", "2", "--out", "c.png", "cats",
        ])
        .assert_code(0)
        .json();
    assert!(
        (v["cost"].as_f64().expect("cost") - 0.10).abs() < 1e-9,
        "{v}"
    );
    assert_eq!(v["outputs"].as_array().map(Vec::len), Some(2));
}

#[test]
fn streamed_partial_images_show_as_progress_on_a_terminal() {
    let env = Env::new();
    let template = env.cmd(&[]);
    let mut c = Command::new("script");
    c.args([
        "-qec",
        &format!(
            "{} image --model {GPT_IMAGE} --out p.png a-cat",
            bin().display()
        ),
        "/dev/null",
    ])
    .current_dir(env.work());
    for (k, v) in template.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    let out = c.output().expect("script runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("partial image 1 of image 1"),
        "no partial progress: {text}"
    );
    assert!(env.work_file("p.png").is_file());
    // Piped, nothing of it reaches stderr.
    let piped = env.run(&["image", "--model", GPT_IMAGE, "--out", "q.png", "a-cat"]);
    piped.assert_code(0);
    assert!(!piped.stderr.contains("partial image"), "{}", piped.stderr);
}

#[test]
fn fewer_images_than_asked_for_are_said() {
    let env = Env::new();
    env.write_config(&format!(
        "[models.providers.openai-compatible]\nbaseUrl = \"{}\"\napiKey = \"{}\"\n",
        env.server.base_url(),
        env.server.api_key()
    ));
    // The server makes one image however many are asked for.
    env.server
        .script(Route::Images, [Step::Images(vec![tagged_png("only")])]);
    let out = env.run(&[
        "image",
        "--model",
        "local/gpt-image-1",
        "--count",
        "2",
        "--out",
        "l.png",
        "a cat",
    ]);
    out.assert_code(0);
    assert!(
        out.stderr
            .contains("2 images were asked for; local/gpt-image-1 made 1"),
        "{}",
        out.stderr
    );
    assert_eq!(env.work_files(), ["l.png"]);
}

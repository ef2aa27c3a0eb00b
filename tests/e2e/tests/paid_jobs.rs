//! Paid media without surprises, through the built binary against the
//! fake: cost before spending (`--dry-run`, `--max-cost`), provider
//! parameters (`--param`), video parity (seed, audio, size, references,
//! `--detach`, `video forget`), and what was paid (`spend`). Every refusal
//! is proven by the fake's request count: nothing was sent.

use fake_openrouter::{VideoJobSpec, VideoOutcome};
use switchyard_e2e::video::{fast_env, submit_body, submits};
use switchyard_e2e::Env;

/// The live catalog cached, so prices and limits are known.
fn refreshed() -> Env {
    let env = fast_env();
    env.run(&["models", "refresh"]).assert_code(0);
    env
}

fn sent(env: &Env) -> usize {
    env.server
        .requests()
        .iter()
        .filter(|r| r.method == "POST")
        .count()
}

#[test]
fn a_video_dry_run_sends_nothing_and_shows_the_request_and_the_per_second_estimate() {
    let env = refreshed();
    let out = env.run(&[
        "--json",
        "video",
        "--dry-run",
        "--duration",
        "8",
        "--resolution",
        "1080p",
        "a fox",
    ]);
    out.assert_code(0);
    let v = out.json();
    assert_eq!(v["dry_run"], true, "{v}");
    assert_eq!(v["operation"], "video.submit");
    assert_eq!(v["request"]["duration"], 8);
    // The fake's /videos/models: per-video-second-1080p = 0.20.
    let usd = v["estimate"]["usd"].as_f64().unwrap();
    assert!((usd - 1.6).abs() < 1e-9, "{v}");
    assert_eq!(sent(&env), 0, "a dry run sends nothing");
    assert_eq!(
        env.run(&["video", "jobs"]).stdout.trim(),
        "",
        "nothing journaled"
    );
}

#[test]
fn a_dry_run_without_a_duration_assumes_the_longest_and_says_so() {
    let env = refreshed();
    let out = env.run(&["video", "--dry-run", "a fox"]);
    out.assert_code(0);
    assert!(
        out.stdout.contains("estimate: $1.2000") && out.stdout.contains("8 s, the longest"),
        "{}",
        out.all()
    );
    assert_eq!(sent(&env), 0);
}

#[test]
fn max_cost_below_the_estimate_is_refused_before_any_request() {
    let env = refreshed();
    let out = env.run(&["video", "--duration", "8", "--max-cost", "0.5", "a fox"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("--max-cost 0.5") && out.stderr.contains("over the budget"),
        "{}",
        out.all()
    );
    assert_eq!(sent(&env), 0);
}

#[test]
fn max_cost_with_no_price_to_estimate_from_is_refused_before_any_request() {
    let env = refreshed();
    // openrouter/auto's price depends on the model chosen: the catalog says -1.
    let out = env.run(&["chat", "--max-cost", "1", "hello"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("no cost estimate can be made"),
        "{}",
        out.all()
    );
    assert_eq!(sent(&env), 0);
}

#[test]
fn within_the_budget_the_job_runs_and_its_reported_cost_is_in_spend() {
    let env = refreshed();
    env.run(&["video", "--duration", "4", "--max-cost", "1", "a fox"])
        .assert_code(0);
    assert_eq!(submits(&env.server), 1);
    let spend = env.run(&["--json", "spend", "--by", "model"]);
    spend.assert_code(0);
    let v = spend.json();
    let total = v["total"].as_f64().unwrap();
    assert!(
        (total - 0.25).abs() < 1e-9,
        "the fake reports 0.25 per job: {v}"
    );
    assert_eq!(v["rows"][0]["key"], "openrouter/google/veo-3.1-fast");
    let week = env
        .run(&["--json", "spend", "--since", "7d"])
        .assert_code(0)
        .json();
    assert!(
        (week["total"].as_f64().unwrap() - 0.25).abs() < 1e-9,
        "{week}"
    );
    let bad = env.run(&["spend", "--since", "7y"]);
    bad.assert_code(2);
    assert!(bad.stderr.contains("7d, 2w"), "{}", bad.all());
}

#[test]
fn a_param_the_catalog_does_not_list_for_the_model_is_refused_naming_the_allowed_ones() {
    let env = refreshed();
    let out = env.run(&["video", "--param", "cfgScale=7", "a fox"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("--param cfgScale") && out.stderr.contains("negativePrompt"),
        "{}",
        out.all()
    );
    assert_eq!(sent(&env), 0);
    env.run(&["video", "--param", "negativePrompt=\"rain\"", "a fox"])
        .assert_code(0);
    assert_eq!(submit_body(&env.server)["negativePrompt"], "rain");
}

#[test]
fn a_param_value_that_is_not_json_is_refused() {
    let env = fast_env();
    let out = env.run(&["chat", "--param", "stop=never", "hi"]);
    out.assert_code(2);
    assert!(out.stderr.contains("must be JSON"), "{}", out.all());
    assert_eq!(sent(&env), 0);
}

#[test]
fn video_seed_audio_and_size_reach_the_submit_body() {
    let env = refreshed();
    env.run(&[
        "video",
        "--seed",
        "7",
        "--no-audio",
        "--size",
        "1280X720",
        "a fox",
    ])
    .assert_code(0);
    let body = submit_body(&env.server);
    assert_eq!(body["seed"], 7, "{body}");
    assert_eq!(body["generate_audio"], false, "{body}");
    assert_eq!(body["size"], "1280x720", "{body}");
}

#[test]
fn a_size_the_model_does_not_list_is_refused_before_any_request() {
    let env = refreshed();
    let out = env.run(&["video", "--size", "640x480", "a fox"]);
    out.assert_code(2);
    assert!(out.stderr.contains("1280x720"), "{}", out.all());
    let out = env.run(&["video", "--size", "big", "a fox"]);
    out.assert_code(2);
    assert!(out.stderr.contains("WIDTHxHEIGHT"), "{}", out.all());
    assert_eq!(sent(&env), 0);
}

#[test]
fn an_audio_reference_to_a_model_that_takes_only_image_references_is_refused() {
    let env = refreshed();
    let wav = env.work().join("voice.wav");
    std::fs::write(&wav, b"RIFF\x24\0\0\0WAVEfmt ").unwrap();
    let out = env.run(&["video", "--reference-audio", "voice.wav", "a fox"]);
    out.assert_code(2);
    assert!(out.stderr.contains("--reference-audio"), "{}", out.all());
    assert_eq!(sent(&env), 0);
}

#[test]
fn detach_prints_the_job_id_even_quiet_and_resume_finishes_it() {
    let env = fast_env();
    let out = env.run(&["-q", "video", "--detach", "a fox"]);
    out.assert_code(0);
    let id = out.stdout.trim().to_string();
    assert!(id.starts_with("job-"), "{}", out.all());
    assert!(env.run(&["video", "jobs"]).stdout.starts_with(&id));
    let done = env.run(&["video", "resume", &id]);
    done.assert_code(0);
    assert_eq!(submits(&env.server), 1, "resume never submits");
    assert!(env.work_files().iter().any(|f| f.contains(&id)));
}

#[test]
fn forget_drops_the_journal_entry_without_asking_the_api() {
    let env = fast_env();
    let id = env
        .run(&["-q", "video", "--detach", "a fox"])
        .stdout
        .trim()
        .to_string();
    let before = env.server.requests().len();
    let out = env.run(&["video", "forget", &id]);
    out.assert_code(0);
    assert!(
        out.stdout.contains(&format!("forgot job {id}")),
        "{}",
        out.all()
    );
    assert_eq!(env.server.requests().len(), before, "the API is not asked");
    assert_eq!(env.run(&["video", "jobs"]).stdout.trim(), "");
    env.run(&["video", "forget", &id]).assert_code(2);
}

#[test]
fn a_submit_that_never_left_the_machine_is_not_journaled_as_possibly_paid() {
    let env = Env::new();
    env.write_raw_config(
        "[models.providers.openrouter]\napiKey = \"sk-or-test\"\nbaseUrl = \"http://127.0.0.1:9/api/v1\"\n",
    );
    let out = env.run(&["video", "a fox"]);
    out.assert_code(6);
    let jobs = env.run(&["video", "jobs"]);
    assert_eq!(jobs.stdout.trim(), "", "{}", jobs.all());
    assert!(
        !out.stderr.contains("may have been created"),
        "{}",
        out.all()
    );
}

#[test]
fn a_failed_job_reports_no_cost_and_spend_stays_empty() {
    let env = fast_env();
    env.server.set_video_job(VideoJobSpec {
        outcome: VideoOutcome::Failed("Content policy violation".into()),
        ..VideoJobSpec::default()
    });
    env.run(&["video", "a fox"]).assert_code(4);
    let v = env.run(&["--json", "spend"]).json();
    assert_eq!(v["calls"], 0, "{v}");
}

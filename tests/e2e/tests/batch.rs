//! `switchyard batch` through the built binary against the fake: every
//! line validated before anything is sent, results per line, a budget,
//! running again continues without paying twice, shards on one machine,
//! and a shard killed with SIGKILL then restarted.

use fake_openrouter::{Route, Step, VideoJobSpec};
use std::collections::HashMap;
use std::time::Duration;
use switchyard_e2e::video::{fast_env, submits, wait_until};
use switchyard_e2e::Env;

fn write(env: &Env, name: &str, lines: &[String]) -> String {
    std::fs::write(env.work().join(name), lines.join("\n") + "\n").unwrap();
    name.to_string()
}

fn results(env: &Env, name: &str) -> HashMap<String, serde_json::Value> {
    let text = std::fs::read_to_string(env.work().join(name)).unwrap_or_default();
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|v| (v["id"].as_str().unwrap_or("").to_string(), v))
        .collect()
}

/// How many distinct video jobs have been polled at least once.
fn polled_jobs(server: &fake_openrouter::FakeServer) -> usize {
    let mut ids: Vec<String> = server
        .requests()
        .iter()
        .filter(|r| r.method == "GET")
        .filter_map(|r| {
            r.path_only()
                .strip_prefix("/api/v1/videos/")
                .map(str::to_string)
        })
        .filter(|rest| !rest.is_empty() && !rest.contains('/'))
        .collect();
    ids.sort();
    ids.dedup();
    ids.len()
}

fn chat_posts(env: &Env) -> Vec<String> {
    env.chat_requests()
        .iter()
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .collect()
}

fn chat_line(id: &str, prompt: &str) -> String {
    format!(r#"{{"id":"{id}","command":"chat","prompt":"{prompt}"}}"#)
}

#[test]
fn every_bad_line_is_named_and_nothing_is_sent() {
    let env = fast_env();
    let f = write(
        &env,
        "bad.jsonl",
        &[
            chat_line("a", "fine"),
            r#"{"command":"video","prompt":"x","duration":5}"#.into(),
            "not json".into(),
            r#"{"command":"chat","prompt":"x","no-such-flag":1}"#.into(),
        ],
    );
    let out = env.run(&["batch", &f]);
    out.assert_code(2);
    for n in ["line 2:", "line 3:", "line 4:"] {
        assert!(out.stderr.contains(n), "{n}: {}", out.all());
    }
    assert!(!out.stderr.contains("line 1:"), "{}", out.all());
    assert!(
        env.server.requests().iter().all(|r| r.method != "POST"),
        "nothing sent"
    );
    assert!(!env.work().join("bad.results.jsonl").exists());
}

#[test]
fn a_batch_runs_every_line_once_and_writes_a_result_per_line() {
    let env = fast_env();
    let f = write(
        &env,
        "jobs.jsonl",
        &[
            chat_line("c1", "first question"),
            chat_line("c2", "second question"),
            r#"{"id":"v1","command":"video","prompt":"a paper boat","duration":4}"#.into(),
            r#"{"id":"s1","command":"speak","prompt":"hello there","out":"s1.mp3"}"#.into(),
        ],
    );
    let out = env.run(&["--json", "batch", &f, "--concurrency", "3"]);
    out.assert_code(0);
    assert_eq!(out.json()["ok"], 4, "{}", out.all());
    let r = results(&env, "jobs.results.jsonl");
    assert_eq!(r.len(), 4);
    assert!(
        r.values()
            .all(|v| v["status"] == "ok" && v["exit_code"] == 0),
        "{r:?}"
    );
    assert_eq!(r["v1"]["cost"], 0.25);
    assert!(r["v1"]["job_id"]
        .as_str()
        .is_some_and(|j| j.starts_with("job-")));
    assert!(r["s1"]["outputs"][0].as_str().unwrap().ends_with("s1.mp3"));
    assert_eq!(chat_posts(&env).len(), 2);
    assert_eq!(submits(&env.server), 1);
}

#[test]
fn running_a_batch_again_retries_what_failed_and_pays_nothing_twice() {
    let env = fast_env();
    env.server.script(
        Route::Chat,
        [Step::Status {
            code: 400,
            retry_after: None,
            message: Some("bad prompt".into()),
        }],
    );
    let f = write(
        &env,
        "jobs.jsonl",
        &[
            chat_line("c1", "one"),
            chat_line("c2", "two"),
            r#"{"id":"v1","command":"video","prompt":"a boat","duration":4}"#.into(),
        ],
    );
    let first = env.run(&["batch", &f, "--concurrency", "1"]);
    first.assert_code(4);
    assert!(first.stderr.contains("1 failed"), "{}", first.all());
    let second = env.run(&["batch", &f]);
    second.assert_code(0);
    assert!(
        second.stderr.contains("2 from an earlier run"),
        "{}",
        second.all()
    );
    assert_eq!(
        chat_posts(&env).len(),
        3,
        "the failed line once more, nothing else"
    );
    assert_eq!(submits(&env.server), 1, "the video was paid once");
    let r = results(&env, "jobs.results.jsonl");
    assert!(r.values().all(|v| v["status"] == "ok"), "{r:?}");
    // A third run has nothing left to do.
    env.run(&["batch", &f]).assert_code(0);
    assert_eq!(chat_posts(&env).len(), 3);
}

#[test]
fn a_budget_skips_the_lines_that_would_pass_it() {
    let env = fast_env();
    env.run(&["models", "refresh"]).assert_code(0);
    // Each line is estimated at 4 s x $0.15 = $0.60; the fake reports $0.25.
    let lines: Vec<String> = (1..=3)
        .map(|i| format!(r#"{{"id":"v{i}","command":"video","prompt":"boat {i}","duration":4}}"#))
        .collect();
    let f = write(&env, "jobs.jsonl", &lines);
    let out = env.run(&["batch", &f, "--concurrency", "1", "--max-cost", "1.0"]);
    out.assert_code(4);
    let r = results(&env, "jobs.results.jsonl");
    assert_eq!(r["v1"]["status"], "ok");
    assert_eq!(r["v2"]["status"], "ok");
    assert_eq!(r["v3"]["status"], "skipped", "{r:?}");
    assert!(r["v3"]["error"].as_str().unwrap().contains("over budget"));
    assert_eq!(submits(&env.server), 2, "no line started past the budget");
}

#[test]
fn shards_share_a_file_and_run_every_line_exactly_once() {
    let env = fast_env();
    let lines: Vec<String> = (0..24)
        .map(|i| chat_line(&format!("q{i}"), &format!("question number {i}")))
        .collect();
    let f = write(&env, "jobs.jsonl", &lines);
    let children: Vec<_> = (0..4)
        .map(|i| {
            env.cmd(&[
                "batch",
                &f,
                "--shard",
                &format!("{i}/4"),
                "--concurrency",
                "2",
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let posts = chat_posts(&env);
    assert_eq!(posts.len(), 24, "each line once");
    for i in 0..24 {
        let needle = format!("question number {i}\"");
        assert_eq!(
            posts.iter().filter(|b| b.contains(&needle)).count(),
            1,
            "line {i}"
        );
    }
    let mut ids: Vec<String> = (0..4)
        .flat_map(|i| results(&env, &format!("jobs.results.{i}-of-4.jsonl")).into_keys())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 24, "a result per line across the shards");
}

#[test]
fn a_shard_killed_with_sigkill_and_restarted_pays_for_nothing_twice() {
    let env = fast_env();
    env.server.set_video_job(VideoJobSpec {
        // About 3 s of polls (20 ms, growing x1.5): long enough to kill
        // the shard mid-job, short enough for the restart.
        pending_polls: 8,
        in_progress_polls: 4,
        ..VideoJobSpec::default()
    });
    let lines: Vec<String> = (1..=3)
        .map(|i| format!(r#"{{"id":"v{i}","command":"video","prompt":"boat {i}","duration":4}}"#))
        .collect();
    let f = write(&env, "jobs.jsonl", &lines);
    let mut shard = env
        .cmd(&["batch", &f, "--shard", "0/1", "--concurrency", "3"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Killed only once every job has been polled: the host journals a job
    // id before its first poll, so all three are known to be paid for. (A
    // kill between the provider's answer and the journal write leaves a
    // `submit_unknown` line, never re-sent: a failure, rightly.)
    assert!(
        wait_until(Duration::from_secs(20), || submits(&env.server) == 3
            && polled_jobs(&env.server) == 3),
        "three submits, each polled, before the kill"
    );
    shard.kill().unwrap();
    let _ = shard.wait();
    // The lines' own commands get SIGINT with the shard: their jobs stay
    // journaled (tagged with the batch line) and are resumed.
    std::thread::sleep(Duration::from_millis(500));
    let again = env.run(&["batch", &f, "--shard", "0/1"]);
    again.assert_code(0);
    assert_eq!(submits(&env.server), 3, "nothing paid twice");
    let r = results(&env, "jobs.results.0-of-1.jsonl");
    assert!(r.values().all(|v| v["status"] == "ok"), "{r:?}");
    assert_eq!(r.len(), 3);
}

/// Image, transcription and embedding lines are checked by the same
/// dry runs as chat (a bad line anywhere stops the batch before anything
/// is paid for), then each runs once and writes its result.
#[test]
fn images_transcriptions_and_embeddings_are_checked_then_run_once() {
    let env = fast_env();
    std::fs::write(env.work_file("talk.wav"), fake_openrouter::sample_wav()).unwrap();
    let good = [
        r#"{"id":"i1","command":"image","prompt":"a lighthouse","out":"i1.png"}"#.to_string(),
        r#"{"id":"t1","command":"transcribe","file":"talk.wav","out":"t1.txt"}"#.to_string(),
        r#"{"id":"e1","command":"embed","prompt":"a sentence to embed"}"#.to_string(),
    ];
    let mut bad = good.to_vec();
    bad.push(r#"{"command":"embed","prompt":"x","no-such-flag":1}"#.into());
    let f = write(&env, "bad.jsonl", &bad);
    let out = env.run(&["batch", &f]);
    out.assert_code(2);
    assert!(out.stderr.contains("line 4:"), "{}", out.all());
    assert!(
        env.server.requests().iter().all(|r| r.method != "POST"),
        "validation sent nothing: {:?}",
        env.server
            .requests()
            .iter()
            .map(|r| &r.path)
            .collect::<Vec<_>>()
    );

    let f = write(&env, "media.jsonl", &good);
    let out = env.run(&["--json", "batch", &f]);
    out.assert_code(0);
    assert_eq!(out.json()["ok"], 3, "{}", out.all());
    let r = results(&env, "media.results.jsonl");
    for id in ["i1", "t1", "e1"] {
        assert_eq!(r[id]["status"], "ok", "{id}: {}", r[id]);
    }
    assert!(env.work_file("i1.png").metadata().unwrap().len() > 0);
    assert!(!std::fs::read_to_string(env.work_file("t1.txt"))
        .unwrap()
        .trim()
        .is_empty());
    for path in [
        switchyard_e2e::TRANSCRIPTIONS_PATH,
        switchyard_e2e::EMBEDDINGS_PATH,
    ] {
        let posts = env
            .server
            .requests()
            .iter()
            .filter(|r| r.method == "POST" && r.path == path)
            .count();
        assert_eq!(posts, 1, "{path}");
    }
}

/// `batch --dry-run` checks every line and prints each estimate and the
/// total, sending nothing and writing no results; `--param` reaches every
/// line and is checked by each line's command.
#[test]
fn a_dry_run_prints_each_estimate_and_the_total_and_sends_nothing() {
    let env = fast_env();
    env.run(&["models", "refresh"]).assert_code(0);
    let before = env.server.requests().len();
    let f = write(
        &env,
        "plan.jsonl",
        &[
            r#"{"id":"v8","command":"video","prompt":"a paper boat","duration":8}"#.into(),
            r#"{"id":"v4","command":"video","prompt":"a fox","duration":4}"#.into(),
        ],
    );
    let out = env.run(&["--json", "batch", &f, "--dry-run", "--max-cost", "1"]);
    out.assert_code(0);
    let v = out.json();
    assert_eq!(v["dry_run"], true, "{v}");
    let lines = v["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2, "{v}");
    let sum: f64 = lines.iter().map(|l| l["estimate"].as_f64().unwrap()).sum();
    assert!(
        sum > 0.0 && (v["estimate"].as_f64().unwrap() - sum).abs() < 1e-9,
        "{v}"
    );
    assert_eq!(v["over_budget"], sum > 1.0, "{v}");
    assert_eq!(env.server.requests().len(), before, "nothing sent");
    assert!(!env.work().join("plan.results.jsonl").exists());

    let bad = env.run(&["batch", &f, "--dry-run", "--param", "cfgScale=7"]);
    bad.assert_code(2);
    assert!(
        bad.stderr.contains("line 1:") && bad.stderr.contains("--param cfgScale"),
        "{}",
        bad.all()
    );
    env.run(&["batch", &f, "--param", "negativePrompt=\"rain\""])
        .assert_code(0);
    let bodies: Vec<serde_json::Value> = env
        .server
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == switchyard_e2e::VIDEOS_PATH)
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert_eq!(bodies.len(), 2);
    assert!(
        bodies.iter().all(|b| b["negativePrompt"] == "rain"),
        "{bodies:?}"
    );
}

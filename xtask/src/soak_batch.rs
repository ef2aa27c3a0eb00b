/*!
The batch part of `cargo xtask soak`: one batch file (chats, videos and
speech) run with a budget against a fake server that injects faults, then
run again until nothing changes, as a user would after failures. It
reports the lines run, the paid video submits, duplicates (a line whose
video was submitted twice: must be 0) and budget overruns (reported costs
over `--max-cost`: must be 0).
*/

use anyhow::{bail, Result};
use fake_openrouter::{FakeServer, Options, VideoJobSpec};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;
use switchyard_e2e::Env;

/// The budget of the soak's batch, in USD.
const BUDGET: f64 = 5.0;

fn batch_lines() -> String {
    let mut out = String::new();
    for i in 0..60 {
        let line = match i % 5 {
            0 => format!(r#"{{"id":"v{i}","command":"video","prompt":"boat {i}","duration":4}}"#),
            1 => format!(
                r#"{{"id":"s{i}","command":"speak","prompt":"hello {i}","out":"s{i}.mp3"}}"#
            ),
            _ => format!(
                r#"{{"id":"c{i}","command":"chat","model":"openrouter/openai/gpt-4o-mini","prompt":"question {i}","max-tokens":64}}"#
            ),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn outcomes(env: &Env) -> BTreeMap<String, Value> {
    std::fs::read_to_string(env.work().join("soak.results.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .map(|v| (v["id"].as_str().unwrap_or("").to_string(), v))
        .collect()
}

/// Journal records per batch line (a tag names the line).
fn records_per_line(env: &Env) -> BTreeMap<String, usize> {
    let mut per: BTreeMap<String, usize> = BTreeMap::new();
    let jobs = env.state().join("switchyard/jobs");
    for e in std::fs::read_dir(jobs).into_iter().flatten().flatten() {
        let Ok(text) = std::fs::read_to_string(e.path()) else {
            continue;
        };
        let Ok(v) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        if let Some(tag) = v["tag"].as_str() {
            let line = tag.rsplit('#').next().unwrap_or(tag).to_string();
            *per.entry(line).or_default() += 1;
        }
    }
    per
}

/// Runs the batch soak with fault `rate` and `seed`.
pub fn run(rate: f64, seed: u64) -> Result<()> {
    let server = FakeServer::start_with(Options {
        latency: Some(Duration::from_millis(20)),
        ..Options::default()
    })?;
    server.set_video_job(VideoJobSpec {
        pending_polls: 1,
        in_progress_polls: 1,
        ..VideoJobSpec::default()
    });
    let env = Env::with_server(server);
    env.write_raw_config(&super::soak::config_text(&env.server));
    env.run(&["models", "refresh"]).assert_code(0);
    std::fs::write(env.work().join("soak.jsonl"), batch_lines())?;
    env.server.set_fault_rate(rate, seed);
    let budget = BUDGET.to_string();
    let mut rounds = 0;
    let mut last_ok = usize::MAX;
    loop {
        rounds += 1;
        let out = env.run(&[
            "batch",
            "soak.jsonl",
            "--concurrency",
            "8",
            "--max-cost",
            &budget,
        ]);
        let ok = outcomes(&env)
            .values()
            .filter(|v| v["status"] == "ok")
            .count();
        if out.code == 0 || ok == last_ok || rounds >= 8 {
            break;
        }
        last_ok = ok;
    }
    env.server.set_fault_rate(0.0, 0);
    report(&env, rounds)
}

fn report(env: &Env, rounds: usize) -> Result<()> {
    let results = outcomes(env);
    let submits = env
        .server
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path_only() == "/api/v1/videos")
        .count();
    let duplicates: usize = records_per_line(env).values().map(|n| n - 1).sum();
    let spent: f64 = results.values().filter_map(|v| v["cost"].as_f64()).sum();
    let overruns = usize::from(spent > BUDGET + 1e-9);
    let mut by_status: BTreeMap<String, usize> = BTreeMap::new();
    for v in results.values() {
        *by_status
            .entry(v["status"].as_str().unwrap_or("?").to_string())
            .or_default() += 1;
    }
    println!(
        "\nbatch soak: {} lines over {rounds} run(s): {by_status:?}; {submits} paid video submit(s); \
         {duplicates} duplicate(s); ${spent:.4} reported of a ${BUDGET:.2} budget, {overruns} overrun(s); \
         {} faults injected",
        results.len(),
        env.server.faults_injected()
    );
    if duplicates > 0 || overruns > 0 {
        bail!("batch soak failed: {duplicates} duplicate submit(s), {overruns} budget overrun(s)");
    }
    Ok(())
}

/*!
Section 8 of the benchmark: a batch of chat lines (`switchyard batch FILE
--concurrency 16`) against the same lines run one `switchyard chat` at a
time, both against the fake server answering after a random 0..400 ms
(a real API's latency; 200 ms on average). 1,000 lines (200 with
`--quick`); the batch's time includes its validation pass (a dry run of
every line).
*/

use super::procs::FakeProc;
use super::{Ctx, Row, Section};
use anyhow::{bail, Result};
use serde_json::json;
use std::path::Path;
use std::time::Instant;

/// The fake's latency bound: each answer waits a random 0..this many ms.
const LATENCY_MS: u64 = 400;
/// Lines at once in the batch.
const CONCURRENCY: usize = 16;

/// Writes the batch file: `n` chat lines.
fn batch_file(path: &Path, n: usize) -> Result<()> {
    let mut text = String::new();
    for i in 0..n {
        text.push_str(&format!(
            "{{\"id\":\"q{i}\",\"command\":\"chat\",\"prompt\":\"question number {i}\"}}\n"
        ));
    }
    super::write(path, &text)
}

/// Runs section 8.
pub fn batch(cx: &Ctx) -> Result<Section> {
    let n = if cx.quick { 200 } else { 1000 };
    let fake = FakeProc::start(
        &cx.bins.fake,
        &["--latency-ms".into(), LATENCY_MS.to_string()],
    )?;
    let cfg = cx.sb.dir.join("batch.toml");
    super::write(
        &cfg,
        &format!(
            "[models.providers.openrouter]\napiKey = \"{}\"\nbaseUrl = \"{}\"\n",
            fake_openrouter::TEST_API_KEY,
            fake.base_url
        ),
    )?;
    let file = cx.sb.dir.join("out").join("chat.jsonl");
    batch_file(&file, n)?;

    let t = Instant::now();
    let mut c = cx.sb.command(&cx.bins.switchyard, Some(&cfg));
    c.args(["--json", "batch", "--concurrency", &CONCURRENCY.to_string()])
        .arg(&file);
    let m = cx.sb.run_ok(&c, false)?;
    let batch_s = t.elapsed().as_secs_f64();
    let v: serde_json::Value = serde_json::from_str(m.stdout.trim()).unwrap_or_default();
    if v["ok"].as_u64() != Some(n as u64) {
        bail!("the batch did not finish every line: {}", m.stdout.trim());
    }

    let t = Instant::now();
    for i in 0..n {
        let mut c = cx.sb.command(&cx.bins.switchyard, Some(&cfg));
        c.args(["-q", "chat", &format!("question number {i}")]);
        cx.sb.run_ok(&c, false)?;
    }
    let one_by_one_s = t.elapsed().as_secs_f64();
    let speedup = one_by_one_s / batch_s;
    let rows = vec![
        Row::new(
            format!("{n} chat lines, batch --concurrency {CONCURRENCY}"),
            format!("{batch_s:.1} s"),
        )
        .floor(format!("one at a time: {one_by_one_s:.1} s"), speedup)
        .target("faster than one at a time", speedup > 1.0),
        Row::new(
            "per line (batch, incl. validation)",
            format!("{:.1} ms", batch_s * 1000.0 / n as f64),
        ),
    ];
    Ok(Section {
        name: "",
        rows,
        raw: json!({
            "lines": n, "concurrency": CONCURRENCY, "latency_ms_max": LATENCY_MS,
            "batch_s": batch_s, "one_at_a_time_s": one_by_one_s, "speedup": speedup,
        }),
    })
}

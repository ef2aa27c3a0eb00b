/*!
The video sections, against the release `fake-openrouter` in its own
process:

- download: `switchyard video` (submit, poll at 10 ms, download, verify,
  rename) vs `curl -o` of the same job's content URL, at 10 MiB and 1 GiB
  (256 MiB with `--quick`), alternating, with the peak RSS of each;
- waiting: the CPU time `switchyard video` uses while its job stays
  `in_progress`, polled at the default interval (2 s, growing by 1.5x).
*/

use super::inproc::paired;
use super::procs::{clock_ticks, cpu_ticks, last_lines, FakeProc};
use super::stats::{bytes, median, secs};
use super::{Ctx, Row, Section};
use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const MIB: u64 = 1024 * 1024;

fn find_curl() -> Option<PathBuf> {
    let fixed = PathBuf::from("/usr/bin/curl");
    if fixed.is_file() {
        return Some(fixed);
    }
    std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("curl"))
            .find(|c| c.is_file())
    })
}

fn config(cx: &Ctx, name: &str, base_url: &str, poll_ms: Option<u64>) -> Result<PathBuf> {
    let path = cx.sb.dir.join(format!("{name}.toml"));
    let mut text = String::new();
    if let Some(ms) = poll_ms {
        text.push_str(&format!(
            "[agents.defaults.videoGenerationModel]\npollIntervalMs = {ms}\n\n"
        ));
    }
    text.push_str(&format!(
        "[models.providers.openrouter]\napiKey = \"{}\"\nbaseUrl = \"{base_url}\"\n",
        fake_openrouter::TEST_API_KEY
    ));
    super::write(&path, &text)?;
    Ok(path)
}

fn file_len(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

/// Figures for one video size.
struct SizeRun {
    size: u64,
    sy_wall: Vec<f64>,
    sy_rss: Vec<f64>,
    curl_wall: Vec<f64>,
    curl_rss: Vec<f64>,
}

fn one_size(cx: &Ctx, size: u64, reps: usize, curl: Option<&Path>) -> Result<SizeRun> {
    let fake = FakeProc::start(
        &cx.bins.fake,
        &[
            "--port".into(),
            "0".into(),
            "--video-bytes".into(),
            size.to_string(),
            "--in-progress-polls".into(),
            "0".into(),
        ],
    )?;
    let cfg = config(cx, &format!("video-{size}"), &fake.base_url, Some(10))?;
    let out = cx.sb.dir.join("out").join("video.mp4");
    let mut run = SizeRun {
        size,
        sy_wall: Vec::new(),
        sy_rss: Vec::new(),
        curl_wall: Vec::new(),
        curl_rss: Vec::new(),
    };
    let mut job: Option<String> = None;
    for r in 0..reps {
        for step in 0..2 {
            let _ = std::fs::remove_file(&out);
            if (r + step) % 2 == 0 {
                let mut c = cx.sb.command(&cx.bins.switchyard, Some(&cfg));
                c.arg("video")
                    .arg("--json")
                    .arg("--out")
                    .arg(&out)
                    .arg("a benchmark video");
                let m = cx.sb.run_ok(&c, true)?;
                if file_len(&out) != size {
                    bail!("switchyard video wrote {} of {size} bytes", file_len(&out));
                }
                let v: Value = serde_json::from_str(m.stdout.trim())
                    .with_context(|| format!("switchyard video --json said {:?}", m.stdout))?;
                job = v.get("job_id").and_then(Value::as_str).map(str::to_string);
                run.sy_wall.push(m.wall_s);
                run.sy_rss.extend(m.peak_rss_kb.map(|k| k as f64 * 1024.0));
            } else if let (Some(curl), Some(id)) = (curl, &job) {
                let url = format!("{}/videos/{id}/content?index=0", fake.base_url);
                let mut c = cx.sb.command(curl, None);
                c.args(["-sS", "-f", "-o"]).arg(&out).args([
                    "-H",
                    &format!("Authorization: Bearer {}", fake_openrouter::TEST_API_KEY),
                    &url,
                ]);
                let m = cx.sb.run_ok(&c, true)?;
                if file_len(&out) != size {
                    bail!("curl wrote {} of {size} bytes", file_len(&out));
                }
                run.curl_wall.push(m.wall_s);
                run.curl_rss
                    .extend(m.peak_rss_kb.map(|k| k as f64 * 1024.0));
            }
        }
    }
    let _ = std::fs::remove_file(&out);
    Ok(run)
}

/// Section 5: video download throughput and peak RSS vs curl.
// Over 80 lines on purpose: paired runs (switchyard vs curl) for two sizes; the pairing keeps the loop in one piece.
pub fn download(cx: &Ctx) -> Result<Section> {
    let curl = find_curl();
    let big = if cx.quick { 256 * MIB } else { 1024 * MIB };
    let plan = if cx.quick {
        [(10 * MIB, 3), (big, 3)]
    } else {
        [(10 * MIB, 5), (big, 6)]
    };
    let mut runs = Vec::new();
    for (size, reps) in plan {
        runs.push(one_size(cx, size, reps, curl.as_deref())?);
    }
    let mut rows = Vec::new();
    let mib_s = |size: u64, s: f64| size as f64 / MIB as f64 / s;
    for r in &runs {
        let (sw, sr) = (median(&r.sy_wall), median(&r.sy_rss));
        let (cw, cr) = (median(&r.curl_wall), median(&r.curl_rss));
        let label = bytes(r.size as f64);
        let mut t = Row::new(
            format!("{label}: throughput, switchyard vs curl (pairs)"),
            format!("{:.0} MiB/s ({})", mib_s(r.size, sw), secs(sw)),
        );
        if curl.is_some() {
            // Each switchyard run against the curl run beside it.
            let ratio = paired(&r.curl_wall, &r.sy_wall);
            t = t.floor(
                format!("{:.0} MiB/s ({})", mib_s(r.size, cw), secs(cw)),
                ratio,
            );
            if r.size == big {
                t = t.target("ratio >= 0.9", ratio >= 0.9);
            }
        } else {
            t.floor = "curl not found: skipped".into();
        }
        rows.push(t);
        let mut m = Row::new(format!("{label}: peak RSS, switchyard vs curl"), bytes(sr));
        if cr.is_finite() {
            m = m.floor(bytes(cr), sr / cr);
        }
        if sr.is_finite() {
            m = m.target("< 40 MiB", sr < 40.0 * MIB as f64);
        }
        rows.push(m);
    }
    if let [small, large] = &runs[..] {
        let (a, b) = (median(&small.sy_rss), median(&large.sy_rss));
        rows.push(
            Row::new(
                format!(
                    "peak RSS {} vs {} (switchyard)",
                    bytes(large.size as f64),
                    bytes(small.size as f64)
                ),
                bytes(b),
            )
            .floor(bytes(a), b / a)
            .target("ratio 0.9..1.1", (0.9..=1.1).contains(&(b / a))),
        );
        if curl.is_some() {
            // Net of the fixed costs (start-up, submit, polls): the
            // difference between the two sizes over the difference in time.
            let d = (large.size - small.size) as f64;
            let sy = d / (median(&large.sy_wall) - median(&small.sy_wall));
            let cu = d / (median(&large.curl_wall) - median(&small.curl_wall));
            rows.push(
                Row::new(
                    "marginal throughput (large - small), switchyard vs curl",
                    format!("{:.0} MiB/s", sy / MIB as f64),
                )
                .floor(format!("{:.0} MiB/s", cu / MIB as f64), sy / cu),
            );
        }
    }
    let raw: Vec<Value> = runs
        .iter()
        .map(|r| {
            json!({
                "bytes": r.size,
                "switchyard": {"wall_s": r.sy_wall, "peak_rss_bytes": r.sy_rss},
                "curl": {"wall_s": r.curl_wall, "peak_rss_bytes": r.curl_rss},
            })
        })
        .collect();
    Ok(Section {
        name: "",
        rows,
        raw: json!({"curl": curl.map(|c| c.display().to_string()), "sizes": raw}),
    })
}

/// Section 6: CPU used while a job stays `in_progress` (default polling).
pub fn waiting(cx: &Ctx) -> Result<Section> {
    let window = Duration::from_secs(if cx.quick { 10 } else { 30 });
    let settle = Duration::from_secs(2);
    let fake = FakeProc::start(
        &cx.bins.fake,
        &[
            "--port".into(),
            "0".into(),
            "--video-bytes".into(),
            (64 * 1024).to_string(),
            "--in-progress-polls".into(),
            "1000000".into(),
        ],
    )?;
    let cfg = config(cx, "waiting", &fake.base_url, None)?;
    let out = cx.sb.dir.join("out").join("waiting.mp4");
    let mut c = cx.sb.command(&cx.bins.switchyard, Some(&cfg));
    c.arg("video")
        .arg("--out")
        .arg(&out)
        .arg("a video that takes long")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().context("cannot run switchyard video")?;
    let pid = child.id();
    std::thread::sleep(settle);
    let measured = (|| -> Result<(f64, f64)> {
        if let Some(status) = child.try_wait()? {
            bail!("switchyard video exited early ({status})");
        }
        let c0 = cpu_ticks(pid).context("cannot read /proc/<pid>/stat")?;
        let t0 = Instant::now();
        std::thread::sleep(window);
        let c1 = cpu_ticks(pid).context("cannot read /proc/<pid>/stat")?;
        let wall = t0.elapsed().as_secs_f64();
        if let Some(status) = child.try_wait()? {
            bail!("switchyard video exited during the window ({status})");
        }
        Ok(((c1 - c0) as f64 / clock_ticks() as f64, wall))
    })();
    let _ = child.kill();
    let output = child.wait_with_output();
    let (cpu, wall) = measured.map_err(|e| {
        let err = output
            .as_ref()
            .map(|o| last_lines(&String::from_utf8_lossy(&o.stderr), 3))
            .unwrap_or_default();
        e.context(err)
    })?;
    let share = cpu / wall;
    let rows = vec![Row::new(
        format!("CPU while in_progress for {} s", window.as_secs()),
        format!("{} CPU", secs(cpu)),
    )
    .floor(format!("{} wall (1 core)", secs(wall)), share)
    .target("< 1 % of one core", share < 0.01)];
    Ok(Section {
        name: "",
        rows,
        raw: json!({
            "window_s": wall,
            "cpu_s": cpu,
            "share_of_one_core": share,
            "clock_ticks": clock_ticks(),
            "poll_interval_ms": 2000,
        }),
    })
}

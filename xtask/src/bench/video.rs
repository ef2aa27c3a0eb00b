/*!
The video sections, against the release `fake-openrouter` in its own
process, each measured twice: alone, and beside one busy-looping process
([`Busy`]), so that a machine loaded by others is told apart from our own
cost (a figure that holds alone but not beside the competitor is the
machine's CPU, not the code):

- download: `switchyard video` (submit, poll at 10 ms, download, verify,
  fsync, rename) vs `curl -o` of the same job's content URL, and vs
  `curl -o` followed by an fsync of the file it wrote (a durable download
  with plain tools), at 16 MiB and 1 GiB (256 MiB with `--quick`), in
  rotation, with the peak RSS of each;
- waiting: the CPU time `switchyard video` uses while its job stays
  `in_progress`, polled at the default interval (2 s, growing by 1.5x),
  over 20 s (5 s with `--quick`), then how long it takes to exit after
  Ctrl-C (SIGINT, timed from the moment `kill` is started; median of three
  runs), beside the time of a journal-sized fsync on the same disk (the
  host journals the job durably before it exits).
*/

use super::inproc::paired;
use super::procs::{clock_ticks, cpu_ns, cpu_secs, last_lines, Busy, FakeProc};
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

/// The two variants every video figure is measured in: alone, and beside
/// one busy-looping process.
/// ("loaded" = one busy-looping process beside it, [`Busy`].)
const VARIANTS: [(bool, &str); 2] = [(false, "alone"), (true, "loaded")];

/// Figures for one video size in one variant.
struct SizeRun {
    size: u64,
    variant: &'static str,
    sy_wall: Vec<f64>,
    sy_rss: Vec<f64>,
    curl_wall: Vec<f64>,
    curl_rss: Vec<f64>,
    /// `curl -o` plus the fsync of its file, and the fsync alone.
    curl_sync_wall: Vec<f64>,
    fsync_s: Vec<f64>,
}

/// The three ways of fetching the video that are set side by side.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Switchyard,
    Curl,
    CurlSync,
}

/// Runs `switchyard video` into `out`; its wall time, peak RSS and job id.
fn run_switchyard(
    cx: &Ctx,
    cfg: &Path,
    out: &Path,
    size: u64,
) -> Result<(f64, Option<f64>, Option<String>)> {
    let mut c = cx.sb.command(&cx.bins.switchyard, Some(cfg));
    c.arg("video")
        .arg("--json")
        .arg("--out")
        .arg(out)
        .arg("a benchmark video");
    let m = cx.sb.run_ok(&c, true)?;
    if file_len(out) != size {
        bail!("switchyard video wrote {} of {size} bytes", file_len(out));
    }
    let v: Value = serde_json::from_str(m.stdout.trim())
        .with_context(|| format!("switchyard video --json said {:?}", m.stdout))?;
    let job = v.get("job_id").and_then(Value::as_str).map(str::to_string);
    Ok((m.wall_s, m.peak_rss_kb.map(|k| k as f64 * 1024.0), job))
}

/// Runs `curl -o out URL`; its wall time and peak RSS.
fn run_curl(cx: &Ctx, curl: &Path, url: &str, out: &Path, size: u64) -> Result<(f64, Option<f64>)> {
    let mut c = cx.sb.command(curl, None);
    c.args(["-sS", "-f", "-o"]).arg(out).args([
        "-H",
        &format!("Authorization: Bearer {}", fake_openrouter::TEST_API_KEY),
        url,
    ]);
    let m = cx.sb.run_ok(&c, true)?;
    if file_len(out) != size {
        bail!("curl wrote {} of {size} bytes", file_len(out));
    }
    Ok((m.wall_s, m.peak_rss_kb.map(|k| k as f64 * 1024.0)))
}

/// The time an fsync of `path` takes.
fn fsync_time(path: &Path) -> Result<f64> {
    let t = Instant::now();
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("cannot fsync {}", path.display()))?;
    Ok(t.elapsed().as_secs_f64())
}

fn one_size(
    cx: &Ctx,
    size: u64,
    reps: usize,
    curl: &Path,
    variant: &'static str,
) -> Result<SizeRun> {
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
        variant,
        sy_wall: Vec::new(),
        sy_rss: Vec::new(),
        curl_wall: Vec::new(),
        curl_rss: Vec::new(),
        curl_sync_wall: Vec::new(),
        fsync_s: Vec::new(),
    };
    let kinds = [Kind::Switchyard, Kind::Curl, Kind::CurlSync];
    let mut url = None;
    for r in 0..reps {
        for step in 0..kinds.len() {
            let _ = std::fs::remove_file(&out);
            let kind = kinds[(r + step) % kinds.len()];
            match (kind, &url) {
                (Kind::Switchyard, _) => {
                    let (wall, rss, job) = run_switchyard(cx, &cfg, &out, size)?;
                    run.sy_wall.push(wall);
                    run.sy_rss.extend(rss);
                    url = job.map(|id| format!("{}/videos/{id}/content?index=0", fake.base_url));
                }
                (Kind::Curl, Some(u)) => {
                    let (wall, rss) = run_curl(cx, curl, u, &out, size)?;
                    run.curl_wall.push(wall);
                    run.curl_rss.extend(rss);
                }
                (Kind::CurlSync, Some(u)) => {
                    let (wall, _) = run_curl(cx, curl, u, &out, size)?;
                    let sync = fsync_time(&out)?;
                    run.curl_sync_wall.push(wall + sync);
                    run.fsync_s.push(sync);
                }
                (_, None) => {}
            }
        }
    }
    let _ = std::fs::remove_file(&out);
    Ok(run)
}

/// Section 5: video download time and peak RSS vs curl and curl + fsync,
/// alone and beside a busy process.
pub fn download(cx: &Ctx) -> Result<Section> {
    let curl = find_curl().context("curl not found: the download section needs it")?;
    let big = if cx.quick { 256 * MIB } else { 1024 * MIB };
    let plan = if cx.quick {
        [(16 * MIB, 3), (big, 2)]
    } else {
        [(16 * MIB, 5), (big, 6)]
    };
    let mut runs = Vec::new();
    for (loaded, variant) in VARIANTS {
        let _busy = Busy::start(loaded)?;
        for (size, reps) in plan {
            runs.push(one_size(cx, size, reps, &curl, variant)?);
        }
    }
    let mut rows = vec![Row::new(
        "load average (1, 5, 15 min) at the end",
        super::procs::loadavg(),
    )];
    for r in &runs {
        rows.extend(size_rows(r, r.size == big));
    }
    rows.extend(flatness_rows(&runs));
    let raw: Vec<Value> = runs
        .iter()
        .map(|r| {
            json!({
                "bytes": r.size,
                "variant": r.variant,
                "switchyard": {"wall_s": r.sy_wall, "peak_rss_bytes": r.sy_rss},
                "curl": {"wall_s": r.curl_wall, "peak_rss_bytes": r.curl_rss},
                "curl_then_fsync": {"wall_s": r.curl_sync_wall, "fsync_s": r.fsync_s},
            })
        })
        .collect();
    Ok(Section {
        name: "",
        rows,
        raw: json!({"curl": curl.display().to_string(), "runs": raw}),
    })
}

/// The rows of one size in one variant: time vs curl and vs curl + fsync
/// (ratio = their time / ours, each run against the one beside it), and
/// the peak RSS (alone only).
fn size_rows(r: &SizeRun, big: bool) -> Vec<Row> {
    let mib_s = |s: f64| r.size as f64 / MIB as f64 / s;
    let shown = |s: f64| format!("{:.0} MiB/s ({})", mib_s(s), secs(s));
    let label = format!("{} {}", bytes(r.size as f64), r.variant);
    let sw = median(&r.sy_wall);
    let ratio = paired(&r.curl_wall, &r.sy_wall);
    let mut vs_curl = Row::new(format!("{label}: switchyard vs curl"), shown(sw))
        .floor(shown(median(&r.curl_wall)), ratio);
    if big && r.variant == VARIANTS[0].1 {
        vs_curl = vs_curl.target("ratio >= 0.95", ratio >= 0.95);
    }
    let ratio = paired(&r.curl_sync_wall, &r.sy_wall);
    let cs = median(&r.curl_sync_wall);
    let mut vs_sync = Row::new(format!("{label}: switchyard vs curl + fsync"), shown(sw)).floor(
        format!("{} (fsync {})", secs(cs), secs(median(&r.fsync_s))),
        ratio,
    );
    if big && r.variant == VARIANTS[0].1 {
        vs_sync = vs_sync.target("ratio >= 1.0", ratio >= 1.0);
    }
    let mut rows = vec![vs_curl, vs_sync];
    if r.variant == VARIANTS[0].1 {
        let (sr, cr) = (median(&r.sy_rss), median(&r.curl_rss));
        let mut m = Row::new(format!("{label}: peak RSS, switchyard vs curl"), bytes(sr));
        if cr.is_finite() {
            m = m.floor(bytes(cr), sr / cr);
        }
        if sr.is_finite() {
            m = m.target("< 40 MiB", sr < 40.0 * MIB as f64);
        }
        rows.push(m);
    }
    rows
}

/// Peak RSS of the large size against the small one (alone), and the
/// marginal throughput (large - small) against curl's, per variant.
fn flatness_rows(runs: &[SizeRun]) -> Vec<Row> {
    let mut rows = Vec::new();
    for pair in runs.chunks(2) {
        let [small, large] = pair else { continue };
        if small.variant == VARIANTS[0].1 {
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
        }
        // Net of the fixed costs (start-up, submit, polls): the difference
        // between the two sizes over the difference in time.
        let d = (large.size - small.size) as f64;
        let sy = d / (median(&large.sy_wall) - median(&small.sy_wall));
        let cu = d / (median(&large.curl_wall) - median(&small.curl_wall));
        rows.push(
            Row::new(
                format!("marginal throughput {}, switchyard vs curl", small.variant),
                format!("{:.0} MiB/s", sy / MIB as f64),
            )
            .floor(format!("{:.0} MiB/s", cu / MIB as f64), sy / cu),
        );
    }
    rows
}

/// What the waiting runs of one variant measured.
struct Waited {
    variant: &'static str,
    cpu_s: f64,
    wall_s: f64,
    threads: Option<(usize, usize)>,
    /// Per Ctrl-C: the time to exit, the exit code, and the floor (a
    /// journal-sized fsync right after, in the same file system).
    ctrlc_s: Vec<f64>,
    exit_codes: Vec<Option<i32>>,
    fsync_s: Vec<f64>,
}

/// Spawns `switchyard video` on a job that stays `in_progress`.
fn spawn_waiting(cx: &Ctx, cfg: &Path) -> Result<std::process::Child> {
    let out = cx.sb.dir.join("out").join("waiting.mp4");
    let mut c = cx.sb.command(&cx.bins.switchyard, Some(cfg));
    c.arg("video")
        .arg("--out")
        .arg(&out)
        .arg("a video that takes long")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    c.spawn().context("cannot run switchyard video")
}

/// Sends SIGINT to `child` (with `kill`) and records in `w` the time from
/// before `kill` starts until `child` has exited, its exit code, and the
/// time of a journal-sized fsync right after: on Ctrl-C the host journals
/// the job durably (write, fsync, rename) before it exits, so a slow disk
/// shows there, not in our code.
fn ctrl_c(cx: &Ctx, child: &mut std::process::Child, w: &mut Waited) -> Result<()> {
    let t = Instant::now();
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .context("cannot run kill")?;
    if !sent.success() {
        bail!("kill -INT failed ({sent})");
    }
    let deadline = t + Duration::from_secs(10);
    let code = loop {
        if let Some(status) = child.try_wait()? {
            break status.code();
        }
        if Instant::now() > deadline {
            bail!("switchyard video did not exit within 10 s of Ctrl-C");
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    w.ctrlc_s.push(t.elapsed().as_secs_f64());
    w.exit_codes.push(code);
    let probe = cx.sb.dir.join("state").join("fsync-probe.json");
    std::fs::write(&probe, [b' '; 512])?;
    w.fsync_s.push(fsync_time(&probe)?);
    Ok(())
}

/// Ends `child` and adds the end of its stderr to an error.
fn reap<T>(mut child: std::process::Child, r: Result<T>) -> Result<T> {
    let _ = child.kill();
    let output = child.wait_with_output();
    r.map_err(|e| {
        let err = output
            .as_ref()
            .map(|o| last_lines(&String::from_utf8_lossy(&o.stderr), 3))
            .unwrap_or_default();
        e.context(err)
    })
}

/// The waiting runs of one variant: the CPU of `switchyard video` over
/// `window` (after 2 s), then Ctrl-C; then `more` runs interrupted after 1 s.
fn wait_runs(
    cx: &Ctx,
    cfg: &Path,
    window: Duration,
    more: usize,
    variant: &'static str,
) -> Result<Waited> {
    let mut w = Waited {
        variant,
        cpu_s: f64::NAN,
        wall_s: f64::NAN,
        threads: None,
        ctrlc_s: Vec::new(),
        exit_codes: Vec::new(),
        fsync_s: Vec::new(),
    };
    let mut child = spawn_waiting(cx, cfg)?;
    let pid = child.id();
    std::thread::sleep(Duration::from_secs(2));
    let r = (|| -> Result<()> {
        if let Some(status) = child.try_wait()? {
            bail!("switchyard video exited early ({status})");
        }
        let cpu = || cpu_secs(pid).context("cannot read the CPU time");
        let (n0, c0) = (cpu_ns(pid), cpu()?);
        let t0 = Instant::now();
        std::thread::sleep(window);
        let (n1, c1) = (cpu_ns(pid), cpu()?);
        w.wall_s = t0.elapsed().as_secs_f64();
        if let Some(status) = child.try_wait()? {
            bail!("switchyard video exited during the window ({status})");
        }
        (w.cpu_s, w.threads) = (c1 - c0, n0.zip(n1).map(|(a, b)| (a.1, b.1)));
        ctrl_c(cx, &mut child, &mut w)
    })();
    reap(child, r)?;
    for _ in 0..more {
        let mut child = spawn_waiting(cx, cfg)?;
        std::thread::sleep(Duration::from_secs(1));
        let r = ctrl_c(cx, &mut child, &mut w);
        reap(child, r)?;
    }
    Ok(w)
}

/// Section 6: CPU used while a job stays `in_progress` (default polling),
/// and the time to exit after Ctrl-C, alone and beside a busy process.
pub fn waiting(cx: &Ctx) -> Result<Section> {
    let window = Duration::from_secs(if cx.quick { 5 } else { 20 });
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
    let mut runs = Vec::new();
    for (loaded, variant) in VARIANTS {
        let _busy = Busy::start(loaded)?;
        runs.push(wait_runs(cx, &cfg, window, 2, variant)?);
    }
    let mut rows = vec![Row::new(
        "load average (1, 5, 15 min) at the end",
        super::procs::loadavg(),
    )];
    for w in &runs {
        let share = w.cpu_s / w.wall_s;
        rows.push(
            Row::new(
                format!(
                    "CPU while in_progress, {} s, {}",
                    window.as_secs(),
                    w.variant
                ),
                format!("{} CPU ({:.3} %)", secs(w.cpu_s), share * 100.0),
            )
            .floor(format!("{} wall (1 core)", secs(w.wall_s)), share)
            .target("< 0.1 % of one core", share < 0.001),
        );
        let exit = median(&w.ctrlc_s);
        let all_130 = w.exit_codes.iter().all(|c| *c == Some(130));
        let mut row = Row::new(
            format!(
                "Ctrl-C to exit, median of {}, {}",
                w.ctrlc_s.len(),
                w.variant
            ),
            secs(exit),
        );
        row.floor = format!("fsync {}", secs(median(&w.fsync_s)));
        rows.push(row.target("< 200 ms, exit 130", exit < 0.2 && all_130));
    }
    let raw: Vec<Value> = runs
        .iter()
        .map(|w| {
            json!({
                "variant": w.variant,
                "window_s": w.wall_s,
                "cpu_s": w.cpu_s,
                "share_of_one_core": w.cpu_s / w.wall_s,
                "threads_at_start_and_end": w.threads,
                "ctrl_c_to_exit_s": w.ctrlc_s,
                "exit_codes": w.exit_codes,
                "journal_sized_fsync_s": w.fsync_s,
            })
        })
        .collect();
    Ok(Section {
        name: "",
        rows,
        raw: json!({
            "runs": raw,
            "cpu_source": if cpu_ns(std::process::id()).is_some() { "schedstat (ns)" } else { "stat (clock ticks)" },
            "clock_ticks": clock_ticks(),
            "poll_interval_ms": 2000,
        }),
    })
}

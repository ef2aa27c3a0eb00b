/*!
`cargo xtask soak [--minutes N] [--rate R] [--seed S] [--workers W]` and
`cargo xtask crashloop [--iterations N] [--seed S]`.

The soak starts the fake OpenRouter server in this process, in soak mode:
random latency on every answer, and with probability R per request a
random fault valid for its route (429 with and without `Retry-After`,
500/502/503/529, connections dropped mid-body, overstated
`Content-Length`, slow answers, malformed JSON or HTML bodies, stalled SSE
streams). W workers then send a bounded mix of chat, streamed chat, image,
video and speech commands through the built binary
(`target/debug/switchyard`) for N minutes, each with a short `--timeout`,
a small `pollIntervalMs` and `readTimeoutMs = 2000`; a watchdog kills any
command that outlives its timeout by far (counted as a failure).

Checked for every command: no panic (no "panicked", no exit 101); a
documented exit code (0, 2, 3, 4, 5, 6, 130; 1 only with an `error:`
reason); the API key in no output; a success's file is the exact bytes the
server sent, a failure leaves no file; no temporary file beside the target.
Afterwards, with faults off: every video job the journal holds with an id
is finished by `video resume` byte-exact; a submit that got no answer is
refused honestly by `resume` (exit 2) and never re-sent; every job the
server created is journaled (or its submit's answer was lost); no paid
submit was sent twice; no temporary or partial file anywhere in the work
dir; the server process's open descriptors and RSS are flat from warm-up to
the end. Prints a summary and fails on any violation.

`crashloop` runs [`switchyard_e2e::crash`]: `video` killed with SIGKILL
aimed at every phase in turn, then recovered with `video resume`.
*/

use crate::{cargo, sh};
use anyhow::{bail, Context, Result};
use fake_openrouter::{
    generated_bytes, sample_mp3, sample_png, FakeServer, Options, ServedFile, VideoJobSpec,
};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use switchyard_e2e::crash::{self, Rng};
use switchyard_e2e::{list_files, video::temp_files, Env};

/// Size of the soak's generated video.
const VIDEO_LEN: u64 = 2 * 1024 * 1024;
/// Seed of the soak's generated video.
const VIDEO_SEED: u64 = 0x50AC;
/// A command still running this long after its start is killed (a hang).
const WATCHDOG: Duration = Duration::from_secs(150);
/// Exit codes DESIGN §4 documents (1 needs a reason).
const DOCUMENTED: [i32; 7] = [0, 2, 3, 4, 5, 6, 130];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Chat,
    Stream,
    Image,
    Video,
    Speech,
}

/// One finished command.
#[derive(Debug)]
struct Ran {
    kind: Kind,
    code: i32,
}

/// Descriptors and resident memory of this process (the fake server).
#[derive(Debug, Clone, Copy)]
struct Usage {
    fds: usize,
    rss_kib: u64,
}

fn usage() -> Usage {
    let fds = std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count());
    let rss_kib = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0);
    Usage { fds, rss_kib }
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

struct SoakArgs {
    minutes: f64,
    rate: f64,
    seed: u64,
    workers: usize,
}

fn value<T: std::str::FromStr>(flag: &str, v: Option<&String>) -> Result<T> {
    let v = v.with_context(|| format!("{flag} needs a value"))?;
    v.parse()
        .ok()
        .with_context(|| format!("{flag} {v:?}: not a valid value"))
}

fn parse_soak(args: &[String]) -> Result<SoakArgs> {
    let mut a = SoakArgs {
        minutes: 5.0,
        rate: 0.2,
        seed: 1,
        workers: 2,
    };
    let mut it = args.iter();
    while let Some(f) = it.next() {
        match f.as_str() {
            "--minutes" => a.minutes = value(f, it.next())?,
            "--rate" => a.rate = value(f, it.next())?,
            "--seed" => a.seed = value(f, it.next())?,
            "--workers" => a.workers = value(f, it.next())?,
            other => bail!("soak: unknown argument {other:?}; usage: cargo xtask soak [--minutes N] [--rate R] [--seed S] [--workers W]"),
        }
    }
    if !(a.minutes.is_finite() && a.minutes > 0.0 && a.minutes <= 24.0 * 60.0) {
        bail!("--minutes must be more than 0 and at most a day");
    }
    if !(0.0..=1.0).contains(&a.rate) {
        bail!("--rate must be between 0 and 1");
    }
    a.workers = a.workers.clamp(1, 8);
    Ok(a)
}

/// Builds the binary and the plugin the soak drives.
fn build() -> Result<()> {
    sh(
        &cargo(),
        &["build", "-p", "switchyard", "-p", "switchyard-openrouter"],
    )
}

/// Runs a command with a watchdog; returns (code, stdout, stderr, hung).
fn run_watched(env: &Env, args: &[&str]) -> Result<(i32, String, String, bool)> {
    let mut cmd = env.cmd(args);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().context("spawn switchyard")?;
    let mut out = child.stdout.take().context("stdout")?;
    let mut err = child.stderr.take().context("stderr")?;
    let t_out = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        s
    });
    let start = Instant::now();
    let mut hung = false;
    let status = loop {
        if let Some(s) = child.try_wait()? {
            break s;
        }
        if start.elapsed() > WATCHDOG {
            hung = true;
            let _ = child.kill();
            break child.wait()?;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let so = t_out.join().unwrap_or_default();
    let se = t_err.join().unwrap_or_default();
    Ok((
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&so).into_owned(),
        String::from_utf8_lossy(&se).into_owned(),
        hung,
    ))
}

/// What every worker shares.
struct Shared<'a> {
    env: &'a Env,
    key: String,
    deadline: Instant,
    next: Mutex<u64>,
    ran: Mutex<Vec<Ran>>,
    failures: Mutex<Vec<String>>,
    reasons: Mutex<BTreeMap<(Kind, i32), String>>,
    video_targets: Mutex<Vec<PathBuf>>,
}

impl Shared<'_> {
    fn fail(&self, msg: String) {
        eprintln!("soak: FAILURE: {msg}");
        if let Ok(mut f) = self.failures.lock() {
            f.push(msg);
        }
    }
}

fn pick(rng: &mut Rng) -> Kind {
    match rng.below(13) {
        0..=2 => Kind::Chat,
        3..=5 => Kind::Stream,
        6..=7 => Kind::Image,
        8..=10 => Kind::Video,
        _ => Kind::Speech,
    }
}

// Over 80 lines on purpose: one soak worker's loop: pick a command, run it, check every promise about its outcome; the checks share the run's locals.
fn worker(s: &Shared<'_>, mut rng: Rng) {
    let video = generated_bytes(VIDEO_LEN, VIDEO_SEED);
    while Instant::now() < s.deadline {
        let n = {
            let Ok(mut g) = s.next.lock() else { return };
            *g += 1;
            *g
        };
        let kind = pick(&mut rng);
        let prompt = format!("soak {n}");
        let (file, args): (Option<String>, Vec<String>) = match kind {
            Kind::Chat => (None, vec!["chat".into(), "--timeout".into(), "20s".into()]),
            Kind::Stream => (
                None,
                vec![
                    "chat".into(),
                    "--stream".into(),
                    "--timeout".into(),
                    "20s".into(),
                ],
            ),
            Kind::Image => {
                let f = format!("image-{n}.png");
                (
                    Some(f.clone()),
                    vec![
                        "image".into(),
                        "--timeout".into(),
                        "20s".into(),
                        "--out".into(),
                        f,
                    ],
                )
            }
            Kind::Video => {
                let f = format!("video-{n}.mp4");
                // Some jobs time out (exit 5) and are left to `video resume`.
                let timeout = ["2s", "4s", "25s", "25s"][rng.below(4) as usize];
                (
                    Some(f.clone()),
                    vec![
                        "video".into(),
                        "--timeout".into(),
                        timeout.into(),
                        "--out".into(),
                        f,
                    ],
                )
            }
            Kind::Speech => {
                let f = format!("speech-{n}.mp3");
                (
                    Some(f.clone()),
                    vec![
                        "speak".into(),
                        "--timeout".into(),
                        "20s".into(),
                        "--out".into(),
                        f,
                    ],
                )
            }
        };
        let mut argv: Vec<&str> = args.iter().map(String::as_str).collect();
        argv.push(&prompt);
        let what = format!("#{n} {kind:?} `{}`", argv.join(" "));
        let (code, stdout, stderr, hung) = match run_watched(s.env, &argv) {
            Ok(r) => r,
            Err(e) => {
                s.fail(format!("{what}: cannot run: {e:#}"));
                continue;
            }
        };
        if hung {
            s.fail(format!(
                "{what}: still running after {} s (killed)",
                WATCHDOG.as_secs()
            ));
        }
        if stderr.contains("panicked") || code == 101 {
            s.fail(format!("{what}: panicked (exit {code}): {stderr}"));
        }
        let reason = stderr
            .lines()
            .find(|l| l.starts_with("error: "))
            .map(str::to_string);
        let documented = DOCUMENTED.contains(&code) || code == 1 && reason.is_some();
        if !documented {
            s.fail(format!("{what}: undocumented exit code {code}: {stderr}"));
        }
        if code != 0 {
            if let (Ok(mut r), Some(reason)) = (s.reasons.lock(), reason) {
                r.entry((kind, code)).or_insert(reason);
            }
        }
        if stdout.contains(&s.key) || stderr.contains(&s.key) {
            s.fail(format!("{what}: the API key appears in the output"));
        }
        if let Some(f) = &file {
            let target = s.env.work().join(f);
            let prefix = format!(".{f}.");
            let temps: Vec<String> = list_files(&s.env.work())
                .into_iter()
                .filter(|x| x.starts_with(&prefix))
                .collect();
            if !temps.is_empty() {
                s.fail(format!("{what}: temporary files left: {temps:?}"));
            }
            if code == 0 {
                let want: &[u8] = match kind {
                    Kind::Image => &sample_png(),
                    Kind::Speech => &sample_mp3(),
                    _ => &video,
                };
                match std::fs::read(&target) {
                    Ok(b) if b == want => {}
                    Ok(b) => s.fail(format!(
                        "{what}: exit 0 but {f} is not the served bytes ({} of {} bytes)",
                        b.len(),
                        want.len()
                    )),
                    Err(e) => s.fail(format!("{what}: exit 0 but {f}: {e}")),
                }
            } else if target.exists() {
                s.fail(format!("{what}: exit {code} but {f} exists"));
            }
            if kind == Kind::Video {
                if let Ok(mut v) = s.video_targets.lock() {
                    v.push(target);
                }
            }
        } else if code == 0 && !stdout.contains(&format!("You said: {prompt}")) {
            s.fail(format!("{what}: exit 0 without the answer: {stdout}"));
        }
        if let Ok(mut r) = s.ran.lock() {
            r.push(Ran { kind, code });
        }
    }
}

pub(crate) fn config_text(server: &FakeServer) -> String {
    format!(
        "[models.providers.openrouter]\napiKey = \"{}\"\nbaseUrl = \"{}\"\nreadTimeoutMs = 2000\n\n\
         [agents.defaults.videoGenerationModel]\npollIntervalMs = 50\n",
        server.api_key(),
        server.base_url()
    )
}

/// Runs `cargo xtask soak`.
// Over 80 lines on purpose: the soak's linear script: set up, run the workers, then check the server's counters and the leftovers.
pub fn run(args: &[String]) -> Result<()> {
    let a = parse_soak(args)?;
    build()?;
    let server = FakeServer::start_with(Options {
        latency: Some(Duration::from_millis(40)),
        ..Options::default()
    })
    .context("cannot start the fake server")?;
    server.set_video_job(VideoJobSpec {
        pending_polls: 2,
        in_progress_polls: 2,
        video: ServedFile::generated_mp4(VIDEO_LEN, VIDEO_SEED),
        ..VideoJobSpec::default()
    });
    let env = Env::with_server(server);
    env.write_raw_config(&config_text(&env.server));
    let key = env.server.api_key();
    let started = Instant::now();
    let duration = Duration::from_secs_f64(a.minutes * 60.0);
    let at_start = usage();
    env.server.set_fault_rate(a.rate, a.seed);
    eprintln!(
        "soak: {:.1} min, fault rate {}, seed {}, {} workers; fake server at {}; work dir {}",
        a.minutes,
        a.rate,
        a.seed,
        a.workers,
        env.server.base_url(),
        env.work().display()
    );
    let shared = Shared {
        env: &env,
        key: key.clone(),
        deadline: started + duration,
        next: Mutex::new(0),
        ran: Mutex::new(Vec::new()),
        failures: Mutex::new(Vec::new()),
        reasons: Mutex::new(BTreeMap::new()),
        video_targets: Mutex::new(Vec::new()),
    };
    let mut posts = 0usize;
    let mut drained = 0usize;
    let mut samples: Vec<(Duration, Usage)> = Vec::new();
    std::thread::scope(|scope| {
        for w in 0..a.workers {
            let s = &shared;
            let rng = Rng::new(a.seed ^ (0x9E37 * (w as u64 + 1)));
            scope.spawn(move || worker(s, rng));
        }
        // Monitor: drain the recorded requests (memory stays flat), count
        // paid submits, sample descriptors and memory.
        let mut last_report = Instant::now();
        while Instant::now() < shared.deadline {
            std::thread::sleep(Duration::from_millis(500));
            let reqs = env.server.take_requests();
            drained += reqs.len();
            posts += reqs
                .iter()
                .filter(|r| r.method == "POST" && r.path_only() == "/api/v1/videos")
                .count();
            samples.push((started.elapsed(), usage()));
            if last_report.elapsed() >= Duration::from_secs(30) {
                last_report = Instant::now();
                let n = shared.ran.lock().map_or(0, |r| r.len());
                eprintln!(
                    "soak: {:>4.0} s: {n} commands, {} faults injected",
                    started.elapsed().as_secs_f64(),
                    env.server.faults_injected()
                );
            }
        }
    });
    // Every command has ended. Faults off; let stalled connections end.
    env.server.set_fault_rate(0.0, 0);
    let faults = env.server.faults_injected();
    std::thread::sleep(Duration::from_secs(3));
    let reqs = env.server.take_requests();
    drained += reqs.len();
    posts += reqs
        .iter()
        .filter(|r| r.method == "POST" && r.path_only() == "/api/v1/videos")
        .count();
    let at_end = usage();
    let ran = shared.ran.into_inner().unwrap_or_default();
    let mut failures = shared.failures.into_inner().unwrap_or_default();
    let reasons = shared.reasons.into_inner().unwrap_or_default();
    let video_targets = shared.video_targets.into_inner().unwrap_or_default();

    // Recovery, with faults off.
    let rec = recover(&env, &key, &video_targets, &mut failures)?;
    let resume_posts = env
        .server
        .take_requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path_only() == "/api/v1/videos")
        .count();
    if resume_posts != 0 {
        failures.push(format!(
            "recovery sent {resume_posts} paid submit(s); resume must never submit"
        ));
    }
    let video_commands = ran.iter().filter(|r| r.kind == Kind::Video).count();
    if posts > video_commands {
        failures.push(format!(
            "{posts} paid submits for {video_commands} video commands: a submit was sent twice"
        ));
    }
    let left = temp_files(&env.work());
    if !left.is_empty() {
        failures.push(format!("temporary files left in the work dir: {left:?}"));
    }

    // Descriptors and memory: flat from warm-up (a fifth of the run) to the end.
    let warm = samples
        .iter()
        .find(|(t, _)| *t >= duration / 5)
        .map(|(_, u)| *u)
        .unwrap_or(at_start);
    let peak_rss = samples.iter().map(|(_, u)| u.rss_kib).max().unwrap_or(0);
    let peak_fds = samples.iter().map(|(_, u)| u.fds).max().unwrap_or(0);
    if at_end.fds > warm.fds + 8 {
        failures.push(format!(
            "open descriptors grew: {} after warm-up, {} at the end",
            warm.fds, at_end.fds
        ));
    }
    let rss_slack = (warm.rss_kib / 2).max(32 * 1024);
    if at_end.rss_kib > warm.rss_kib + rss_slack {
        failures.push(format!(
            "RSS grew: {} after warm-up, {} at the end",
            mib(warm.rss_kib),
            mib(at_end.rss_kib)
        ));
    }

    // Summary.
    let mut by_kind: BTreeMap<Kind, usize> = BTreeMap::new();
    let mut codes: BTreeMap<i32, usize> = BTreeMap::new();
    let mut kind_codes: BTreeMap<Kind, BTreeMap<i32, usize>> = BTreeMap::new();
    for r in &ran {
        *by_kind.entry(r.kind).or_default() += 1;
        *codes.entry(r.code).or_default() += 1;
        *kind_codes
            .entry(r.kind)
            .or_default()
            .entry(r.code)
            .or_default() += 1;
    }
    println!(
        "\nsoak summary ({:.1} min, fault rate {}, seed {}, {} workers)",
        a.minutes, a.rate, a.seed, a.workers
    );
    println!("commands run: {} total", ran.len());
    for (k, n) in &by_kind {
        println!(
            "  {:<7} {n:>5}  exit codes {:?}",
            format!("{k:?}"),
            kind_codes[k]
        );
    }
    println!("exit codes: {codes:?}");
    for ((k, c), why) in &reasons {
        println!("  e.g. {k:?} exit {c}: {why}");
    }
    println!("faults injected: {faults} (over {drained} requests)");
    println!(
        "video: {video_commands} commands, {posts} paid submits, {} jobs created by the server; \
         {} delivered by the command, {} resumed after the run (byte-exact), {} already journaled as downloaded, \
         {} submits unanswered (journaled, refused honestly by resume), {} jobs whose submit answer was lost",
        rec.server_jobs, rec.delivered, rec.resumed, rec.already_done, rec.unanswered, rec.lost_answers
    );
    println!(
        "fake server fds: start {}, after warm-up {}, peak {}, end {}",
        at_start.fds, warm.fds, peak_fds, at_end.fds
    );
    println!(
        "fake server RSS: start {}, after warm-up {}, peak {}, end {}",
        mib(at_start.rss_kib),
        mib(warm.rss_kib),
        mib(peak_rss),
        mib(at_end.rss_kib)
    );
    if !failures.is_empty() {
        println!("\n{} failure(s):", failures.len());
        for f in &failures {
            println!("  - {f}");
        }
        let dir = env.dir.path().to_path_buf();
        // Keep the directory for inspection.
        std::mem::forget(env);
        bail!("soak failed; its files are kept in {}", dir.display());
    }
    crate::soak_batch::run(a.rate, a.seed)?;
    println!("soak: all checks passed");
    Ok(())
}

/// What the recovery phase found.
#[derive(Default)]
struct Recovery {
    server_jobs: usize,
    delivered: usize,
    resumed: usize,
    already_done: usize,
    unanswered: usize,
    lost_answers: usize,
}

/// The journal (as `video jobs --json` shows it).
fn journal(env: &Env) -> Result<Vec<Value>> {
    let (code, out, err, _) = run_watched(env, &["--json", "video", "jobs"])?;
    if code != 0 {
        bail!("`video jobs` failed (exit {code}): {err}");
    }
    let v: Value = serde_json::from_str(out.trim()).context("`video jobs --json` is not JSON")?;
    Ok(v.get("jobs")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default())
}

/// Finishes every journaled job with faults off and checks the accounting.
// Over 80 lines on purpose: one crash-loop iteration: kill at a phase, then resume and check, read top to bottom.
fn recover(
    env: &Env,
    key: &str,
    video_targets: &[PathBuf],
    failures: &mut Vec<String>,
) -> Result<Recovery> {
    let expected = generated_bytes(VIDEO_LEN, VIDEO_SEED);
    let mut rec = Recovery::default();
    let delivered_before: BTreeSet<PathBuf> = video_targets
        .iter()
        .filter(|t| t.exists())
        .cloned()
        .collect();
    rec.delivered = delivered_before.len();
    let records = journal(env)?;
    let mut journal_ids = BTreeSet::new();
    for r in &records {
        let id = r.get("id").and_then(Value::as_str).unwrap_or("");
        let rkey = r.get("key").and_then(Value::as_str).unwrap_or("");
        let status = r.get("status").and_then(Value::as_str).unwrap_or("");
        let output = PathBuf::from(r.get("output").and_then(Value::as_str).unwrap_or(""));
        if id.is_empty() {
            let (code, _, err, _) = run_watched(env, &["video", "resume", rkey])?;
            if code != 2 || !err.contains("never got an id") {
                failures.push(format!(
                    "resuming unanswered submit {rkey} should refuse with exit 2, got {code}: {err}"
                ));
            }
            if output.exists() {
                failures.push(format!(
                    "{} exists for an unanswered submit",
                    output.display()
                ));
            }
            rec.unanswered += 1;
            continue;
        }
        journal_ids.insert(id.to_string());
        let done = status == "downloaded" && output.exists();
        let (code, _, err, _) = run_watched(env, &["video", "resume", id, "--timeout", "60s"])?;
        if code != 0 || err.contains("panicked") {
            failures.push(format!(
                "`video resume {id}` (journal status {status}) failed with exit {code}: {err}"
            ));
            continue;
        }
        match std::fs::read(&output) {
            Ok(b) if b == expected => {}
            Ok(b) => failures.push(format!(
                "{} is not byte-exact after resume ({} bytes)",
                output.display(),
                b.len()
            )),
            Err(e) => failures.push(format!("{} after resume: {e}", output.display())),
        }
        if done {
            rec.already_done += 1;
        } else {
            rec.resumed += 1;
        }
    }
    let server_ids: BTreeSet<String> = env.server.video_job_ids().into_iter().collect();
    rec.server_jobs = server_ids.len();
    for id in &journal_ids {
        if !server_ids.contains(id) {
            failures.push(format!("journal job {id} is unknown to the server"));
        }
    }
    rec.lost_answers = server_ids.difference(&journal_ids).count();
    if rec.lost_answers > rec.unanswered {
        failures.push(format!(
            "{} server jobs are not journaled, but only {} submits are journaled as unanswered",
            rec.lost_answers, rec.unanswered
        ));
    }
    // Every video target is now whole or absent (never partial).
    for t in video_targets {
        if let Ok(b) = std::fs::read(t) {
            if b != expected {
                failures.push(format!("{} is not byte-exact", t.display()));
            }
        }
    }
    // The key is in no journal file either.
    let jobs_dir = env.state().join("switchyard/jobs");
    for f in list_files(&jobs_dir) {
        let text = std::fs::read_to_string(jobs_dir.join(&f)).unwrap_or_default();
        if text.contains(key) {
            failures.push(format!("the API key is in the journal file {f}"));
        }
        if f.ends_with(".tmp") {
            failures.push(format!("temporary journal file left: {f}"));
        }
    }
    Ok(rec)
}

/// Runs `cargo xtask crashloop`.
pub fn crashloop(args: &[String]) -> Result<()> {
    let mut iterations = 20usize;
    let mut seed = 1u64;
    let mut it = args.iter();
    while let Some(f) = it.next() {
        match f.as_str() {
            "--iterations" => iterations = value(f, it.next())?,
            "--seed" => seed = value(f, it.next())?,
            other => bail!("crashloop: unknown argument {other:?}; usage: cargo xtask crashloop [--iterations N] [--seed S]"),
        }
    }
    build()?;
    let env = crash::setup().map_err(anyhow::Error::msg)?;
    let summary =
        crash::run(&env, iterations, seed, |l| eprintln!("{l}")).map_err(anyhow::Error::msg)?;
    println!("\ncrash loop summary (seed {seed})\n{}", summary.describe());
    Ok(())
}

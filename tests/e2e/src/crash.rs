/*!
The crash-recovery loop: `switchyard video` killed with SIGKILL at moments
spread over its whole run (starting, submitting, polling, downloading,
renaming), then recovered the way a user would: `video jobs --json` to see
what the journal holds, `video resume JOB` for it.

After every kill and recovery it checks that there is exactly one
byte-exact video for the run, or an honest error (the journal's report
that the submit got no answer, `video resume` exit 2, no file); that no
run ever sent a second paid submit (`POST /videos`, counted on the fake
server, and never by `resume`); and that no temporary or partial file is
left in the working directory.

Shared by `tests/crash_recovery.rs` (a few iterations) and
`cargo xtask crashloop` (twenty or more).
*/

use crate::{list_files, video, Env};
use fake_openrouter::{generated_bytes, FakeServer, Route, ServedFile, Step, VideoJobSpec};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Size of the video each run downloads.
pub const VIDEO_LEN: u64 = 6 * 1024 * 1024;
/// Seed of the generated video bytes.
pub const VIDEO_SEED: u64 = 0x00C0_FFEE;
/// The span over which "anytime" kills are spread (a run without a kill
/// takes about 1 to 1.5 s with the settings below).
pub const SPAN_MS: u64 = 1500;

/// The moment an iteration aims its kill at; the kill comes a random delay
/// after the sign that the run reached it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aim {
    /// 0 to 12 ms after the start.
    Startup,
    /// After the submit reached the server (its answer is held back 200 to
    /// 400 ms), up to just after the answer.
    Submit,
    /// After the first poll.
    Polling,
    /// After the temporary file appeared (the first download stalls).
    Download,
    /// As soon as the result is in place.
    Rename,
    /// A uniformly random moment over [`SPAN_MS`].
    Anytime,
}

impl Aim {
    /// The aim of iteration `i` (in rotation).
    pub fn of(i: usize) -> Aim {
        [
            Aim::Startup,
            Aim::Submit,
            Aim::Polling,
            Aim::Download,
            Aim::Rename,
            Aim::Anytime,
        ][i % 6]
    }
}

/// Where a run was when it was killed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// Before any request reached the server.
    Startup,
    /// The submit reached the server; no poll yet.
    Submit,
    /// Polling; no download yet.
    Polling,
    /// Downloading (a temporary file may exist); no result in place.
    Download,
    /// The result was renamed into place; the journal not yet updated.
    Rename,
    /// Everything done; killed while exiting.
    Exit,
    /// The run ended by itself before the kill.
    Finished,
}

/// What recovery gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// Nothing was journaled and nothing was sent.
    NothingSent,
    /// `video resume` finished the job: one byte-exact video.
    Resumed,
    /// The video was already complete and journaled as downloaded.
    AlreadyDone,
    /// The journal says the submit got no answer; `video resume` refuses
    /// honestly (exit 2) and never submits again.
    SubmitUnanswered,
}

/// One kill and its recovery.
#[derive(Debug, Clone)]
pub struct Iteration {
    /// Milliseconds after the start when the kill was sent.
    pub kill_after_ms: u64,
    /// Where the run was.
    pub phase: Phase,
    /// What recovery gave.
    pub outcome: Outcome,
    /// Paid submits (`POST /videos`) this iteration sent (0 or 1).
    pub submits: usize,
    /// Jobs the server created this iteration (0 or 1).
    pub jobs_created: usize,
}

/// The whole loop.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Every iteration, in order.
    pub iterations: Vec<Iteration>,
}

impl Summary {
    /// Iterations per phase.
    pub fn phases(&self) -> BTreeMap<Phase, usize> {
        let mut m = BTreeMap::new();
        for i in &self.iterations {
            *m.entry(i.phase).or_insert(0) += 1;
        }
        m
    }

    /// Iterations per outcome.
    pub fn outcomes(&self) -> BTreeMap<Outcome, usize> {
        let mut m = BTreeMap::new();
        for i in &self.iterations {
            *m.entry(i.outcome).or_insert(0) += 1;
        }
        m
    }

    /// Total paid submits.
    pub fn submits(&self) -> usize {
        self.iterations.iter().map(|i| i.submits).sum()
    }

    /// One line per figure, for printing.
    pub fn describe(&self) -> String {
        let resumed = self
            .iterations
            .iter()
            .filter(|i| i.outcome == Outcome::Resumed)
            .count();
        format!(
            "iterations: {}\nkilled in phase: {:?}\noutcomes: {:?}\npaid submits: {} (one per run at most, none by resume)\njobs resumed: {resumed}",
            self.iterations.len(),
            self.phases(),
            self.outcomes(),
            self.submits()
        )
    }
}

/// splitmix64: a tiny deterministic PRNG (no dependency).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }
}

fn posts(server: &FakeServer) -> usize {
    video::submits(server)
}

fn paths_to(server: &FakeServer, prefix: &str, suffix: &str) -> usize {
    server
        .requests()
        .iter()
        .filter(|r| {
            let p = r.path_only();
            r.method == "GET"
                && p.starts_with(prefix)
                && p.ends_with(suffix)
                && p != prefix
                && p != "/api/v1/videos/models"
        })
        .count()
}

/// The journal records (as `video jobs --json` shows them) whose output is `target`.
fn records_for(env: &Env, target: &Path) -> Result<Vec<Value>, String> {
    let out = env.run(&["--json", "video", "jobs"]);
    if out.code != 0 {
        return Err(format!("`video jobs` failed: {}", out.all()));
    }
    let v: Value = serde_json::from_str(out.stdout.trim())
        .map_err(|e| format!("`video jobs --json` is not JSON ({e}): {}", out.stdout))?;
    let target = target.display().to_string();
    Ok(v.get("jobs")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter(|r| r.get("output").and_then(Value::as_str) == Some(target.as_str()))
                .cloned()
                .collect()
        })
        .unwrap_or_default())
}

fn leftovers(dir: &Path) -> Vec<String> {
    video::temp_files(dir)
}

/// A fake server and environment set up for the loop.
pub fn setup() -> Result<Env, String> {
    let server = FakeServer::start().map_err(|e| format!("cannot start the fake server: {e}"))?;
    server.set_video_job(VideoJobSpec {
        pending_polls: 3,
        in_progress_polls: 3,
        video: ServedFile::generated_mp4(VIDEO_LEN, VIDEO_SEED),
        ..VideoJobSpec::default()
    });
    let env = Env::with_server(server);
    env.write_config("[agents.defaults.videoGenerationModel]\npollIntervalMs = 40\n");
    Ok(env)
}

/// Runs `iterations` kills and recoveries in `env` (from [`setup`]); each
/// iteration aims at a phase in rotation ([`Aim::of`]), so every phase is
/// visited.
/// `log` receives one line per iteration.
pub fn run(
    env: &Env,
    iterations: usize,
    seed: u64,
    mut log: impl FnMut(&str),
) -> Result<Summary, String> {
    let mut rng = Rng::new(seed);
    let expected = generated_bytes(VIDEO_LEN, VIDEO_SEED);
    let mut summary = Summary::default();
    let mut delivered: Vec<String> = Vec::new();
    for i in 0..iterations {
        let it = one(env, i, &mut rng, &expected)?;
        if matches!(it.outcome, Outcome::Resumed | Outcome::AlreadyDone) {
            delivered.push(format!("v-{i}.mp4"));
        }
        log(&format!(
            "crash {i:>3}: aimed at {:?}, killed after {:>4} ms in {:?} -> {:?} (submits {}, jobs created {})",
            Aim::of(i), it.kill_after_ms, it.phase, it.outcome, it.submits, it.jobs_created
        ));
        summary.iterations.push(it);
        // The work dir holds exactly the delivered videos, each byte-exact.
        let mut files = list_files(&env.work());
        files.sort();
        let mut want = delivered.clone();
        want.sort();
        if files != want {
            return Err(format!(
                "after iteration {i} the work dir holds {files:?}, expected {want:?}"
            ));
        }
    }
    for name in &delivered {
        let got = std::fs::read(env.work().join(name)).map_err(|e| format!("{name}: {e}"))?;
        if got != expected {
            return Err(format!("{name} is not byte-exact ({} bytes)", got.len()));
        }
    }
    Ok(summary)
}

fn one(env: &Env, i: usize, rng: &mut Rng, expected: &[u8]) -> Result<Iteration, String> {
    let server = &env.server;
    let name = format!("v-{i}.mp4");
    let target = env.work().join(&name);
    let aim = Aim::of(i);
    // Stretch the phases: the submit answer is held back, and a download
    // aimed at stalls halfway once (then is retried), so a partial
    // temporary file exists for a while.
    let submit_delay = 200 + rng.below(200);
    server.script(
        Route::VideoSubmit,
        [Step::Delay(Duration::from_millis(submit_delay))],
    );
    if aim == Aim::Download {
        server.script(
            Route::VideoContent,
            [Step::Stall(Duration::from_millis(400))],
        );
    }
    let posts_before = posts(server);
    let jobs_before = server.video_job_ids().len();
    let polls_before = paths_to(server, "/api/v1/videos/", "");
    let contents_before = paths_to(server, "/api/v1/videos/", "/content");

    let mut cmd = env.cmd(&["video", "--out", &name, "--timeout", "60s", "crash loop"]);
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    let mut child = cmd.spawn().map_err(|e| format!("spawn: {e}"))?;
    let start = Instant::now();
    let mut kill_at: Option<Duration> = match aim {
        Aim::Startup => Some(Duration::from_millis(rng.below(12))),
        Aim::Anytime => Some(Duration::from_millis(rng.below(SPAN_MS))),
        _ => None,
    };
    let mut finished = None;
    loop {
        if let Some(s) = child.try_wait().map_err(|e| e.to_string())? {
            finished = Some(s);
            break;
        }
        let now = start.elapsed();
        if kill_at.is_none() {
            let extra = match aim {
                Aim::Submit if posts(server) > posts_before => Some(rng.below(submit_delay + 30)),
                Aim::Polling if paths_to(server, "/api/v1/videos/", "") > polls_before => {
                    Some(rng.below(500))
                }
                Aim::Download if !leftovers(&env.work()).is_empty() => Some(rng.below(350)),
                Aim::Rename if target.exists() => Some(0),
                _ => None,
            };
            kill_at = extra.map(|ms| now + Duration::from_millis(ms));
        }
        if kill_at.is_some_and(|k| now >= k) || now > Duration::from_secs(60) {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let kill_after_ms = start.elapsed().as_millis() as u64;
    let phase = match finished {
        Some(s) => {
            if s.code() != Some(0) {
                return Err(format!("iteration {i}: the run ended by itself with {s}"));
            }
            Phase::Finished
        }
        None => {
            child.kill().map_err(|e| format!("kill: {e}"))?;
            child.wait().map_err(|e| format!("wait: {e}"))?;
            // Let the server finish recording what was in flight.
            std::thread::sleep(Duration::from_millis(30));
            let contents = paths_to(server, "/api/v1/videos/", "/content") - contents_before;
            let all_gets = paths_to(server, "/api/v1/videos/", "") - polls_before;
            let polls = all_gets - contents;
            if target.exists() {
                let done = records_for(env, &target)?
                    .iter()
                    .any(|r| r.get("status").and_then(Value::as_str) == Some("downloaded"));
                if done {
                    Phase::Exit
                } else {
                    Phase::Rename
                }
            } else if contents > 0 {
                Phase::Download
            } else if polls > 0 {
                Phase::Polling
            } else if posts(server) > posts_before {
                Phase::Submit
            } else {
                Phase::Startup
            }
        }
    };
    if phase == Phase::Submit {
        // The server still answers a submit whose client is gone (and so
        // creates the job): wait for it before counting.
        std::thread::sleep(Duration::from_millis(submit_delay + 50));
    }
    let killed_posts = posts(server) - posts_before;
    if killed_posts > 1 {
        return Err(format!("iteration {i}: {killed_posts} submits for one run"));
    }

    let records = records_for(env, &target)?;
    if records.len() > 1 {
        return Err(format!(
            "iteration {i}: {} journal records for one run: {records:?}",
            records.len()
        ));
    }
    let outcome = match records.first() {
        None => {
            if killed_posts != 0 {
                return Err(format!(
                    "iteration {i}: a submit was sent but nothing is journaled"
                ));
            }
            if target.exists() {
                return Err(format!("iteration {i}: a video with no journal record"));
            }
            Outcome::NothingSent
        }
        Some(r) => {
            let id = r.get("id").and_then(Value::as_str).unwrap_or("");
            let key = r.get("key").and_then(Value::as_str).unwrap_or("");
            let status = r.get("status").and_then(Value::as_str).unwrap_or("");
            if id.is_empty() {
                let out = env.run(&["video", "resume", key]);
                if out.code != 2 || !out.stderr.contains("never got an id") {
                    return Err(format!(
                        "iteration {i}: resuming the unanswered submit {key} should refuse with exit 2: {}",
                        out.all()
                    ));
                }
                if target.exists() {
                    return Err(format!("iteration {i}: a video for an unanswered submit"));
                }
                Outcome::SubmitUnanswered
            } else {
                let was_done = status == "downloaded" && target.exists();
                let out = env.run(&["video", "resume", id, "--timeout", "60s"]);
                if out.code != 0 {
                    return Err(format!(
                        "iteration {i}: `video resume {id}` failed (exit {}): {}",
                        out.code,
                        out.all()
                    ));
                }
                if out.stderr.contains("panicked") {
                    return Err(format!("iteration {i}: a panic: {}", out.stderr));
                }
                let got = std::fs::read(&target)
                    .map_err(|e| format!("iteration {i}: {}: {e}", target.display()))?;
                if got != expected {
                    return Err(format!(
                        "iteration {i}: the resumed video is not byte-exact ({} of {} bytes)",
                        got.len(),
                        expected.len()
                    ));
                }
                if was_done {
                    Outcome::AlreadyDone
                } else {
                    Outcome::Resumed
                }
            }
        }
    };
    let total_posts = posts(server) - posts_before;
    if total_posts != killed_posts {
        return Err(format!(
            "iteration {i}: recovery sent {} more paid submit(s)",
            total_posts - killed_posts
        ));
    }
    let left = leftovers(&env.work());
    if !left.is_empty() {
        return Err(format!(
            "iteration {i}: temporary files left after recovery: {left:?}"
        ));
    }
    Ok(Iteration {
        kill_after_ms,
        phase,
        outcome,
        submits: total_posts,
        jobs_created: server.video_job_ids().len() - jobs_before,
    })
}

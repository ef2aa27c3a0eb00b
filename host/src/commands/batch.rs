/*!
`switchyard batch FILE.jsonl`: runs a batch ([`crate::batch`]) line by line
as child `switchyard` commands, at most `--concurrency` at once.

Why child processes: each line is exactly the command a user would type
(same checks, same journal, same exit codes), and one line's crash,
timeout or Ctrl-C handling never touches another's. The parent only
orchestrates:

1. every line of the file (of this shard) is validated first by running
   its command with `--dry-run --json` (nothing is sent; the answer holds
   the cost estimate): any invalid line fails the batch with exit 2,
   naming the line, before anything is paid;
2. lines already `ok` in the results file are skipped; a video line whose
   job is journaled (tagged with the batch and line id) is resumed with
   `video resume`, never submitted again;
3. with `--max-cost`, a line starts only if the costs reported so far, the
   estimates of the lines running and its own estimate stay within the
   budget; otherwise it is `skipped` (a line with no estimate too);
4. each finished line appends its result, synced, before the next report.
*/

use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use switchyard_core::batch::{self, Line, Outcome, Shard};
use switchyard_core::error::HostError;

/// The environment variable that tags a child's journaled video job with
/// the batch and line it belongs to, so a rerun resumes it.
pub const TAG_VAR: &str = "SWITCHYARD_BATCH_TAG";

/// Settings of one run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The `switchyard` binary to run lines with.
    pub exe: PathBuf,
    /// Global options passed on to every line (`--config`, `--plugin-dir`).
    pub globals: Vec<String>,
    /// The results file.
    pub results: PathBuf,
    /// At most this many lines at once.
    pub concurrency: usize,
    /// The budget in USD, if any.
    pub max_cost: Option<f64>,
    /// A tag prefix unique to this batch file and shard.
    pub tag: String,
}

/// What a child command answered.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    /// Its exit code (`None`: killed by a signal).
    pub code: Option<i32>,
    /// Its `--json` answer (the last JSON object on stdout).
    pub json: Value,
}

fn run_child(plan: &Plan, argv: &[String], tag: Option<&str>) -> Answer {
    let mut cmd = std::process::Command::new(&plan.exe);
    cmd.args(&plan.globals).arg("--json").arg("-q").args(argv);
    cmd.stdin(std::process::Stdio::null());
    cmd.stderr(std::process::Stdio::piped());
    match tag {
        Some(t) => cmd.env(TAG_VAR, t),
        None => cmd.env_remove(TAG_VAR),
    };
    stop_with_parent(&mut cmd);
    match cmd.output() {
        Ok(out) => {
            let json = String::from_utf8_lossy(&out.stdout)
                .lines()
                .rev()
                .find_map(|l| serde_json::from_str(l).ok())
                .unwrap_or_else(|| {
                    // No JSON answer (a usage error): the first error line.
                    let err = String::from_utf8_lossy(&out.stderr);
                    let line = err
                        .lines()
                        .find(|l| l.starts_with("error:"))
                        .map(|l| l.trim_start_matches("error:").trim().to_string());
                    line.map_or(
                        Value::Null,
                        |m| serde_json::json!({"error": {"message": m}}),
                    )
                });
            Answer {
                code: out.status.code(),
                json,
            }
        }
        Err(e) => Answer {
            code: None,
            json: serde_json::json!({"error": {"message": format!("cannot run {}: {e}", plan.exe.display())}}),
        },
    }
}

/// A child gets SIGINT (its Ctrl-C: a paid video is journaled and can be
/// resumed) when the batch process dies, even by SIGKILL, instead of
/// running on unrecorded.
#[cfg(target_os = "linux")]
fn stop_with_parent(cmd: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs in the forked child before exec and only
    // calls prctl, which is async-signal-safe and touches no memory of ours.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGINT);
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn stop_with_parent(_cmd: &mut std::process::Command) {}

/// The dry-run argument list of a line: `--dry-run` right after the command.
fn dry_argv(line: &Line) -> Vec<String> {
    let mut v = vec![line.command.clone(), "--dry-run".to_string()];
    v.extend(line.args.iter().cloned());
    v
}

fn error_text(json: &Value) -> Option<String> {
    json.pointer("/error/message")
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// A line's dry run: its estimate (None: none can be made), or the problem.
type Checked = Result<Option<f64>, String>;

/// Validates every line by a dry run; returns each line's estimate (None:
/// no estimate can be made), or the problems, each naming its line.
pub fn validate(plan: &Plan, lines: &[Line]) -> Result<Vec<Option<f64>>, Vec<String>> {
    let results: Mutex<Vec<(usize, Checked)>> = Mutex::new(Vec::new());
    let next = Mutex::new(0usize);
    std::thread::scope(|s| {
        for _ in 0..plan.concurrency.max(1) {
            s.spawn(|| loop {
                let i = {
                    let mut n = next.lock().unwrap_or_else(|e| e.into_inner());
                    let i = *n;
                    *n += 1;
                    i
                };
                let Some(line) = lines.get(i) else { return };
                let a = run_child(plan, &dry_argv(line), None);
                let r = match a.code {
                    Some(0) => Ok(a.json.pointer("/estimate/usd").and_then(Value::as_f64)),
                    code => Err(format!(
                        "line {}: ({}) {}",
                        line.index + 1,
                        line.id,
                        error_text(&a.json).unwrap_or_else(|| format!(
                            "the command ended with exit code {}",
                            code.map_or("none (killed)".to_string(), |c| c.to_string())
                        ))
                    )),
                };
                results
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((i, r));
            });
        }
    });
    let mut all = results.into_inner().unwrap_or_else(|e| e.into_inner());
    all.sort_by_key(|(i, _)| *i);
    let problems: Vec<String> = all.iter().filter_map(|(_, r)| r.clone().err()).collect();
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(all.into_iter().filter_map(|(_, r)| r.ok()).collect())
}

/// The outcome of a finished child.
pub fn outcome_of(line: &Line, a: &Answer) -> Outcome {
    let outputs: Vec<String> = match a.json.get("outputs").and_then(Value::as_array) {
        Some(list) => list
            .iter()
            .filter_map(|o| o.get("path").or(Some(o)).and_then(Value::as_str))
            .map(str::to_string)
            .collect(),
        None => a
            .json
            .get("path")
            .and_then(Value::as_str)
            .map(|p| vec![p.to_string()])
            .unwrap_or_default(),
    };
    let ok = a.code == Some(0);
    Outcome {
        id: line.id.clone(),
        status: if ok { "ok" } else { "failed" }.into(),
        exit_code: a.code,
        outputs,
        cost: a
            .json
            .get("cost")
            .and_then(Value::as_f64)
            .or_else(|| a.json.pointer("/usage/cost").and_then(Value::as_f64)),
        job_id: a
            .json
            .get("job_id")
            .or_else(|| a.json.pointer("/error/job_id"))
            .and_then(Value::as_str)
            .map(str::to_string),
        error: if ok {
            None
        } else {
            Some(error_text(&a.json).unwrap_or_else(|| format!("exit code {:?}", a.code)))
        },
    }
}

/// The budget: reported costs and the estimates of the lines running.
#[derive(Debug, Default)]
pub struct Budget {
    /// Costs reported by finished lines (this run and earlier ones).
    pub spent: f64,
    /// Estimates of the lines running now.
    pub reserved: f64,
}

/// Progress counters for the terminal.
#[derive(Debug, Default, Clone)]
pub struct Counts {
    /// Lines done (ok), this run.
    pub done: usize,
    /// Lines running.
    pub running: usize,
    /// Lines failed, this run.
    pub failed: usize,
    /// Lines skipped over budget, this run.
    pub skipped: usize,
}

/// Shared state of a run.
pub struct Run<'a> {
    /// The plan.
    pub plan: &'a Plan,
    /// The budget.
    pub budget: Mutex<Budget>,
    /// Counters.
    pub counts: Mutex<Counts>,
    /// Called after each change of the counters (for progress).
    pub report: &'a (dyn Fn(&Counts, f64) + Sync),
}

impl Run<'_> {
    /// Whether a line estimated at `estimate` may start; reserves it if so.
    fn admit(&self, estimate: Option<f64>) -> Result<f64, String> {
        let Some(max) = self.plan.max_cost else {
            return Ok(estimate.unwrap_or(0.0));
        };
        let Some(est) = estimate else {
            return Err("no cost estimate can be made for this line (the model states no price), so it cannot run under --max-cost".into());
        };
        let mut b = self.budget.lock().unwrap_or_else(|e| e.into_inner());
        if b.spent + b.reserved + est > max {
            return Err(format!(
                "over budget: ${:.4} spent and ${:.4} running, this line is estimated at ${est:.4}, the budget is ${max:.4}",
                b.spent, b.reserved
            ));
        }
        b.reserved += est;
        Ok(est)
    }

    /// Records a finished line: its result, the budget, the counters.
    fn finish(&self, reserved: f64, o: &Outcome) -> std::io::Result<()> {
        batch::append_outcome(&self.plan.results, o)?;
        let spent = {
            let mut b = self.budget.lock().unwrap_or_else(|e| e.into_inner());
            b.reserved -= reserved;
            b.spent += o.cost.unwrap_or(0.0);
            b.spent
        };
        let mut c = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        match o.status.as_str() {
            "ok" => c.done += 1,
            "skipped" => c.skipped += 1,
            _ => c.failed += 1,
        }
        (self.report)(&c, spent);
        Ok(())
    }
}

/// The argument list that finishes `line`: `video resume JOB` when its job
/// is journaled under `tag`, else the line's own command.
pub fn argv_for(line: &Line, tag: &str, journaled: &HashMap<String, String>) -> Vec<String> {
    match journaled.get(tag) {
        Some(job) if line.command == "video" => {
            let mut v = vec!["video".into(), "resume".into(), job.clone()];
            if let Some(out) = &line.out {
                v.push("--out".into());
                v.push(out.clone());
            }
            v
        }
        _ => line.argv(),
    }
}

/// Runs `todo` (lines with their estimates); each outcome is appended to the
/// results file as it finishes. `journaled` maps batch tags to job ids.
pub fn run_lines(
    run: &Run<'_>,
    todo: &[(Line, Option<f64>)],
    journaled: &HashMap<String, String>,
) -> std::io::Result<()> {
    let next = Mutex::new(0usize);
    let first_error: Mutex<Option<std::io::Error>> = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..run.plan.concurrency.max(1) {
            s.spawn(|| loop {
                let i = {
                    let mut n = next.lock().unwrap_or_else(|e| e.into_inner());
                    let i = *n;
                    *n += 1;
                    i
                };
                let Some((line, estimate)) = todo.get(i) else {
                    return;
                };
                if let Err(e) = run_one(run, line, *estimate, journaled) {
                    first_error
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .get_or_insert(e);
                    return;
                }
            });
        }
    });
    match first_error.into_inner().unwrap_or_else(|e| e.into_inner()) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

fn run_one(
    run: &Run<'_>,
    line: &Line,
    estimate: Option<f64>,
    journaled: &HashMap<String, String>,
) -> std::io::Result<()> {
    let reserved = match run.admit(estimate) {
        Ok(r) => r,
        Err(why) => {
            let o = Outcome {
                id: line.id.clone(),
                status: "skipped".into(),
                exit_code: None,
                outputs: Vec::new(),
                cost: None,
                job_id: None,
                error: Some(why),
            };
            return run.finish(0.0, &o);
        }
    };
    {
        let mut c = run.counts.lock().unwrap_or_else(|e| e.into_inner());
        c.running += 1;
    }
    let tag = format!("{}#{}", run.plan.tag, line.id);
    let a = run_child(run.plan, &argv_for(line, &tag, journaled), Some(&tag));
    {
        let mut c = run.counts.lock().unwrap_or_else(|e| e.into_inner());
        c.running -= 1;
    }
    run.finish(reserved, &outcome_of(line, &a))
}

/// A tag unique to a batch file (by its canonical path) and shard.
pub fn tag_of(file: &Path, shard: Option<Shard>) -> String {
    let p = file
        .canonicalize()
        .unwrap_or_else(|_| file.to_path_buf())
        .display()
        .to_string();
    match shard {
        Some(s) => format!("{p}@{}/{}", s.index, s.count),
        None => p,
    }
}

/// The job journal's tagged jobs of this batch: tag -> job id (or the
/// journal key of a submit that got no answer, which `video resume` refuses
/// honestly: it is never submitted again).
fn journaled(ctx: &super::Ctx, tag: &str) -> HashMap<String, String> {
    ctx.session
        .journal()
        .list()
        .into_iter()
        .filter_map(|r| {
            let t = r.tag.clone()?;
            t.starts_with(tag).then(|| {
                let job = if r.id.is_empty() {
                    r.key.clone()
                } else {
                    r.id.clone()
                };
                (t, job)
            })
        })
        .collect()
}

/// Reads the batch file: its valid lines and the problems of the others,
/// each naming its line.
fn read_lines(file: &Path) -> Result<(Vec<Line>, Vec<String>), HostError> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        HostError::InvalidInput(format!("batch {}: cannot read it: {e}", file.display()))
    })?;
    let (lines, errors) = batch::parse_all(&text);
    Ok((lines, errors.iter().map(ToString::to_string).collect()))
}

/// The whole file refused (exit 2), naming every bad line.
fn refuse(file: &Path, mut problems: Vec<String>) -> HostError {
    problems.sort_by_key(|p| {
        p.strip_prefix("line ")
            .and_then(|r| r.split([':', ' ']).next())
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(usize::MAX)
    });
    HostError::InvalidInput(format!(
        "batch {}: {} invalid line(s), nothing was run:\n  {}",
        file.display(),
        problems.len(),
        problems.join("\n  ")
    ))
}

/// Global options the children get: the config and plugin directories given.
fn globals(ctx: &super::Ctx, config: Option<&Path>) -> Vec<String> {
    let mut g = Vec::new();
    if let Some(c) = config {
        g.push("--config".to_string());
        g.push(c.display().to_string());
    }
    for d in &ctx.cli_plugin_dirs {
        g.push("--plugin-dir".to_string());
        g.push(d.display().to_string());
    }
    g
}

/// Runs `batch`.
pub fn run(ctx: &super::Ctx, args: crate::cli::BatchArgs) -> Result<(), HostError> {
    let shard: Option<Shard> = match &args.shard {
        Some(s) => Some(s.parse().map_err(HostError::InvalidInput)?),
        None => None,
    };
    if args.concurrency == 0 {
        return Err(HostError::InvalidInput(
            "--concurrency 0: give 1 or more lines at once".into(),
        ));
    }
    if let Some(max) = args.max_cost.filter(|m| !(m.is_finite() && *m >= 0.0)) {
        return Err(HostError::InvalidInput(format!(
            "--max-cost {max}: give a budget in USD, 0 or more"
        )));
    }
    let (all, parse_problems) = read_lines(&args.file)?;
    let lines: Vec<Line> = all
        .into_iter()
        .filter(|l| shard.is_none_or(|s| s.takes(l.index)))
        .map(|l| with_params(l, &args.params))
        .collect();
    let results = args
        .results
        .clone()
        .unwrap_or_else(|| batch::default_results(&args.file, shard));
    let done = batch::load_outcomes(&results);
    let exe = std::env::current_exe().map_err(|source| HostError::Io {
        what: "cannot find the running executable",
        path: PathBuf::from("switchyard"),
        source,
    })?;
    let plan = Plan {
        exe,
        globals: globals(
            ctx,
            ctx.config.path.as_deref().filter(|_| ctx.config.exists),
        ),
        results: results.clone(),
        concurrency: args.concurrency,
        max_cost: args.max_cost,
        tag: tag_of(&args.file, shard),
    };
    let journaled = journaled(ctx, &plan.tag);
    let todo: Vec<&Line> = lines
        .iter()
        .filter(|l| done.get(&l.id).is_none_or(|o| o.status != "ok"))
        .collect();
    let resumed = |l: &Line| journaled.contains_key(&format!("{}#{}", plan.tag, l.id));
    let fresh: Vec<Line> = todo
        .iter()
        .filter(|l| !resumed(l))
        .map(|l| (*l).clone())
        .collect();
    let estimates = match (validate(&plan, &fresh), parse_problems.is_empty()) {
        (Ok(e), true) => e,
        (Ok(_), false) => return Err(refuse(&args.file, parse_problems)),
        (Err(more), _) => {
            return Err(refuse(&args.file, [parse_problems, more].concat()));
        }
    };
    if args.dry_run {
        let resumes = todo.len() - fresh.len();
        let counts = (lines.len() - todo.len(), resumes);
        return report_dry_run(ctx, &fresh, &estimates, counts, args.max_cost);
    }
    let mut est: HashMap<String, Option<f64>> =
        fresh.iter().map(|l| l.id.clone()).zip(estimates).collect();
    let work: Vec<(Line, Option<f64>)> = todo
        .iter()
        .map(|l| ((*l).clone(), est.remove(&l.id).unwrap_or(Some(0.0))))
        .collect();
    execute(ctx, &plan, &work, &journaled, &done, lines.len())
}

/// `--param KEY=JSON` for every line: before the `--` that ends a
/// line's flags.
fn with_params(mut line: Line, params: &[String]) -> Line {
    let at = line
        .args
        .iter()
        .rposition(|a| a == "--")
        .unwrap_or(line.args.len());
    let flags = params
        .iter()
        .flat_map(|p| ["--param".to_string(), p.clone()]);
    line.args.splice(at..at, flags);
    line
}

/// `batch --dry-run`: every line was checked (nothing sent); each line's
/// estimate and the total.
fn report_dry_run(
    ctx: &super::Ctx,
    fresh: &[Line],
    estimates: &[Option<f64>],
    (already, resumes): (usize, usize),
    max_cost: Option<f64>,
) -> Result<(), HostError> {
    let total: f64 = estimates.iter().flatten().sum();
    let unknown: Vec<&str> = fresh
        .iter()
        .zip(estimates)
        .filter(|(_, e)| e.is_none())
        .map(|(l, _)| l.id.as_str())
        .collect();
    if ctx.json {
        let lines: Vec<Value> = fresh
            .iter()
            .zip(estimates)
            .map(|(l, e)| serde_json::json!({"id": l.id, "command": l.command, "estimate": e}))
            .collect();
        ctx.print_json(&serde_json::json!({
            "dry_run": true, "lines": lines, "estimate": total,
            "unestimated": unknown, "already_done": already, "resumes": resumes,
            "max_cost": max_cost, "over_budget": max_cost.is_some_and(|m| total > m),
        }));
        return Ok(());
    }
    for (l, e) in fresh.iter().zip(estimates) {
        let e = e.map_or("no estimate".to_string(), |u| format!("${u:.4}"));
        ctx.term.out(&format!("{:<24} {:<10} {e}", l.id, l.command));
    }
    let mut summary = format!(
        "dry run: nothing was sent. {} line(s) would run, estimated at ${total:.4} in all",
        fresh.len()
    );
    if !unknown.is_empty() {
        summary.push_str(&format!(
            " but for {} line(s) with no estimate (no price in the catalog: run `switchyard models refresh`; under --max-cost they are skipped)",
            unknown.len()
        ));
    }
    if let Some(m) = max_cost.filter(|m| total > *m) {
        summary.push_str(&format!(
            "; that is over --max-cost ${m:.4}: the lines past it would be skipped"
        ));
    }
    if already + resumes > 0 {
        summary.push_str(&format!(
            "; {already} already done, {resumes} video job(s) would be resumed (already paid)"
        ));
    }
    ctx.term.notice(&summary);
    Ok(())
}

fn execute(
    ctx: &super::Ctx,
    plan: &Plan,
    work: &[(Line, Option<f64>)],
    journaled: &HashMap<String, String>,
    done: &HashMap<String, Outcome>,
    total: usize,
) -> Result<(), HostError> {
    let already = total - work.len();
    let spent_before: f64 = done.values().filter_map(|o| o.cost).sum();
    let term = ctx.term.clone();
    let report = move |c: &Counts, spent: f64| {
        term.progress_line(&format!(
            "batch: {} of {total} done, {} running, {} failed, {} skipped, ${spent:.4} spent",
            already + c.done,
            c.running,
            c.failed,
            c.skipped
        ));
    };
    let run = Run {
        plan,
        budget: Mutex::new(Budget {
            spent: spent_before,
            reserved: 0.0,
        }),
        counts: Mutex::new(Counts::default()),
        report: &report,
    };
    run_lines(&run, work, journaled).map_err(|source| HostError::Io {
        what: "cannot append to the results file",
        path: plan.results.clone(),
        source,
    })?;
    ctx.term.clear_progress();
    let c = run.counts.into_inner().unwrap_or_else(|e| e.into_inner());
    let spent = run
        .budget
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .spent;
    summarize(ctx, plan, total, already, &c, spent)
}

fn summarize(
    ctx: &super::Ctx,
    plan: &Plan,
    total: usize,
    already: usize,
    c: &Counts,
    spent: f64,
) -> Result<(), HostError> {
    let ok = already + c.done;
    if ctx.json {
        ctx.print_json(&serde_json::json!({
            "lines": total, "ok": ok, "failed": c.failed, "skipped": c.skipped,
            "already_done": already, "spent": spent,
            "results": plan.results.display().to_string(),
        }));
    } else {
        ctx.term.notice(&format!(
            "batch: {ok} of {total} ok ({already} from an earlier run), {} failed, {} skipped; ${spent:.4} spent; results in {}",
            c.failed,
            c.skipped,
            plan.results.display()
        ));
    }
    if c.failed + c.skipped > 0 {
        return Err(HostError::BatchIncomplete {
            failed: c.failed,
            skipped: c.skipped,
            results: plan.results.clone(),
        });
    }
    Ok(())
}

/*!
`cargo xtask bench [--quick]`: the performance benchmark.

Builds the release binaries (`switchyard`, the OpenRouter cdylib,
`fake-openrouter`, `switchyard-bench`), then measures against the fake
OpenRouter server on loopback and prints one table, also written to
`target/bench/report.json`. Every figure is set against a floor measured in
the same run, side by side and interleaved (the machine is shared, so only
ratios are comparable between runs):

1. manifest scan of 10..10,000 generated manifests vs reading the same
   files ([`inproc`]);
2. plugin load in a fresh process vs a process that does nothing, and
   `plugins check` vs `--version` ([`startup`]);
3. dispatch: one chat request through the loaded cdylib vs the same code
   linked directly, at concurrency 1, 16 and 64 ([`inproc`]);
4. streaming: a 2,000-chunk answer, plugin vs direct ([`inproc`]);
5. video download: `switchyard video` (durable: fsync before the rename)
   vs `curl -o` of the same URL and vs `curl -o` then an fsync of its
   file, with peak RSS, alone and beside a busy-looping process
   ([`video`]);
6. waiting: CPU used by `switchyard video` while a job sits in
   `in_progress`, and how fast it answers Ctrl-C, alone and beside a
   busy-looping process ([`video`]);
7. cold start: `plugins list` and `--help` vs an empty process ([`startup`]);
8. batch: 1,000 chat lines through `switchyard batch --concurrency 16` vs
   the same lines one `switchyard chat` at a time, the fake answering
   after a random 0..400 ms ([`batch`]).

Ratios: dispatch compares percentiles and throughput pooled over several
processes of alternating rounds; streaming and video compare each run with
the run of the other kind made beside it (median of the paired ratios).

`--only 5,6` runs only the sections named by number (the build still
happens). The machine's load average is printed with the table: on a
shared machine, compare a section's "alone" and "loaded" rows to
tell a loaded machine from our own cost ("loaded": one busy-looping
process beside the measured one).

A section that cannot run (a tool missing, a build problem) is reported as
skipped with the reason; the others still run. Benchmarks never run as part
of `cargo xtask test`.
*/

mod batch;
mod inproc;
mod procs;
mod startup;
mod stats;
mod video;

use anyhow::{bail, Context, Result};
use procs::Sandbox;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The release binaries under test.
pub struct Bins {
    /// The host binary.
    pub switchyard: PathBuf,
    /// The in-process measurement binary.
    pub bench: PathBuf,
    /// The fake OpenRouter server.
    pub fake: PathBuf,
}

/// What every section needs.
pub struct Ctx {
    /// `--quick`: fewer repetitions, smaller video, shorter wait.
    pub quick: bool,
    /// The binaries.
    pub bins: Bins,
    /// The scratch directory and process runner.
    pub sb: Sandbox,
    /// A plugin directory holding only the OpenRouter manifest.
    pub openrouter_dir: PathBuf,
}

impl Ctx {
    /// Runs `switchyard-bench ARGS` and parses its JSON answer.
    pub fn bench_json(&self, args: &[&str]) -> Result<Value> {
        let mut c = self.sb.command(&self.bins.bench, None);
        c.args(args);
        let m = self.sb.run_ok(&c, false)?;
        serde_json::from_str(m.stdout.trim())
            .with_context(|| format!("switchyard-bench {}: unreadable answer", args.join(" ")))
    }
}

/// One line of the table.
#[derive(Debug, Clone)]
pub struct Row {
    /// What is measured.
    pub metric: String,
    /// The measured figure.
    pub value: String,
    /// The floor it is set against.
    pub floor: String,
    /// value / floor (or the figure the target applies to).
    pub ratio: Option<f64>,
    /// The target, if any.
    pub target: String,
    /// Whether the target is met.
    pub pass: Option<bool>,
}

impl Row {
    /// A row without a target.
    pub fn new(metric: impl Into<String>, value: impl Into<String>) -> Row {
        Row {
            metric: metric.into(),
            value: value.into(),
            floor: String::new(),
            ratio: None,
            target: String::new(),
            pass: None,
        }
    }

    /// Sets the floor and the ratio.
    pub fn floor(mut self, floor: impl Into<String>, ratio: f64) -> Row {
        self.floor = floor.into();
        self.ratio = Some(ratio);
        self
    }

    /// Sets the target and whether it is met.
    pub fn target(mut self, target: impl Into<String>, pass: bool) -> Row {
        self.target = target.into();
        self.pass = Some(pass);
        self
    }
}

/// One section's rows and raw figures.
pub struct Section {
    /// Its title (set by [`run`] from its plan; sections leave it empty).
    pub name: &'static str,
    /// Table rows.
    pub rows: Vec<Row>,
    /// Raw figures for the report.
    pub raw: Value,
}

type SectionFn = fn(&Ctx) -> Result<Section>;

/// Builds the release binaries and sets up the sandbox.
fn build(quick: bool) -> Result<Ctx> {
    let c = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    crate::sh(
        &c,
        &[
            "build",
            "--release",
            "-p",
            "switchyard",
            "-p",
            "switchyard-openrouter",
            "-p",
            "fake-openrouter",
            "-p",
            "switchyard-bench",
        ],
    )?;
    let rel = crate::target_dir().join("release");
    let bins = Bins {
        switchyard: rel.join("switchyard"),
        bench: rel.join("switchyard-bench"),
        fake: rel.join("fake-openrouter"),
    };
    let sb = Sandbox::new(std::env::temp_dir().join(format!("sy-bench-{}", std::process::id())))?;
    let openrouter_dir = sb.dir.join("plugin-openrouter");
    std::fs::create_dir_all(&openrouter_dir)?;
    std::fs::copy(
        crate::root().join("manifests/openrouter.toml"),
        openrouter_dir.join("openrouter.toml"),
    )
    .context("cannot copy manifests/openrouter.toml")?;
    Ok(Ctx {
        quick,
        bins,
        sb,
        openrouter_dir,
    })
}

/// Runs the benchmark.
pub fn run(args: &[String]) -> Result<()> {
    let (quick, only) = parse_args(args)?;
    let cx = build(quick)?;
    let started = Instant::now();
    let plan: [(&'static str, SectionFn); 8] = [
        ("1. manifest scan", inproc::scan),
        ("2. plugin load", startup::load),
        ("3. dispatch (chat)", inproc::dispatch),
        ("4. streaming (2,000 chunks)", inproc::stream),
        ("5. video download", video::download),
        ("6. waiting (job in_progress)", video::waiting),
        ("7. cold start", startup::cold_start),
        ("8. batch (chat lines)", batch::batch),
    ];
    let mut sections = Vec::new();
    let load_before = procs::loadavg();
    for (i, (name, f)) in plan.into_iter().enumerate() {
        if only.as_ref().is_some_and(|o| !o.contains(&(i + 1))) {
            continue;
        }
        eprintln!("bench: {name} ...");
        let t = Instant::now();
        let s = match f(&cx) {
            Ok(mut s) => {
                s.name = name;
                s
            }
            Err(e) => Section {
                name,
                rows: vec![Row::new("skipped", format!("{e:#}"))],
                raw: json!({"skipped": format!("{e:#}")}),
            },
        };
        eprintln!("bench: {name} done in {:.1} s", t.elapsed().as_secs_f64());
        sections.push(s);
    }
    let command = if quick {
        "cargo xtask bench --quick"
    } else {
        "cargo xtask bench"
    };
    let load = format!(
        "{load_before} at the start, {} at the end",
        procs::loadavg()
    );
    print_table(&sections, command, &cx, &load);
    let secs = started.elapsed().as_secs_f64();
    let report = report_json(&sections, command, &cx, secs, &load);
    let out = crate::target_dir().join("bench");
    std::fs::create_dir_all(&out)?;
    let path = out.join("report.json");
    std::fs::write(&path, serde_json::to_string_pretty(&report)? + "\n")
        .with_context(|| format!("cannot write {}", path.display()))?;
    println!("report: {}", path.display());
    let _ = std::fs::remove_dir_all(&cx.sb.dir);
    Ok(())
}

/// `--quick` and `--only N,N`.
fn parse_args(args: &[String]) -> Result<(bool, Option<Vec<usize>>)> {
    const USAGE: &str = "usage: cargo xtask bench [--quick] [--only 5,6]";
    let (mut quick, mut only) = (false, None);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => quick = true,
            "--only" => {
                let list = it.next().context(USAGE)?;
                let n: Result<Vec<usize>, _> = list.split(',').map(|n| n.trim().parse()).collect();
                only = Some(n.with_context(|| format!("--only {list:?} ({USAGE})"))?);
            }
            other => bail!("unknown bench argument {other:?} ({USAGE})"),
        }
    }
    Ok((quick, only))
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn print_table(sections: &[Section], command: &str, cx: &Ctx, load: &str) {
    println!(
        "\n{command}  ({} cores, load average {load}, peak RSS via {})",
        cores(),
        cx.sb.rss_method()
    );
    let w = [46, 30, 22, 8, 18, 5];
    let line = |c: [&str; 6]| {
        println!(
            "{:<a$} {:>b$} {:>c$} {:>d$}  {:<e$} {}",
            c[0],
            c[1],
            c[2],
            c[3],
            c[4],
            c[5],
            a = w[0],
            b = w[1],
            c = w[2],
            d = w[3],
            e = w[4]
        )
    };
    line(["metric", "value", "floor", "ratio", "target", "ok"]);
    for s in sections {
        println!("-- {}", s.name);
        for r in &s.rows {
            let ratio = r.ratio.map(|x| format!("{x:.3}")).unwrap_or_default();
            let ok = match r.pass {
                Some(true) => "yes",
                Some(false) => "NO",
                None => "",
            };
            line([&r.metric, &r.value, &r.floor, &ratio, &r.target, ok]);
        }
    }
    let missed: Vec<&Row> = sections
        .iter()
        .flat_map(|s| &s.rows)
        .filter(|r| r.pass == Some(false))
        .collect();
    let met = sections
        .iter()
        .flat_map(|s| &s.rows)
        .filter(|r| r.pass == Some(true))
        .count();
    println!("\ntargets met: {met}, missed: {}", missed.len());
}

fn report_json(sections: &[Section], command: &str, cx: &Ctx, secs: f64, load: &str) -> Value {
    json!({
        "command": command,
        "quick": cx.quick,
        "cores": cores(),
        "load_average": load,
        "peak_rss_method": cx.sb.rss_method(),
        "duration_s": secs,
        "sections": sections.iter().map(|s| json!({
            "name": s.name,
            "rows": s.rows.iter().map(|r| json!({
                "metric": r.metric,
                "value": r.value,
                "floor": r.floor,
                "ratio": r.ratio,
                "target": r.target,
                "pass": r.pass,
            })).collect::<Vec<_>>(),
            "raw": s.raw,
        })).collect::<Vec<_>>(),
    })
}

/// Writes `text` to `path`, creating its directory.
pub fn write(path: &Path, text: &str) -> Result<()> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d)?;
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/*!
`cargo xtask fuzz [--minutes N] [--target T]...`: coverage-guided fuzzing
of every parser the project owns (the targets in `fuzz/fuzz_targets/`),
each for N minutes (default 10; fractions allowed), one after another.

Works on the stable toolchain alone: installs `cargo-fuzz` from crates.io
when it is missing, and builds with `RUSTC_BOOTSTRAP=1` so stable rustc
accepts the `-Z` sanitizer flags cargo-fuzz passes. The fuzz crate is its
own workspace with its own target directory (`fuzz/target`), so it never
touches the shared one. Each target's corpus grows in `fuzz/corpus/T`
(gitignored), seeded from `fuzz/seeds/T`; a crash leaves its input in
`fuzz/artifacts/T/` and fails the run, naming it. Prints, per target, the
executions, executions per second and corpus growth libFuzzer reports.
*/

use crate::{cargo, root};
use anyhow::{bail, Context, Result};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// One target's result.
struct Report {
    target: String,
    runs: u64,
    execs_per_sec: u64,
    new_units: u64,
    peak_rss_mb: u64,
    crash: Option<String>,
}

struct Args {
    minutes: f64,
    targets: Vec<String>,
}

fn parse_args(args: &[String]) -> Result<Args> {
    let mut out = Args {
        minutes: 10.0,
        targets: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--minutes" => {
                let v = it.next().context("--minutes needs a value")?;
                out.minutes = v
                    .parse()
                    .ok()
                    .filter(|m: &f64| m.is_finite() && *m > 0.0)
                    .with_context(|| format!("--minutes {v:?}: expected a positive number"))?;
            }
            "--target" => out
                .targets
                .push(it.next().context("--target needs a value")?.clone()),
            other => bail!("fuzz: unknown argument {other:?}; usage: cargo xtask fuzz [--minutes N] [--target T]..."),
        }
    }
    Ok(out)
}

/// The fuzz crate's directory.
fn fuzz_dir() -> PathBuf {
    root().join("fuzz")
}

/// The targets, from `fuzz/fuzz_targets/*.rs`, sorted.
pub fn all_targets() -> Result<Vec<String>> {
    let dir = fuzz_dir().join("fuzz_targets");
    let mut v: Vec<String> = std::fs::read_dir(&dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .flatten()
        .filter_map(|e| {
            let p = e.path();
            if p.extension()? != "rs" {
                return None;
            }
            Some(p.file_stem()?.to_string_lossy().into_owned())
        })
        .collect();
    v.sort();
    Ok(v)
}

/// A `cargo fuzz ...` command with the environment that makes it work on
/// stable: `RUSTC_BOOTSTRAP=1`, and the fuzz crate's own target directory.
fn cargo_fuzz(args: &[&str]) -> Command {
    let mut c = Command::new(cargo());
    c.arg("fuzz")
        .args(args)
        .current_dir(root())
        .env("RUSTC_BOOTSTRAP", "1")
        .env("CARGO_TARGET_DIR", fuzz_dir().join("target"));
    c
}

/// Installs cargo-fuzz from crates.io unless `cargo fuzz` already runs.
pub fn ensure_cargo_fuzz() -> Result<()> {
    let present = Command::new(cargo())
        .args(["fuzz", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if present {
        return Ok(());
    }
    eprintln!("xtask fuzz: cargo-fuzz is not installed; installing it from crates.io");
    crate::sh(&cargo(), &["install", "cargo-fuzz", "--locked"])
}

fn stat(line: &str, name: &str) -> Option<u64> {
    line.trim()
        .strip_prefix(&format!("stat::{name}:"))?
        .trim()
        .parse()
        .ok()
}

/// Runs one target for `seconds`, streaming libFuzzer's pulse lines.
fn run_target(target: &str, seconds: u64) -> Result<Report> {
    let corpus = fuzz_dir().join("corpus").join(target);
    let seeds = fuzz_dir().join("seeds").join(target);
    std::fs::create_dir_all(&corpus)?;
    let log_dir = fuzz_dir().join("target").join("logs");
    std::fs::create_dir_all(&log_dir)?;
    let log_path = log_dir.join(format!("{target}.log"));
    let mut log = std::fs::File::create(&log_path)
        .with_context(|| format!("cannot create {}", log_path.display()))?;
    let corpus_s = corpus.display().to_string();
    let seeds_s = seeds.display().to_string();
    let max_time = format!("-max_total_time={seconds}");
    let mut args = vec!["run", "--fuzz-dir", "fuzz", target, &corpus_s];
    if seeds.is_dir() {
        args.push(&seeds_s);
    }
    args.extend([
        "--",
        &max_time,
        "-print_final_stats=1",
        "-timeout=10",
        "-rss_limit_mb=2048",
        "-max_len=8192",
    ]);
    let mut child = cargo_fuzz(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run cargo fuzz")?;
    let mut report = Report {
        target: target.to_string(),
        runs: 0,
        execs_per_sec: 0,
        new_units: 0,
        peak_rss_mb: 0,
        crash: None,
    };
    if let Some(err) = child.stderr.take() {
        for line in BufReader::new(err).lines() {
            let line = line.unwrap_or_default();
            let _ = writeln!(log, "{line}");
            if line.contains("pulse") || line.contains("DONE") {
                eprintln!("  [{target}] {line}");
            }
            if let Some(v) = stat(&line, "number_of_executed_units") {
                report.runs = v;
            }
            if let Some(v) = stat(&line, "average_exec_per_sec") {
                report.execs_per_sec = v;
            }
            if let Some(v) = stat(&line, "new_units_added") {
                report.new_units = v;
            }
            if let Some(v) = stat(&line, "peak_rss_mb") {
                report.peak_rss_mb = v;
            }
            if let Some(i) = line.find("Test unit written to ") {
                report.crash = Some(line[i + "Test unit written to ".len()..].trim().to_string());
            }
        }
    }
    let status = child.wait()?;
    if !status.success() && report.crash.is_none() {
        report.crash = Some(format!(
            "cargo fuzz exited with {status}; see {}",
            log_path.display()
        ));
    }
    Ok(report)
}

/// Runs `cargo xtask fuzz`.
pub fn run(args: &[String]) -> Result<()> {
    let args = parse_args(args)?;
    ensure_cargo_fuzz()?;
    let known = all_targets()?;
    let targets = if args.targets.is_empty() {
        known.clone()
    } else {
        for t in &args.targets {
            if !known.contains(t) {
                bail!("fuzz: no target {t:?}; targets: {}", known.join(", "));
            }
        }
        args.targets.clone()
    };
    eprintln!("$ RUSTC_BOOTSTRAP=1 cargo fuzz build --fuzz-dir fuzz");
    let built = cargo_fuzz(&["build", "--fuzz-dir", "fuzz"])
        .status()
        .context("cannot run cargo fuzz build")?;
    if !built.success() {
        bail!("the fuzz targets did not build ({built})");
    }
    let seconds = ((args.minutes * 60.0).round() as u64).max(1);
    let mut reports = Vec::new();
    for t in &targets {
        eprintln!("xtask fuzz: {t} for {seconds} s");
        reports.push(run_target(t, seconds)?);
    }
    print_summary(&reports, seconds);
    let crashed: Vec<&Report> = reports.iter().filter(|r| r.crash.is_some()).collect();
    if !crashed.is_empty() {
        for r in &crashed {
            eprintln!(
                "xtask fuzz: {} failed: {}\n  reproduce: RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir fuzz {} <that file>",
                r.target,
                r.crash.as_deref().unwrap_or(""),
                r.target
            );
        }
        bail!("{} fuzz target(s) found a failure", crashed.len());
    }
    Ok(())
}

fn print_summary(reports: &[Report], seconds: u64) {
    println!("\nfuzzing: {seconds} s per target");
    println!(
        "{:<14} {:>12} {:>10} {:>10} {:>8}  result",
        "target", "runs", "exec/s", "new units", "rss MB"
    );
    for r in reports {
        println!(
            "{:<14} {:>12} {:>10} {:>10} {:>8}  {}",
            r.target,
            r.runs,
            r.execs_per_sec,
            r.new_units,
            r.peak_rss_mb,
            if r.crash.is_some() { "FAILED" } else { "ok" }
        );
    }
    let total: u64 = reports.iter().map(|r| r.runs).sum();
    println!("total runs: {total}");
}

/*!
`switchyard-bench`: the in-process half of `cargo xtask bench`, built in
release. Each subcommand prints one JSON object of raw samples on stdout;
`xtask` computes the statistics, ratios and the table.

```text
switchyard-bench noop
switchyard-bench load --dir MANIFESTS
switchyard-bench scan --dir DIR --reps N
switchyard-bench dispatch --dir MANIFESTS --conc C --per-round N --rounds R
switchyard-bench stream --dir MANIFESTS --chunks N --reps R
```

`dispatch` and `stream` start the fake OpenRouter server in this process
and send the same requests through the loaded cdylib and through the
plugin's code linked here as an rlib ([`paths`]), interleaved.
*/

mod paths;

use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::Instant;
use switchyard_core::registry::LookupTable;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(v) => println!("{v}"),
        Err(e) => {
            eprintln!("switchyard-bench: {e}");
            std::process::exit(1);
        }
    }
}

/// `--name VALUE` from `args`.
fn opt<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.windows(2)
        .find(|w| w[0] == name)
        .map(|w| w[1].as_str())
}

fn num(args: &[String], name: &str, default: usize) -> Result<usize, String> {
    match opt(args, name) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| format!("{name}: not a number: {v:?}")),
    }
}

fn dir(args: &[String]) -> Result<PathBuf, String> {
    opt(args, "--dir")
        .map(PathBuf::from)
        .ok_or_else(|| "--dir DIR is required".to_string())
}

fn run(args: &[String]) -> Result<Value, String> {
    let Some(cmd) = args.first() else {
        return Err("usage: switchyard-bench noop|load|scan|dispatch|stream ...".into());
    };
    let rest = &args[1..];
    match cmd.as_str() {
        "noop" => Ok(json!({})),
        "load" => load(&dir(rest)?),
        "scan" => scan(&dir(rest)?, num(rest, "--reps", 5)?),
        "dispatch" => paths::dispatch(
            &dir(rest)?,
            num(rest, "--conc", 1)?,
            num(rest, "--per-round", 100)?,
            num(rest, "--rounds", 40)?,
        ),
        "stream" => paths::stream(
            &dir(rest)?,
            num(rest, "--chunks", 2000)?,
            num(rest, "--reps", 10)?,
        ),
        other => Err(format!("unknown subcommand {other:?}")),
    }
}

/// One plugin load in this fresh process: scan the manifest, then time
/// `loader::load` (open, ABI layout and version check, self-description).
fn load(dir: &std::path::Path) -> Result<Value, String> {
    let table = LookupTable::scan(&[dir.to_path_buf()]);
    let m = table
        .by_id("openrouter")
        .ok_or_else(|| format!("no openrouter manifest in {}", dir.display()))?
        .clone();
    let t = Instant::now();
    let p = switchyard_core::loader::load(&m).map_err(|e| e.to_string())?;
    let us = t.elapsed().as_secs_f64() * 1e6;
    Ok(json!({"load_us": us, "library": p.library.display().to_string()}))
}

/// The floor of a scan: list the directory, sort, read every `.toml` file.
fn read_all(dir: &std::path::Path) -> Result<usize, String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut bytes = 0;
    for f in &files {
        bytes += std::fs::read_to_string(f).map_err(|e| e.to_string())?.len();
    }
    Ok(std::hint::black_box(bytes))
}

/// Scan vs read-only floor, interleaved (ABBA), `reps` times each.
fn scan(dir: &std::path::Path, reps: usize) -> Result<Value, String> {
    let dirs = [dir.to_path_buf()];
    // Warm the page cache and the allocator once.
    read_all(dir)?;
    let warm = LookupTable::scan(&dirs);
    let (plugins, diagnostics) = (warm.plugins().len(), warm.diagnostics.len());
    drop(warm);
    let mut floor = Vec::new();
    let mut scanned = Vec::new();
    for r in 0..reps.max(1) {
        for step in 0..2 {
            if (r + step) % 2 == 0 {
                let t = Instant::now();
                read_all(dir)?;
                floor.push(t.elapsed().as_secs_f64() * 1e6);
            } else {
                let t = Instant::now();
                let table = LookupTable::scan(&dirs);
                let us = t.elapsed().as_secs_f64() * 1e6;
                std::hint::black_box(table.plugins().len());
                drop(table);
                scanned.push(us);
            }
        }
    }
    Ok(json!({
        "floor_us": floor,
        "scan_us": scanned,
        "plugins": plugins,
        "diagnostics": diagnostics,
    }))
}

/*!
Process-level start-up figures: loading the plugin in a fresh process, and
the cold start of `switchyard plugins list` and `switchyard --help`.

Each process kind is run in turn (rotating order, so drift from other load
on the machine falls on all of them), and figures are medians.
*/

use super::stats::{bytes, median, secs};
use super::{Ctx, Row, Section};
use anyhow::{bail, Result};
use serde_json::{json, Value};
use std::process::Command;

/// Runs every command `n` times, rotating the order; wall seconds per command.
fn interleaved(cx: &Ctx, cmds: &[Command], n: usize) -> Result<Vec<Vec<(f64, String)>>> {
    let mut out = vec![Vec::new(); cmds.len()];
    for r in 0..n {
        for k in 0..cmds.len() {
            let i = (r + k) % cmds.len();
            let m = cx.sb.run_ok(&cmds[i], false)?;
            out[i].push((m.wall_s, m.stdout));
        }
    }
    Ok(out)
}

fn walls(v: &[(f64, String)]) -> Vec<f64> {
    v.iter().map(|x| x.0).collect()
}

/// Section 2: plugin load (open, ABI check, self-description check).
pub fn load(cx: &Ctx) -> Result<Section> {
    let n = if cx.quick { 12 } else { 40 };
    let dir = cx.openrouter_dir.to_string_lossy().into_owned();
    let mut noop = cx.sb.command(&cx.bins.bench, None);
    noop.arg("noop");
    let mut load = cx.sb.command(&cx.bins.bench, None);
    load.args(["load", "--dir", &dir]);
    let mut version = cx.sb.command(&cx.bins.switchyard, None);
    version.arg("--version");
    let mut check = cx.sb.command(&cx.bins.switchyard, None);
    check.args(["plugins", "check", "openrouter"]);
    let runs = interleaved(cx, &[noop, load, version, check], n)?;
    let mut load_us = Vec::new();
    for (_, out) in &runs[1] {
        let v: Value = serde_json::from_str(out.trim())?;
        match v.get("load_us").and_then(Value::as_f64) {
            Some(us) => load_us.push(us),
            None => bail!("switchyard-bench load: no load_us in {out}"),
        }
    }
    let t_load = median(&load_us) / 1e6;
    let (w_noop, w_load) = (median(&walls(&runs[0])), median(&walls(&runs[1])));
    let (w_ver, w_check) = (median(&walls(&runs[2])), median(&walls(&runs[3])));
    let rows = vec![
        Row::new(
            "load in a fresh process (timer around loader::load)",
            secs(t_load),
        )
        .target("< 5 ms", t_load < 0.005),
        Row::new(
            "process: load once + exit vs empty process",
            format!("{} (+{})", secs(w_load), secs(w_load - w_noop)),
        )
        .floor(secs(w_noop), w_load / w_noop)
        .target("difference < 5 ms", w_load - w_noop < 0.005),
        Row::new(
            "`plugins check openrouter` vs `--version`",
            format!("{} (+{})", secs(w_check), secs(w_check - w_ver)),
        )
        .floor(secs(w_ver), w_check / w_ver),
    ];
    Ok(Section {
        name: "",
        rows,
        raw: json!({
            "runs": n,
            "load_in_process_s": t_load,
            "load_in_process_samples_us": load_us,
            "process_load_s": w_load,
            "process_noop_s": w_noop,
            "plugins_check_s": w_check,
            "version_s": w_ver,
        }),
    })
}

/// Section 7: cold start of `plugins list` and `--help`, wall time and
/// peak RSS, against a release binary that exits at once.
pub fn cold_start(cx: &Ctx) -> Result<Section> {
    let n = if cx.quick { 12 } else { 40 };
    let mut noop = cx.sb.command(&cx.bins.bench, None);
    noop.arg("noop");
    let mut help = cx.sb.command(&cx.bins.switchyard, None);
    help.arg("--help");
    let mut list = cx.sb.command(&cx.bins.switchyard, None);
    list.args(["plugins", "list"]);
    let cmds = [noop, help, list];
    let runs = interleaved(cx, &cmds, n)?;
    let mut rss = vec![Vec::new(); cmds.len()];
    for _ in 0..3 {
        for (i, c) in cmds.iter().enumerate() {
            if let Some(kb) = cx.sb.run_ok(c, true)?.peak_rss_kb {
                rss[i].push(kb as f64 * 1024.0);
            }
        }
    }
    let w: Vec<f64> = runs.iter().map(|r| median(&walls(r))).collect();
    let m: Vec<f64> = rss.iter().map(|r| median(r)).collect();
    let mut rows = Vec::new();
    for (i, name) in [(1, "switchyard --help"), (2, "switchyard plugins list")] {
        rows.push(Row::new(format!("{name}: wall"), secs(w[i])).floor(secs(w[0]), w[i] / w[0]));
        let mut r = Row::new(format!("{name}: peak RSS"), bytes(m[i]));
        if (m[i] / m[0]).is_finite() {
            r = r.floor(bytes(m[0]), m[i] / m[0]);
        } else {
            r.floor = "n/a: exits before a /proc poll".into();
        }
        rows.push(r);
    }
    Ok(Section {
        name: "",
        rows,
        raw: json!({
            "runs": n,
            "floor": "switchyard-bench noop (release binary that exits at once)",
            "wall_s": {"noop": w[0], "help": w[1], "plugins_list": w[2]},
            "peak_rss_bytes": {"noop": m[0], "help": m[1], "plugins_list": m[2]},
            "rss_samples": rss,
        }),
    })
}

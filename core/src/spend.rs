/*!
The spend journal: one JSON line per paid call whose provider reported a
cost, appended to `spend.jsonl` in the state directory (beside the video
job journal), and the sums `switchyard spend` prints from it. Nothing here
reaches the network.

Each record is written with one `write` on a file opened for appending, so
concurrent commands (a batch, shards on one machine) never interleave
lines; a torn last line (a crash mid-write) is skipped when reading.
*/

use crate::paths::Dirs;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

/// One paid call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Unix seconds when the cost was reported.
    pub time: u64,
    /// The command (`chat`, `image`, `video`, `speak`, `transcribe`, `embed`).
    pub command: String,
    /// The model ref that answered.
    pub model: String,
    /// The cost in USD, as the provider reported it.
    pub cost: f64,
    /// The asynchronous job, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
}

/// The journal file.
pub fn path(dirs: &Dirs) -> PathBuf {
    dirs.state.join("spend.jsonl")
}

/// Appends `record` to the journal.
pub fn record(dirs: &Dirs, record: &Record) -> std::io::Result<()> {
    let p = path(dirs);
    if let Some(d) = p.parent() {
        std::fs::create_dir_all(d)?;
    }
    let mut line = serde_json::to_vec(record).map_err(std::io::Error::other)?;
    line.push(b'\n');
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&p)?;
    f.write_all(&line)
}

/// Records a reported cost; a failure to write is returned as a notice text
/// (the call was paid either way, the answer must still be shown).
pub fn note(
    dirs: &Dirs,
    command: &str,
    model: &str,
    cost: Option<f64>,
    job_id: Option<&str>,
) -> Option<String> {
    let cost = cost.filter(|c| c.is_finite() && *c >= 0.0)?;
    let r = Record {
        time: crate::journal::now(),
        command: command.to_string(),
        model: model.to_string(),
        cost,
        job_id: job_id.map(str::to_string),
    };
    record(dirs, &r).err().map(|e| {
        format!(
            "warning: could not record the cost in {}: {e}",
            path(dirs).display()
        )
    })
}

/// Every readable record (torn or foreign lines are skipped).
pub fn read_all(dirs: &Dirs) -> Vec<Record> {
    std::fs::read_to_string(path(dirs))
        .map(|t| {
            t.lines()
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect()
        })
        .unwrap_or_default()
}

/// How `spend` groups the records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    /// One total.
    Total,
    /// A line per model ref.
    Model,
    /// A line per UTC day.
    Day,
}

/// The UTC date (`YYYY-MM-DD`) of unix seconds `t`.
pub fn utc_day(t: u64) -> String {
    // Civil-from-days (Howard Hinnant's algorithm), days since 1970-01-01.
    let z = (t / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The sums of `records` since unix second `since`, grouped `by`: each
/// group's total cost and count, in key order.
pub fn sum(records: &[Record], since: u64, by: By) -> BTreeMap<String, (f64, usize)> {
    let mut out: BTreeMap<String, (f64, usize)> = BTreeMap::new();
    for r in records.iter().filter(|r| r.time >= since) {
        let key = match by {
            By::Total => "total".to_string(),
            By::Model => r.model.clone(),
            By::Day => utc_day(r.time),
        };
        let e = out.entry(key).or_insert((0.0, 0));
        e.0 += r.cost;
        e.1 += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(time: u64, model: &str, cost: f64) -> Record {
        Record {
            time,
            command: "chat".into(),
            model: model.into(),
            cost,
            job_id: None,
        }
    }

    #[test]
    fn days_are_utc_dates() {
        assert_eq!(utc_day(0), "1970-01-01");
        assert_eq!(utc_day(951_782_400), "2000-02-29");
        assert_eq!(utc_day(1_795_996_800), "2026-11-30");
    }

    #[test]
    fn sums_group_by_model_and_day_and_honour_since() {
        let rs = vec![
            rec(100, "a", 0.5),
            rec(86_500, "b", 0.25),
            rec(86_600, "a", 1.0),
        ];
        let by_model = sum(&rs, 0, By::Model);
        assert_eq!(by_model["a"], (1.5, 2));
        assert_eq!(by_model["b"], (0.25, 1));
        let by_day = sum(&rs, 0, By::Day);
        assert_eq!(by_day["1970-01-01"], (0.5, 1));
        assert_eq!(by_day["1970-01-02"], (1.25, 2));
        assert_eq!(sum(&rs, 86_550, By::Total)["total"], (1.0, 1));
    }
}

/*!
Batches: a JSON Lines file of commands, validated whole before anything is
sent, run with bounded concurrency, with one result line per input line.

A line is `{"id": "...", "command": "video", "prompt": "...", ...}`; its
other keys are the command's long flags (`"aspect-ratio": "16:9"`, `"seed":
7`, `"audio": true`, a list for a repeatable flag). `transcribe` names its
`file`. Each line becomes the argument list of one `switchyard` command
([`Line::argv`]), so a batch line means exactly what the same command typed
by hand means.

This module is the pure part: parsing and validating lines, choosing a
shard's lines, and the results file. Running them is the binary's
(`switchyard batch`).
*/

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The commands a batch line may run.
pub const COMMANDS: [&str; 6] = ["chat", "image", "video", "speak", "transcribe", "embed"];

/// Keys that are not flags.
const RESERVED: [&str; 4] = ["id", "command", "prompt", "file"];

/// One validated input line.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// 0-based position in the file (sharding uses it).
    pub index: usize,
    /// The line's id (given, or `line-N`, 1-based).
    pub id: String,
    /// The command.
    pub command: String,
    /// The arguments after the command name.
    pub args: Vec<String>,
    /// `--out`, when the line names one.
    pub out: Option<String>,
}

impl Line {
    /// The full argument list of this line's command.
    pub fn argv(&self) -> Vec<String> {
        let mut v = vec![self.command.clone()];
        v.extend(self.args.iter().cloned());
        v
    }
}

/// Why a line is not valid: its 1-based number and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct LineError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong and what is allowed.
    pub message: String,
}

fn flag_args(key: &str, v: &Value) -> Result<Vec<String>, String> {
    let flag = format!("--{key}");
    match v {
        Value::Bool(true) => Ok(vec![flag]),
        Value::Bool(false) => Ok(Vec::new()),
        Value::String(s) => Ok(vec![flag, s.clone()]),
        Value::Number(n) => Ok(vec![flag, n.to_string()]),
        Value::Array(items) => {
            let mut out = Vec::new();
            for item in items {
                out.extend(flag_args(key, item)?);
            }
            Ok(out)
        }
        Value::Object(_) if key == "param" => {
            Err("\"param\" takes a list of \"KEY=JSON\" strings, as --param does".to_string())
        }
        Value::Object(_) | Value::Null => Err(format!(
            "\"{key}\" must be a string, a number, true/false or a list of them"
        )),
    }
}

/// Parses one non-empty line (1-based `n`).
fn parse_line(n: usize, text: &str) -> Result<Line, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not a JSON object ({e})"))?;
    let Value::Object(obj) = v else {
        return Err("not a JSON object".into());
    };
    let command = obj
        .get("command")
        .and_then(Value::as_str)
        .ok_or("no \"command\" (one of chat, image, video, speak, transcribe, embed)")?
        .to_string();
    if !COMMANDS.contains(&command.as_str()) {
        return Err(format!(
            "\"command\": {command:?} is not one of {}",
            COMMANDS.join(", ")
        ));
    }
    let id = match obj.get("id") {
        None => format!("line-{n}"),
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(Value::Number(x)) => x.to_string(),
        Some(_) => return Err("\"id\" must be a non-empty string".into()),
    };
    let mut args = flags(&obj)?;
    args.push("--".into());
    args.push(subject(&obj, &command)?);
    Ok(Line {
        index: n - 1,
        id,
        command,
        args,
        out: obj.get("out").and_then(Value::as_str).map(str::to_string),
    })
}

/// The flags of a line, in key order.
fn flags(obj: &Map<String, Value>) -> Result<Vec<String>, String> {
    let mut args = Vec::new();
    for (k, v) in obj {
        if RESERVED.contains(&k.as_str()) {
            continue;
        }
        if k.is_empty() || k.starts_with('-') || k.contains(char::is_whitespace) {
            return Err(format!(
                "{k:?} is not a flag name: write the long flag without dashes, such as \"aspect-ratio\""
            ));
        }
        args.extend(flag_args(k, v)?);
    }
    Ok(args)
}

/// The positional argument: the prompt (or text), or `file` for `transcribe`.
fn subject(obj: &Map<String, Value>, command: &str) -> Result<String, String> {
    let (key, what) = if command == "transcribe" {
        ("file", "the audio file to transcribe")
    } else {
        ("prompt", "the text of the command")
    };
    match obj.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
        Some(Value::String(_)) => Err(format!("\"{key}\" is empty: give {what}")),
        _ => Err(format!("no \"{key}\" ({what})")),
    }
}

/// Parses a whole batch file: the valid lines and every problem (blank
/// lines are skipped; duplicate ids are refused, results are keyed by id).
pub fn parse_all(text: &str) -> (Vec<Line>, Vec<LineError>) {
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        if raw.trim().is_empty() {
            continue;
        }
        match parse_line(n, raw) {
            Ok(l) if !seen.insert(l.id.clone()) => errors.push(LineError {
                line: n,
                message: format!(
                    "id {:?} is used by an earlier line; ids must be unique",
                    l.id
                ),
            }),
            Ok(l) => lines.push(l),
            Err(message) => errors.push(LineError { line: n, message }),
        }
    }
    (lines, errors)
}

/// Parses a whole batch file: every line, or every problem.
pub fn parse(text: &str) -> Result<Vec<Line>, Vec<LineError>> {
    match parse_all(text) {
        (lines, errors) if errors.is_empty() => Ok(lines),
        (_, errors) => Err(errors),
    }
}

/// A shard: `I/N`, 0-based `I` below `N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This shard's index.
    pub index: usize,
    /// How many shards share the file.
    pub count: usize,
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || {
            format!(
                "--shard {s:?}: give I/N with 0 <= I < N, such as 0/4 (shards are numbered from 0)"
            )
        };
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count): (usize, usize) = (
            i.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl Shard {
    /// Whether this shard runs the line at 0-based `index`.
    pub fn takes(&self, index: usize) -> bool {
        index % self.count == self.index
    }
}

/// A line's outcome, as one line of the results file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// The input line's id.
    pub id: String,
    /// `ok`, `failed` or `skipped` (over budget).
    pub status: String,
    /// The command's exit code (absent when it did not run).
    #[serde(default)]
    pub exit_code: Option<i32>,
    /// Files written.
    #[serde(default)]
    pub outputs: Vec<String>,
    /// The cost the provider reported.
    #[serde(default)]
    pub cost: Option<f64>,
    /// The asynchronous job, when there was one.
    #[serde(default)]
    pub job_id: Option<String>,
    /// Why it failed or was skipped.
    #[serde(default)]
    pub error: Option<String>,
}

/// The default results file of `batch`: `FILE.results.jsonl`, or per shard
/// `FILE.results.I-of-N.jsonl` (each shard keeps its own state).
pub fn default_results(batch: &Path, shard: Option<Shard>) -> PathBuf {
    let name = batch
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "batch".into());
    let stem = name.strip_suffix(".jsonl").unwrap_or(&name);
    let file = match shard {
        Some(s) => format!("{stem}.results.{}-of-{}.jsonl", s.index, s.count),
        None => format!("{stem}.results.jsonl"),
    };
    batch.with_file_name(file)
}

/// The outcomes already in a results file, by id (a later line wins; a torn
/// last line from a crash is skipped).
pub fn load_outcomes(path: &Path) -> HashMap<String, Outcome> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return HashMap::new();
    };
    text.lines()
        .filter_map(|l| serde_json::from_str::<Outcome>(l).ok())
        .map(|o| (o.id.clone(), o))
        .collect()
}

/// Appends `o` to the results file with one write, synced before returning:
/// a line that is reported done is on disk.
pub fn append_outcome(path: &Path, o: &Outcome) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(o).map_err(std::io::Error::other)?;
    line.push(b'\n');
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    f.write_all(&line)?;
    f.sync_data()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_becomes_its_command_line() {
        let lines = parse(concat!(
            r#"{"id":"a","command":"video","prompt":"a fox","aspect-ratio":"16:9","duration":8,"audio":true,"reference":["x.png","y.png"]}"#,
            "\n\n",
            r#"{"command":"transcribe","file":"talk.wav","language":"en"}"#,
        ))
        .unwrap();
        assert_eq!(
            lines[0].argv(),
            [
                "video",
                "--aspect-ratio",
                "16:9",
                "--audio",
                "--duration",
                "8",
                "--reference",
                "x.png",
                "--reference",
                "y.png",
                "--",
                "a fox"
            ]
        );
        assert_eq!(lines[1].id, "line-3");
        assert_eq!(lines[1].index, 2);
        assert_eq!(
            lines[1].argv(),
            ["transcribe", "--language", "en", "--", "talk.wav"]
        );
    }

    #[test]
    fn every_bad_line_is_named_by_its_number() {
        let errs = parse(concat!(
            r#"{"command":"chat","prompt":"ok"}"#,
            "\n",
            r#"{"command":"dance","prompt":"x"}"#,
            "\nnot json\n",
            r#"{"command":"image","prompt":"  "}"#,
            "\n",
            r#"{"id":"line-1","command":"chat","prompt":"dup"}"#,
        ))
        .unwrap_err();
        let named: Vec<usize> = errs.iter().map(|e| e.line).collect();
        assert_eq!(named, [2, 3, 4, 5]);
        assert!(
            errs[0].to_string().starts_with("line 2: \"command\""),
            "{}",
            errs[0]
        );
        assert!(errs[2].message.contains("empty"), "{}", errs[2]);
        assert!(errs[3].message.contains("unique"), "{}", errs[3]);
    }

    #[test]
    fn shards_split_lines_by_index_without_overlap() {
        let s: Shard = "1/3".parse().unwrap();
        assert!(s.takes(1) && s.takes(4) && !s.takes(0) && !s.takes(2));
        for bad in ["3/3", "1", "a/b", "0/0", "-1/2"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        let p = default_results(Path::new("/x/jobs.jsonl"), Some(s));
        assert_eq!(p, Path::new("/x/jobs.results.1-of-3.jsonl"));
        assert_eq!(
            default_results(Path::new("jobs.jsonl"), None),
            Path::new("jobs.results.jsonl")
        );
    }
}

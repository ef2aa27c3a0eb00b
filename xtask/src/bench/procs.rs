/*!
Measured child processes: wall time, peak RSS and CPU time, with nothing
but std and `/proc`.

Peak RSS comes from `/usr/bin/time -v` when it is installed (exact: the
kernel's `ru_maxrss` from `wait4`); without it, `/proc/<pid>/status`
`VmHWM` is polled every 2 ms until the process exits (exact for anything
that lives longer than a few polls; a process that exits before the first
poll has no figure). CPU time is the sum of every thread's run time in
`/proc/<pid>/task/<tid>/schedstat` (nanoseconds), or `utime + stime` from
`/proc/<pid>/stat` (clock ticks, 10 ms) where schedstat is missing.

[`Busy`] is the competitor of the "loaded" variants: one busy-looping
child process for the duration of a measurement.

Every `switchyard` run goes through a [`Sandbox`]: its own config file,
state, cache and config directories, and none of the caller's provider
keys or plugin/library path overrides.
*/

use anyhow::{bail, Context, Result};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// One finished, measured run.
#[derive(Debug, Clone)]
pub struct Measured {
    /// Wall time from spawn to exit.
    pub wall_s: f64,
    /// Peak resident set size, when it could be read.
    pub peak_rss_kb: Option<u64>,
    /// Whether the process exited with status 0.
    pub ok: bool,
    /// Its standard output.
    pub stdout: String,
    /// Its standard error (for messages).
    pub stderr: String,
}

/// Where the child processes of one bench run live.
pub struct Sandbox {
    /// The scratch directory (removed at the end of the run).
    pub dir: PathBuf,
    time_tool: Option<PathBuf>,
}

static SEQ: AtomicU64 = AtomicU64::new(0);

impl Sandbox {
    /// Creates the scratch directory `dir` with its config, state and
    /// cache directories and an empty config file.
    pub fn new(dir: PathBuf) -> Result<Sandbox> {
        let _ = std::fs::remove_dir_all(&dir);
        for d in ["state", "cache", "xdg-config", "out", "logs"] {
            std::fs::create_dir_all(dir.join(d))
                .with_context(|| format!("cannot create {}", dir.join(d).display()))?;
        }
        std::fs::write(dir.join("config.toml"), "")?;
        Ok(Sandbox {
            time_tool: time_tool(),
            dir,
        })
    }

    /// How peak RSS is measured in this run.
    pub fn rss_method(&self) -> &'static str {
        if self.time_tool.is_some() {
            "/usr/bin/time -v (wait4 ru_maxrss)"
        } else {
            "/proc/<pid>/status VmHWM, polled every 2 ms"
        }
    }

    /// A command for `program` with the sandbox's environment and `config`
    /// as its config file (the sandbox's empty one when `None`).
    pub fn command(&self, program: &Path, config: Option<&Path>) -> Command {
        let mut c = Command::new(program);
        c.current_dir(self.dir.join("out"))
            .env(
                "SWITCHYARD_CONFIG",
                config.map_or_else(|| self.dir.join("config.toml"), Path::to_path_buf),
            )
            .env("XDG_STATE_HOME", self.dir.join("state"))
            .env("XDG_CACHE_HOME", self.dir.join("cache"))
            .env("XDG_CONFIG_HOME", self.dir.join("xdg-config"))
            .env_remove("OPENROUTER_API_KEY")
            .env_remove("SWITCHYARD_PLUGIN_PATH")
            .env_remove("SWITCHYARD_LIBRARY_PATH")
            .stdin(Stdio::null());
        c
    }

    /// Runs `cmd` to completion, timing it; with `rss`, also its peak RSS.
    pub fn run(&self, cmd: &Command, rss: bool) -> Result<Measured> {
        let n = SEQ.fetch_add(1, Ordering::Relaxed);
        let logs = self.dir.join("logs");
        let out_path = logs.join(format!("{n}.out"));
        let err_path = logs.join(format!("{n}.err"));
        let time_path = logs.join(format!("{n}.time"));
        let mut c = match (&self.time_tool, rss) {
            (Some(t), true) => {
                let mut w = Command::new(t);
                w.arg("-v").arg("-o").arg(&time_path);
                w.arg(cmd.get_program()).args(cmd.get_args());
                copy_setup(cmd, &mut w);
                w
            }
            _ => {
                let mut w = Command::new(cmd.get_program());
                w.args(cmd.get_args());
                copy_setup(cmd, &mut w);
                w
            }
        };
        c.stdin(Stdio::null())
            .stdout(std::fs::File::create(&out_path)?)
            .stderr(std::fs::File::create(&err_path)?);
        let name = cmd.get_program().to_string_lossy().into_owned();
        let t = Instant::now();
        let mut child = c.spawn().with_context(|| format!("cannot run {name}"))?;
        let poll = rss && self.time_tool.is_none();
        let mut hwm = None;
        // Only figures read once the child runs the program count (right
        // after the fork it is still a copy of this process).
        let program = std::fs::canonicalize(cmd.get_program()).ok();
        let status = if poll {
            loop {
                let exe = std::fs::read_link(format!("/proc/{}/exe", child.id())).ok();
                if let (Some(v), true) = (vm_hwm_kb(child.id()), exe == program) {
                    hwm = Some(hwm.map_or(v, |h: u64| h.max(v)));
                }
                if let Some(s) = child.try_wait()? {
                    break s;
                }
                std::thread::sleep(Duration::from_millis(2));
            }
        } else {
            child.wait()?
        };
        let wall_s = t.elapsed().as_secs_f64();
        let peak_rss_kb = if !rss {
            None
        } else if self.time_tool.is_some() {
            std::fs::read_to_string(&time_path)
                .ok()
                .and_then(|s| parse_time_v(&s))
        } else {
            hwm
        };
        let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
        let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
        for p in [&out_path, &err_path, &time_path] {
            let _ = std::fs::remove_file(p);
        }
        Ok(Measured {
            wall_s,
            peak_rss_kb,
            ok: status.success(),
            stdout,
            stderr,
        })
    }

    /// Runs `cmd`, failing unless it succeeds; for sanity runs.
    pub fn run_ok(&self, cmd: &Command, rss: bool) -> Result<Measured> {
        let m = self.run(cmd, rss)?;
        if !m.ok {
            bail!(
                "`{} {}` failed: {}",
                cmd.get_program().to_string_lossy(),
                cmd.get_args()
                    .map(|a| a.to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join(" "),
                last_lines(&m.stderr, 3)
            );
        }
        Ok(m)
    }
}

fn copy_setup(from: &Command, to: &mut Command) {
    for (k, v) in from.get_envs() {
        match v {
            Some(v) => to.env(k, v),
            None => to.env_remove(k),
        };
    }
    if let Some(d) = from.get_current_dir() {
        to.current_dir(d);
    }
}

/// The last `n` non-empty lines of `s`, joined.
pub fn last_lines(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join(" | ")
}

/// GNU time, when installed and it understands `-v`.
fn time_tool() -> Option<PathBuf> {
    let p = PathBuf::from("/usr/bin/time");
    let ok = Command::new(&p)
        .args(["-v", "-o", "/dev/null", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    ok.then_some(p)
}

/// `Maximum resident set size (kbytes): N` from `time -v` output.
fn parse_time_v(s: &str) -> Option<u64> {
    s.lines()
        .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
        .and_then(|v| v.trim().parse().ok())
}

/// `VmHWM` of a live process, in KiB.
pub fn vm_hwm_kb(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// `utime + stime` of a process (every thread), in clock ticks.
pub fn cpu_ticks(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) in parentheses.
    let rest = &s[s.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // rest[0] is field 3 (state); utime and stime are fields 14 and 15.
    let utime: u64 = f.get(11)?.parse().ok()?;
    let stime: u64 = f.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// Run time of every live thread of a process, in nanoseconds, and the
/// number of threads (a thread that exits takes its figure with it).
pub fn cpu_ns(pid: u32) -> Option<(u64, usize)> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let (mut sum, mut n) = (0u64, 0usize);
    for t in tasks.flatten() {
        // A thread that ended since the directory was read is skipped,
        // not taken as "no figure" (the test binary's threads come and go).
        let Ok(s) = std::fs::read_to_string(t.path().join("schedstat")) else {
            continue;
        };
        sum += s.split_whitespace().next()?.parse::<u64>().ok()?;
        n += 1;
    }
    (n > 0).then_some((sum, n))
}

/// CPU time of a process in seconds: [`cpu_ns`], else [`cpu_ticks`].
pub fn cpu_secs(pid: u32) -> Option<f64> {
    match cpu_ns(pid) {
        Some((ns, _)) => Some(ns as f64 / 1e9),
        None => cpu_ticks(pid).map(|t| t as f64 / clock_ticks() as f64),
    }
}

/// The 1, 5 and 15 minute load averages, as `/proc/loadavg` says them.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "n/a".into())
}

/// One busy-looping child process (`sh -c 'while :; do :; done'`), the
/// competitor for the CPU of the "loaded" variants; killed when dropped.
pub struct Busy(Option<Child>);

impl Busy {
    /// Starts the competitor when `on`, else nothing.
    pub fn start(on: bool) -> Result<Busy> {
        if !on {
            return Ok(Busy(None));
        }
        let child = Command::new("sh")
            .args(["-c", "while :; do :; done"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start the busy-looping competitor (sh)")?;
        Ok(Busy(Some(child)))
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        if let Some(c) = &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Clock ticks per second for `/proc/<pid>/stat` (`getconf CLK_TCK`, else 100).
pub fn clock_ticks() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .filter(|&t| t > 0)
        .unwrap_or(100)
}

/// The fake OpenRouter server as a child process; it stops when dropped
/// (its standard input closes; `--until-stdin-eof`).
pub struct FakeProc {
    child: Child,
    stdin: Option<ChildStdin>,
    /// Its base URL (`http://127.0.0.1:PORT/api/v1`).
    pub base_url: String,
}

impl FakeProc {
    /// Starts `bin` with `args` and reads its `listening URL` line.
    pub fn start(bin: &Path, args: &[String]) -> Result<FakeProc> {
        let mut child = Command::new(bin)
            .args(args)
            .arg("--until-stdin-eof")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot run {}", bin.display()))?;
        let stdin = child.stdin.take();
        let mut line = String::new();
        if let Some(out) = child.stdout.take() {
            BufReader::new(out).read_line(&mut line)?;
        }
        let mut fake = FakeProc {
            child,
            stdin,
            base_url: String::new(),
        };
        match line.trim().strip_prefix("listening ") {
            Some(u) => fake.base_url = u.to_string(),
            None => bail!("the fake server did not start (said {:?})", line.trim()),
        }
        Ok(fake)
    }
}

impl Drop for FakeProc {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_time_v_and_proc_stat() {
        let t = "\tCommand being timed: \"x\"\n\tMaximum resident set size (kbytes): 5120\n";
        assert_eq!(parse_time_v(t), Some(5120));
        assert!(cpu_ticks(std::process::id()).is_some());
        assert!(cpu_secs(std::process::id()).is_some_and(|s| s > 0.0));
        assert!(vm_hwm_kb(std::process::id()).is_some_and(|k| k > 0));
    }
}

/*!
A real OpenAI-compatible server for the end-to-end tests: LiteLLM's proxy,
from PyPI, with mocked models (`mock_response`: no upstream provider, no
network beyond loopback).

`cargo xtask litellm-setup` installs it into [`venv_dir`]
(`target/litellm-venv`), pinned to [`VERSION`]; the tests that need it are
`#[ignore]`d and run by `cargo xtask test` only when [`executable`] exists
(otherwise reported as skipped with [`NOT_INSTALLED`]).

[`LiteLlm::start`] writes a config (the models below and a generated
`general_settings.master_key`), starts the proxy on a free loopback port,
polls `/health/readiness` until it answers 200 (or the deadline passes, or
the proxy exits), and kills it when dropped. The proxy also exits by itself
when the process that started it goes away (it watches its standard input,
whose other end only the test process holds), so a proxy shared through a
`static` does not outlive the test binary.
*/

use crate::{target_dir, TempDir};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The LiteLLM version `cargo xtask litellm-setup` installs (verified with
/// these tests; newer ones on the registry may need packages it lacks).
pub const VERSION: &str = "1.106.12";

/// Why the LiteLLM tests are skipped when [`executable`] is missing.
pub const NOT_INSTALLED: &str = "LiteLLM is not installed: run cargo xtask litellm-setup";

/// The mocked chat model, as the proxy serves it.
pub const CHAT_MODEL: &str = "mock-chat";
/// What [`CHAT_MODEL`] answers, whatever it is asked.
pub const CHAT_ANSWER: &str = "Hello from LiteLLM's mocked model.";
/// The mocked embedding model.
pub const EMBED_MODEL: &str = "mock-embed";
/// The vector [`EMBED_MODEL`] answers (LiteLLM's mock gives this one
/// vector, at index 0, however many inputs a request has).
pub const EMBED_VECTOR: [f64; 3] = [0.25, -0.5, 0.75];

/// How long the proxy may take to become ready (about 15 s on a busy
/// two-core machine; its imports are slow).
pub const READY_DEADLINE: Duration = Duration::from_secs(180);

/// The virtual environment LiteLLM is installed in.
pub fn venv_dir() -> PathBuf {
    let t = target_dir();
    t.canonicalize().unwrap_or(t).join("litellm-venv")
}

/// The venv's `litellm` executable (the proxy's command line).
pub fn executable() -> PathBuf {
    venv_dir().join("bin").join("litellm")
}

/// The venv's Python.
pub fn python() -> PathBuf {
    venv_dir().join("bin").join("python")
}

/// Whether LiteLLM is installed (the tests' condition).
pub fn installed() -> bool {
    executable().is_file()
}

/// The LiteLLM version installed in the venv, if one is.
pub fn installed_version() -> Option<String> {
    let out = Command::new(python())
        .args([
            "-c",
            "import importlib.metadata as m; print(m.version('litellm'))",
        ])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let v = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (out.status.success() && !v.is_empty()).then_some(v)
}

/// The proxy's config: the mocked models and the master key.
pub fn config_yaml(master_key: &str) -> String {
    let vector: Vec<String> = EMBED_VECTOR.iter().map(f64::to_string).collect();
    format!(
        "model_list:\n\
         \x20 - model_name: {CHAT_MODEL}\n\
         \x20   litellm_params:\n\
         \x20     model: openai/{CHAT_MODEL}\n\
         \x20     api_key: not-used-by-a-mock\n\
         \x20     mock_response: \"{CHAT_ANSWER}\"\n\
         \x20 - model_name: {EMBED_MODEL}\n\
         \x20   litellm_params:\n\
         \x20     model: openai/text-embedding-3-small\n\
         \x20     api_key: not-used-by-a-mock\n\
         \x20     mock_response: [{}]\n\
         general_settings:\n\
         \x20 master_key: {master_key}\n\
         litellm_settings:\n\
         \x20 telemetry: false\n",
        vector.join(", ")
    )
}

/// Python that runs the `litellm` console script as `__main__` after
/// starting a thread that ends the process when standard input closes
/// (the test process went away).
const WATCHDOG: &str = "import os, runpy, sys, threading\n\
def watch():\n\
\x20   sys.stdin.buffer.read()\n\
\x20   os._exit(0)\n\
threading.Thread(target=watch, daemon=True).start()\n\
sys.argv = sys.argv[1:]\n\
runpy.run_path(sys.argv[0], run_name='__main__')\n";

/// A running LiteLLM proxy, killed on drop.
pub struct LiteLlm {
    child: Child,
    port: u16,
    master_key: String,
    dir: TempDir,
}

impl LiteLlm {
    /// Starts the proxy and waits until it is ready; the error says why
    /// not, with the end of the proxy's output.
    pub fn start() -> Result<LiteLlm, String> {
        if !installed() {
            return Err(format!(
                "{NOT_INSTALLED} ({} is missing)",
                executable().display()
            ));
        }
        let dir = TempDir::new("litellm");
        let master_key = format!("sk-switchyard-master-{}", unique());
        let config = dir.path().join("config.yaml");
        std::fs::write(&config, config_yaml(&master_key))
            .map_err(|e| format!("cannot write {}: {e}", config.display()))?;
        // A port taken between asking for it and the proxy binding it makes
        // the proxy exit: try another.
        let mut last = String::new();
        for _ in 0..3 {
            let port = free_port()?;
            let log = dir.path().join(format!("proxy-{port}.log"));
            let mut child = spawn(&config, port, &log)?;
            match wait_ready(&mut child, port, &log) {
                Ok(()) => {
                    return Ok(LiteLlm {
                        child,
                        port,
                        master_key,
                        dir,
                    })
                }
                Err(e) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    last = e;
                }
            }
        }
        Err(last)
    }

    /// The OpenAI base URL (`http://127.0.0.1:<port>/v1`).
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/v1", self.port)
    }

    /// The master key (the only key a proxy without a database accepts).
    pub fn master_key(&self) -> &str {
        &self.master_key
    }

    /// Everything the proxy printed so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join(format!("proxy-{}.log", self.port))
    }
}

impl Drop for LiteLlm {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `/health/readiness` until it answers 200; fails when the proxy
/// exits first or [`READY_DEADLINE`] passes, with the end of its output.
fn wait_ready(child: &mut Child, port: u16, log: &Path) -> Result<(), String> {
    let started = Instant::now();
    let tail = || {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    };
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!(
                "the LiteLLM proxy exited ({status}) before it was ready:\n{}",
                tail()
            ));
        }
        if get_status(port, "/health/readiness") == Some(200) {
            return Ok(());
        }
        if started.elapsed() > READY_DEADLINE {
            return Err(format!(
                "the LiteLLM proxy on port {port} was not ready after {} s:\n{}",
                READY_DEADLINE.as_secs(),
                tail()
            ));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Starts the proxy (under [`WATCHDOG`]) with its output in `log`.
fn spawn(config: &Path, port: u16, log: &Path) -> Result<Child, String> {
    let out =
        std::fs::File::create(log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
    let err = out
        .try_clone()
        .map_err(|e| format!("cannot reopen {}: {e}", log.display()))?;
    let port = port.to_string();
    let mut c = Command::new(python());
    c.arg("-c")
        .arg(WATCHDOG)
        .arg(executable())
        .args(["--config"])
        .arg(config)
        .args(["--host", "127.0.0.1", "--port", &port]);
    if let Some(d) = config.parent() {
        c.current_dir(d);
    }
    // No database (so only the master key is accepted), the bundled model
    // cost map instead of a download, no telemetry, nothing from the
    // caller's environment that would point it elsewhere.
    for k in [
        "DATABASE_URL",
        "LITELLM_MASTER_KEY",
        "LITELLM_CONFIG",
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "http_proxy",
        "https_proxy",
    ] {
        c.env_remove(k);
    }
    c.env("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        .env("LITELLM_TELEMETRY", "False")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("PYTHONUNBUFFERED", "1")
        .stdin(Stdio::piped())
        .stdout(out)
        .stderr(err);
    c.spawn()
        .map_err(|e| format!("cannot start {}: {e}", python().display()))
}

/// A loopback port nothing listens on right now.
fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// The status of `GET path` on the loopback port, if anything answered.
fn get_status(port: u16, path: &str) -> Option<u16> {
    let mut s = TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_secs(2),
    )
    .ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut head = [0u8; 64];
    let n = s.read(&mut head).ok()?;
    let line = std::str::from_utf8(&head[..n]).ok()?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A value unlikely to repeat: the process id and the time in nanoseconds.
fn unique() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{:x}{nanos:x}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_names_both_mocks_and_the_key() {
        let c = config_yaml("sk-k");
        assert!(c.contains("master_key: sk-k\n"), "{c}");
        assert!(c.contains("mock_response: [0.25, -0.5, 0.75]\n"), "{c}");
        assert!(
            c.contains(&format!("mock_response: \"{CHAT_ANSWER}\"\n")),
            "{c}"
        );
    }
}

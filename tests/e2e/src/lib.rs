/*!
Harness for the end-to-end tests: each test gets its own fake OpenRouter
server, a private directory (config file, XDG state/cache, working
directory), and runs the real `switchyard` binary, which loads the real
plugin libraries built next to it. Nothing of the host or plugins is
linked into the tests: what they see is what a user sees.

The binary and plugins must be built first (`cargo xtask test` does it).
*/

pub mod crash;
pub mod litellm;

use fake_openrouter::FakeServer;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};

/// The cargo target directory.
pub fn target_dir() -> PathBuf {
    if let Some(t) = std::env::var_os("CARGO_TARGET_DIR") {
        let p = PathBuf::from(t);
        return if p.is_absolute() {
            p
        } else {
            workspace_root().join(p)
        };
    }
    workspace_root().join("target")
}

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The profile directory holding the binary and plugin libraries.
pub fn profile_dir() -> PathBuf {
    let p = std::env::var("SWITCHYARD_TEST_PROFILE").unwrap_or_else(|_| "debug".into());
    target_dir().join(p)
}

/// The built `switchyard` binary.
pub fn bin() -> PathBuf {
    let b = profile_dir().join("switchyard");
    assert!(
        b.is_file(),
        "{} is missing: build the workspace first (`cargo xtask test` builds the binary and the plugins, then runs the tests)",
        b.display()
    );
    b
}

/// A plugin library file in the profile directory (`lib<name>.so`).
pub fn library(name: &str) -> PathBuf {
    profile_dir().join(format!(
        "{}{name}{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ))
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// Creates it.
    pub fn new(tag: &str) -> TempDir {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("sy-e2e-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }
    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What a finished command produced.
#[derive(Debug)]
pub struct Output {
    /// Exit code (-1 if killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Output {
    /// stdout and stderr together, for "appears nowhere" assertions.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
    /// stdout parsed as one JSON value.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.stdout.trim()).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}): {}\nstderr: {}",
                self.stdout, self.stderr
            )
        })
    }
}

/// One test's world: a fake server, a config pointing at it, private dirs.
pub struct Env {
    /// The fake OpenRouter server.
    pub server: FakeServer,
    /// The test's private directory.
    pub dir: TempDir,
}

impl Env {
    /// A default fake server and a config with its key and base URL.
    pub fn new() -> Env {
        Self::with_server(FakeServer::start().expect("start fake server"))
    }

    /// A config pointing at `server`.
    pub fn with_server(server: FakeServer) -> Env {
        let dir = TempDir::new("env");
        for d in ["work", "state", "cache", "home"] {
            std::fs::create_dir_all(dir.path().join(d)).expect("mkdir");
        }
        let env = Env { server, dir };
        env.write_config("");
        env
    }

    /// Rewrites the config: key + base URL of the fake server, then `extra`.
    pub fn write_config(&self, extra: &str) {
        let text = format!(
            "[models.providers.openrouter]\napiKey = \"{}\"\nbaseUrl = \"{}\"\n\n{extra}\n",
            self.server.api_key(),
            self.server.base_url()
        );
        std::fs::write(self.config_path(), text).expect("write config");
    }

    /// Writes the config file verbatim.
    pub fn write_raw_config(&self, text: &str) {
        std::fs::write(self.config_path(), text).expect("write config");
    }

    /// The config file path.
    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    /// The working directory commands run in (default outputs land here).
    pub fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    /// `$XDG_STATE_HOME` of the commands.
    pub fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// Files in the working directory, sorted (hidden ones included).
    pub fn work_files(&self) -> Vec<String> {
        list_files(&self.work())
    }

    /// The command, with a clean environment pointing at this test's dirs.
    pub fn cmd(&self, args: &[&str]) -> Command {
        self.cmd_of(&bin(), args)
    }

    /// [`Env::cmd`] running `program` (another `switchyard`, say an installed one).
    pub fn cmd_of(&self, program: &Path, args: &[&str]) -> Command {
        let mut c = Command::new(program);
        c.args(args)
            .current_dir(self.work())
            .env("SWITCHYARD_CONFIG", self.config_path())
            .env("XDG_STATE_HOME", self.state())
            .env("XDG_CACHE_HOME", self.dir.path().join("cache"))
            .env("XDG_DATA_HOME", self.dir.path().join("home/.local/share"))
            .env("XDG_CONFIG_HOME", self.dir.path().join("home/.config"))
            .env("HOME", self.dir.path().join("home"))
            .env("XDG_DATA_HOME", self.dir.path().join("home/.local/share"))
            .env_remove("SWITCHYARD_NO_PLUGINS")
            .env_remove("OPENROUTER_API_KEY")
            .env_remove("SWITCHYARD_PLUGIN_PATH")
            .env_remove("SWITCHYARD_LIBRARY_PATH")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null());
        c
    }

    /// Runs the command to completion.
    pub fn run(&self, args: &[&str]) -> Output {
        run_cmd(self.cmd(args), None)
    }

    /// Runs the command with `stdin` as its standard input.
    pub fn run_stdin(&self, args: &[&str], stdin: &str) -> Output {
        run_cmd(self.cmd(args), Some(stdin))
    }
}

impl Default for Env {
    fn default() -> Self {
        Self::new()
    }
}

/// Runs a prepared command, feeding `stdin` if given.
pub fn run_cmd(mut c: Command, stdin: Option<&str>) -> Output {
    if stdin.is_some() {
        c.stdin(Stdio::piped());
    }
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c.spawn().expect("spawn switchyard");
    if let Some(s) = stdin {
        if let Some(mut i) = child.stdin.take() {
            let _ = i.write_all(s.as_bytes());
        }
    }
    let out = child.wait_with_output().expect("wait for switchyard");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Files in `dir`, sorted (hidden ones included).
pub fn list_files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Helpers for the `video_*` tests.
pub mod video {
    use super::{list_files, Env};
    use fake_openrouter::{FakeServer, Options};
    use std::path::Path;
    use std::time::{Duration, Instant};

    /// Config that makes video polling fast (first poll interval 20 ms).
    pub const FAST_POLLS: &str = "[agents.defaults.videoGenerationModel]\npollIntervalMs = 20\n";

    /// A default fake server and a config with fast video polling.
    pub fn fast_env() -> Env {
        fast_env_with(FakeServer::start().expect("start fake server"))
    }

    /// A fake server started with `opts` and a config with fast video polling.
    pub fn fast_env_opts(opts: Options) -> Env {
        fast_env_with(FakeServer::start_with(opts).expect("start fake server"))
    }

    /// A config pointing at `server` with fast video polling.
    pub fn fast_env_with(server: FakeServer) -> Env {
        let env = Env::with_server(server);
        env.write_config(FAST_POLLS);
        env
    }

    /// The id of the first video job the server saw a poll or download for.
    pub fn job_id(server: &FakeServer) -> Option<String> {
        server.requests().iter().find_map(|r| {
            let rest = r.path_only().strip_prefix("/api/v1/videos/")?;
            let id = rest.strip_suffix("/content").unwrap_or(rest);
            (!id.is_empty() && !id.contains('/') && id != "models").then(|| id.to_string())
        })
    }

    /// Number of `POST /api/v1/videos` (submits) the server received.
    pub fn submits(server: &FakeServer) -> usize {
        server
            .requests()
            .iter()
            .filter(|r| r.method == "POST" && r.path_only() == "/api/v1/videos")
            .count()
    }

    /// Number of status polls (`GET /api/v1/videos/{id}`) the server received.
    pub fn polls(server: &FakeServer, id: &str) -> usize {
        let path = format!("/api/v1/videos/{id}");
        server
            .requests()
            .iter()
            .filter(|r| r.method == "GET" && r.path_only() == path)
            .count()
    }

    /// Number of content downloads (`GET /api/v1/videos/{id}/content`) the server received.
    pub fn content_gets(server: &FakeServer, id: &str) -> usize {
        let path = format!("/api/v1/videos/{id}/content");
        server
            .requests()
            .iter()
            .filter(|r| r.method == "GET" && r.path_only() == path)
            .count()
    }

    /// The JSON body of the (single) submit request.
    pub fn submit_body(server: &FakeServer) -> serde_json::Value {
        let reqs = server.requests_to("/api/v1/videos");
        let r = reqs
            .iter()
            .find(|r| r.method == "POST" && r.path_only() == "/api/v1/videos")
            .expect("a POST /api/v1/videos was received");
        r.json().expect("the submit body is JSON")
    }

    /// Files in `dir` that look like leftovers of a write: hidden, `.part` or `.tmp`.
    pub fn temp_files(dir: &Path) -> Vec<String> {
        list_files(dir)
            .into_iter()
            .filter(|n| n.starts_with('.') || n.ends_with(".part") || n.ends_with(".tmp"))
            .collect()
    }

    /// Polls `cond` every 10 ms until it holds or `limit` passes; returns whether it held.
    pub fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
        let end = Instant::now() + limit;
        loop {
            if cond() {
                return true;
            }
            if Instant::now() >= end {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Standard base64 (with padding), for comparing data URLs.
    pub fn base64(bytes: &[u8]) -> String {
        const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
        for c in bytes.chunks(3) {
            let n = (u32::from(c[0]) << 16)
                | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
                | u32::from(*c.get(2).unwrap_or(&0));
            out.push(T[(n >> 18) as usize & 63] as char);
            out.push(T[(n >> 12) as usize & 63] as char);
            out.push(if c.len() > 1 {
                T[(n >> 6) as usize & 63] as char
            } else {
                '='
            });
            out.push(if c.len() > 2 {
                T[n as usize & 63] as char
            } else {
                '='
            });
        }
        out
    }
}

// ---------------------------------------------------------------------------
// Helpers shared by the test files in `tests/`.
// ---------------------------------------------------------------------------

/// The chat completions path on the fake server.
pub const CHAT_PATH: &str = "/api/v1/chat/completions";
/// The speech path on the fake server.
pub const SPEECH_PATH: &str = "/api/v1/audio/speech";
/// The video submit path on the fake server.
pub const VIDEOS_PATH: &str = "/api/v1/videos";

impl Output {
    /// Panics, showing stdout and stderr, unless the exit code is `code`.
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Output {
        assert_eq!(
            self.code, code,
            "expected exit code {code}, got {}\nstdout: {}\nstderr: {}",
            self.code, self.stdout, self.stderr
        );
        self
    }
}

impl Env {
    /// A fake server started with `opts` and a config pointing at it.
    pub fn with_options(opts: fake_openrouter::Options) -> Env {
        Self::with_server(FakeServer::start_with(opts).expect("start fake server"))
    }

    /// Runs the command with extra environment variables.
    pub fn run_with_env(&self, args: &[&str], vars: &[(&str, &str)]) -> Output {
        let mut c = self.cmd(args);
        for (k, v) in vars {
            c.env(k, v);
        }
        run_cmd(c, None)
    }

    /// The chat completion requests the server received.
    pub fn chat_requests(&self) -> Vec<fake_openrouter::RecordedRequest> {
        self.server.requests_to(CHAT_PATH)
    }

    /// The `model` field of each chat completion request, in order.
    pub fn chat_models(&self) -> Vec<String> {
        self.chat_requests()
            .iter()
            .map(|r| {
                r.json()
                    .and_then(|v| v.get("model").and_then(|m| m.as_str()).map(str::to_string))
                    .unwrap_or_default()
            })
            .collect()
    }

    /// A fresh directory inside the test's private directory.
    pub fn subdir(&self, name: &str) -> PathBuf {
        let d = self.dir.path().join(name);
        std::fs::create_dir_all(&d).expect("mkdir");
        d
    }

    /// A file in the working directory.
    pub fn work_file(&self, name: &str) -> PathBuf {
        self.work().join(name)
    }

    /// The absolute path of a file in the working directory, as printed
    /// by the commands (the working directory as the process sees it).
    pub fn printed_path(&self, name: &str) -> String {
        std::fs::canonicalize(self.work())
            .expect("canonical working directory")
            .join(name)
            .display()
            .to_string()
    }
}

/// The text of the bundled OpenRouter manifest (`manifests/openrouter.toml`).
pub fn bundled_manifest() -> String {
    std::fs::read_to_string(workspace_root().join("manifests/openrouter.toml"))
        .expect("read manifests/openrouter.toml")
}

/// A PNG-signed byte string ending in `tag`, so several images differ.
pub fn tagged_png(tag: &str) -> Vec<u8> {
    let mut b = fake_openrouter::sample_png();
    b.extend_from_slice(tag.as_bytes());
    b
}

/// The transcription path on the fake server.
pub const TRANSCRIPTIONS_PATH: &str = "/api/v1/audio/transcriptions";
/// The embeddings path on the fake server.
pub const EMBEDDINGS_PATH: &str = "/api/v1/embeddings";
/// The Image API path on the fake server.
pub const IMAGES_PATH: &str = "/api/v1/images";

impl Env {
    /// Runs `args` and checks a refusal before sending: exit 2, each of
    /// `needles` in stderr, and no request received by the server.
    #[track_caller]
    pub fn assert_refused(&self, args: &[&str], needles: &[&str]) -> Output {
        let out = self.run(args);
        out.assert_code(2);
        for n in needles {
            assert!(
                out.stderr.contains(n),
                "{args:?}: {n:?} not in {}",
                out.stderr
            );
        }
        let sent: Vec<String> = self
            .server
            .requests()
            .iter()
            .map(|r| r.path.clone())
            .collect();
        assert!(sent.is_empty(), "{args:?}: requests were sent: {sent:?}");
        out
    }

    /// Runs the command with these bytes as its standard input.
    pub fn run_stdin_bytes(&self, args: &[&str], stdin: &[u8]) -> Output {
        let mut c = self.cmd(args);
        c.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().expect("spawn switchyard");
        if let Some(mut i) = child.stdin.take() {
            let _ = i.write_all(stdin);
        }
        let out = child.wait_with_output().expect("wait for switchyard");
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// The JSON body of the single request to exactly `path`.
    #[track_caller]
    pub fn only_body(&self, path: &str) -> serde_json::Value {
        let reqs: Vec<fake_openrouter::RecordedRequest> = self
            .server
            .requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path_only() == path)
            .collect();
        assert_eq!(reqs.len(), 1, "one POST {path}");
        reqs[0].json().expect("the body is JSON")
    }

    /// Fetches the live catalog (`models refresh`), then forgets the
    /// requests it made, so a test counts only what follows.
    pub fn refresh_catalog(&self) {
        self.run(&["models", "refresh"]).assert_code(0);
        self.server.clear_requests();
    }
}

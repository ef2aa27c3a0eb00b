//! The loader refuses or survives plugins that misbehave on purpose: wrong
//! plugin API ranges, self-descriptions that contradict the manifest, panics,
//! sinks misused, calls that never end until cancelled.

use std::path::Path;
use std::time::{Duration, Instant};
use switchyard_e2e::{list_files, Env, TempDir};

fn manifest(id: &str, library: &str, prefix: &str, caps: &str, extra: &str) -> String {
    format!(
        "id = \"{id}\"\nversion = \"0.1.0\"\nplugin_api = \"^2.0\"\nlibrary = \"{library}\"\nmodel_prefix = \"{prefix}\"\ncapabilities = {caps}\n{extra}\n"
    )
}

fn plugin_dir(files: &[(&str, String)]) -> TempDir {
    let d = TempDir::new("plugins");
    for (name, text) in files {
        std::fs::write(d.path().join(name), text).unwrap();
    }
    d
}

fn run_with(env: &Env, dir: &Path, args: &[&str]) -> switchyard_e2e::Output {
    let mut full = vec!["--plugin-dir", dir.to_str().unwrap()];
    full.extend_from_slice(args);
    env.run(&full)
}

fn faulty_manifest() -> String {
    "id = \"faulty\"\nversion = \"0.1.0\"\nplugin_api = \"^2.0\"\nlibrary = \"fixture_faulty\"\nmodel_prefix = \"faulty/\"\ncapabilities = [\"chat\", \"video\"]\nbase_url = \"http://127.0.0.1:9/api/v1\"\n[auth]\noptional = true\n".to_string()
}

#[test]
fn manifest_requiring_another_major_api_is_refused_naming_both_versions() {
    let env = Env::new();
    let d = plugin_dir(&[(
        "liar.toml",
        manifest("liar", "fixture_liar", "liar/", "[\"chat\"]", "").replace("^2.0", "^3.0"),
    )]);
    let out = run_with(&env, d.path(), &["plugins", "check", "liar"]);
    assert_ne!(out.code, 0, "{}", out.all());
    assert!(
        out.stdout.contains("^3.0") && out.stdout.contains("provides plugin API 2."),
        "{}",
        out.all()
    );
}

#[test]
fn self_description_contradicting_capabilities_is_refused_naming_the_field() {
    let env = Env::new();
    let d = plugin_dir(&[(
        "liar.toml",
        manifest("liar", "fixture_liar", "liar/", "[\"chat\", \"video\"]", ""),
    )]);
    let out = run_with(&env, d.path(), &["plugins", "check", "liar"]);
    assert_eq!(out.code, 3, "{}", out.all());
    assert!(out.stdout.contains("field `capabilities`"), "{}", out.all());
}

#[test]
fn self_description_contradicting_version_is_refused_naming_the_field() {
    let env = Env::new();
    let d = plugin_dir(&[(
        "liar.toml",
        manifest("liar", "fixture_liar", "liar/", "[\"chat\"]", "").replace("0.1.0", "9.9.9"),
    )]);
    let out = run_with(&env, d.path(), &["plugins", "check", "liar"]);
    assert_eq!(out.code, 3, "{}", out.all());
    assert!(
        out.stdout.contains("field `version`") && out.stdout.contains("9.9.9"),
        "{}",
        out.all()
    );
}

#[test]
fn manifest_model_unknown_to_the_library_is_refused_naming_the_field() {
    let env = Env::new();
    let extra = "[[models]]\nref = \"liar/invented\"\ncapabilities = [\"chat\"]\n";
    let d = plugin_dir(&[(
        "liar.toml",
        manifest("liar", "fixture_liar", "liar/", "[\"chat\"]", extra),
    )]);
    let out = run_with(&env, d.path(), &["plugins", "check", "liar"]);
    assert_eq!(out.code, 3, "{}", out.all());
    assert!(
        out.stdout.contains("models[0].ref") && out.stdout.contains("liar/invented"),
        "{}",
        out.all()
    );
}

#[test]
fn manifest_with_another_id_than_the_library_is_refused() {
    let env = Env::new();
    let d = plugin_dir(&[(
        "fib.toml",
        manifest("fibber", "fixture_liar", "fib/", "[\"chat\"]", ""),
    )]);
    let out = run_with(&env, d.path(), &["plugins", "check", "fibber"]);
    assert_eq!(out.code, 3, "{}", out.all());
    assert!(
        out.stdout.contains("field `id`") && out.stdout.contains("\"liar\""),
        "{}",
        out.all()
    );
}

#[test]
fn missing_library_is_reported_with_the_places_searched() {
    let env = Env::new();
    let d = plugin_dir(&[(
        "ghost.toml",
        manifest("ghost", "no_such_library", "ghost/", "[\"chat\"]", ""),
    )]);
    let out = run_with(&env, d.path(), &["plugins", "check", "ghost"]);
    assert_eq!(out.code, 3, "{}", out.all());
    assert!(
        out.stdout.contains("no_such_library") && out.stdout.contains("not found"),
        "{}",
        out.all()
    );
}

#[test]
fn a_non_plugin_library_is_refused_not_crashed_on() {
    let env = Env::new();
    let d = plugin_dir(&[(
        "bogus.toml",
        manifest("bogus", "bogus", "bogus/", "[\"chat\"]", ""),
    )]);
    std::fs::write(
        d.path().join(format!(
            "{}bogus{}",
            std::env::consts::DLL_PREFIX,
            std::env::consts::DLL_SUFFIX
        )),
        b"not a shared object",
    )
    .unwrap();
    let out = run_with(&env, d.path(), &["plugins", "check", "bogus"]);
    assert_eq!(out.code, 3, "{}", out.all());
    assert!(out.stdout.contains("bogus"), "{}", out.all());
}

#[test]
fn two_manifests_with_one_id_in_one_directory_name_both_files() {
    let env = Env::new();
    let m = manifest("liar", "fixture_liar", "liar/", "[\"chat\"]", "");
    let d = plugin_dir(&[
        ("a.toml", m.clone()),
        ("b.toml", m.replace("liar/", "liar2/")),
    ]);
    let out = run_with(&env, d.path(), &["plugins", "list"]);
    assert!(
        out.stdout.contains("a.toml") && out.stdout.contains("b.toml"),
        "{}",
        out.all()
    );
}

#[test]
fn a_panicking_plugin_call_becomes_an_error_and_the_host_survives() {
    let env = Env::new();
    let d = plugin_dir(&[("faulty.toml", faulty_manifest())]);
    let out = run_with(&env, d.path(), &["chat", "--model", "faulty/panic", "hi"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.stderr.contains("panicked") && out.stderr.contains("deliberate fixture panic"),
        "{}",
        out.all()
    );
    // The control model of the same library still answers in a new process.
    let ok = run_with(&env, d.path(), &["chat", "--model", "faulty/ok", "hi"]);
    assert_eq!(ok.code, 0, "{}", ok.all());
    assert!(ok.stdout.contains("fixture ok"));
}

#[test]
fn a_call_that_never_completes_ends_on_ctrl_c_within_a_bound() {
    let env = Env::new();
    let d = plugin_dir(&[("faulty.toml", faulty_manifest())]);
    let mut cmd = env.cmd(&[
        "--plugin-dir",
        d.path().to_str().unwrap(),
        "chat",
        "--model",
        "faulty/never",
        "hi",
    ]);
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    std::thread::sleep(Duration::from_millis(700));
    let pid = child.id().to_string();
    let sent = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "the call did not end within 5 s of Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(130));
}

#[test]
fn an_error_after_progress_leaves_no_partial_file() {
    let env = Env::new();
    let d = plugin_dir(&[("faulty.toml", faulty_manifest())]);
    let out = run_with(
        &env,
        d.path(),
        &[
            "video",
            "--model",
            "faulty/error-after-progress",
            "--out",
            "v.mp4",
            "x",
        ],
    );
    assert_eq!(out.code, 6, "{}", out.all());
    assert!(
        out.stderr.contains("fixture failure after progress"),
        "{}",
        out.all()
    );
    assert!(list_files(&env.work()).is_empty(), "{:?}", env.work_files());
}

#[test]
fn writing_more_bytes_than_declared_is_refused_with_no_file() {
    let env = Env::new();
    let d = plugin_dir(&[("faulty.toml", faulty_manifest())]);
    let out = run_with(
        &env,
        d.path(),
        &["video", "--model", "faulty/overflow", "--out", "v.mp4", "x"],
    );
    assert_ne!(out.code, 0, "{}", out.all());
    assert!(out.stderr.contains("more bytes"), "{}", out.all());
    assert!(env.work_files().is_empty(), "{:?}", env.work_files());
}

#[test]
fn writing_after_a_sink_error_then_claiming_success_is_refused_with_no_file() {
    let env = Env::new();
    let d = plugin_dir(&[("faulty.toml", faulty_manifest())]);
    let out = run_with(
        &env,
        d.path(),
        &[
            "video",
            "--model",
            "faulty/write-after-error",
            "--out",
            "v.mp4",
            "x",
        ],
    );
    assert_ne!(out.code, 0, "{}", out.all());
    assert!(env.work_files().is_empty(), "{:?}", env.work_files());
}

#[test]
fn a_well_behaved_fixture_video_lands_whole() {
    let env = Env::new();
    let d = plugin_dir(&[("faulty.toml", faulty_manifest())]);
    let out = run_with(
        &env,
        d.path(),
        &["video", "--model", "faulty/ok", "--out", "v.mp4", "x"],
    );
    assert_eq!(out.code, 0, "{}", out.all());
    assert_eq!(env.work_files(), vec!["v.mp4"]);
    assert_eq!(
        std::fs::metadata(env.work().join("v.mp4")).unwrap().len(),
        1000
    );
}

#[test]
fn two_plugins_built_against_one_interface_are_both_live_in_one_process() {
    // `plugins check` loads every plugin in one process: with the module-cache
    // trap, the second would silently get the first one's entry points and
    // its self-description check would fail.
    let env = Env::new();
    let d = plugin_dir(&[
        ("faulty.toml", faulty_manifest()),
        (
            "liar.toml",
            manifest("liar", "fixture_liar", "liar/", "[\"chat\"]", ""),
        ),
    ]);
    let out = run_with(&env, d.path(), &["plugins", "check"]);
    assert_eq!(out.code, 0, "{}", out.all());
    for id in ["openrouter", "faulty", "liar"] {
        assert!(
            out.stdout.contains(&format!("ok      {id}")),
            "{id}: {}",
            out.all()
        );
    }
}

/// Sends SIGINT to `pid`.
fn interrupt(pid: u32) {
    let sent = std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
}

/// Waits for `child` at most `limit`; returns its exit code and the time taken.
fn wait_bounded(child: &mut std::process::Child, limit: Duration) -> (Option<i32>, Duration) {
    let start = Instant::now();
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return (s.code(), start.elapsed());
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("the command did not end within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn spawn_faulty(env: &Env, dir: &Path, args: &[&str]) -> std::process::Child {
    let mut full = vec!["--plugin-dir", dir.to_str().unwrap()];
    full.extend_from_slice(args);
    let mut cmd = env.cmd(&full);
    cmd.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    cmd.spawn().unwrap()
}

fn stderr_of(child: &mut std::process::Child) -> String {
    use std::io::Read;
    let mut s = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut s);
    }
    s
}

#[test]
fn a_call_that_ignores_ctrl_c_is_ended_by_the_host_after_a_grace_period() {
    let env = Env::new();
    let d = plugin_dir(&[("faulty.toml", faulty_manifest())]);
    let mut child = spawn_faulty(
        &env,
        d.path(),
        &["chat", "--model", "faulty/stubborn", "hi"],
    );
    std::thread::sleep(Duration::from_millis(700));
    interrupt(child.id());
    // The plugin would go on for 30 s; the host gives it 3 s.
    let (code, took) = wait_bounded(&mut child, Duration::from_secs(10));
    assert_eq!(code, Some(130));
    assert!(took >= Duration::from_secs(2), "ended after {took:?}");
    let err = stderr_of(&mut child);
    assert!(err.contains("did not stop within"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_call_that_ignores_its_deadline_is_ended_with_the_timeout_code() {
    let env = Env::new();
    let d = plugin_dir(&[("faulty.toml", faulty_manifest())]);
    let mut child = spawn_faulty(
        &env,
        d.path(),
        &[
            "chat",
            "--model",
            "faulty/stubborn",
            "--timeout",
            "1s",
            "hi",
        ],
    );
    let (code, took) = wait_bounded(&mut child, Duration::from_secs(12));
    assert_eq!(code, Some(5));
    assert!(took < Duration::from_secs(9), "ended after {took:?}");
    let err = stderr_of(&mut child);
    assert!(err.contains("did not return within"), "{err}");
}

#[test]
fn a_stubborn_download_leaves_no_partial_file_after_ctrl_c_once_or_twice() {
    for presses in [1, 2] {
        let env = Env::new();
        let d = plugin_dir(&[("faulty.toml", faulty_manifest())]);
        let mut child = spawn_faulty(
            &env,
            d.path(),
            &[
                "video",
                "--model",
                "faulty/stubborn-video",
                "--out",
                "v.mp4",
                "x",
            ],
        );
        let start = Instant::now();
        while !env.work_files().iter().any(|f| f.ends_with(".part")) {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "no temporary file appeared: {:?}",
                env.work_files()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        for _ in 0..presses {
            interrupt(child.id());
            std::thread::sleep(Duration::from_millis(100));
        }
        let (code, took) = wait_bounded(&mut child, Duration::from_secs(10));
        assert_eq!(code, Some(130), "{presses} press(es)");
        if presses == 2 {
            assert!(took < Duration::from_secs(2), "ended after {took:?}");
        }
        assert!(
            env.work_files().is_empty(),
            "{presses} press(es): {:?}",
            env.work_files()
        );
    }
}

/// The host ends a video whose plugin ignores Ctrl-C without waiting for
/// it: the paid job's id is still printed, also with `-q`.
#[test]
fn a_stubborn_video_ended_by_the_host_after_ctrl_c_still_names_its_job_under_q() {
    let env = Env::new();
    let d = plugin_dir(&[("faulty.toml", faulty_manifest())]);
    let mut child = spawn_faulty(
        &env,
        d.path(),
        &[
            "-q",
            "video",
            "--model",
            "faulty/stubborn-video",
            "--out",
            "v.mp4",
            "x",
        ],
    );
    let start = Instant::now();
    while !env.work_files().iter().any(|f| f.ends_with(".part")) {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no temporary file appeared: {:?}",
            env.work_files()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    interrupt(child.id());
    let (code, _) = wait_bounded(&mut child, Duration::from_secs(10));
    assert_eq!(code, Some(130));
    let err = stderr_of(&mut child);
    let id = format!("fixture-{}", child.id());
    assert!(
        err.contains(&format!("switchyard video resume {id}")),
        "{err}"
    );
}

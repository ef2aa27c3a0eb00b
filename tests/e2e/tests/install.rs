//! Installed like a real tool: the install tree (`switchyard-dist`, what
//! `cargo xtask install` and `cargo xtask dist` write) works after it is
//! moved, reached through a symlink, or unpacked from the tarball anywhere,
//! with nothing of the checkout to help: every plugin comes from the tree's
//! own `lib/switchyard/plugins/`, and `plugins check` and a chat against the
//! fake server succeed from there.
//!
//! The default test lays the tree out from the binaries the other tests run
//! (`target/debug`, built by `cargo xtask test`); the `#[ignore]`d one runs
//! the real `cargo xtask install --prefix` and `cargo xtask dist`, which
//! build the release profile (minutes from a cold target directory).

use std::path::{Path, PathBuf};
use std::process::Command;
use switchyard_e2e::{list_files, profile_dir, run_cmd, workspace_root, Env, Output, TempDir};

/// The bundled plugins, as `plugins list` orders them.
const BUNDLED: [&str; 2] = ["openai-compatible", "openrouter"];

/// Files every install holds, with something in them.
const FILES: [&str; 6] = [
    "bin/switchyard",
    "share/bash-completion/completions/switchyard",
    "share/zsh/site-functions/_switchyard",
    "share/fish/vendor_completions.d/switchyard.fish",
    "share/man/man1/switchyard.1",
    "share/man/man1/switchyard-chat.1",
];

fn assert_layout(prefix: &Path) {
    for rel in FILES {
        let p = prefix.join(rel);
        let len = std::fs::metadata(&p).map_or(0, |m| m.len());
        assert!(len > 0, "{} is missing or empty", p.display());
    }
    let man = std::fs::read_to_string(prefix.join("share/man/man1/switchyard.1")).unwrap();
    assert!(
        man.contains(".TH switchyard") && man.contains("plugins"),
        "{man}"
    );
    let bash = std::fs::read_to_string(prefix.join(FILES[1])).unwrap();
    assert!(bash.contains("complete") && bash.contains("switchyard"));
    for id in BUNDLED {
        let dir = prefix.join("lib/switchyard/plugins").join(id);
        let manifest = dir.join("manifest.toml");
        let meta = std::fs::symlink_metadata(&manifest).unwrap();
        assert!(meta.is_file() && meta.len() > 0, "{}", manifest.display());
        let libs = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .ends_with(std::env::consts::DLL_SUFFIX)
            })
            .count();
        assert_eq!(libs, 1, "one library beside {}", manifest.display());
    }
}

fn run(env: &Env, bin: &Path, args: &[&str]) -> Output {
    run_cmd(env.cmd_of(bin, args), None)
}

/// Runs the switchyard of `prefix` (through `bin`, maybe a symlink to it)
/// and checks that its plugins, and only they, come from `prefix`.
fn assert_works_from(prefix: &Path, bin: &Path) {
    let env = Env::new();
    let real = prefix.canonicalize().unwrap();
    let bundled = real.join("lib/switchyard/plugins");
    let list = run(&env, bin, &["--json", "plugins", "list"]);
    list.assert_code(0);
    let v = list.json();
    let plugins = v["plugins"].as_array().expect("plugins");
    let ids: Vec<&str> = plugins.iter().filter_map(|p| p["id"].as_str()).collect();
    assert_eq!(ids, BUNDLED, "{v}");
    for p in plugins {
        assert_eq!(p["source"], "bundled", "{p}");
        assert_eq!(p["status"], "loaded", "{p}");
        let dir = bundled.join(p["id"].as_str().unwrap());
        for field in ["manifest", "library"] {
            let path = PathBuf::from(p[field].as_str().unwrap_or_default());
            assert_eq!(path.parent(), Some(dir.as_path()), "{field}: {p}");
        }
    }
    assert_eq!(v["diagnostics"], serde_json::json!([]), "{v}");
    let dirs = run(&env, bin, &["--json", "config", "path"]).json();
    let sources: Vec<&str> = dirs["plugin_dirs"]
        .as_array()
        .expect("plugin_dirs")
        .iter()
        .filter_map(|d| d["source"].as_str())
        .collect();
    assert_eq!(
        sources,
        ["user", "bundled"],
        "no workspace fallback: {dirs}"
    );
    let check = run(&env, bin, &["plugins", "check"]);
    check.assert_code(0);
    assert!(
        check.stdout.contains("ok      openrouter"),
        "{}",
        check.all()
    );
    let chat = run(&env, bin, &["chat", "hello from an install"]);
    chat.assert_code(0);
    assert_eq!(env.chat_requests().len(), 1, "{}", chat.all());
}

/// `tar xzf` of `tarball` into a fresh `into`, checked against its
/// `.sha256` with `sha256sum -c` first; returns the unpacked top directory.
fn unpack(tarball: &Path, into: &Path) -> PathBuf {
    let dir = tarball.parent().unwrap();
    let name = tarball.file_name().unwrap().to_str().unwrap();
    let sum = Command::new("sha256sum")
        .args(["-c", &format!("{name}.sha256")])
        .current_dir(dir)
        .output()
        .expect("run sha256sum");
    assert!(sum.status.success(), "{sum:?}");
    std::fs::create_dir_all(into).unwrap();
    let tar = Command::new("tar")
        .arg("xzf")
        .arg(tarball)
        .arg("-C")
        .arg(into)
        .output()
        .expect("run tar");
    assert!(tar.status.success(), "{tar:?}");
    let top = into.join(format!("switchyard-{}", switchyard_dist::version()));
    assert!(
        top.is_dir(),
        "the tarball's top directory is {}",
        top.display()
    );
    top
}

#[test]
fn a_moved_install_and_an_unpacked_tarball_work_without_the_checkout() {
    let tmp = TempDir::new("install");
    let staged = tmp.path().join("stage");
    let files = switchyard_dist::stage(&workspace_root(), &profile_dir(), &staged).unwrap();
    assert!(files.iter().all(|f| f.size > 0), "{files:?}");

    let prefix = tmp.path().join("a/prefix");
    std::fs::create_dir_all(prefix.join("lib/switchyard/plugins/dropped")).unwrap();
    switchyard_dist::install_tree(&staged, &prefix).unwrap();
    // Again over itself; a plugin no longer bundled does not linger.
    switchyard_dist::install_tree(&staged, &prefix).unwrap();
    assert!(!prefix.join("lib/switchyard/plugins/dropped").exists());
    assert_eq!(list_files(&prefix.join("lib/switchyard")), ["plugins"]);
    assert_layout(&prefix);

    let moved = tmp.path().join("elsewhere/deeper/prefix");
    std::fs::create_dir_all(moved.parent().unwrap()).unwrap();
    std::fs::rename(&prefix, &moved).unwrap();
    assert_works_from(&moved, &moved.join("bin/switchyard"));

    // Through a symlink, as ~/bin/switchyard -> /opt/switchyard/bin/switchyard.
    let link = tmp.path().join("links/switchyard");
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(moved.join("bin/switchyard"), &link).unwrap();
    assert_works_from(&moved, &link);

    let top = format!("switchyard-{}", switchyard_dist::version());
    let tarball = tmp.path().join(format!("dist/{top}-test.tar.gz"));
    switchyard_dist::archive(&staged, &top, &tarball).unwrap();
    let unpacked = unpack(&tarball, &tmp.path().join("unpacked"));
    assert_layout(&unpacked);
    assert_works_from(&unpacked, &unpacked.join("bin/switchyard"));
}

fn cargo_xtask(args: &[&str]) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let st = Command::new(cargo)
        .arg("xtask")
        .args(args)
        .current_dir(workspace_root())
        .status()
        .expect("run cargo xtask");
    assert!(st.success(), "cargo xtask {args:?} failed: {st}");
}

#[test]
#[ignore = "builds the shipped profile: minutes from a cold target directory (cargo xtask test runs it with SWITCHYARD_RELEASE_TESTS=1)"]
fn cargo_xtask_install_and_dist_make_a_working_release_install() {
    let tmp = TempDir::new("xtask-install");
    let prefix = tmp.path().join("prefix");
    cargo_xtask(&["install", "--prefix", prefix.to_str().unwrap()]);
    assert_layout(&prefix);
    let moved = tmp.path().join("moved");
    std::fs::rename(&prefix, &moved).unwrap();
    assert_works_from(&moved, &moved.join("bin/switchyard"));

    cargo_xtask(&["dist"]);
    let dist = switchyard_e2e::target_dir().join("dist");
    let top = format!("switchyard-{}", switchyard_dist::version());
    let tarball = std::fs::read_dir(&dist)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.starts_with(&format!("{top}-")) && n.ends_with(".tar.gz")
        })
        .expect("a tarball in target/dist");
    let unpacked = unpack(&tarball, &tmp.path().join("unpacked"));
    assert_layout(&unpacked);
    assert_works_from(&unpacked, &unpacked.join("bin/switchyard"));
}

/*!
`cargo xtask`: the project's automation, in Rust.

- `test`: builds every crate (binary, plugin cdylibs, fixture plugins, and
  the out-of-workspace template and ABI fixtures, [`external`]), then runs
  every test (`cargo test` alone does not build the cdylibs the end-to-end
  tests load), the `#[ignore]`d tests whose condition holds (the OpenAPI
  schema tests when the spec is there, the live tests when enabled, the
  LiteLLM tests when `litellm-setup` installed it), and
  the contract suite (bundled plugins, then the template); it ends by
  saying how many tests were skipped and why.
- `contract [--plugin-dir DIR]...`: the contract every plugin must pass,
  run against the project's fake OpenRouter server ([`contract`]).
- `demo`: the main jobs through the real binary and plugin, on the bundled
  fake server when `OPENROUTER_API_KEY` is unset ([`demo`]).
- `bench [--quick] [--only 5,6]`: the performance benchmark, release build, every
  figure a ratio against a floor measured in the same run ([`bench`]).
- `fuzz [--minutes N] [--target T]...`: coverage-guided fuzzing of every
  parser, stable toolchain ([`fuzz`]).
- `soak [--minutes N] [--rate R] [--seed S]`: a fault-injection soak
  through the real binary; `crashloop [--iterations N]`: `video` killed
  with SIGKILL at every phase, then resumed ([`soak`]).
- `install [--prefix DIR]`, `dist`: a release build installed into DIR
  (default `~/.local`), or packed as a versioned tarball ([`install`]).
- `litellm-setup [--force]`: LiteLLM's proxy from PyPI into
  `target/litellm-venv`, the real OpenAI-compatible server the
  `real_openai_server` tests need ([`litellm`]).
*/

mod bench;
mod contract;
mod demo;
mod external;
mod fuzz;
mod install;
mod litellm;
mod soak;
mod soak_batch;

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    if let Err(e) = run() {
        eprintln!("xtask: {e:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(cmd) = args.first() else {
        usage();
        bail!("no command given");
    };
    let rest = &args[1..];
    match cmd.as_str() {
        "test" => test(rest),
        "contract" => contract::run(rest),
        "demo" => demo::run(rest),
        "bench" => bench::run(rest),
        "fuzz" => fuzz::run(rest),
        "soak" => soak::run(rest),
        "crashloop" => soak::crashloop(rest),
        "install" => install::install(rest),
        "dist" => install::dist(rest),
        "litellm-setup" => litellm::setup(rest),
        "-h" | "--help" | "help" => {
            usage();
            Ok(())
        }
        other => {
            usage();
            bail!("unknown command {other:?}")
        }
    }
}

fn usage() {
    eprintln!(
        "usage: cargo xtask <command>\n\
         \n  test                      build everything (binary, plugins, fixtures), then run every test\
         \n  contract [--plugin-dir DIR]...  run the plugin contract suite (default: manifests/)\
         \n  demo                      chat, stream, image, video and speech through the real binary\
         \n                            (fake server unless OPENROUTER_API_KEY is set)\
         \n  bench [--quick] [--only N,N]  release-build performance benchmark against the fake server\
         \n                            (table + target/bench/report.json; --only: those sections)\
         \n  fuzz [--minutes N] [--target T]...  fuzz every parser N minutes each (default 10)\
         \n  soak [--minutes N] [--rate R] [--seed S]  fault-injection soak (default 5 min, rate 0.2)\
         \n  crashloop [--iterations N] [--seed S]  SIGKILL `video` at every phase, then resume (default 20)\
         \n  install [--prefix DIR]    release build, then bin/, lib/switchyard/plugins/, completions and\
         \n                            man pages under DIR (default ~/.local)\
         \n  dist                      the same tree as target/dist/switchyard-<version>-<target>.tar.gz (+ .sha256)\
         \n  litellm-setup [--force]   LiteLLM's proxy (PyPI) into target/litellm-venv, for the\
         \n                            real_openai_server tests (a real OpenAI-compatible server)"
    );
}

/// The workspace root.
pub fn root() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    p.canonicalize().unwrap_or(p)
}

/// The target directory.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

/// Runs a command in the workspace root, failing on a non-zero exit.
pub fn sh(program: &str, args: &[&str]) -> Result<()> {
    sh_in(&root(), program, args)
}

/// Runs a command in `dir`, failing on a non-zero exit.
pub fn sh_in(dir: &Path, program: &str, args: &[&str]) -> Result<()> {
    eprintln!("$ {program} {}", args.join(" "));
    let mut cmd = Command::new(program);
    cmd.args(args).current_dir(dir);
    // `cargo run` gives xtask its own package's variables; a nested cargo
    // passing them on to build scripts makes some (ring) rebuild each time.
    for (k, _) in std::env::vars_os() {
        if let Some(k) = k.to_str() {
            if k.starts_with("CARGO_PKG_")
                || matches!(
                    k,
                    "CARGO_MANIFEST_DIR"
                        | "CARGO_MANIFEST_PATH"
                        | "CARGO_CRATE_NAME"
                        | "CARGO_BIN_NAME"
                        | "CARGO_PRIMARY_PACKAGE"
                )
            {
                cmd.env_remove(k);
            }
        }
    }
    let status = cmd
        .status()
        .with_context(|| format!("cannot run {program}"))?;
    if !status.success() {
        bail!("`{program} {}` failed ({status})", args.join(" "));
    }
    Ok(())
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// Tests that are `#[ignore]`d because they need something this machine may
/// not have: run with `--ignored` when their condition holds, otherwise
/// counted and reported as skipped with the reason.
struct Conditional {
    /// `cargo test` arguments selecting the test target.
    target: [&'static str; 4],
    /// Why the tests may not run, when they cannot.
    unmet: Option<String>,
}

fn conditional_tests() -> Vec<Conditional> {
    let spec = fake_openrouter::schema::spec_path();
    let spec_unmet = (!spec.is_file()).then(|| {
        format!(
            "the OpenAPI spec {} is not there (shared/reference beside the checkout, or SWITCHYARD_SHARED_DIR)",
            spec.display()
        )
    });
    let live = std::env::var("SWITCHYARD_LIVE_TEST").is_ok_and(|v| v == "1")
        && std::env::var("OPENROUTER_API_KEY").is_ok_and(|k| !k.trim().is_empty());
    vec![
        Conditional {
            target: ["-p", "fake-openrouter", "--test", "schema_conformance"],
            unmet: spec_unmet.clone(),
        },
        Conditional {
            target: ["-p", "switchyard-e2e", "--test", "schema_requests"],
            unmet: spec_unmet,
        },
        Conditional {
            target: ["-p", "switchyard-e2e", "--test", "live_openrouter"],
            unmet: (!live).then(|| {
                "live tests need SWITCHYARD_LIVE_TEST=1 and OPENROUTER_API_KEY (they cost credits)"
                    .to_string()
            }),
        },
        Conditional {
            target: ["-p", "switchyard-e2e", "--test", "install"],
            unmet: (!std::env::var("SWITCHYARD_RELEASE_TESTS").is_ok_and(|v| v == "1")).then(|| {
                "the release install test builds the shipped profile (minutes cold); set SWITCHYARD_RELEASE_TESTS=1"
                    .to_string()
            }),
        },
        Conditional {
            target: ["-p", "switchyard-e2e", "--test", "real_openai_server"],
            unmet: (!switchyard_e2e::litellm::installed())
                .then(|| switchyard_e2e::litellm::NOT_INSTALLED.to_string()),
        },
    ]
}

/// How many `#[ignore]`d tests a test target holds (`--ignored --list`).
fn count_ignored(c: &str, target: &[&str]) -> Result<usize> {
    let out = Command::new(c)
        .arg("test")
        .args(target)
        .args(["--", "--ignored", "--list"])
        .current_dir(root())
        .output()
        .with_context(|| format!("cannot run {c}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(text.lines().filter(|l| l.ends_with(": test")).count())
}

fn test(rest: &[String]) -> Result<()> {
    let c = cargo();
    sh(&c, &["build", "--workspace", "--all-targets"])?;
    external::build(&c)?;
    let mut args = vec!["test", "--workspace"];
    args.extend(rest.iter().map(String::as_str));
    sh(&c, &args)?;
    let mut skipped = Vec::new();
    for t in conditional_tests() {
        match &t.unmet {
            None => {
                let mut args = vec!["test"];
                args.extend(t.target);
                args.extend(["--", "--ignored"]);
                sh(&c, &args)?;
            }
            Some(why) => skipped.push((t.target[3], count_ignored(&c, &t.target)?, why.clone())),
        }
    }
    contract::run(&[])?;
    contract::run(&external::template_contract_args())?;
    // The ABI crate and the kit are ready to publish: packaged and built
    // from their packages, as crates.io would.
    sh(
        &c,
        &[
            "package",
            "-p",
            "switchyard-plugin-api",
            "-p",
            "switchyard-provider-kit",
            "--allow-dirty",
        ],
    )?;
    let total: usize = skipped.iter().map(|s| s.1).sum();
    println!("{total} test(s) skipped (ignored, their condition does not hold here)");
    for (target, n, why) in &skipped {
        println!("  {target}: {n} skipped: {why}");
    }
    Ok(())
}

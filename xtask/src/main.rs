/*!
`cargo xtask`: the project's automation, in Rust.

- `test`: builds every crate (binary, plugin cdylibs, fixture plugins, and
  the out-of-workspace template and ABI fixtures, [`external`]), then runs
  every test (`cargo test` alone does not build the cdylibs the end-to-end
  tests load) and the contract suite (bundled plugins, then the template).
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
*/

mod bench;
mod contract;
mod demo;
mod external;
mod fuzz;
mod soak;

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
         \n  crashloop [--iterations N] [--seed S]  SIGKILL `video` at every phase, then resume (default 20)"
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

fn test(rest: &[String]) -> Result<()> {
    let c = cargo();
    sh(&c, &["build", "--workspace", "--all-targets"])?;
    external::build(&c)?;
    let mut args = vec!["test", "--workspace"];
    args.extend(rest.iter().map(String::as_str));
    sh(&c, &args)?;
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
    )
}

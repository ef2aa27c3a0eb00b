/*!
`cargo xtask`: the project's automation, in Rust.

- `test`: builds every crate (binary, plugin cdylibs, fixture plugins),
  then runs every test (`cargo test` alone does not build the cdylibs the
  end-to-end tests load).
- `contract [--plugin-dir DIR]...`: the contract every plugin must pass,
  run against the project's fake OpenRouter server ([`contract`]).
- `demo`: the main jobs through the real binary and plugin, on the bundled
  fake server when `OPENROUTER_API_KEY` is unset ([`demo`]).
- `bench [--quick]`: the performance benchmark, release build, every
  figure a ratio against a floor measured in the same run ([`bench`]).
*/

mod bench;
mod contract;
mod demo;

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
         \n  bench [--quick]           release-build performance benchmark against the fake server\
         \n                            (table + target/bench/report.json)"
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
    let status = Command::new(program)
        .args(args)
        .current_dir(dir)
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
    let mut args = vec!["test", "--workspace"];
    args.extend(rest.iter().map(String::as_str));
    sh(&c, &args)?;
    contract::run(&[])
}

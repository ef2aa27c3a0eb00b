/*!
`cargo xtask contract [--plugin-dir DIR]...`: a thin wrapper over the
contract suite the binary ships (`switchyard plugins test DIR --base-url
URL`), run against the project's fake OpenRouter server for every DIR
(default: the workspace's `manifests/`). The suite itself is
`core/src/contract.rs`.
*/

use anyhow::{bail, Context, Result};
use fake_openrouter::FakeServer;
use std::path::PathBuf;
use std::process::Command;
use switchyard_core::registry::LookupTable;

/// Runs the suite; `args` may hold `--plugin-dir DIR` pairs.
pub fn run(args: &[String]) -> Result<()> {
    let mut dirs = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--plugin-dir" => match it.next() {
                Some(d) => dirs.push(PathBuf::from(d)),
                None => bail!("--plugin-dir needs a directory"),
            },
            other => bail!("unknown contract argument {other:?}"),
        }
    }
    if dirs.is_empty() {
        dirs.push(crate::root().join("manifests"));
    }
    let bin = crate::target_dir().join("debug").join("switchyard");
    if !bin.is_file() {
        bail!(
            "{} is missing: run `cargo build --workspace` first",
            bin.display()
        );
    }
    let server = FakeServer::start()?;
    // An empty config of its own, so a user's key never goes to the fake.
    let config = crate::target_dir().join("contract-config.toml");
    std::fs::write(&config, "# empty: the contract suite's own config\n")
        .with_context(|| format!("cannot write {}", config.display()))?;
    let mut failed = Vec::new();
    for d in &dirs {
        eprintln!(
            "$ switchyard plugins test {} --base-url {}",
            d.display(),
            server.base_url()
        );
        let mut cmd = Command::new(&bin);
        // The fake's key in every variable the plugins here read their key from.
        let manifests = LookupTable::scan(&[d.clone(), d.join("manifest")]);
        for m in manifests.plugins() {
            for var in &m.auth.env {
                cmd.env(var, server.api_key());
            }
        }
        let status = cmd
            .args(["plugins", "test"])
            .arg(d)
            .args(["--base-url", &server.base_url()])
            .env("SWITCHYARD_CONFIG", &config)
            .env_remove("SWITCHYARD_PLUGIN_PATH")
            .status()
            .with_context(|| format!("cannot run {}", bin.display()))?;
        if !status.success() {
            failed.push(d.display().to_string());
        }
    }
    if !failed.is_empty() {
        bail!("the contract suite failed for {}", failed.join(", "));
    }
    println!("all contract checks passed");
    Ok(())
}

/*!
Crates that live outside the workspace on purpose and are built by
`cargo xtask test` before the tests run:

- `examples/plugin-template`: the standalone plugin a third party starts
  from (its own `[workspace]`, depending on the provider kit as an outside
  crate would); after the tests it must pass the contract suite;
- `tests/external-plugins/tinytalk`: an out-of-tree plugin for an API that
  is not OpenAI's, run through `plugins test` against a server of its own;
- the crates under `tests/abi-fixtures/`: plugins (and a host) built against other releases
  of the plugin API (frozen copies of their sources), for the ABI-evolution
  tests.

Each is built with `CARGO_TARGET_DIR` set to the workspace's target
directory, so its library lands in `target/debug` beside `switchyard`,
where the host and the tests look for plugin libraries.
*/

use anyhow::{bail, Context, Result};
use std::path::PathBuf;
use std::process::Command;

/// The out-of-workspace crates, relative to the workspace root.
pub const CRATES: [&str; 5] = [
    "examples/plugin-template",
    "tests/external-plugins/tinytalk",
    "tests/abi-fixtures/old-major",
    "tests/abi-fixtures/v2-0-plugin",
    "tests/abi-fixtures/v2-0-host",
];

/// The template's manifest directory, relative to the workspace root.
pub const TEMPLATE_MANIFESTS: &str = "examples/plugin-template/manifest";

/// The workspace's target directory as an absolute path.
fn target_dir() -> PathBuf {
    let t = crate::target_dir();
    if t.is_absolute() {
        t
    } else {
        crate::root().join(t)
    }
}

/// Builds every crate of [`CRATES`] into the workspace's target directory.
pub fn build(cargo: &str) -> Result<()> {
    let target = target_dir();
    for rel in CRATES {
        let dir = crate::root().join(rel);
        eprintln!(
            "$ (cd {rel} && CARGO_TARGET_DIR={} {cargo} build)",
            target.display()
        );
        let status = Command::new(cargo)
            .arg("build")
            .current_dir(&dir)
            .env("CARGO_TARGET_DIR", &target)
            .status()
            .with_context(|| format!("cannot run {cargo} in {}", dir.display()))?;
        if !status.success() {
            bail!("building {rel} failed ({status})");
        }
    }
    Ok(())
}

/// The contract suite's arguments for the template plugin.
pub fn template_contract_args() -> Vec<String> {
    vec![
        "--plugin-dir".to_string(),
        crate::root().join(TEMPLATE_MANIFESTS).display().to_string(),
    ]
}

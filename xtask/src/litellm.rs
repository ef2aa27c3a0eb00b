/*!
`cargo xtask litellm-setup [--force]`: installs LiteLLM's proxy, the real
OpenAI-compatible server the `real_openai_server` end-to-end tests run
against, into `target/litellm-venv` (`python3 -m venv`, then
`pip install 'litellm[proxy]==VERSION'`, the version pinned in
[`switchyard_e2e::litellm::VERSION`]). Everything comes from PyPI; the
tests then need no network beyond loopback (the models are mocked).

An install of the pinned version is kept (`--force` installs anew); a
failed install is removed, so the tests' condition (the venv's `litellm`
executable exists) never holds for half a venv.
*/

use anyhow::{bail, Context, Result};
use std::path::Path;
use std::time::Instant;
use switchyard_e2e::litellm;

/// `cargo xtask litellm-setup [--force]`.
pub fn setup(args: &[String]) -> Result<()> {
    let force = match args {
        [] => false,
        [f] if f == "--force" => true,
        other => bail!(
            "unknown litellm-setup arguments {other:?}; usage: cargo xtask litellm-setup [--force]"
        ),
    };
    let venv = litellm::venv_dir();
    let wanted = litellm::VERSION;
    if !force && litellm::installed() {
        match litellm::installed_version() {
            Some(v) if v == wanted => {
                println!(
                    "LiteLLM {v} is already installed in {} (--force to reinstall)",
                    venv.display()
                );
                return Ok(());
            }
            Some(v) => eprintln!("{} holds LiteLLM {v}; installing {wanted}", venv.display()),
            None => eprintln!("{} is incomplete; installing anew", venv.display()),
        }
    }
    if venv.exists() {
        std::fs::remove_dir_all(&venv)
            .with_context(|| format!("cannot remove {}", venv.display()))?;
    }
    let started = Instant::now();
    let result = install(&venv, wanted);
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&venv);
    }
    result?;
    println!(
        "installed LiteLLM {wanted} into {} in {:.0} s ({})",
        venv.display(),
        started.elapsed().as_secs_f64(),
        switchyard_dist::human_size(dir_size(&venv))
    );
    println!("run its tests: cargo test -p switchyard-e2e --test real_openai_server -- --ignored");
    Ok(())
}

fn install(venv: &Path, version: &str) -> Result<()> {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let venv_arg = venv.to_str().context("the target directory is not UTF-8")?;
    crate::sh(&python, &["-m", "venv", venv_arg]).with_context(|| {
        format!("cannot create a venv with {python} (Python 3.10 to 3.14, with its venv module)")
    })?;
    let pip = litellm::python();
    let pip = pip.to_str().context("the target directory is not UTF-8")?;
    let requirement = format!("litellm[proxy]=={version}");
    crate::sh(
        pip,
        &[
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
            &requirement,
        ],
    )
    .context("pip could not install LiteLLM (it needs PyPI)")?;
    match litellm::installed_version() {
        Some(v) if v == version && litellm::installed() => Ok(()),
        Some(v) => bail!("pip installed LiteLLM {v}, not {version}"),
        None => bail!(
            "pip finished but LiteLLM is not importable from {}",
            venv.display()
        ),
    }
}

/// The bytes of every file under `dir`.
fn dir_size(dir: &Path) -> u64 {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return 0;
    };
    rd.flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_size(&e.path()),
            Ok(t) if t.is_file() => e.metadata().map(|m| m.len()).unwrap_or(0),
            _ => 0,
        })
        .sum()
}

/*!
Shell completions and man pages, generated from the CLI definition
(`switchyard_cli::Cli`), the one the binary parses with.
*/

use anyhow::{Context, Result};
use clap::CommandFactory;
use clap_complete::Shell;
use std::path::Path;
use switchyard_cli::Cli;

/// Where each shell looks for completions, relative to the prefix.
pub const COMPLETIONS: [(Shell, &str); 3] = [
    (Shell::Bash, "share/bash-completion/completions/switchyard"),
    (Shell::Zsh, "share/zsh/site-functions/_switchyard"),
    (
        Shell::Fish,
        "share/fish/vendor_completions.d/switchyard.fish",
    ),
];

/// Where the man pages go, relative to the prefix.
pub const MAN_DIR: &str = "share/man/man1";

/// Writes the completions and man pages under `dest`.
pub fn write(dest: &Path) -> Result<()> {
    for (shell, rel) in COMPLETIONS {
        let mut out: Vec<u8> = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "switchyard", &mut out);
        write_file(&dest.join(rel), &out)?;
    }
    let man = dest.join(MAN_DIR);
    std::fs::create_dir_all(&man).with_context(|| format!("cannot create {}", man.display()))?;
    // switchyard.1, and switchyard-<command>.1 for each (sub)command.
    clap_mangen::generate_to(Cli::command(), &man)
        .with_context(|| format!("cannot write the man pages into {}", man.display()))
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
    }
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

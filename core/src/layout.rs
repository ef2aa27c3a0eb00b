/*!
Where things are, found at run time: never a path compiled in from the
build machine, so an install (or an unpacked tarball) works wherever it is
moved.

- The install's bundled plugins: `<exe dir>/../lib/switchyard/plugins/<id>/`
  (manifest and library side by side), the executable's path resolved
  through symlinks first.
- The user's plugins: `$XDG_DATA_HOME/switchyard/plugins/<id>/` (else
  `~/.local/share/switchyard/plugins/<id>/`), same layout.
- The development workspace's `manifests/`, only when the running
  executable sits in a cargo `target/` directory of a workspace that has
  one (`cargo build` output used as it is).

The plugin directories a command scans ([`search_dirs`]) are the ones the
user named (`--plugin-dir`, `SWITCHYARD_PLUGIN_PATH`, `plugins.dirs`), then
these defaults, in that order (DESIGN §3): the first manifest of an id wins.
*/

use std::path::{Path, PathBuf};

/// Where a plugin directory comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `--plugin-dir DIR`.
    PluginDir,
    /// `SWITCHYARD_PLUGIN_PATH`.
    EnvPath,
    /// `plugins.dirs` in the config file.
    Config,
    /// The user's data directory (`$XDG_DATA_HOME/switchyard/plugins`).
    User,
    /// The install's own `lib/switchyard/plugins`.
    Bundled,
    /// The development workspace's `manifests/`.
    Workspace,
}

impl Source {
    /// The name printed by `plugins list` and `config path`.
    pub fn label(self) -> &'static str {
        match self {
            Source::PluginDir => "--plugin-dir",
            Source::EnvPath => "SWITCHYARD_PLUGIN_PATH",
            Source::Config => "config plugins.dirs",
            Source::User => "user",
            Source::Bundled => "bundled",
            Source::Workspace => "workspace",
        }
    }
}

/// One place plugins are looked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchDir {
    /// The directory.
    pub path: PathBuf,
    /// Where it comes from.
    pub source: Source,
    /// `true` when each subdirectory holds one plugin (the bundled and user
    /// layouts); `false` when the manifests are in the directory itself.
    pub per_plugin: bool,
}

/// The directory of the running executable, symlinks resolved.
pub fn exe_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let exe = exe.canonicalize().unwrap_or(exe);
    exe.parent().map(Path::to_path_buf)
}

/// The install's bundled plugins: `<exe dir>/../lib/switchyard/plugins`.
pub fn bundled_plugins_dir() -> Option<PathBuf> {
    bundled_plugins_dir_for(&exe_dir()?)
}

fn bundled_plugins_dir_for(exe_dir: &Path) -> Option<PathBuf> {
    Some(
        exe_dir
            .parent()?
            .join("lib")
            .join("switchyard")
            .join("plugins"),
    )
}

/// The user's data directory: `$XDG_DATA_HOME/switchyard`, else
/// `~/.local/share/switchyard`; `None` when neither gives an absolute path
/// (as the XDG spec says; plugins are never loaded from a directory
/// relative to the working directory).
pub fn user_data_dir() -> Option<PathBuf> {
    Some(crate::paths::Dirs::from_env().data).filter(|d| d.is_absolute())
}

/// The user's plugins: `<user data dir>/plugins`, one subdirectory each.
pub fn user_plugins_dir() -> Option<PathBuf> {
    user_data_dir().map(|d| d.join("plugins"))
}

/// The cargo workspace the running executable was built in, when it runs
/// from the workspace's `target/` (`target/<profile>/`, or
/// `target/<triple>/<profile>/`): a directory named `target` whose parent
/// holds `Cargo.toml` and `manifests/`. `None` for an installed binary,
/// even one installed inside a workspace's `target/`.
pub fn dev_workspace() -> Option<PathBuf> {
    dev_workspace_for(&exe_dir()?)
}

fn dev_workspace_for(exe_dir: &Path) -> Option<PathBuf> {
    // Cargo's own mark of a profile directory (an install has none).
    if !exe_dir.join(".fingerprint").is_dir() {
        return None;
    }
    // exe dir = target/<profile> or target/<triple>/<profile>.
    exe_dir
        .ancestors()
        .skip(1)
        .take(2)
        .filter(|d| d.file_name().is_some_and(|n| n == "target"))
        .filter_map(Path::parent)
        .find(|ws| ws.join("Cargo.toml").is_file() && ws.join("manifests").is_dir())
        .map(Path::to_path_buf)
}

/// The default plugin directories, in search order: the user's, the
/// install's bundled ones, then the development workspace's `manifests/`.
pub fn default_dirs() -> Vec<SearchDir> {
    let mut dirs = Vec::new();
    if let Some(d) = user_plugins_dir() {
        dirs.push(SearchDir {
            path: d,
            source: Source::User,
            per_plugin: true,
        });
    }
    let exe_dir = exe_dir();
    if let Some(d) = exe_dir.as_deref().and_then(bundled_plugins_dir_for) {
        dirs.push(SearchDir {
            path: d,
            source: Source::Bundled,
            per_plugin: true,
        });
    }
    if let Some(ws) = exe_dir.as_deref().and_then(dev_workspace_for) {
        dirs.push(SearchDir {
            path: ws.join("manifests"),
            source: Source::Workspace,
            per_plugin: false,
        });
    }
    dirs
}

/// Every plugin directory in search order: the ones the user named (as
/// `commands::user_plugin_dirs` gives them: a directory and the words
/// naming where it came from), then [`default_dirs`].
pub fn search_dirs(named: Vec<(PathBuf, &'static str)>) -> Vec<SearchDir> {
    let mut dirs: Vec<SearchDir> = named
        .into_iter()
        .map(|(path, from)| SearchDir {
            path,
            source: match from {
                "--plugin-dir" => Source::PluginDir,
                "SWITCHYARD_PLUGIN_PATH" => Source::EnvPath,
                _ => Source::Config,
            },
            per_plugin: false,
        })
        .collect();
    dirs.extend(default_dirs());
    dirs
}

/// The directories to scan for manifests, in order: each directory, or
/// for a per-plugin one each of its subdirectories (sorted by name).
pub fn scan_list(dirs: &[SearchDir]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for d in dirs {
        if d.per_plugin {
            out.extend(subdirs(&d.path));
        } else {
            out.push(d.path.clone());
        }
    }
    out
}

/// The subdirectories of `dir`, sorted; none when it cannot be read.
fn subdirs(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// The search directory a manifest found by the scan came from: the first
/// in order whose directory (or, per plugin, a subdirectory of it) holds it.
pub fn source_of<'a>(dirs: &'a [SearchDir], manifest: &Path) -> Option<&'a SearchDir> {
    let canonical = |p: &Path| p.canonicalize().ok();
    let parent = manifest.parent().and_then(canonical)?;
    let grandparent = parent.parent();
    dirs.iter().find(|d| {
        let Some(dir) = canonical(&d.path) else {
            return false;
        };
        if d.per_plugin {
            grandparent == Some(dir.as_path())
        } else {
            parent == dir
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tempdir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("sy-layout-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn bundled_dir_is_beside_the_bin_dir() {
        assert_eq!(
            bundled_plugins_dir_for(Path::new("/opt/sy/bin")),
            Some(PathBuf::from("/opt/sy/lib/switchyard/plugins"))
        );
    }

    #[test]
    fn workspace_is_found_only_from_its_target_dir() {
        let ws = tempdir("ws");
        std::fs::write(ws.join("Cargo.toml"), "[workspace]\n").unwrap();
        std::fs::create_dir_all(ws.join("manifests")).unwrap();
        let debug = ws.join("target/debug");
        let cross = ws.join("target/x86_64-unknown-linux-gnu/release");
        let installed = ws.join("target/tmp-install/bin");
        for d in [&debug, &cross, &installed, &ws.join("bin")] {
            std::fs::create_dir_all(d).unwrap();
        }
        for d in [&debug, &cross] {
            std::fs::create_dir_all(d.join(".fingerprint")).unwrap();
            assert_eq!(dev_workspace_for(d), Some(ws.clone()));
        }
        // An install, even one inside the workspace, is not a build output.
        assert_eq!(dev_workspace_for(&ws.join("bin")), None);
        assert_eq!(dev_workspace_for(&installed), None);
        std::fs::remove_dir_all(ws.join("manifests")).unwrap();
        assert_eq!(dev_workspace_for(&debug), None);
        let _ = std::fs::remove_dir_all(&ws);
    }

    #[test]
    fn per_plugin_dirs_scan_their_subdirectories_and_name_the_source() {
        let root = tempdir("plugins");
        for id in ["b", "a"] {
            std::fs::create_dir_all(root.join(id)).unwrap();
            std::fs::write(root.join(id).join("manifest.toml"), "").unwrap();
        }
        std::fs::write(root.join("stray.toml"), "").unwrap();
        let flat = tempdir("flat");
        let dirs = vec![
            SearchDir {
                path: flat.clone(),
                source: Source::PluginDir,
                per_plugin: false,
            },
            SearchDir {
                path: root.clone(),
                source: Source::Bundled,
                per_plugin: true,
            },
        ];
        assert_eq!(
            scan_list(&dirs),
            vec![flat.clone(), root.join("a"), root.join("b")]
        );
        let found = source_of(&dirs, &root.join("a/manifest.toml")).map(|d| d.source);
        assert_eq!(found, Some(Source::Bundled));
        assert_eq!(source_of(&dirs, &root.join("stray.toml")), None);
        for d in [root, flat] {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

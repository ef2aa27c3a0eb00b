/*!
Editing the config file as a document (toml_edit), never re-serializing
it: comments, key order and formatting of an existing file are kept. A new
file is created with mode 0600 (it may hold a key). Writes are atomic
([`crate::files::write_atomic`]) and keep an existing file's permissions, except
that a file left holding a key is tightened to 0600 (owner only). A
symlinked config (dotfile managers) is edited through the link: the file
it points to is replaced, the link stays.
*/

use crate::error::{ConfigError, HostError};
use crate::files::{self, Mode};
use crate::session::Session;
use std::path::{Path, PathBuf};
/// A config value, as [`set`] takes it (toml_edit's).
pub use toml_edit::Value;
use toml_edit::{DocumentMut, Item, Table};

/// Sets each dotted key to its value in the config at `path` (through
/// symlinks).
pub fn set(session: &Session, path: &Path, values: &[(&str, Value)]) -> Result<(), HostError> {
    let target = resolve_links(path)?;
    let path = target.as_path();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => {
            return Err(ConfigError::File {
                what: "cannot read",
                path: path.to_path_buf(),
                source,
            }
            .into())
        }
    };
    let mut doc: DocumentMut =
        text.as_deref()
            .unwrap_or("")
            .parse()
            .map_err(|e: toml_edit::TomlError| ConfigError::Syntax {
                path: path.to_path_buf(),
                detail: crate::manifest::one_line(&e.to_string()),
            })?;
    for (key, value) in values {
        set_dotted(&mut doc, key, value.clone()).map_err(|why| ConfigError::Set {
            key: key.to_string(),
            path: path.to_path_buf(),
            why,
        })?;
    }
    let new_text = doc.to_string();
    let holds_key = holds_key(session, &new_text);
    write_atomic(
        session,
        path,
        new_text.as_bytes(),
        text.is_none(),
        holds_key,
    )
}

/// The file `path` names, following symlinks (relative targets are
/// relative to the link's directory); a dangling link gives the missing
/// target, which is then created.
fn resolve_links(path: &Path) -> Result<PathBuf, HostError> {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let to = std::fs::read_link(&p).map_err(|source| ConfigError::File {
                    what: "cannot read the symlink",
                    path: p.clone(),
                    source,
                })?;
                p = match p.parent() {
                    Some(dir) if to.is_relative() => dir.join(to),
                    _ => to,
                };
            }
            _ => return Ok(p),
        }
    }
    Err(ConfigError::SymlinkLoop {
        path: path.to_path_buf(),
    }
    .into())
}

/// Whether config text holds a key: a value at a path that always holds
/// secrets, or any secret this run knows of (manifest paths, the key
/// being onboarded).
fn holds_key(session: &Session, text: &str) -> bool {
    let at_secret_path = toml::from_str::<toml::Table>(text).is_ok_and(|t| {
        crate::secrets::HOST_SECRET_PATHS.iter().any(|p| {
            crate::secrets::values_at(&t, p)
                .iter()
                .any(|v| !v.trim().is_empty())
        })
    });
    at_secret_path || session.secrets().redact(text) != text
}

/// Whether a dotted key holds a value in the config at `path`.
pub fn has(path: &Path, key: &str) -> bool {
    let Ok(text) = std::fs::read_to_string(path) else {
        return false;
    };
    let Ok(doc) = text.parse::<DocumentMut>() else {
        return false;
    };
    let mut item: &Item = doc.as_item();
    for seg in key.split('.') {
        match item.get(seg) {
            Some(i) => item = i,
            None => return false,
        }
    }
    !item.is_none()
}

fn set_dotted(doc: &mut DocumentMut, key: &str, value: Value) -> Result<(), String> {
    let segs: Vec<&str> = key.split('.').collect();
    let (last, parents) = segs.split_last().ok_or("empty key")?;
    let mut table: &mut Table = doc.as_table_mut();
    for seg in parents {
        let entry = table.entry(seg).or_insert_with(|| {
            let mut t = Table::new();
            t.set_implicit(true);
            Item::Table(t)
        });
        table = entry
            .as_table_mut()
            .ok_or_else(|| format!("`{seg}` is not a table"))?;
    }
    table.insert(last, Item::Value(value));
    Ok(())
}

fn write_atomic(
    session: &Session,
    path: &Path,
    bytes: &[u8],
    new_file: bool,
    holds_key: bool,
) -> Result<(), HostError> {
    let mode = match std::fs::metadata(path) {
        Ok(meta) if !new_file => Mode::Keep(kept_permissions(session, path, meta, holds_key)),
        _ => Mode::Private,
    };
    files::write_atomic(path, bytes, mode).map_err(|source| {
        ConfigError::File {
            what: "cannot write",
            path: path.to_path_buf(),
            source,
        }
        .into()
    })
}

/// An existing file's permissions for its new content: kept, but without
/// any group or other access when it holds a key (0644 becomes 0600).
fn kept_permissions(
    session: &Session,
    path: &Path,
    meta: std::fs::Metadata,
    holds_key: bool,
) -> std::fs::Permissions {
    let perms = meta.permissions();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = perms.mode() & 0o7777;
        if holds_key && mode & 0o077 != 0 {
            let tight = mode & 0o600;
            session.notice(&format!(
                "note: {} holds an API key: its mode was {mode:04o}, now {tight:04o} (readable by you only)",
                path.display()
            ));
            return std::fs::Permissions::from_mode(tight);
        }
    }
    let _ = (session, path, holds_key);
    perms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_keep_comments_and_order() {
        let d = std::env::temp_dir().join(format!("sy-edit-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        let p = d.join("c.toml");
        std::fs::write(
            &p,
            "# my comment\n[zzz]\na = 1\n\n[agents.defaults.model]\nprimary = \"x\" # keep\n",
        )
        .unwrap();
        set(
            &Session::silent(),
            &p,
            &[
                ("agents.defaults.model.primary", "openrouter/auto".into()),
                ("models.providers.openrouter.apiKey", "k".into()),
            ],
        )
        .unwrap();
        let t = std::fs::read_to_string(&p).unwrap();
        assert!(t.starts_with("# my comment\n[zzz]\na = 1\n"), "{t}");
        assert!(t.contains("primary = \"openrouter/auto\""), "{t}");
        assert!(
            t.contains("[models.providers.openrouter]\napiKey = \"k\""),
            "{t}"
        );
        assert!(has(&p, "models.providers.openrouter.apiKey"));
        let _ = std::fs::remove_dir_all(&d);
    }

    #[cfg(unix)]
    #[test]
    fn a_key_tightens_the_file_and_a_symlink_is_edited_through() {
        use std::os::unix::fs::PermissionsExt;
        let d = std::env::temp_dir().join(format!("sy-edit-link-{}", std::process::id()));
        std::fs::create_dir_all(d.join("dotfiles")).unwrap();
        let real = d.join("dotfiles/config.toml");
        std::fs::write(&real, "# mine\n").unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o644)).unwrap();
        let link = d.join("config.toml");
        std::os::unix::fs::symlink("dotfiles/config.toml", &link).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;

        set(
            &Session::silent(),
            &link,
            &[("agents.defaults.model.primary", "openrouter/auto".into())],
        )
        .unwrap();
        assert_eq!(mode(&real), 0o644, "no key: permissions kept");
        set(
            &Session::silent(),
            &link,
            &[("models.providers.openrouter.apiKey", "k-123456".into())],
        )
        .unwrap();
        assert_eq!(mode(&real), 0o600);
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        let text = std::fs::read_to_string(&real).unwrap();
        assert!(
            text.contains("# mine") && text.contains("k-123456"),
            "{text}"
        );
        let _ = std::fs::remove_dir_all(&d);
    }
}

/*!
Editing the config file as a document (toml_edit), never re-serializing
it: comments, key order and formatting of an existing file are kept. A new
file is created with mode 0600 (it may hold a key). Writes are atomic
(temporary file + rename) and keep an existing file's permissions.
*/

use crate::error::HostError;
use std::path::Path;
use toml_edit::{DocumentMut, Item, Table, Value};

/// Sets each dotted key to its value in the config at `path`.
pub fn set(path: &Path, values: &[(&str, Value)]) -> Result<(), HostError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(HostError::Config(format!(
                "cannot read {}: {e}",
                path.display()
            )))
        }
    };
    let mut doc: DocumentMut =
        text.as_deref()
            .unwrap_or("")
            .parse()
            .map_err(|e: toml_edit::TomlError| {
                HostError::Config(format!(
                    "config file {}: {}",
                    path.display(),
                    crate::manifest::one_line(&e.to_string())
                ))
            })?;
    for (key, value) in values {
        set_dotted(&mut doc, key, value.clone()).map_err(|why| {
            HostError::Config(format!("cannot set `{key}` in {}: {why}", path.display()))
        })?;
    }
    write_atomic(path, doc.to_string().as_bytes(), text.is_none())
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

fn write_atomic(path: &Path, bytes: &[u8], new_file: bool) -> Result<(), HostError> {
    use std::io::Write;
    let err =
        |e: std::io::Error| HostError::Config(format!("cannot write {}: {e}", path.display()));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    let tmp = path.with_extension(format!("toml.{}.tmp", std::process::id()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp).map_err(err)?;
    f.write_all(bytes).map_err(err)?;
    f.sync_all().map_err(err)?;
    drop(f);
    if !new_file {
        if let Ok(meta) = std::fs::metadata(path) {
            let _ = std::fs::set_permissions(&tmp, meta.permissions());
        }
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        err(e)
    })
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
}

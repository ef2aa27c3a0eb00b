/*!
Atomic file writes, with one durability policy for every file the host
replaces (the job journal, the catalog cache, config edits, outputs): the
new content is written to a temporary file in the same directory, the file
is synced, renamed over the target, and the directory is synced, so a
crash at any moment leaves either the old file or the whole new one.
*/

use std::fs::Permissions;
use std::io::{self, Write};
use std::path::Path;
use tempfile::NamedTempFile;

/// The permissions a replaced file gets.
#[derive(Debug, Clone)]
pub(crate) enum Mode {
    /// As a newly created file: 0666 less the umask.
    Default,
    /// Owner only (0600): the file may hold a key.
    Private,
    /// Exactly these (an edited file keeps its own).
    Keep(Permissions),
}

/// The directory of `path` ("." for a bare file name).
pub(crate) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// A temporary file for `path`, in its directory, named `.NAME.<tag>.tmp`
/// (deleted when dropped unless committed), created with `mode`.
pub(crate) fn temp_for(path: &Path, mode: &Mode) -> io::Result<NamedTempFile> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let prefix = format!(".{name}.");
    let mut b = tempfile::Builder::new();
    b.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        match mode {
            Mode::Default => b.permissions(Permissions::from_mode(0o666)),
            Mode::Private => b.permissions(Permissions::from_mode(0o600)),
            Mode::Keep(_) => b.permissions(Permissions::from_mode(0o600)),
        };
    }
    b.tempfile_in(parent_dir(path))
}

/// Makes `temp` the file at `path`: sync, rename, sync the directory.
pub(crate) fn commit(temp: NamedTempFile, path: &Path) -> io::Result<()> {
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    sync_dir(parent_dir(path));
    Ok(())
}

/// Syncs a directory so a rename in it survives a crash (best effort:
/// some platforms and file systems cannot open or sync a directory).
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Replaces the file at `path` with `bytes`, atomically and durably (see
/// the module documentation), creating its directory if needed.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], mode: Mode) -> io::Result<()> {
    std::fs::create_dir_all(parent_dir(path))?;
    let mut temp = temp_for(path, &mode)?;
    temp.write_all(bytes)?;
    if let Mode::Keep(perms) = mode {
        temp.as_file().set_permissions(perms)?;
    }
    commit(temp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_replaces_the_whole_file_and_leaves_no_temporary_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("sub/f.json");
        write_atomic(&p, b"one", Mode::Default).unwrap();
        write_atomic(&p, b"two", Mode::Private).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(p.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("f.json")]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}

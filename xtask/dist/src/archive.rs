/*!
The dist tarball: the staged tree under one top directory
(`switchyard-<version>/`), gzip-compressed, entries in path order with
fixed ownership and times (the same files give the same archive), and a
`sha256sum`-compatible checksum file beside it.
*/

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// A written archive.
#[derive(Debug, Clone)]
pub struct Archive {
    /// The `.tar.gz` file.
    pub tarball: PathBuf,
    /// Its checksum file (`<tarball>.sha256`).
    pub checksum: PathBuf,
    /// The SHA-256 of the tarball, lowercase hex.
    pub sha256: String,
}

/// Packs `staged` as `top/` into `tarball`, then writes `<tarball>.sha256`
/// (`<hex>  <file name>`, as `sha256sum` prints and `sha256sum -c` reads).
pub fn archive(staged: &Path, top: &str, tarball: &Path) -> Result<Archive> {
    if let Some(d) = tarball.parent() {
        std::fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
    }
    let file = std::fs::File::create(tarball)
        .with_context(|| format!("cannot create {}", tarball.display()))?;
    let gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    tar.mode(tar::HeaderMode::Deterministic);
    let top = Path::new(top);
    tar.append_dir(top, staged)
        .with_context(|| format!("cannot add {}", staged.display()))?;
    for (rel, is_dir, _) in crate::walk(staged)? {
        let path = staged.join(&rel);
        let added = if is_dir {
            tar.append_dir(top.join(&rel), &path)
        } else {
            tar.append_path_with_name(&path, top.join(&rel))
        };
        added.with_context(|| format!("cannot add {} to the archive", path.display()))?;
    }
    let mut file = tar
        .into_inner()
        .and_then(|gz| gz.finish())
        .with_context(|| format!("cannot write {}", tarball.display()))?;
    file.flush()
        .and_then(|_| file.sync_all())
        .with_context(|| format!("cannot write {}", tarball.display()))?;
    let sha256 = sha256_hex(tarball)?;
    let name = tarball
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut checksum = tarball.as_os_str().to_owned();
    checksum.push(".sha256");
    let checksum = PathBuf::from(checksum);
    std::fs::write(&checksum, format!("{sha256}  {name}\n"))
        .with_context(|| format!("cannot write {}", checksum.display()))?;
    Ok(Archive {
        tarball: tarball.to_path_buf(),
        checksum,
        sha256,
    })
}

/// The SHA-256 of a file, lowercase hex.
pub fn sha256_hex(path: &Path) -> Result<String> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file
            .read(&mut buf)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_a_known_text() {
        let d = std::env::temp_dir().join(format!("sy-dist-sha-{}", std::process::id()));
        std::fs::write(&d, "abc").unwrap();
        assert_eq!(
            sha256_hex(&d).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let _ = std::fs::remove_file(d);
    }
}

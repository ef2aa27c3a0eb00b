/*!
The lookup table: every manifest found in the plugin directories, indexed by
plugin id, model-ref prefix and capability, built without loading any
library.

Directories are scanned in order (`--plugin-dir`, `SWITCHYARD_PLUGIN_PATH`,
`plugins.dirs`, then the bundled `manifests/`); a directory reached twice is
scanned once. A broken manifest becomes a [`Diagnostic`] and the others still
load. Two manifests with one id in the same directory are both refused
(an error naming both files); across directories the first found wins, like
`PATH`, with a warning naming both.
*/

use crate::manifest::{Manifest, ManifestError};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A problem found while scanning, reported but not fatal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file concerned.
    pub path: PathBuf,
    /// What is wrong (already names the file).
    pub message: String,
    /// `true` for errors (the manifest was not loaded), `false` for warnings.
    pub is_error: bool,
}

/// The manifests found, indexed for lookup.
#[derive(Debug, Default)]
pub struct LookupTable {
    plugins: Vec<Arc<Manifest>>,
    by_id: HashMap<String, usize>,
    /// Prefixes sorted longest first, for longest-prefix matching (sorted
    /// once when the table is built, by [`LookupTable::sort_prefixes`]).
    prefixes: Vec<(String, usize)>,
    /// Each prefix's plugin, for the duplicate check while inserting.
    prefix_owner: HashMap<String, usize>,
    by_capability: BTreeMap<String, Vec<usize>>,
    /// Problems found while scanning.
    pub diagnostics: Vec<Diagnostic>,
    /// Directories actually scanned, in order.
    pub scanned_dirs: Vec<PathBuf>,
}

impl LookupTable {
    /// Scans `dirs` in order. Missing directories are skipped silently
    /// (they are defaults); unreadable ones are reported.
    pub fn scan(dirs: &[PathBuf]) -> Self {
        let mut table = LookupTable::default();
        let mut seen_dirs = HashSet::new();
        for dir in dirs {
            let canonical = match dir.canonicalize() {
                Ok(c) => c,
                Err(_) => continue,
            };
            if !seen_dirs.insert(canonical.clone()) {
                continue;
            }
            table.scan_dir(&canonical);
        }
        table.sort_prefixes();
        table
    }

    /// A table of manifests already parsed, inserted in order (the first
    /// of an id or of a model prefix wins, as across directories).
    pub fn from_manifests(manifests: impl IntoIterator<Item = Manifest>) -> Self {
        let mut table = LookupTable::default();
        for m in manifests {
            table.insert(m);
        }
        table.sort_prefixes();
        table
    }

    /// This table without the plugins `skip` names (e.g. disabled ones);
    /// their diagnostics are kept, the rest is rebuilt.
    pub fn without(self, skip: impl Fn(&Manifest) -> bool) -> Self {
        if !self.plugins.iter().any(|m| skip(m)) {
            return self;
        }
        let mut t = LookupTable::from_manifests(
            self.plugins
                .iter()
                .filter(|m| !skip(m))
                .map(|m| (**m).clone()),
        );
        t.diagnostics = self.diagnostics;
        t.scanned_dirs = self.scanned_dirs;
        t
    }

    /// Sorts the prefixes longest first (ties alphabetically). Done once per
    /// table rather than per insert, which made a scan quadratic.
    fn sort_prefixes(&mut self) {
        self.prefixes
            .sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
    }

    fn scan_dir(&mut self, dir: &Path) {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                self.diagnostics.push(Diagnostic {
                    path: dir.to_path_buf(),
                    message: format!("{}: cannot read plugin directory: {e}", dir.display()),
                    is_error: true,
                });
                return;
            }
        };
        self.scanned_dirs.push(dir.to_path_buf());
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        let mut parsed: Vec<Manifest> = Vec::with_capacity(files.len());
        for (path, result) in files.iter().zip(load_all(&files)) {
            match result {
                Ok(m) => {
                    for w in &m.warnings {
                        self.diagnostics.push(Diagnostic {
                            path: path.clone(),
                            message: format!("{}: {w}", path.display()),
                            is_error: false,
                        });
                    }
                    parsed.push(m)
                }
                Err(e) => self.diagnostics.push(Diagnostic {
                    path: path.clone(),
                    message: e.to_string(),
                    is_error: true,
                }),
            }
        }
        // Same id twice in one directory: refuse both, naming both files.
        let mut count: HashMap<&str, Vec<&Path>> = HashMap::new();
        for m in &parsed {
            count.entry(m.id.as_str()).or_default().push(&m.path);
        }
        let dup_ids: HashSet<String> = count
            .iter()
            .filter(|(_, v)| v.len() > 1)
            .map(|(k, _)| k.to_string())
            .collect();
        for id in &dup_ids {
            let files: Vec<String> = count[id.as_str()]
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            self.diagnostics.push(Diagnostic {
                path: count[id.as_str()][0].to_path_buf(),
                message: format!(
                    "plugin id {id:?} is declared by more than one manifest in one directory: {}; rename or remove one",
                    files.join(" and ")
                ),
                is_error: true,
            });
        }
        for m in parsed {
            if dup_ids.contains(&m.id) {
                continue;
            }
            self.insert(m);
        }
    }

    fn insert(&mut self, m: Manifest) {
        if let Some(&existing) = self.by_id.get(&m.id) {
            let first = &self.plugins[existing];
            self.diagnostics.push(Diagnostic {
                path: m.path.clone(),
                message: format!(
                    "plugin id {:?} in {} is shadowed by {} (found first)",
                    m.id,
                    m.path.display(),
                    first.path.display()
                ),
                is_error: false,
            });
            return;
        }
        if let Some(&other) = self.prefix_owner.get(&m.model_prefix) {
            let first = &self.plugins[other];
            self.diagnostics.push(Diagnostic {
                path: m.path.clone(),
                message: format!(
                    "{}: model_prefix {:?} is already served by plugin {:?} ({}); this manifest is ignored",
                    m.path.display(),
                    m.model_prefix,
                    first.id,
                    first.path.display()
                ),
                is_error: true,
            });
            return;
        }
        let idx = self.plugins.len();
        self.by_id.insert(m.id.clone(), idx);
        self.prefixes.push((m.model_prefix.clone(), idx));
        self.prefix_owner.insert(m.model_prefix.clone(), idx);
        for c in &m.capabilities {
            self.by_capability.entry(c.clone()).or_default().push(idx);
        }
        self.plugins.push(Arc::new(m));
    }

    /// Every loaded manifest, in scan order.
    pub fn plugins(&self) -> &[Arc<Manifest>] {
        &self.plugins
    }

    /// The manifest with this id.
    pub fn by_id(&self, id: &str) -> Option<&Arc<Manifest>> {
        self.by_id.get(id).map(|&i| &self.plugins[i])
    }

    /// The manifest whose model prefix is the longest match for `model_ref`.
    pub fn for_model(&self, model_ref: &str) -> Option<&Arc<Manifest>> {
        let lower = model_ref.to_ascii_lowercase();
        self.prefixes
            .iter()
            .find(|(p, _)| lower.starts_with(&p.to_ascii_lowercase()) && lower.len() > p.len())
            .map(|&(_, i)| &self.plugins[i])
    }

    /// Manifests offering `capability`, in scan order.
    pub(crate) fn with_capability(&self, capability: &str) -> Vec<&Arc<Manifest>> {
        self.by_capability
            .get(capability)
            .map(|v| v.iter().map(|&i| &self.plugins[i]).collect())
            .unwrap_or_default()
    }

    /// The model-ref prefixes known, for error messages.
    pub(crate) fn known_prefixes(&self) -> Vec<String> {
        let mut v: Vec<String> = self.prefixes.iter().map(|(p, _)| p.clone()).collect();
        v.sort();
        v
    }
}

/// Files per thread below which a directory is parsed on one thread.
const FILES_PER_THREAD: usize = 256;

/// Reads and parses `files`, results in the same order. A large directory
/// is split across the available cores (reading and TOML parsing dominate
/// a scan of thousands of manifests); a small one costs no thread.
fn load_all(files: &[PathBuf]) -> Vec<Result<Manifest, ManifestError>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(files.len() / FILES_PER_THREAD)
        .max(1);
    if threads == 1 {
        return files.iter().map(|p| Manifest::load(p)).collect();
    }
    let chunk = files.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|c| s.spawn(move || c.iter().map(|p| Manifest::load(p)).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

/// Wraps a manifest error as a diagnostic (used by callers that load one file).
impl From<ManifestError> for Diagnostic {
    fn from(e: ManifestError) -> Self {
        let path = match &e {
            ManifestError::Read { path, .. }
            | ManifestError::Parse { path, .. }
            | ManifestError::Invalid { path, .. } => path.clone(),
        };
        Diagnostic {
            path,
            message: e.to_string(),
            is_error: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(id: &str, prefix: &str, caps: &str) -> String {
        format!(
            "id = \"{id}\"\nversion = \"0.1.0\"\nplugin_api = \"^1.0\"\nlibrary = \"{id}\"\nmodel_prefix = \"{prefix}\"\ncapabilities = {caps}\n"
        )
    }

    fn tempdir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("sy-reg-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn broken_manifest_is_reported_and_others_still_load() {
        let d = tempdir("broken");
        std::fs::write(d.join("good.toml"), manifest("good", "good/", "[\"chat\"]")).unwrap();
        std::fs::write(d.join("bad.toml"), "id = [").unwrap();
        let t = LookupTable::scan(std::slice::from_ref(&d));
        assert!(t.by_id("good").is_some());
        assert_eq!(t.diagnostics.len(), 1);
        assert!(t.diagnostics[0].message.contains("bad.toml"));
    }

    #[test]
    fn duplicate_id_in_one_directory_names_both_files() {
        let d = tempdir("dup");
        std::fs::write(d.join("a.toml"), manifest("same", "a/", "[\"chat\"]")).unwrap();
        std::fs::write(d.join("b.toml"), manifest("same", "b/", "[\"chat\"]")).unwrap();
        let t = LookupTable::scan(&[d]);
        assert!(t.by_id("same").is_none());
        let msg = &t.diagnostics[0].message;
        assert!(msg.contains("a.toml") && msg.contains("b.toml"), "{msg}");
    }

    #[test]
    fn first_directory_wins_across_directories_with_a_warning() {
        let d1 = tempdir("first");
        let d2 = tempdir("second");
        std::fs::write(d1.join("x.toml"), manifest("x", "x/", "[\"chat\"]")).unwrap();
        std::fs::write(d2.join("x.toml"), manifest("x", "x/", "[\"video\"]")).unwrap();
        let t = LookupTable::scan(&[d1, d2]);
        assert_eq!(t.by_id("x").unwrap().capabilities, vec!["chat"]);
        assert!(!t.diagnostics[0].is_error);
    }

    #[test]
    fn lookup_by_prefix_capability_and_twice_listed_dir_scanned_once() {
        let d = tempdir("lookup");
        std::fs::write(
            d.join("a.toml"),
            manifest("a", "a/", "[\"chat\", \"video\"]"),
        )
        .unwrap();
        std::fs::write(d.join("b.toml"), manifest("b", "a/b/", "[\"chat\"]")).unwrap();
        let t = LookupTable::scan(&[d.clone(), d.join(".")]);
        assert_eq!(t.scanned_dirs.len(), 1);
        assert_eq!(t.for_model("a/b/m").unwrap().id, "b");
        assert_eq!(t.for_model("A/x").unwrap().id, "a");
        assert!(t.for_model("a/").is_none());
        assert!(t.for_model("zzz/m").is_none());
        assert_eq!(t.with_capability("video").len(), 1);
        assert_eq!(t.with_capability("chat").len(), 2);
    }

    #[test]
    fn large_directory_keeps_file_order_diagnostics_and_prefix_rules() {
        // Enough files for the multi-threaded parse (2 x FILES_PER_THREAD).
        let d = tempdir("large");
        let n = 2 * FILES_PER_THREAD + 10;
        for i in 0..n {
            let text = match i {
                7 => "id = [".to_string(),
                // The same prefix as manifest 3: refused, naming the first.
                300 => manifest("m300", "p0003/", "[\"chat\"]"),
                _ => manifest(&format!("m{i:04}"), &format!("p{i:04}/"), "[\"chat\"]"),
            };
            std::fs::write(d.join(format!("m{i:04}.toml")), text).unwrap();
        }
        let t = LookupTable::scan(std::slice::from_ref(&d));
        assert_eq!(t.plugins().len(), n - 2);
        let ids: Vec<&str> = t.plugins().iter().map(|m| m.id.as_str()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted, "scan order is file order");
        assert_eq!(t.diagnostics.len(), 2, "{:?}", t.diagnostics);
        assert!(t.diagnostics[0].message.contains("m0007.toml"));
        assert!(t.diagnostics[1].message.contains("\"m0003\""));
        assert_eq!(t.for_model("p0003/x").unwrap().id, "m0003");
        assert_eq!(t.for_model("P0500/x").unwrap().id, "m0500");
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        fn table(prefixes: &[String]) -> LookupTable {
            LookupTable::from_manifests(prefixes.iter().enumerate().filter_map(|(i, p)| {
                let text = format!(
                    "id = \"p{i}\"\nversion = \"0.1.0\"\nplugin_api = \"^1.0\"\nlibrary = \"p{i}\"\nmodel_prefix = {}\ncapabilities = [\"chat\"]\n",
                    toml::Value::from(p.as_str())
                );
                Manifest::parse(Path::new("p.toml"), &text).ok()
            }))
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(32))]

            /// The plugin found for a model ref owns the longest prefix that
            /// matches it case-insensitively, with something after it; no
            /// match means no prefix fits.
            #[test]
            fn for_model_is_the_longest_case_insensitive_prefix(
                prefixes in prop::collection::vec("[a-zA-Z\u{e9}\u{130}/]{1,6}/", 0..5),
                tail in "[a-zA-Z\u{e9}/]{0,6}",
                pick in any::<prop::sample::Index>(),
                upper in any::<bool>(),
            ) {
                let t = table(&prefixes);
                let model_ref = match prefixes.is_empty() {
                    true => tail.clone(),
                    false => {
                        let p = pick.get(&prefixes);
                        let p = if upper { p.to_ascii_uppercase() } else { p.clone() };
                        format!("{p}{tail}")
                    }
                };
                let lower = model_ref.to_ascii_lowercase();
                let fits = |p: &str| lower.starts_with(&p.to_ascii_lowercase()) && lower.len() > p.len();
                match t.for_model(&model_ref) {
                    Some(m) => {
                        prop_assert!(fits(&m.model_prefix), "{model_ref:?} -> {:?}", m.model_prefix);
                        for other in t.plugins() {
                            if fits(&other.model_prefix) {
                                prop_assert!(other.model_prefix.len() <= m.model_prefix.len());
                            }
                        }
                    }
                    None => prop_assert!(t.plugins().iter().all(|m| !fits(&m.model_prefix))),
                }
            }
        }
    }
}

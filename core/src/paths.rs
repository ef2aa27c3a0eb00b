/*!
Where the host keeps its files, in one place: the XDG base directories
(`$XDG_CONFIG_HOME`, `$XDG_STATE_HOME`, `$XDG_CACHE_HOME`,
`$XDG_DATA_HOME`, each honoured when set to an absolute path, else under
`$HOME` as the XDG spec says), resolved with `etcetera`'s XDG strategy on
every Unix (macOS included, as before) and the platform's folders on
Windows.
*/

use etcetera::base_strategy::BaseStrategy;
use std::path::PathBuf;

/// The host's directories, each already ending in `switchyard`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dirs {
    /// The config directory (`$XDG_CONFIG_HOME/switchyard`), when a home
    /// directory is known.
    pub config: Option<PathBuf>,
    /// Long-lived state: the job journal (`$XDG_STATE_HOME/switchyard`).
    pub state: PathBuf,
    /// Caches: the model catalog (`$XDG_CACHE_HOME/switchyard`).
    pub cache: PathBuf,
    /// Data (`$XDG_DATA_HOME/switchyard`).
    pub data: PathBuf,
}

impl Dirs {
    /// The directories as the environment says now. Without a home
    /// directory, state and cache fall back to hidden directories in the
    /// current directory and there is no default config file.
    pub fn from_env() -> Dirs {
        let app = |p: PathBuf| p.join("switchyard");
        match etcetera::choose_base_strategy() {
            Ok(s) => Dirs {
                config: Some(app(s.config_dir())),
                state: app(s.state_dir().unwrap_or_else(|| s.data_dir())),
                cache: app(s.cache_dir()),
                data: app(s.data_dir()),
            },
            Err(_) => Dirs {
                config: None,
                state: app(PathBuf::from(".switchyard-state")),
                cache: app(PathBuf::from(".switchyard-cache")),
                data: app(PathBuf::from(".switchyard-data")),
            },
        }
    }

    /// The default config file (`config.toml` in [`Dirs::config`]).
    pub fn config_file(&self) -> Option<PathBuf> {
        self.config.as_ref().map(|d| d.join("config.toml"))
    }

    /// The job journal's directory.
    pub fn jobs(&self) -> PathBuf {
        self.state.join("jobs")
    }
}

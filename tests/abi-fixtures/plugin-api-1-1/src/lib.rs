/*!
The stable ABI between the `switchyard` host and its provider plugins.

This crate is the only thing a provider plugin links against, and the only
place that knows the ABI types. It owns:

- the root module every plugin exports ([`PluginModule`], an abi_stable
  prefix type, so later minor versions can append functions without breaking
  plugins built against an older minor version);
- [`PLUGIN_API_VERSION`], the semver version of this interface;
- the FFI-safe request, result, progress and error types ([`types`], [`error`]);
- the host callbacks a plugin may call during a request ([`Host`]): cancellation,
  progress, log lines, streamed text and the output sink for large results;
- [`Provider`] and [`export_provider!`], the safe way to implement a plugin: every
  entry point is wrapped so a panic becomes an `internal` error instead of
  crossing the boundary;
- small, dependency-free helpers every HTTP provider needs ([`sse`] parsing,
  HTTP status classification).

Compatibility promise: a minor version only appends fields after the last
prefix field of [`PluginModule`] (or adds new constants such as error kinds);
a major version may change anything, and the host refuses a plugin built
against another major version.
*/

#![warn(missing_docs)]

pub mod error;
#[allow(non_local_definitions)] // sabi_trait's generated impls
pub mod host;
pub mod module;
pub mod provider;


pub mod sse;
pub mod types;

pub use abi_stable;
pub use abi_stable::std_types::{ROption, RResult, RSlice, RStr, RString, RVec};
pub use error::{ErrorKind, PluginError};
pub use host::{Host, HostRef, Host_TO, LogLevel};
pub use module::{PluginModule, PluginModuleRef, ROOT_MODULE_LOADER_SYMBOL};
pub use provider::{guard, Provider};
pub use types::*;

/// The version of this interface, as published in `Cargo.toml` (semver).
///
/// A manifest's `plugin_api` requirement is matched against it, and a plugin
/// reports the version it was built against in its [`PluginDescription`].
pub const PLUGIN_API_VERSION: &str = env!("CARGO_PKG_VERSION");

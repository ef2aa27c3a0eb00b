/*!
`switchyard-core`: everything between a parsed request and a provider
plugin's entry points, with no command line and no terminal.

The `switchyard` binary (crate `host/`) parses the command line, draws on
the terminal and calls this library; `xtask` and the benchmark use it too.
What each module owns:

- [`manifest`], [`registry`]: plugin manifests and the lookup table built
  from them (by id, model-ref prefix and capability), without loading any
  library;
- [`loader`]: opening a plugin library and checking its ABI, API version
  and embedded manifest; [`loader::Plugin::call`] runs one operation;
- [`answer_schema`]: checking a chat answer against the JSON schema it
  was asked to follow (`chat --schema`);
- [`check`], [`catalog`]: routing a model ref to its plugin and checking
  every value against the model's limits (the manifest's, refined by the
  cached live catalog) before anything is sent;
- [`config`], [`config_schema`], [`config_edit`], [`secrets`]: the config
  file (typed view, schema check, document edits) and the secret registry
  every printed line is redacted with;
- [`session`]: the state of one run (loaded plugins, cancellation,
  deadline, temporary files, secrets) and the [`session::Reporter`]
  through which the library tells the user things;
- [`call`]: the host side of the plugin callbacks for one call;
- [`output`], [`durable`], [`media`]: atomic, verified output files (made
  durable with writeback started during the download) and media sniffing;
- [`failover`]: retries and the model chain, within the deadline;
- [`journal`]: the video job journal;
- [`paths`], `files`: where the host keeps its files (XDG directories),
  and the one atomic-write helper every replaced file goes through;
- [`contract`]: the plugin contract suite (`switchyard plugins test`);
- [`duration`], [`error`]: human durations and the error type with its
  exit codes;
- [`layout`]: where plugins are looked for (the install's bundled plugins
  beside the executable, the user's installed ones, a development
  workspace); [`install`]: the records of installed plugins and their
  checksums;
- [`estimate`], [`spend`], [`batch`]: cost estimates from catalog prices,
  the journal of reported costs, and batch files (lines, shards, results).

Only `switchyard-plugin-api` knows the ABI types; this crate converts them
to plain Rust at the edge ([`loader::Plugin`], [`call::HostCalls`]) and
never links a plugin crate.
*/

#![warn(missing_docs)]
#![warn(clippy::too_many_lines)]

pub mod answer_schema;
pub mod batch;
pub mod call;
pub mod catalog;
pub mod check;
pub mod config;
pub mod config_edit;
pub mod config_schema;
pub mod contract;
pub mod durable;
pub mod duration;
pub mod error;
pub mod estimate;
pub mod failover;
pub(crate) mod files;
pub mod install;
pub mod journal;
pub mod layout;
pub mod loader;
pub mod manifest;
pub mod media;
pub mod output;
pub mod paths;
pub mod registry;
pub mod secrets;
pub mod session;
pub mod spend;

/*!
The stable ABI between the `switchyard` host and its provider plugins.

This crate holds the ABI and nothing else, so its version *is* the ABI
version ([`PLUGIN_API_VERSION`]). It owns:

- the root module every plugin library exports ([`PluginModule`]): two entry
  points, [`PluginModule::manifest`] (the plugin's manifest, embedded in the
  library when it was built) and [`PluginModule::call`] (run a named
  operation);
- the operation and capability names ([`ops`], [`caps`]);
- the documents that cross the boundary ([`doc`]): one serde type per
  request and response, exchanged as JSON text. Unknown fields are ignored
  and absent fields take their defaults, so a field added in a later minor
  version is invisible to a plugin or host that predates it;
- the typed error ([`PluginError`], kinds as transparent `u8`s) and progress
  events ([`Progress`], stages as transparent `u8`s);
- the host callbacks a plugin may use during a call ([`Host`]): cancellation,
  progress, log lines, streamed text and the output sink for large results.

# Versions

- 2.0: documents, named operations, the two-entry root module.
- 2.1 (minor: only additions): the operations and capabilities
  `transcribe` and `embed`; chat attachments ([`doc::ContentPart`]), JSON
  schema answers, reasoning effort and provider routing; image inputs,
  count, seed and quality; video seed, audio track, exact size and audio or
  video references; and model limits for the new fields (input modalities,
  pricing, qualities, ...). Every new field is optional and documented
  "since 2.1"; a 2.0 plugin or host ignores them.

Plugins rarely use this crate directly: the provider kit
(`switchyard-provider-kit`) implements [`PluginModule`] from a typed trait
and holds the HTTP helpers. The compatibility promise (what is a minor and
what is a major change) is in the repository's `ARCHITECTURE.md`.

# Calling convention

The host calls `call(op, context, request, blobs, host)`:

- `op` names the operation (`"chat"`, `"video.submit"`, ...); a plugin
  answers [`ErrorKind::UNSUPPORTED`] for a name it does not know;
- `context` is a [`doc::Context`] as JSON (key, base URL, deadline, ...);
- `request` is the operation's request document as JSON;
- `blobs` are large binary inputs (local images, audio), referenced from the
  request by index ([`doc::Input::blob`]) and never base64 inside it;
- the answer is the operation's response document as JSON, or a
  [`PluginError`].

```
use switchyard_plugin_api::{doc, ops};
// What the host sends for a chat: a versioned document, here as JSON text.
let req = doc::ChatRequest {
    model: "demo/echo".into(),
    messages: vec![doc::ChatMessage::user("hello")],
    ..Default::default()
};
assert_eq!(ops::CHAT, "chat");
assert_eq!(req.messages[0].role, "user");
```
*/

#![warn(missing_docs)]

pub mod doc;
pub mod error;
#[allow(non_local_definitions)] // sabi_trait's generated impls
pub mod host;
pub mod module;
pub mod progress;

pub use abi_stable;
pub use abi_stable::std_types::{ROption, RResult, RSlice, RStr, RString, RVec};
pub use error::{ErrorKind, PluginError, CODE_NOT_SENT};
pub use host::{CancelWaker, CancelWakerBox, CancelWaker_TO, Host, HostRef, Host_TO, LogLevel};
pub use module::{PluginModule, PluginModuleRef, ROOT_MODULE_LOADER_SYMBOL};
pub use progress::{Progress, Stage};

/// The version of this interface, as published in `Cargo.toml` (semver).
///
/// A manifest's `plugin_api` requirement is matched against it; the host
/// reads the version a library was built against from its library header.
pub const PLUGIN_API_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Operation names: the first argument of [`PluginModule::call`].
///
/// A new operation is a minor change: older plugins answer `unsupported`.
pub mod ops {
    /// Chat completion ([`crate::doc::ChatRequest`] -> [`crate::doc::ChatResponse`]).
    pub const CHAT: &str = "chat";
    /// Image generation ([`crate::doc::ImageRequest`] -> [`crate::doc::ImageResponse`]).
    pub const IMAGE: &str = "image";
    /// Text-to-speech ([`crate::doc::SpeechRequest`] -> [`crate::doc::SpeechResponse`]).
    pub const SPEECH: &str = "speech";
    /// Submits a video job ([`crate::doc::VideoRequest`] -> [`crate::doc::VideoJob`]).
    pub const VIDEO_SUBMIT: &str = "video.submit";
    /// Waits for a job and downloads its outputs ([`crate::doc::VideoJob`] -> [`crate::doc::VideoResponse`]).
    pub const VIDEO_WAIT: &str = "video.wait";
    /// Polls a job once ([`crate::doc::VideoJob`] -> [`crate::doc::VideoJobState`]).
    pub const VIDEO_STATUS: &str = "video.status";
    /// The live model catalog ([`crate::doc::Empty`] -> [`crate::doc::Catalog`]).
    pub const CATALOG: &str = "catalog";
    /// The state of the configured key ([`crate::doc::Empty`] -> [`crate::doc::KeyStatus`]).
    pub const KEY_CHECK: &str = "key.check";
    /// Speech-to-text ([`crate::doc::TranscribeRequest`] -> [`crate::doc::TranscribeResponse`]), since 2.1.
    pub const TRANSCRIBE: &str = "transcribe";
    /// Embeddings ([`crate::doc::EmbedRequest`] -> [`crate::doc::EmbedResponse`]), since 2.1.
    pub const EMBED: &str = "embed";
    /// Every operation this version defines.
    pub const ALL: [&str; 10] = [
        CHAT,
        IMAGE,
        SPEECH,
        VIDEO_SUBMIT,
        VIDEO_WAIT,
        VIDEO_STATUS,
        CATALOG,
        KEY_CHECK,
        TRANSCRIBE,
        EMBED,
    ];
}

/// Capability names, as manifests list them.
///
/// A new capability is a minor change: a host that does not know one
/// reports it as unusable and keeps the plugin's other capabilities.
pub mod caps {
    /// Text chat (plain and streamed).
    pub const CHAT: &str = "chat";
    /// Image generation.
    pub const IMAGE: &str = "image";
    /// Video generation.
    pub const VIDEO: &str = "video";
    /// Text-to-speech.
    pub const SPEECH: &str = "speech";
    /// Speech-to-text (operation [`crate::ops::TRANSCRIBE`]), since 2.1.
    pub const TRANSCRIBE: &str = "transcribe";
    /// Embeddings (operation [`crate::ops::EMBED`]), since 2.1.
    pub const EMBED: &str = "embed";
    /// Every capability this version defines.
    pub const ALL: [&str; 6] = [CHAT, IMAGE, VIDEO, SPEECH, TRANSCRIBE, EMBED];
}

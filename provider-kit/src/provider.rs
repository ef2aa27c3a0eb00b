/*!
The typed side of a plugin: implement [`Provider`] (async methods, one per
operation, each `unsupported` unless you write it) and export it with
[`crate::export_provider!`].

Each method receives its request document and a [`Call`]: the call's
[`Context`] (key, base URL, deadline, settings), the host callbacks, and the
binary inputs the request refers to. The kit runs the method on the
plugin's own runtime, ends it at the deadline or when the user cancels, and
turns a panic into an `internal` error.
*/

use base64::Engine as _;
use switchyard_plugin_api::doc::*;
use switchyard_plugin_api::{ErrorKind, HostRef, LogLevel, PluginError, RSlice};

/// One call into the plugin: its context, the host, the binary inputs.
pub struct Call<'a> {
    pub(crate) op: &'a str,
    pub(crate) ctx: Context,
    pub(crate) host: HostRef<'a>,
    pub(crate) blobs: RSlice<'a, RSlice<'a, u8>>,
}

impl<'a> Call<'a> {
    /// A call with no binary inputs, for tests and tools that drive a
    /// provider directly.
    pub fn new(op: &'a str, ctx: Context, host: HostRef<'a>) -> Call<'a> {
        Call {
            op,
            ctx,
            host,
            blobs: RSlice::from_slice(&[]),
        }
    }

    /// The operation's name (`"chat"`, `"video.wait"`, ...).
    pub fn op(&self) -> &str {
        self.op
    }

    /// Key, base URL, deadline and settings of this call.
    pub fn ctx(&self) -> &Context {
        &self.ctx
    }

    /// The host callbacks.
    pub fn host(&self) -> &HostRef<'a> {
        &self.host
    }

    /// A line for `-v` (the host redacts secrets and filters by level).
    pub fn info(&self, message: &str) {
        self.host.log(LogLevel::INFO, message.into());
    }

    /// A line for `-vv`.
    pub fn debug(&self, message: &str) {
        self.host.log(LogLevel::DEBUG, message.into());
    }

    /// A notice the user sees unless `-q`.
    pub fn warn(&self, message: &str) {
        self.host.log(LogLevel::WARN, message.into());
    }

    /// The bytes of a local input (`input.blob`).
    pub fn blob(&self, input: &Input) -> Result<&'a [u8], PluginError> {
        let i = input.blob.ok_or_else(|| {
            PluginError::new(ErrorKind::INVALID_INPUT, "this input is not a local file")
        })?;
        self.blobs
            .as_slice()
            .get(i as usize)
            .map(|b| b.as_slice())
            .ok_or_else(|| {
                PluginError::new(
                    ErrorKind::INTERNAL,
                    format!(
                        "the request names input #{i}, but the host sent {} inputs",
                        self.blobs.len()
                    ),
                )
            })
    }

    /// The standard base64 of a local input's bytes (`input.blob`), for APIs
    /// that take raw base64 rather than a URL (audio parts, transcription).
    /// A `data:` URL given as the input's URL is accepted too (its payload);
    /// an http(s) URL is refused as `invalid_input`.
    pub fn base64(&self, input: &Input) -> Result<String, PluginError> {
        if input.blob.is_none() {
            if let Some(payload) = input
                .url
                .as_deref()
                .filter(|u| u.starts_with("data:"))
                .and_then(|u| u.split_once(";base64,"))
                .map(|(_, p)| p)
            {
                return Ok(payload.to_string());
            }
            if input.url.is_some() {
                return Err(PluginError::new(
                    ErrorKind::INVALID_INPUT,
                    "this input must be a local file: the API takes its bytes, not a URL",
                ));
            }
        }
        Ok(base64::engine::general_purpose::STANDARD.encode(self.blob(input)?))
    }

    /// The input as a URL a provider can take: its http(s) URL, or a
    /// `data:` URL of the local file's bytes.
    pub fn data_url(&self, input: &Input) -> Result<String, PluginError> {
        if let Some(u) = &input.url {
            return Ok(u.clone());
        }
        let bytes = self.blob(input)?;
        let mime = input
            .media_type
            .as_deref()
            .unwrap_or("application/octet-stream");
        Ok(format!(
            "data:{mime};base64,{}",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        ))
    }
}

fn unsupported(what: &str) -> PluginError {
    PluginError::new(
        ErrorKind::UNSUPPORTED,
        format!("this plugin does not support {what}"),
    )
}

/// A provider plugin. Every operation defaults to `unsupported`.
///
/// Methods are `async`: the kit runs them on the plugin's own runtime (a
/// cdylib has its own copy of tokio; the host's runtime never crosses the
/// boundary), with the call's deadline and the host's cancellation.
#[allow(async_fn_in_trait)] // called by the kit's own block_on only, never spawned
pub trait Provider: Send + Sync + 'static {
    /// Chat completion (plain, or streamed through [`Call::host`]`.text`).
    async fn chat(&self, _req: ChatRequest, _call: &Call<'_>) -> Result<ChatResponse, PluginError> {
        Err(unsupported("chat"))
    }

    /// Image generation; images go to the host's output sink.
    async fn image(
        &self,
        _req: ImageRequest,
        _call: &Call<'_>,
    ) -> Result<ImageResponse, PluginError> {
        Err(unsupported("image generation"))
    }

    /// Text-to-speech; audio goes to the host's output sink.
    async fn speech(
        &self,
        _req: SpeechRequest,
        _call: &Call<'_>,
    ) -> Result<SpeechResponse, PluginError> {
        Err(unsupported("speech"))
    }

    /// Submits a video job and returns once the provider accepted it.
    async fn video_submit(
        &self,
        _req: VideoRequest,
        _call: &Call<'_>,
    ) -> Result<VideoJob, PluginError> {
        Err(unsupported("video generation"))
    }

    /// Polls a submitted job until it ends, then downloads its outputs.
    async fn video_wait(
        &self,
        _job: VideoJob,
        _call: &Call<'_>,
    ) -> Result<VideoResponse, PluginError> {
        Err(unsupported("video generation"))
    }

    /// Polls a job once, downloading nothing.
    async fn video_status(
        &self,
        _job: VideoJob,
        _call: &Call<'_>,
    ) -> Result<VideoJobState, PluginError> {
        Err(unsupported("video generation"))
    }

    /// Speech-to-text (since plugin API 2.1).
    async fn transcribe(
        &self,
        _req: TranscribeRequest,
        _call: &Call<'_>,
    ) -> Result<TranscribeResponse, PluginError> {
        Err(unsupported("transcription"))
    }

    /// Embeddings (since plugin API 2.1); a long input list is the
    /// plugin's to split into several provider requests (see
    /// [`crate::embeddings::in_batches`]).
    async fn embed(
        &self,
        _req: EmbedRequest,
        _call: &Call<'_>,
    ) -> Result<EmbedResponse, PluginError> {
        Err(unsupported("embeddings"))
    }

    /// The provider's live model catalog.
    async fn catalog(&self, _call: &Call<'_>) -> Result<Catalog, PluginError> {
        Err(unsupported("a live model catalog"))
    }

    /// The state of the configured key.
    async fn check_key(&self, _call: &Call<'_>) -> Result<KeyStatus, PluginError> {
        Err(unsupported("key status"))
    }

    /// An operation this kit version has no method for (named by a newer
    /// host): `request` is its JSON document; answer the response's JSON.
    async fn other(
        &self,
        op: &str,
        _request: &str,
        _call: &Call<'_>,
    ) -> Result<String, PluginError> {
        Err(unsupported(&format!("the operation {op:?}")))
    }
}

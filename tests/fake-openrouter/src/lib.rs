/*!
A faithful fake of OpenRouter's HTTP API (`https://openrouter.ai/api/v1`) with
fault injection, for Switchyard's end-to-end tests and demo/benchmark.

[`FakeServer::start`] binds a real HTTP/1.1 server on `127.0.0.1` with an
ephemeral port (one thread per connection, keep-alive, hand-written responses
so faults can be byte-exact). It serves:

| Method and path (under `/api/v1`) | [`Route`] |
|---|---|
| `POST /chat/completions` (JSON or SSE) | [`Route::Chat`] |
| `POST /videos` | [`Route::VideoSubmit`] |
| `GET /videos/{id}` | [`Route::VideoPoll`] |
| `GET /videos/{id}/content?index=i` | [`Route::VideoContent`] |
| `POST /audio/speech` | [`Route::Speech`] |
| `POST /images/generations` (OpenAI-compatible, for the `openai-compatible` plugin) | [`Route::Images`] |
| `POST /images` (JSON or SSE) | [`Route::ImageApi`] |
| `GET /images/models` | [`Route::ImageModels`] |
| `GET /images/models/{author}/{slug}/endpoints` | [`Route::ImageEndpoints`] |
| `POST /audio/transcriptions` (OpenRouter's JSON form, or OpenAI's multipart form) | [`Route::Transcriptions`] |
| `POST /embeddings` | [`Route::Embeddings`] |
| `GET /models` | [`Route::Models`] |
| `GET /videos/models` | [`Route::VideoModels`] |
| `GET /key` | [`Route::Key`] |
| any path given to [`FakeServer::add_file`] | [`Route::File`] |

Every request is recorded ([`FakeServer::requests`]). Behaviour can be scripted
per route ([`FakeServer::script`], [`Step`]) or randomized
([`FakeServer::set_fault_rate`]). The server stops when the [`FakeServer`] is
dropped. The [`schema`] module validates JSON values against the OpenRouter
OpenAPI spec kept beside the checkout, and recorded requests against the
request schemas of the spec's operations ([`FakeServer::schema_violations`]).

Chat requests may carry content parts (`image_url`, `input_audio`, `file`;
checked, and named in the default answer), a `response_format` (a
`json_schema` answer is JSON valid against the given schema, unless
[`Step::SchemaViolation`]), a `reasoning` effort (answered with
`message.reasoning` and reasoning tokens) and `provider` preferences (the
answer's `provider` is the first of `provider.order`).
*/
#![warn(missing_docs)]

mod data;
mod form;
mod handlers;
mod http;
mod media;
mod rng;
pub mod schema;
mod server;

use std::sync::Arc;
use std::time::Duration;

pub use data::{generated_bytes, sample_mp3, sample_mp4, sample_png, sample_wav};
pub use form::FormPart;

/// The API key a default [`FakeServer`] accepts.
pub const TEST_API_KEY: &str = "sk-or-v1-fake-test-key-0123456789abcdef";

/// Server-wide settings, fixed at start.
#[derive(Clone, Debug)]
pub struct Options {
    /// The only key accepted as `Authorization: Bearer <key>`.
    pub api_key: String,
    /// Whether video `polling_url`s are absolute or relative.
    pub polling_url_style: PollingUrlStyle,
    /// When set, every answer is delayed by a random `0..latency`.
    pub latency: Option<Duration>,
    /// The default chat answer text; when `None`,
    /// `"Hello from <model>. You said: <last user message text>"`.
    pub chat_answer: Option<String>,
    /// How many SSE content chunks a streamed answer is split into (default 8).
    pub stream_chunks: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            api_key: TEST_API_KEY.to_string(),
            polling_url_style: PollingUrlStyle::Absolute,
            latency: None,
            chat_answer: None,
            stream_chunks: 8,
        }
    }
}

/// The form of the `polling_url` returned by `POST /videos`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PollingUrlStyle {
    /// `http://127.0.0.1:PORT/api/v1/videos/ID` (as in OpenRouter's guide).
    #[default]
    Absolute,
    /// `/api/v1/videos/ID` (as in the OpenAPI spec's example).
    Relative,
}

/// One request as the server received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The HTTP method, e.g. `"POST"`.
    pub method: String,
    /// The request target: path with query, e.g. `"/api/v1/videos/job-1/content?index=0"`.
    pub path: String,
    /// Headers in arrival order; names lowercased.
    pub headers: Vec<(String, String)>,
    /// The (de-chunked) request body.
    pub body: Vec<u8>,
}

impl RecordedRequest {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The path without the query string.
    pub fn path_only(&self) -> &str {
        self.path.split('?').next().unwrap_or("")
    }

    /// The parts of a `multipart/form-data` body, in order; `None` when the
    /// body is not a well-formed form.
    pub fn form(&self) -> Option<Vec<FormPart>> {
        form::parse(self.header("content-type")?, &self.body)
    }
}

/// The routes that steps can be scripted for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Route {
    /// `POST /api/v1/chat/completions`.
    Chat,
    /// `POST /api/v1/videos`.
    VideoSubmit,
    /// `GET /api/v1/videos/{id}`.
    VideoPoll,
    /// `GET /api/v1/videos/{id}/content`.
    VideoContent,
    /// `POST /api/v1/audio/speech`.
    Speech,
    /// `POST /api/v1/images/generations` (the OpenAI-compatible image
    /// endpoint; OpenRouter itself makes images through chat completions).
    Images,
    /// `POST /api/v1/images` (OpenRouter's dedicated Image API; JSON, or
    /// SSE partial images for models that stream).
    ImageApi,
    /// `GET /api/v1/images/models`.
    ImageModels,
    /// `GET /api/v1/images/models/{author}/{slug}/endpoints`.
    ImageEndpoints,
    /// `POST /api/v1/audio/transcriptions`.
    Transcriptions,
    /// `POST /api/v1/embeddings`.
    Embeddings,
    /// `GET /api/v1/models`.
    Models,
    /// `GET /api/v1/videos/models`.
    VideoModels,
    /// `GET /api/v1/key`.
    Key,
    /// Any path registered with [`FakeServer::add_file`].
    File,
}

/// One scripted behaviour, consumed by one matching request.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// An OpenRouter error `{"error":{"code":N,"message":...,"metadata":{"error_type":...}}}`
    /// with status `code`, a `Retry-After` header when given, and a default message per code
    /// when `message` is `None`.
    Status {
        /// HTTP status and `error.code`.
        code: u16,
        /// `Retry-After` seconds.
        retry_after: Option<u32>,
        /// `error.message`.
        message: Option<String>,
    },
    /// An error status with this exact JSON body (string codes, missing codes,
    /// availability or moderation bodies).
    ErrorBody {
        /// HTTP status.
        code: u16,
        /// The exact body, sent as `application/json`.
        body: String,
        /// `Retry-After` seconds.
        retry_after: Option<u32>,
    },
    /// An arbitrary response, e.g. 200 `text/html` `<html>` or 200 `"not json"`.
    Malformed {
        /// HTTP status.
        status: u16,
        /// `Content-Type` header value.
        content_type: String,
        /// The exact body.
        body: String,
    },
    /// Sleep, then answer normally.
    Delay(Duration),
    /// Send the headers and the first N bytes of the normal body, then close the connection.
    DropAfter(usize),
    /// Declare `Content-Length` = true length + N, send the true body, close.
    ShortContentLength(u64),
    /// Send the headers and about half the normal body, stall for the duration, then close.
    Stall(Duration),
    /// Chat stream: `: OPENROUTER PROCESSING` comments before the first chunk and between chunks.
    SseProcessingComments,
    /// Chat stream: after `after_chunks` content chunks, a chunk with a top-level `error`
    /// and `finish_reason: "error"`, then the stream ends (no usage chunk, no `[DONE]`).
    SseMidStreamError {
        /// Content chunks sent before the error chunk.
        after_chunks: usize,
        /// `error.code` (e.g. `429` or `"server_error"`).
        code: serde_json::Value,
        /// `error.metadata.error_type`; no `metadata` when `None`.
        error_type: Option<String>,
    },
    /// Chat: the answer is these pieces joined; a stream sends exactly one
    /// content chunk per piece (e.g. to split a word across chunks).
    SseChunks(Vec<String>),
    /// Chat stream framed with `\r\n` line endings.
    SseCrlf,
    /// Chat stream without the final usage chunk.
    NoUsageChunk,
    /// Chat: HTTP 200 with a top-level `{"error":{...}}` body.
    Http200Error {
        /// `error.code`.
        code: u16,
    },
    /// Chat: `message.images[]` data URLs of these bytes (MIME from magic bytes),
    /// content `"Here is your image."`. [`Route::Images`]: `data[].b64_json`
    /// of these bytes.
    Images(Vec<Vec<u8>>),
    /// Chat: `message.images[].image_url.url` set to these URLs.
    ImageUrls(Vec<String>),
    /// Chat: an image request answered with text only. [`Route::Images`]
    /// and [`Route::ImageApi`]: an empty `data` array.
    NoImages,
    /// Chat with a `json_schema` `response_format`: the answer is JSON that
    /// does not follow the schema (a value of the wrong type).
    SchemaViolation,
    /// [`Route::Transcriptions`]: the transcript text.
    Transcript(String),
    /// [`Route::Embeddings`]: the `data` items in reverse order (each keeps
    /// its `index`).
    EmbeddingsReversed,
}

/// How the next submitted video jobs behave.
#[derive(Clone, Debug, PartialEq)]
pub struct VideoJobSpec {
    /// Polls answered `pending` (default 1).
    pub pending_polls: u32,
    /// Polls answered `in_progress` after those (default 1).
    pub in_progress_polls: u32,
    /// The terminal state (default [`VideoOutcome::Completed`]).
    pub outcome: VideoOutcome,
    /// The video served by the content endpoint (default [`sample_mp4`]).
    pub video: ServedFile,
    /// Number of outputs (content indices `0..videos`), default 1.
    pub videos: u32,
    /// What `unsigned_urls` holds when completed.
    pub url_style: VideoUrlStyle,
    /// Answer the submit with `status: "completed"` right away.
    pub completed_on_submit: bool,
    /// Use this exact `polling_url` (e.g. a foreign origin).
    pub polling_url_override: Option<String>,
    /// `usage.cost` (default 0.25).
    pub cost: f64,
}

impl Default for VideoJobSpec {
    fn default() -> VideoJobSpec {
        VideoJobSpec {
            pending_polls: 1,
            in_progress_polls: 1,
            outcome: VideoOutcome::Completed,
            video: ServedFile {
                content_type: "video/mp4".to_string(),
                source: FileSource::Bytes(sample_mp4()),
            },
            videos: 1,
            url_style: VideoUrlStyle::ContentEndpoint,
            completed_on_submit: false,
            polling_url_override: None,
            cost: 0.25,
        }
    }
}

/// The terminal state of a video job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VideoOutcome {
    /// `status: "completed"` with `unsigned_urls` and `usage`.
    Completed,
    /// `status: "failed"` with this `error` string.
    Failed(String),
    /// `status: "cancelled"` with this `error` string.
    Cancelled(String),
    /// `status: "expired"` with this `error` string.
    Expired(String),
}

/// What a completed job's `unsigned_urls` holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VideoUrlStyle {
    /// `<origin>/api/v1/videos/ID/content?index=i`, one per output.
    ContentEndpoint,
    /// No `unsigned_urls`: the client must use the content endpoint.
    Omitted,
    /// This URL (e.g. another server's `/cdn/v.mp4`), once per output.
    Foreign(String),
}

/// A file body with its content type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServedFile {
    /// `Content-Type` header value.
    pub content_type: String,
    /// Where the bytes come from.
    pub source: FileSource,
}

impl ServedFile {
    /// A file with these bytes.
    pub fn bytes(content_type: &str, bytes: Vec<u8>) -> ServedFile {
        ServedFile {
            content_type: content_type.to_string(),
            source: FileSource::Bytes(bytes),
        }
    }

    /// A generated MP4-looking `video/mp4` file (see [`generated_bytes`]).
    pub fn generated_mp4(len: u64, seed: u64) -> ServedFile {
        ServedFile {
            content_type: "video/mp4".to_string(),
            source: FileSource::Generated { len, seed },
        }
    }

    /// The body length in bytes.
    pub fn len(&self) -> u64 {
        match &self.source {
            FileSource::Bytes(b) => b.len() as u64,
            FileSource::Generated { len, .. } => *len,
        }
    }

    /// Whether the body is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The bytes of a [`ServedFile`].
#[derive(Clone, PartialEq, Eq)]
pub enum FileSource {
    /// These exact bytes.
    Bytes(Vec<u8>),
    /// [`generated_bytes`]`(len, seed)`, produced on the fly from a reusable 64 KiB buffer.
    Generated {
        /// Length in bytes.
        len: u64,
        /// PRNG seed.
        seed: u64,
    },
}

impl std::fmt::Debug for FileSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileSource::Bytes(b) => write!(f, "Bytes(<{} bytes>)", b.len()),
            FileSource::Generated { len, seed } => f
                .debug_struct("Generated")
                .field("len", len)
                .field("seed", seed)
                .finish(),
        }
    }
}

/// A running fake OpenRouter server; stops when dropped.
#[derive(Debug)]
pub struct FakeServer {
    shared: Arc<server::Shared>,
    accept: Option<std::thread::JoinHandle<()>>,
}

impl FakeServer {
    /// Starts a server with default [`Options`] (accepts [`TEST_API_KEY`]).
    pub fn start() -> std::io::Result<FakeServer> {
        FakeServer::start_with(Options::default())
    }

    /// Starts a server on an ephemeral port with these options.
    pub fn start_with(opts: Options) -> std::io::Result<FakeServer> {
        FakeServer::start_on(0, opts)
    }

    /// Starts a server on `127.0.0.1:port` (0 = ephemeral) with these options.
    pub fn start_on(port: u16, opts: Options) -> std::io::Result<FakeServer> {
        let (shared, accept) = server::start(port, opts)?;
        Ok(FakeServer {
            shared,
            accept: Some(accept),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn origin(&self) -> String {
        self.shared.origin.clone()
    }

    /// `http://127.0.0.1:PORT/api/v1`.
    pub fn base_url(&self) -> String {
        format!("{}/api/v1", self.shared.origin)
    }

    /// The accepted API key.
    pub fn api_key(&self) -> String {
        self.shared.opts.api_key.clone()
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.state().requests.clone()
    }

    /// The requests whose path (without query) starts with `path_prefix`,
    /// e.g. `"/api/v1/chat/completions"`.
    pub fn requests_to(&self, path_prefix: &str) -> Vec<RecordedRequest> {
        self.shared
            .state()
            .requests
            .iter()
            .filter(|r| r.path_only().starts_with(path_prefix))
            .cloned()
            .collect()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        self.shared.state().requests.clear();
    }

    /// Returns the requests recorded so far and forgets them, atomically
    /// (long soaks drain them so memory stays flat).
    pub fn take_requests(&self) -> Vec<RecordedRequest> {
        std::mem::take(&mut self.shared.state().requests)
    }

    /// The ids of every video job created so far (one per accepted
    /// `POST /videos`, including those whose answer was lost to a fault).
    pub fn video_job_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.shared.state().jobs.keys().cloned().collect();
        ids.sort();
        ids
    }

    /// Appends steps to the FIFO of `route`; each matching request pops one step,
    /// and requests find the default behaviour when the queue is empty.
    pub fn script(&self, route: Route, steps: impl IntoIterator<Item = Step>) {
        self.shared
            .state()
            .scripts
            .entry(route)
            .or_default()
            .extend(steps);
    }

    /// Chat only: steps for requests whose body `"model"` equals `model`,
    /// checked before the [`Route::Chat`] queue.
    pub fn script_model(&self, model: &str, steps: impl IntoIterator<Item = Step>) {
        self.shared
            .state()
            .model_scripts
            .entry(model.to_string())
            .or_default()
            .extend(steps);
    }

    /// How the video jobs submitted from now on behave.
    pub fn set_video_job(&self, spec: VideoJobSpec) {
        let mut st = self.shared.state();
        st.video_file = Arc::new(spec.video.clone());
        st.video_spec = Arc::new(spec);
    }

    /// Serves `file` at `path` (e.g. `"/cdn/v.mp4"`), without auth, as a download host.
    pub fn add_file(&self, path: &str, file: ServedFile) {
        self.shared
            .state()
            .files
            .insert(path.to_string(), Arc::new(file));
    }

    /// Replaces the bodies of `GET /models` and `GET /videos/models`.
    pub fn set_catalog(
        &self,
        models_json: serde_json::Value,
        video_models_json: serde_json::Value,
    ) {
        let mut st = self.shared.state();
        st.models = Some(models_json);
        st.video_models = Some(video_models_json);
    }

    /// Replaces the body of `GET /images/models`; `endpoints` gives the
    /// bodies of `GET /images/models/{id}/endpoints` by model id (a listed
    /// model without one gets a default record). Which models stream their
    /// partial images follows each entry's `supports_streaming`.
    pub fn set_image_catalog(
        &self,
        models_json: serde_json::Value,
        endpoints: impl IntoIterator<Item = (String, serde_json::Value)>,
    ) {
        let mut st = self.shared.state();
        st.image_models = Some(models_json);
        st.image_endpoints = endpoints.into_iter().collect();
    }

    /// Every recorded request checked against the request schema of its
    /// operation in the OpenAPI spec (chat, videos, speech, transcriptions,
    /// embeddings, images; JSON bodies, and multipart forms as objects of
    /// their fields): one line per violation, `METHOD PATH: /pointer: what`.
    /// `None` when the spec is not beside the checkout (see
    /// [`schema::load_spec`]). Requests to routes the spec does not describe
    /// (downloads, `/images/generations`) are not checked.
    pub fn schema_violations(&self) -> Option<Vec<String>> {
        let spec = schema::load_spec()?;
        let mut out = Vec::new();
        for r in self.requests() {
            if let Some(Err(errs)) = spec.validate_request(&r) {
                for e in errs {
                    out.push(format!("{} {}: {e}", r.method, r.path_only()));
                }
            }
        }
        Some(out)
    }

    /// Soak mode: each request without a scripted step gets a random fault
    /// (one valid for its route) with probability `rate`, from a PRNG seeded with `seed`.
    pub fn set_fault_rate(&self, rate: f64, seed: u64) {
        self.shared.state().fault = Some((rate.clamp(0.0, 1.0), rng::XorShift::new(seed)));
    }

    /// How many random (soak-mode) faults were injected so far.
    pub fn faults_injected(&self) -> u64 {
        self.shared.faults.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.shared.stop(self.accept.take());
    }
}

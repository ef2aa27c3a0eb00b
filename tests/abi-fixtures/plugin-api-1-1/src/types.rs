/*!
FFI-safe request and result types, one set per capability, plus the
self-description a plugin gives of itself.

All strings are `RString`, all lists `RVec`, all optional values `ROption`, so
the layout is checked by abi_stable when the host loads a plugin. Values the
host has already validated (model limits) arrive in the API's spelling.
*/

use abi_stable::std_types::{ROption, RString, RVec};
use abi_stable::StableAbi;

/// Capability name for text chat (plain and streamed).
pub const CAP_CHAT: &str = "chat";
/// Capability name for image generation.
pub const CAP_IMAGE: &str = "image";
/// Capability name for video generation.
pub const CAP_VIDEO: &str = "video";
/// Capability name for text-to-speech.
pub const CAP_SPEECH: &str = "speech";
/// Every capability name this interface version defines.
pub const ALL_CAPABILITIES: [&str; 4] = [CAP_CHAT, CAP_IMAGE, CAP_VIDEO, CAP_SPEECH];

/// What a plugin says about itself; the host checks it against the manifest.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq)]
pub struct PluginDescription {
    /// The plugin id; must equal the manifest's `id`.
    pub id: RString,
    /// The plugin's own version; must equal the manifest's `version`.
    pub version: RString,
    /// The `PLUGIN_API_VERSION` the plugin was built against.
    pub plugin_api: RString,
    /// Capability names the plugin implements; must equal the manifest's.
    pub capabilities: RVec<RString>,
    /// Models the plugin knows; every model in the manifest must be here
    /// with the same capabilities.
    pub models: RVec<ModelDescription>,
}

/// One model a plugin knows, by full model ref.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq)]
pub struct ModelDescription {
    /// The full model ref, e.g. `openrouter/google/veo-3.1-fast`.
    pub model_ref: RString,
    /// The capabilities this model offers.
    pub capabilities: RVec<RString>,
}

/// Per-call settings the host resolved from config, environment and flags.
#[repr(C)]
#[derive(StableAbi, Clone)]
pub struct CallContext {
    /// The API key, if one was configured. A secret: never log or echo it.
    pub api_key: ROption<RString>,
    /// The provider's base URL (config override or the manifest default).
    pub base_url: RString,
    /// Overall deadline for this call in milliseconds; 0 means none.
    pub timeout_ms: u64,
    /// First poll interval for asynchronous jobs, in milliseconds.
    pub poll_interval_ms: u64,
    /// Largest output (per file) the host accepts, in bytes.
    pub max_output_bytes: u64,
    /// The provider's config table (`models.providers.<id>`) as a JSON object,
    /// for provider-specific settings. Secrets in it are the same secrets.
    pub settings_json: RString,
}

impl std::fmt::Debug for CallContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallContext")
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("base_url", &self.base_url)
            .field("timeout_ms", &self.timeout_ms)
            .field("poll_interval_ms", &self.poll_interval_ms)
            .field("max_output_bytes", &self.max_output_bytes)
            .finish_non_exhaustive()
    }
}

/// Token counts and cost of one call, when the provider reports them.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, Default, PartialEq)]
pub struct Usage {
    /// Prompt tokens.
    pub prompt_tokens: ROption<u64>,
    /// Completion tokens.
    pub completion_tokens: ROption<u64>,
    /// Total tokens.
    pub total_tokens: ROption<u64>,
    /// Cost in USD (OpenRouter credits).
    pub cost: ROption<f64>,
}

/// One chat message.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq)]
pub struct ChatMessage {
    /// `system`, `user` or `assistant`.
    pub role: RString,
    /// The message text.
    pub content: RString,
}

/// A chat completion request.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq)]
pub struct ChatRequest {
    /// The full model ref, e.g. `openrouter/auto`.
    pub model: RString,
    /// The conversation, oldest first.
    pub messages: RVec<ChatMessage>,
    /// Stream the answer: each text delta goes to `Host::text` as it arrives.
    pub stream: bool,
    /// Upper bound on generated tokens.
    pub max_tokens: ROption<u32>,
    /// Sampling temperature.
    pub temperature: ROption<f64>,
}

/// A finished chat answer.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq)]
pub struct ChatResponse {
    /// The whole answer text (also when it was streamed).
    pub text: RString,
    /// The model that actually answered, as the provider names it.
    pub model: RString,
    /// Why generation stopped (`stop`, `length`, ... or what the provider said).
    pub finish_reason: RString,
    /// Token counts and cost.
    pub usage: Usage,
    /// The provider's generation id, when it gave one.
    pub generation_id: ROption<RString>,
}

/// An image generation request. Images go to the host's output sink.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq)]
pub struct ImageRequest {
    /// The full model ref.
    pub model: RString,
    /// What to draw.
    pub prompt: RString,
    /// Aspect ratio hint (already checked against the model's limits).
    pub aspect_ratio: ROption<RString>,
    /// Size hint such as `1K`, `2K`, `4K` (already checked).
    pub size: ROption<RString>,
}

/// A finished image generation.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq)]
pub struct ImageResponse {
    /// Text the model returned beside the images.
    pub text: RString,
    /// The model that answered.
    pub model: RString,
    /// How many images were written to the sink (indices `0..images`).
    pub images: u32,
    /// Token counts and cost.
    pub usage: Usage,
}

/// A text-to-speech request. Audio goes to the host's output sink (index 0).
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq)]
pub struct SpeechRequest {
    /// The full model ref.
    pub model: RString,
    /// The text to speak.
    pub input: RString,
    /// The voice, when one was chosen.
    pub voice: ROption<RString>,
    /// The audio format to ask for (`mp3` or `pcm`).
    pub format: RString,
    /// Speaking speed, when given.
    pub speed: ROption<f64>,
}

/// A finished speech synthesis.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq)]
pub struct SpeechResponse {
    /// The media type the provider answered with.
    pub media_type: RString,
    /// Bytes written to the sink.
    pub bytes: u64,
    /// The provider's generation id, when it gave one.
    pub generation_id: ROption<RString>,
}

/// An image used as the first or last frame of a video.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq)]
pub struct FrameImage {
    /// An http(s) URL or a `data:` URL.
    pub url: RString,
    /// `first_frame` or `last_frame`.
    pub frame_type: RString,
}

/// A video generation request (text-to-video or image-to-video).
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq)]
pub struct VideoRequest {
    /// The full model ref.
    pub model: RString,
    /// What to film.
    pub prompt: RString,
    /// Duration in seconds.
    pub duration: ROption<u32>,
    /// Resolution in the API's spelling (e.g. `720p`).
    pub resolution: ROption<RString>,
    /// Aspect ratio (e.g. `16:9`).
    pub aspect_ratio: ROption<RString>,
    /// First/last frame images.
    pub frame_images: RVec<FrameImage>,
    /// Reference images (http(s) or data URLs).
    pub references: RVec<RString>,
}

/// A submitted asynchronous video job: everything needed to resume it.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq)]
pub struct VideoJob {
    /// The provider's job id.
    pub id: RString,
    /// Where to poll the job (absolute or relative, as the provider gave it).
    pub polling_url: RString,
    /// The status at submit time.
    pub status: RString,
    /// The full model ref the job was submitted with.
    pub model: RString,
    /// Download URLs, when the job was already completed at submit time.
    pub unsigned_urls: RVec<RString>,
}

/// The live state of a video job, from one poll.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq)]
pub struct VideoJobState {
    /// The provider's status (`pending`, `in_progress`, `completed`, `failed`, ...).
    pub status: RString,
    /// The provider's error text for failed, cancelled or expired jobs.
    pub error: ROption<RString>,
    /// How many outputs are ready, when completed.
    pub outputs: u32,
    /// Cost in USD, when reported.
    pub cost: ROption<f64>,
}

/// A finished video job whose outputs were written to the sink.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq)]
pub struct VideoResponse {
    /// The provider's job id.
    pub job_id: RString,
    /// The final status (`completed`).
    pub status: RString,
    /// How many videos were written to the sink (indices `0..outputs`).
    pub outputs: u32,
    /// The provider's generation id.
    pub generation_id: ROption<RString>,
    /// Cost in USD, when reported.
    pub cost: ROption<f64>,
    /// How many times the job was polled.
    pub polls: u32,
}

/// The state of an API key, as the provider reports it.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq)]
pub struct KeyStatus {
    /// The key's label.
    pub label: RString,
    /// The credit limit, if the key has one.
    pub limit: ROption<f64>,
    /// Credits left under the limit.
    pub limit_remaining: ROption<f64>,
    /// Credits used so far.
    pub usage: ROption<f64>,
    /// Whether the key is on the free tier.
    pub is_free_tier: bool,
}

/// Which phase of a long job a [`Progress`] event reports.
#[repr(transparent)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stage(pub u8);

impl Stage {
    /// The job was accepted by the provider.
    pub const SUBMITTED: Self = Self(1);
    /// The job was polled; `status` and `poll_count` are set.
    pub const POLLING: Self = Self(2);
    /// Output bytes are being downloaded; `bytes` and `total_bytes` are set.
    pub const DOWNLOADING: Self = Self(3);
    /// A transient failure is being retried; `message` says why.
    pub const RETRYING: Self = Self(4);
}

/// A progress report for a long call.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq)]
pub struct Progress {
    /// The phase.
    pub stage: Stage,
    /// The provider's job status (e.g. `in_progress`), or empty.
    pub status: RString,
    /// The job id, or empty.
    pub job_id: RString,
    /// Polls made so far.
    pub poll_count: u32,
    /// Milliseconds since the call started.
    pub elapsed_ms: u64,
    /// Output index being downloaded.
    pub index: u32,
    /// Bytes downloaded so far for this output.
    pub bytes: u64,
    /// Expected size, when known.
    pub total_bytes: ROption<u64>,
    /// A short human note (e.g. why a retry happens), or empty.
    pub message: RString,
}

impl Progress {
    /// An event of `stage` with every other field empty.
    pub fn new(stage: Stage) -> Self {
        Self {
            stage,
            status: RString::new(),
            job_id: RString::new(),
            poll_count: 0,
            elapsed_ms: 0,
            index: 0,
            bytes: 0,
            total_bytes: ROption::RNone,
            message: RString::new(),
        }
    }
}

/*!
The documents that cross the boundary: one serde type per request and
response, exchanged as JSON text through [`crate::PluginModule::call`].

# Why documents

A `repr(C)` struct cannot gain a field without a new major version; a
document can. Every type here is read with `#[serde(default)]` and without
`deny_unknown_fields`, so:

- a field added in a later minor version is ignored by an older reader and
  takes its default (`None`, empty, `false`, `0`) when an older writer
  leaves it out;
- a plugin or host may only give a *new optional* field meaning: a default
  must mean "as before".

Build documents with struct-update syntax so a new field never breaks your
code either:

```
use switchyard_plugin_api::doc::{ChatResponse, Usage};
let answer = ChatResponse {
    text: "Hello!".into(),
    model: "demo/echo".into(),
    usage: Usage { total_tokens: Some(3), ..Default::default() },
    ..Default::default()
};
assert_eq!(answer.finish_reason, "");
```

Large binary inputs (a local image or audio file) never travel base64
inside a document: the request names them with an [`Input`] whose `blob`
indexes the `blobs` argument of `call`.
*/

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Per-call settings the host resolved from config, environment and flags.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Context {
    /// The API key, if one was configured. A secret: never log or echo it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    /// The provider's base URL (config override or the manifest default).
    pub base_url: String,
    /// Deadline for this call in milliseconds; 0 means none. The plugin
    /// returns `timeout` when it passes; the host stops waiting a little later.
    pub timeout_ms: u64,
    /// First poll interval for asynchronous jobs, in milliseconds.
    pub poll_interval_ms: u64,
    /// Largest output (per file) the host accepts, in bytes.
    pub max_output_bytes: u64,
    /// The provider's config table (`models.providers.<id>`) as JSON object
    /// text, for provider-specific settings. Secrets in it are secrets.
    pub settings_json: String,
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("base_url", &self.base_url)
            .field("timeout_ms", &self.timeout_ms)
            .field("poll_interval_ms", &self.poll_interval_ms)
            .field("max_output_bytes", &self.max_output_bytes)
            .finish_non_exhaustive()
    }
}

/// The request of an operation that takes none (`catalog`, `key.check`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Empty {}

/// Provider parameters the CLI has no flag for (`--param KEY=JSON`): each
/// value is JSON text, forwarded as is into the provider's request body.
pub type Params = BTreeMap<String, String>;

/// An input file or URL: exactly one of `url` and `blob` is set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Input {
    /// An http(s) URL the provider fetches itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Index into the call's `blobs`: the bytes of a local file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blob: Option<u32>,
    /// The media type (`image/png`, `audio/wav`, ...), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// The file name, when the input came from a file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Token counts and cost of one call, when the provider reports them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Usage {
    /// Prompt tokens.
    pub prompt_tokens: Option<u64>,
    /// Completion tokens.
    pub completion_tokens: Option<u64>,
    /// Total tokens.
    pub total_tokens: Option<u64>,
    /// Cost in USD (OpenRouter credits).
    pub cost: Option<f64>,
}

/// One chat message.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChatMessage {
    /// `system`, `user` or `assistant`.
    pub role: String,
    /// The message text.
    pub content: String,
}

impl ChatMessage {
    /// A `user` message with `text`.
    pub fn user(text: impl Into<String>) -> Self {
        ChatMessage {
            role: "user".into(),
            content: text.into(),
        }
    }

    /// A `system` message with `text`.
    pub fn system(text: impl Into<String>) -> Self {
        ChatMessage {
            role: "system".into(),
            content: text.into(),
        }
    }
}

/// A chat completion request (`chat`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChatRequest {
    /// The full model ref, e.g. `openrouter/auto`.
    pub model: String,
    /// The conversation, oldest first.
    pub messages: Vec<ChatMessage>,
    /// Stream the answer: each text delta goes to `Host::text` as it arrives.
    pub stream: bool,
    /// Upper bound on generated tokens.
    pub max_tokens: Option<u32>,
    /// Sampling temperature.
    pub temperature: Option<f64>,
    /// Provider parameters passed through.
    pub params: Params,
}

/// A finished chat answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChatResponse {
    /// The whole answer text (also when it was streamed).
    pub text: String,
    /// The model that actually answered, as the provider names it.
    pub model: String,
    /// Why generation stopped (`stop`, `length`, ... or what the provider said).
    pub finish_reason: String,
    /// Token counts and cost.
    pub usage: Usage,
    /// The provider's generation id, when it gave one.
    pub generation_id: Option<String>,
}

/// An image generation request (`image`). Images go to the output sink.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ImageRequest {
    /// The full model ref.
    pub model: String,
    /// What to draw.
    pub prompt: String,
    /// Aspect ratio (already checked against the model's limits).
    pub aspect_ratio: Option<String>,
    /// Size such as `1K`, `2K`, `4K` (already checked).
    pub size: Option<String>,
    /// Provider parameters passed through.
    pub params: Params,
}

/// A finished image generation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ImageResponse {
    /// Text the model returned beside the images.
    pub text: String,
    /// The model that answered.
    pub model: String,
    /// How many images were written to the sink (indices `0..images`).
    pub images: u32,
    /// Token counts and cost.
    pub usage: Usage,
}

/// A text-to-speech request (`speech`). Audio goes to the sink (index 0).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SpeechRequest {
    /// The full model ref.
    pub model: String,
    /// The text to speak.
    pub input: String,
    /// The voice, when one was chosen.
    pub voice: Option<String>,
    /// The audio format to ask for (`mp3` or `pcm`).
    pub format: String,
    /// Speaking speed, when given.
    pub speed: Option<f64>,
    /// Provider parameters passed through.
    pub params: Params,
}

/// A finished speech synthesis.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SpeechResponse {
    /// The media type the provider answered with.
    pub media_type: String,
    /// Bytes written to the sink.
    pub bytes: u64,
    /// The provider's generation id, when it gave one.
    pub generation_id: Option<String>,
    /// Cost, when reported.
    pub usage: Usage,
}

/// An image used as the first or last frame of a video.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FrameImage {
    /// The image.
    pub image: Input,
    /// `first_frame` or `last_frame`.
    pub frame_type: String,
}

/// A video generation request (`video.submit`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct VideoRequest {
    /// The full model ref.
    pub model: String,
    /// What to film.
    pub prompt: String,
    /// Duration in seconds.
    pub duration: Option<u32>,
    /// Resolution in the API's spelling (e.g. `720p`).
    pub resolution: Option<String>,
    /// Aspect ratio (e.g. `16:9`).
    pub aspect_ratio: Option<String>,
    /// First/last frame images.
    pub frame_images: Vec<FrameImage>,
    /// Reference images.
    pub references: Vec<Input>,
    /// Provider parameters passed through.
    pub params: Params,
}

/// The status of an asynchronous job, in the provider's words.
///
/// Unknown statuses are kept as [`JobStatus::Other`] (and are not terminal),
/// so a provider's new word never breaks a reader.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum JobStatus {
    /// Queued.
    #[default]
    Pending,
    /// Generating.
    InProgress,
    /// Done; outputs are ready.
    Completed,
    /// Ended in failure.
    Failed,
    /// Cancelled.
    Cancelled,
    /// Expired before it was fetched or finished.
    Expired,
    /// Gone (an undocumented terminal status some providers send).
    Dead,
    /// A status this version does not know, as the provider spelled it.
    Other(String),
}

impl JobStatus {
    /// The status as the provider spells it.
    pub fn as_str(&self) -> &str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::InProgress => "in_progress",
            JobStatus::Completed => "completed",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
            JobStatus::Expired => "expired",
            JobStatus::Dead => "dead",
            JobStatus::Other(s) => s,
        }
    }

    /// Whether the job has ended (successfully or not).
    pub fn is_terminal(&self) -> bool {
        matches!(self, JobStatus::Completed) || self.is_failure()
    }

    /// Whether the job ended without outputs.
    pub fn is_failure(&self) -> bool {
        matches!(
            self,
            JobStatus::Failed | JobStatus::Cancelled | JobStatus::Expired | JobStatus::Dead
        )
    }
}

impl From<String> for JobStatus {
    fn from(s: String) -> Self {
        match s.to_ascii_lowercase().as_str() {
            "pending" | "queued" => JobStatus::Pending,
            "in_progress" | "processing" | "running" => JobStatus::InProgress,
            "completed" | "succeeded" => JobStatus::Completed,
            "failed" | "error" => JobStatus::Failed,
            "cancelled" | "canceled" => JobStatus::Cancelled,
            "expired" => JobStatus::Expired,
            "dead" => JobStatus::Dead,
            _ => JobStatus::Other(s),
        }
    }
}

impl From<&str> for JobStatus {
    fn from(s: &str) -> Self {
        JobStatus::from(s.to_string())
    }
}

impl From<JobStatus> for String {
    fn from(s: JobStatus) -> Self {
        s.as_str().to_string()
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A submitted asynchronous video job: everything needed to resume it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct VideoJob {
    /// The provider's job id.
    pub id: String,
    /// Where to poll the job (absolute or relative, as the provider gave it).
    pub polling_url: String,
    /// The status at submit time.
    pub status: JobStatus,
    /// The full model ref the job was submitted with.
    pub model: String,
    /// Download URLs, when the job was already completed at submit time.
    pub unsigned_urls: Vec<String>,
}

/// The live state of a video job, from one poll (`video.status`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct VideoJobState {
    /// The provider's status.
    pub status: JobStatus,
    /// The provider's error text for failed, cancelled or expired jobs.
    pub error: Option<String>,
    /// How many outputs are ready, when completed.
    pub outputs: u32,
    /// Cost in USD, when reported.
    pub cost: Option<f64>,
}

/// A finished video job whose outputs were written to the sink (`video.wait`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct VideoResponse {
    /// The provider's job id.
    pub job_id: String,
    /// The final status (`completed`).
    pub status: JobStatus,
    /// How many videos were written to the sink (indices `0..outputs`).
    pub outputs: u32,
    /// The provider's generation id.
    pub generation_id: Option<String>,
    /// Cost in USD, when reported.
    pub cost: Option<f64>,
    /// How many times the job was polled.
    pub polls: u32,
}

/// The state of an API key, as the provider reports it (`key.check`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct KeyStatus {
    /// The key's label.
    pub label: String,
    /// The credit limit, if the key has one.
    pub limit: Option<f64>,
    /// Credits left under the limit.
    pub limit_remaining: Option<f64>,
    /// Credits used so far.
    pub usage: Option<f64>,
    /// Whether the key is on the free tier.
    pub is_free_tier: bool,
}

/// One model and its limits, as a manifest's `[[models]]` entry or a live
/// catalog entry. An absent list means "not stated": the catalog refines the
/// manifest field by field, and a field neither states is not limited.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ModelInfo {
    /// Full model ref, e.g. `openrouter/google/veo-3.1-fast`.
    #[serde(rename = "ref")]
    pub model_ref: String,
    /// Capabilities of this model.
    pub capabilities: Vec<String>,
    /// Video: allowed durations in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub durations: Option<Vec<u32>>,
    /// Video: allowed resolutions (API spelling).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolutions: Option<Vec<String>>,
    /// Video and image: allowed aspect ratios.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aspect_ratios: Option<Vec<String>>,
    /// Image: allowed sizes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sizes: Option<Vec<String>>,
    /// Video: allowed frame image kinds (`first_frame`, `last_frame`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frame_images: Option<Vec<String>>,
    /// Video: allowed input reference kinds (`image`, `audio`, `video`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_references: Option<Vec<String>>,
    /// Video: generation modes (`text-to-video`, `image-to-video`, `video-to-video`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modes: Option<Vec<String>>,
    /// Speech: voices.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voices: Option<Vec<String>>,
    /// Speech: audio formats.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formats: Option<Vec<String>>,
    /// Provider parameters the model accepts through `--param`; when stated,
    /// others are refused before any request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passthrough_parameters: Option<Vec<String>>,
}

impl ModelInfo {
    /// Whether this model offers `capability`.
    pub fn has_capability(&self, capability: &str) -> bool {
        self.capabilities.iter().any(|c| c == capability)
    }
}

/// The live model catalog (`catalog`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Catalog {
    /// The models, with what the provider states of their limits.
    pub models: Vec<ModelInfo>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_status_keeps_unknown_words_and_is_not_terminal_for_them() {
        assert_eq!(JobStatus::from("in_progress"), JobStatus::InProgress);
        assert!(JobStatus::from("dead").is_terminal());
        let odd = JobStatus::from("rendering");
        assert_eq!(odd.as_str(), "rendering");
        assert!(!odd.is_terminal());
    }
}

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
    /// Attachments after the text: images, audio, files (since 2.1). Empty
    /// means a text-only message, as in 2.0.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<ContentPart>,
}

impl ChatMessage {
    /// A `user` message with `text`.
    pub fn user(text: impl Into<String>) -> Self {
        ChatMessage {
            role: "user".into(),
            content: text.into(),
            ..Default::default()
        }
    }

    /// A `system` message with `text`.
    pub fn system(text: impl Into<String>) -> Self {
        ChatMessage {
            role: "system".into(),
            content: text.into(),
            ..Default::default()
        }
    }
}

/// Content part kinds ([`ContentPart::kind`], since 2.1).
pub mod part_kind {
    /// An image (sent to OpenAI-style APIs as an `image_url` part).
    pub const IMAGE: &str = "image";
    /// Audio (an `input_audio` part: base64 bytes and their format).
    pub const AUDIO: &str = "audio";
    /// A file such as a PDF (a `file` part with a data URL or URL).
    pub const FILE: &str = "file";
}

/// An attachment of a chat message (since 2.1).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContentPart {
    /// What it is: `image`, `audio` or `file` ([`part_kind`]). A plugin
    /// answers `invalid_input` for a kind it does not know.
    pub kind: String,
    /// The file (a blob) or URL.
    pub input: Input,
    /// Audio: its format as the provider spells it (`wav`, `mp3`, `flac`,
    /// ...); when absent the plugin derives it from the media type or the
    /// file name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
}

/// A JSON-schema answer format for a chat ([`ChatRequest::response_format`], since 2.1).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct JsonSchema {
    /// The schema's name (letters, digits, `_` and `-`, at most 64).
    pub name: String,
    /// The JSON Schema itself, as JSON text (an object).
    pub schema_json: String,
    /// Ask the provider for strict adherence.
    pub strict: bool,
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
    /// Ask for an answer that is JSON valid against this schema (since 2.1).
    /// The host checks the answer; the plugin only asks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_format: Option<JsonSchema>,
    /// Reasoning effort: `low`, `medium` or `high` (since 2.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<String>,
    /// Provider routing preferences as JSON object text, in the provider's
    /// own shape (OpenRouter's `provider` object: `order`, `sort`,
    /// `allow_fallbacks`, `data_collection`, ...) (since 2.1). Providers
    /// without routing ignore it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_json: Option<String>,
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
    /// Reference or source images to edit or follow (since 2.1).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<Input>,
    /// How many images to make; absent means one (since 2.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// Seed for reproducible sampling, where the model supports it (since 2.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Rendering quality, e.g. `low`, `medium`, `high`, `auto` (since 2.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quality: Option<String>,
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

/// A speech-to-text request (`transcribe`, since 2.1).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TranscribeRequest {
    /// The full model ref.
    pub model: String,
    /// The audio (a local file as a blob; its media type or name gives the format).
    pub audio: Input,
    /// The spoken language (ISO-639-1, e.g. `en`); absent means detect it.
    pub language: Option<String>,
    /// The transcript's format: `text` (the default when absent), `json`,
    /// `srt` or `vtt`.
    pub format: Option<String>,
    /// Provider parameters passed through.
    pub params: Params,
}

/// A finished transcription (since 2.1).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TranscribeResponse {
    /// The transcript in `format`, as an output file would hold it: plain
    /// text for `text`, the provider's JSON answer for `json`, subtitles
    /// for `srt` and `vtt`.
    pub text: String,
    /// The format of `text` (`text`, `json`, `srt` or `vtt`).
    pub format: String,
    /// The language the provider detected or was given, when it says.
    pub language: Option<String>,
    /// The audio's duration in seconds, when the provider says.
    pub duration_s: Option<f64>,
    /// Token counts and cost.
    pub usage: Usage,
}

/// An embeddings request (`embed`, since 2.1).
///
/// The plugin splits a long list into as many provider requests as it
/// needs and answers the vectors in input order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EmbedRequest {
    /// The full model ref.
    pub model: String,
    /// The texts to embed (none empty).
    pub inputs: Vec<String>,
    /// The vector size to ask for, where the model supports it.
    pub dimensions: Option<u32>,
    /// Provider parameters passed through.
    pub params: Params,
}

/// Finished embeddings (since 2.1).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EmbedResponse {
    /// One vector per input, in input order.
    pub vectors: Vec<Vec<f32>>,
    /// The model that answered, as the provider names it.
    pub model: String,
    /// Token counts and cost, summed over every provider request.
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
    /// Seed for reproducible sampling, where the model supports it (since 2.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Generate an audio track (`true`) or a silent video (`false`); absent
    /// leaves it to the model (since 2.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generate_audio: Option<bool>,
    /// Exact pixel size as `WIDTHxHEIGHT` (e.g. `1280x720`), instead of
    /// resolution and aspect ratio (since 2.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    /// Reference audio (since 2.1).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub audio_references: Vec<Input>,
    /// Reference videos (since 2.1).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub video_references: Vec<Input>,
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
    /// Image: allowed sizes (`1K`, `2K`, `1024x1024`, ...); since 2.1 also a
    /// video model's exact `WIDTHxHEIGHT` sizes.
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
    /// Speech: audio formats. Transcription (since 2.1): transcript
    /// formats (`text`, `json`, `srt`, `vtt`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formats: Option<Vec<String>>,
    /// Provider parameters the model accepts through `--param`; when stated,
    /// others are refused before any request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passthrough_parameters: Option<Vec<String>>,
    /// What the model takes as input: `text`, `image`, `audio`, `file`,
    /// `video` (since 2.1). Chat attachments are checked against it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_modalities: Option<Vec<String>>,
    /// Prices in USD per unit, under the provider's own keys, as decimal
    /// strings (since 2.1): for OpenRouter, `/models` pricing (`prompt`,
    /// `completion`, `request`, `image`, `audio`, ... per token, request or
    /// unit), `/videos/models` SKUs (`per-video-second`,
    /// `per-video-second-1080p`, ...) and `/images/models` prices.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pricing: Option<BTreeMap<String, String>>,
    /// Image: allowed qualities (`low`, `medium`, `high`, `auto`) (since 2.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qualities: Option<Vec<String>>,
    /// Image: most images one request may ask for (since 2.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_count: Option<u32>,
    /// Image and video: whether a seed is honoured (since 2.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supports_seed: Option<bool>,
    /// Video: whether the model can generate an audio track (since 2.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supports_audio: Option<bool>,
    /// Image: served by a dedicated image endpoint (OpenRouter's
    /// `POST /images`) rather than through chat (since 2.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_api: Option<bool>,
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

    /// A 2.0 document (none of the 2.1 fields) reads with every new field
    /// at its default, and a 2.1 document that uses none of them is written
    /// exactly as 2.0 wrote it.
    #[test]
    fn documents_without_2_1_fields_read_and_write_as_in_2_0() {
        let v20 = r#"{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":false,"max_tokens":null,"temperature":null,"params":{}}"#;
        let req: ChatRequest = serde_json::from_str(v20).unwrap();
        assert!(req.messages[0].parts.is_empty());
        assert_eq!(req.response_format, None);
        assert_eq!(req.reasoning, None);
        assert_eq!(req.provider_json, None);
        assert_eq!(serde_json::to_string(&req).unwrap(), v20);
        let img: ImageRequest = serde_json::from_str(r#"{"model":"m","prompt":"p"}"#).unwrap();
        assert!(img.inputs.is_empty() && img.count.is_none() && img.seed.is_none());
        let text = serde_json::to_string(&img).unwrap();
        for k in ["inputs", "count", "seed", "quality"] {
            assert!(!text.contains(k), "{text}");
        }
        let vid: VideoRequest = serde_json::from_str(r#"{"model":"m","prompt":"p"}"#).unwrap();
        assert_eq!((vid.seed, vid.generate_audio, vid.size), (None, None, None));
        let text = serde_json::to_string(&ModelInfo::default()).unwrap();
        assert_eq!(text, r#"{"ref":"","capabilities":[]}"#);
    }

    /// What a 2.0 reader sees of a 2.1 document: its own fields, the new
    /// ones ignored.
    #[test]
    fn a_2_0_reader_ignores_the_2_1_fields() {
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct ChatMessage20 {
            role: String,
            content: String,
        }
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct ChatRequest20 {
            model: String,
            messages: Vec<ChatMessage20>,
        }
        let mut msg = ChatMessage::user("what is this?");
        msg.parts.push(ContentPart {
            kind: part_kind::IMAGE.into(),
            input: Input {
                blob: Some(0),
                media_type: Some("image/png".into()),
                ..Default::default()
            },
            format: None,
        });
        let req = ChatRequest {
            model: "m".into(),
            messages: vec![msg],
            response_format: Some(JsonSchema {
                name: "answer".into(),
                schema_json: r#"{"type":"object"}"#.into(),
                strict: true,
            }),
            reasoning: Some("high".into()),
            provider_json: Some(r#"{"sort":"price"}"#.into()),
            ..Default::default()
        };
        let text = serde_json::to_string(&req).unwrap();
        let old: ChatRequest20 = serde_json::from_str(&text).unwrap();
        assert_eq!(old.model, "m");
        assert_eq!(old.messages[0].role, "user");
        assert_eq!(old.messages[0].content, "what is this?");
        let back: ChatRequest = serde_json::from_str(&text).unwrap();
        assert_eq!(back, req);
    }

    #[test]
    fn new_operations_round_trip() {
        let t = TranscribeRequest {
            model: "m".into(),
            audio: Input {
                blob: Some(0),
                media_type: Some("audio/wav".into()),
                ..Default::default()
            },
            language: Some("en".into()),
            format: Some("srt".into()),
            ..Default::default()
        };
        let back: TranscribeRequest =
            serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
        assert_eq!(back, t);
        let e: EmbedResponse =
            serde_json::from_str(r#"{"vectors":[[0.5,-1.0]],"model":"m"}"#).unwrap();
        assert_eq!(e.vectors, vec![vec![0.5, -1.0]]);
        assert_eq!(e.usage, Usage::default());
        let mut pricing = BTreeMap::new();
        pricing.insert("per-video-second".to_string(), "0.15".to_string());
        let m = ModelInfo {
            model_ref: "x/y".into(),
            capabilities: vec![crate::caps::TRANSCRIBE.into()],
            pricing: Some(pricing),
            image_api: Some(true),
            ..Default::default()
        };
        let back: ModelInfo = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
        assert_eq!(back, m);
        assert!(crate::ops::ALL.contains(&crate::ops::EMBED));
        assert!(crate::caps::ALL.contains(&crate::caps::TRANSCRIBE));
    }
}

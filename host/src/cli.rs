/*!
The command-line definition (clap derive). Global options are accepted
before and after the command. Shell completions are generated from it.
*/

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Switchyard: one command line in front of AI provider plugins.
#[derive(Debug, Parser)]
#[command(name = "switchyard", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Config file (default: $SWITCHYARD_CONFIG, else $XDG_CONFIG_HOME/switchyard/config.toml).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Extra plugin directory (repeatable; all directories add up).
    #[arg(long = "plugin-dir", global = true, value_name = "DIR")]
    pub plugin_dirs: Vec<PathBuf>,
    /// Print one JSON object per result on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// More detail on stderr (-v requests, -vv details).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Plugins: list what is installed, check that each loads and keeps its contract.
    #[command(subcommand)]
    Plugins(PluginsCmd),
    /// Models: list, set defaults, refresh the live catalog.
    #[command(subcommand)]
    Models(ModelsCmd),
    /// Chat with a model.
    Chat(ChatArgs),
    /// Generate an image.
    Image(ImageArgs),
    /// Generate a video (or manage video jobs: jobs, status, resume).
    Video(Box<VideoArgs>),
    /// Turn text into speech.
    Speak(SpeakArgs),
    /// Turn speech into text (an audio file, or - for stdin).
    Transcribe(TranscribeArgs),
    /// Embed texts: one vector per input, each a JSON array on its own line.
    Embed(EmbedArgs),
    /// Set up a provider key.
    Onboard(OnboardArgs),
    /// Inspect the configuration.
    #[command(subcommand)]
    Config(ConfigCmd),
    /// Run a JSON Lines file of commands, with a concurrency bound and a
    /// budget; running it again continues it.
    Batch(BatchArgs),
    /// What past commands paid (from the journal; nothing is fetched).
    Spend {
        /// Only costs recorded in the last DUR (e.g. 12h, 7d, 2w; a bare number is seconds).
        #[arg(long, value_name = "DUR")]
        since: Option<String>,
        /// A line per model or per day (UTC) instead of one total.
        #[arg(long, value_enum)]
        by: Option<SpendBy>,
    },
    /// Print shell completions.
    Completions {
        /// The shell.
        shell: Shell,
    },
}

/// `batch` arguments.
#[derive(Debug, Args)]
pub struct BatchArgs {
    /// The batch: one JSON object per line, {"id", "command", "prompt", ...}.
    pub file: PathBuf,
    /// Lines run at once.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub concurrency: usize,
    /// A budget in USD for the whole batch (of this shard): no line starts
    /// whose estimate would take the costs so far past it.
    #[arg(long, value_name = "USD")]
    pub max_cost: Option<f64>,
    /// Run only the lines whose 0-based index modulo N is I (I/N), so N
    /// processes share the file with no coordination.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Results file (default FILE.results.jsonl, or FILE.results.I-of-N.jsonl with --shard).
    #[arg(long, value_name = "PATH")]
    pub results: Option<PathBuf>,
    /// A provider parameter given to every line, as KEY=JSON (repeatable);
    /// each line's command checks it against its model.
    #[arg(long = "param", value_name = "KEY=JSON")]
    pub params: Vec<String>,
    /// Check every line and print each one's cost estimate and the total;
    /// send nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// How `spend` groups costs.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum SpendBy {
    /// A line per model ref.
    Model,
    /// A line per UTC day.
    Day,
}

/// `plugins` subcommands.
#[derive(Debug, Subcommand)]
pub enum PluginsCmd {
    /// Manifests found, their capabilities and load status.
    List,
    /// Load each plugin (or one) and verify ABI, version and self-description.
    Check {
        /// Only this plugin id.
        id: Option<String>,
    },
    /// A new plugin crate from the template, ready to build.
    New {
        /// The plugin's name (its id and model-ref prefix), e.g. acme-ai.
        name: String,
        /// The directory to create (default: ./NAME).
        #[arg(long, value_name = "DIR")]
        dir: Option<std::path::PathBuf>,
        /// The provider kit's sources, to depend on by path (default:
        /// $SWITCHYARD_KIT_PATH, the workspace of a development build, else git).
        #[arg(long, value_name = "DIR")]
        kit_path: Option<std::path::PathBuf>,
    },
    /// Build a plugin crate (cargo, release), check it, and install its
    /// library and manifest in the user's plugin directory.
    #[command(group = clap::ArgGroup::new("from").required(true).args(["path", "git"]))]
    Install {
        /// The plugin crate's directory.
        path: Option<std::path::PathBuf>,
        /// Clone this git repository instead.
        #[arg(long, value_name = "URL")]
        git: Option<String>,
        /// With --git: the revision (tag, branch or commit) to build.
        #[arg(long, value_name = "REV", requires = "git")]
        rev: Option<String>,
        /// Build in debug mode (a faster build, a slower plugin).
        #[arg(long)]
        debug: bool,
    },
    /// Remove a plugin installed with `plugins install`.
    Remove {
        /// The plugin id.
        id: String,
    },
    /// Stop using a plugin (kept in the config's plugins.disabled).
    Disable {
        /// The plugin id.
        id: String,
    },
    /// Use a disabled plugin again.
    Enable {
        /// The plugin id.
        id: String,
    },
    /// Run the contract suite on the plugins of DIR (a manifest directory or
    /// a plugin crate; its library is found in target/ or built).
    Test {
        /// A directory of manifests, or a plugin crate (Cargo.toml beside
        /// `manifest.toml` or a `manifest/` directory).
        dir: std::path::PathBuf,
        /// Send the capability probes to this server (the provider's API or
        /// a test server of yours); without it they are skipped.
        #[arg(long, value_name = "URL")]
        base_url: Option<String>,
        /// How long one probe may take before it counts as hung.
        #[arg(long, value_name = "DUR", default_value = "30s")]
        timeout: String,
    },
}

/// Capability names for filters.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum CapabilityArg {
    /// Text chat.
    Chat,
    /// Image generation.
    Image,
    /// Video generation.
    Video,
    /// Text-to-speech.
    Speech,
    /// Speech-to-text.
    Transcribe,
    /// Text embeddings.
    Embed,
}

impl CapabilityArg {
    /// The capability name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Chat => "chat",
            Self::Image => "image",
            Self::Video => "video",
            Self::Speech => "speech",
            Self::Transcribe => "transcribe",
            Self::Embed => "embed",
        }
    }
}

/// `models` subcommands.
#[derive(Debug, Subcommand)]
pub enum ModelsCmd {
    /// Models known from manifests (and the cached catalog).
    List {
        /// Only models with this capability.
        #[arg(long)]
        capability: Option<CapabilityArg>,
    },
    /// Set the default chat model (or image/video/tts model).
    Set {
        /// Set the image model instead.
        #[arg(long, conflicts_with_all = ["video", "tts"])]
        image: bool,
        /// Set the video model instead.
        #[arg(long, conflicts_with_all = ["image", "tts"])]
        video: bool,
        /// Set the speech model instead (provider-local id, e.g. hexgrad/kokoro-82m).
        #[arg(long, conflicts_with_all = ["image", "video"])]
        tts: bool,
        /// The model ref.
        model: String,
    },
    /// Fetch the provider's live model catalogs into the cache.
    Refresh,
}

/// `chat` arguments.
#[derive(Debug, Args)]
pub struct ChatArgs {
    /// Model ref (default: agents.defaults.model.primary, else openrouter/auto).
    #[arg(long)]
    pub model: Option<String>,
    /// Print tokens as they arrive.
    #[arg(long)]
    pub stream: bool,
    /// A system message.
    #[arg(long)]
    pub system: Option<String>,
    /// Fallback model ref, tried after the configured fallbacks (repeatable).
    #[arg(long = "fallback")]
    pub fallbacks: Vec<String>,
    /// Maximum tokens to generate.
    #[arg(long)]
    pub max_tokens: Option<u32>,
    /// Speak the answer to this file (as with messages.tts.auto = "always").
    #[arg(long, value_name = "PATH")]
    pub speak_to: Option<PathBuf>,
    /// Deadline for the whole command, retries and fallbacks included (500ms, 30s, 2m).
    #[arg(long, value_name = "DUR")]
    pub timeout: Option<String>,
    /// Attach an image: a file or an http(s) URL (repeatable; the model
    /// must take image input).
    #[arg(long = "image", value_name = "IMG")]
    pub images: Vec<String>,
    /// Attach audio: a file (WAV, MP3, FLAC, Ogg, M4A, ...; its format is
    /// read from its bytes) or an http(s) URL (repeatable).
    #[arg(long = "audio", value_name = "FILE")]
    pub audios: Vec<String>,
    /// Attach a file such as a PDF: a file or an http(s) URL (repeatable).
    #[arg(long = "file", value_name = "FILE")]
    pub files: Vec<String>,
    /// Ask for a JSON answer following this JSON schema file (strict); the
    /// answer is checked, and a violation exits 4.
    #[arg(long, value_name = "FILE")]
    pub schema: Option<PathBuf>,
    /// Reasoning effort, for models that reason.
    #[arg(long, value_enum, ignore_case = true)]
    pub reasoning: Option<Effort>,
    /// Provider routing preferences.
    #[command(flatten)]
    pub routing: RoutingArgs,
    /// The prompt, or - to read it from stdin.
    pub prompt: Option<String>,
    /// Provider parameters, budget, dry run.
    #[command(flatten)]
    pub paid: PaidArgs,
}

/// Reasoning effort (`chat --reasoning`).
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Effort {
    /// Little reasoning.
    Low,
    /// Some reasoning.
    Medium,
    /// Much reasoning.
    High,
}

impl Effort {
    /// The effort's name, as sent.
    pub fn name(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        }
    }
}

/// Provider routing, for providers that route a request among upstream
/// providers (OpenRouter); they win over `models.providers.<id>.provider`
/// in the config, key by key. Providers without routing ignore them.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Provider routing")]
pub struct RoutingArgs {
    /// Upstream providers to try first, in this order (e.g. openai,together).
    #[arg(long, value_name = "A,B", value_delimiter = ',')]
    pub provider_order: Vec<String>,
    /// Prefer upstream providers by price, throughput or latency.
    #[arg(long, value_enum, ignore_case = true)]
    pub provider_sort: Option<ProviderSort>,
    /// Use only the upstream providers of --provider-order (no others).
    #[arg(long)]
    pub no_provider_fallbacks: bool,
    /// Whether upstream providers that may store or train on data are used.
    #[arg(long, value_enum, ignore_case = true)]
    pub data_collection: Option<DataCollection>,
}

/// `--provider-sort` values.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ProviderSort {
    /// Lowest price first.
    Price,
    /// Highest throughput first.
    Throughput,
    /// Lowest latency first.
    Latency,
}

impl ProviderSort {
    /// The value as sent.
    pub fn name(self) -> &'static str {
        match self {
            Self::Price => "price",
            Self::Throughput => "throughput",
            Self::Latency => "latency",
        }
    }
}

/// `--data-collection` values.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum DataCollection {
    /// Any upstream provider.
    Allow,
    /// Only upstream providers that do not store or train on the data.
    Deny,
}

impl DataCollection {
    /// The value as sent.
    pub fn name(self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::Deny => "deny",
        }
    }
}

/// What every paid command takes: provider parameters, a budget, a dry run.
#[derive(Debug, Args, Clone, Default)]
pub struct PaidArgs {
    /// A provider parameter the CLI has no flag for, as KEY=JSON (repeatable),
    /// e.g. --param top_k=40; refused when the model's catalog lists the
    /// parameters it takes and KEY is not one of them.
    #[arg(long = "param", value_name = "KEY=JSON")]
    pub params: Vec<String>,
    /// Refuse (exit 2, nothing sent) when the cost estimate from the model
    /// catalog's prices is over USD, or cannot be made.
    #[arg(long, value_name = "USD")]
    pub max_cost: Option<f64>,
    /// Print the request that would be sent (secrets redacted) and its cost
    /// estimate; send nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `image` arguments.
#[derive(Debug, Args)]
pub struct ImageArgs {
    /// Model ref (default: agents.defaults.imageGenerationModel.primary).
    #[arg(long)]
    pub model: Option<String>,
    /// Aspect ratio (models that declare them).
    #[arg(long)]
    pub aspect_ratio: Option<String>,
    /// Size such as 1K, 2K, 4K (models that declare them).
    #[arg(long)]
    pub size: Option<String>,
    /// Timeout per attempt (default: imageGenerationModel.timeoutMs, else 3m); given here, the whole command's deadline, retries included.
    #[arg(long, value_name = "DUR")]
    pub timeout: Option<String>,
    /// Output path (default: image-<timestamp>.png; more images go to
    /// NAME-2, NAME-3, ...).
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// An image to edit or follow: a file or an http(s) URL (repeatable;
    /// the model must take image input).
    #[arg(long = "input", value_name = "IMG")]
    pub inputs: Vec<String>,
    /// How many images to make (at most the model's limit, when stated).
    #[arg(long, value_name = "N")]
    pub count: Option<u32>,
    /// A seed for reproducible images (models that honour one).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Rendering quality, e.g. low, medium, high, auto (models that state them).
    #[arg(long, value_name = "Q")]
    pub quality: Option<String>,
    /// What to draw, or - for stdin.
    pub prompt: String,
    /// Provider parameters, budget, dry run.
    #[command(flatten)]
    pub paid: PaidArgs,
}

/// `video` arguments; with a subcommand, manages journaled jobs.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct VideoArgs {
    /// Job management.
    #[command(subcommand)]
    pub job: Option<VideoJobCmd>,
    /// Model ref (default: agents.defaults.videoGenerationModel.primary, else openrouter/google/veo-3.1-fast).
    #[arg(long)]
    pub model: Option<String>,
    /// Duration in seconds.
    #[arg(long, value_name = "SECS")]
    pub duration: Option<u32>,
    /// Resolution, e.g. 720p.
    #[arg(long)]
    pub resolution: Option<String>,
    /// Aspect ratio, e.g. 16:9.
    #[arg(long)]
    pub aspect_ratio: Option<String>,
    /// First frame image (file or http(s) URL).
    #[arg(long, value_name = "IMG")]
    pub first_frame: Option<String>,
    /// Last frame image (file or http(s) URL).
    #[arg(long, value_name = "IMG")]
    pub last_frame: Option<String>,
    /// Reference image (repeatable).
    #[arg(long = "reference", value_name = "IMG")]
    pub references: Vec<String>,
    /// Reference audio: a file or http(s) URL (repeatable; models that take audio references).
    #[arg(long = "reference-audio", value_name = "FILE")]
    pub reference_audio: Vec<String>,
    /// Reference video: a file or http(s) URL (repeatable; models that take video references).
    #[arg(long = "reference-video", value_name = "FILE")]
    pub reference_video: Vec<String>,
    /// Seed, for a repeatable result (models that take one).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Generate an audio track (models that can).
    #[arg(long, conflicts_with = "no_audio")]
    pub audio: bool,
    /// Generate no audio track.
    #[arg(long)]
    pub no_audio: bool,
    /// Frame size in pixels, WxH such as 1280x720 (models that list sizes).
    #[arg(long, value_name = "WxH")]
    pub size: Option<String>,
    /// Submit, journal and print the job id, then exit 0; `video resume JOB` finishes it.
    #[arg(long)]
    pub detach: bool,
    /// Overall timeout (default: videoGenerationModel.timeoutMs, else 15m).
    #[arg(long, value_name = "DUR")]
    pub timeout: Option<String>,
    /// Output path (default: video-<job id>.mp4).
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// What to film.
    #[arg(required = true)]
    pub prompt: Option<String>,
    /// Provider parameters, budget, dry run.
    #[command(flatten)]
    pub paid: PaidArgs,
}

/// `video` job subcommands.
#[derive(Debug, Subcommand)]
pub enum VideoJobCmd {
    /// Journaled jobs, one per line, id first.
    Jobs,
    /// A job's journal entry and, if unfinished, its live status.
    Status {
        /// Job id.
        job: String,
    },
    /// Continue polling a job and download its video (never submits again).
    Resume {
        /// Job id.
        job: String,
        /// Output path (default: the path recorded at submit time).
        #[arg(long, value_name = "PATH")]
        out: Option<PathBuf>,
        /// Overall timeout.
        #[arg(long, value_name = "DUR")]
        timeout: Option<String>,
    },
    /// Drop a job from the journal (asks nothing of the API; a running job
    /// keeps running and is billed as before).
    Forget {
        /// Job id (or the journal key of a job that never got one).
        job: String,
    },
}

/// `speak` arguments.
#[derive(Debug, Args)]
pub struct SpeakArgs {
    /// Model ref (default: messages.tts.providers.<provider>.model).
    #[arg(long)]
    pub model: Option<String>,
    /// Voice (default: messages.tts.providers.<provider>.voice).
    #[arg(long)]
    pub voice: Option<String>,
    /// mp3 or pcm (default: responseFormat, else from --out's extension, else mp3).
    #[arg(long)]
    pub format: Option<String>,
    /// Speaking speed.
    #[arg(long)]
    pub speed: Option<f64>,
    /// Sample rate for PCM written as .wav.
    #[arg(long, default_value_t = 24000)]
    pub sample_rate: u32,
    /// Output path (default: speech-<timestamp>.<ext>).
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Deadline for the whole command, retries included (default 2m per attempt).
    #[arg(long, value_name = "DUR")]
    pub timeout: Option<String>,
    /// The text, or - for stdin.
    pub text: String,
    /// Provider parameters, budget, dry run.
    #[command(flatten)]
    pub paid: PaidArgs,
}

/// `transcribe` arguments.
#[derive(Debug, Args)]
pub struct TranscribeArgs {
    /// Model ref (default: the first transcribe model of a configured plugin).
    #[arg(long)]
    pub model: Option<String>,
    /// The spoken language (ISO-639-1, e.g. en); default: detected.
    #[arg(long, value_name = "L")]
    pub language: Option<String>,
    /// text, json, srt or vtt (default: from --out's extension, else text).
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Write the transcript to this file (atomically) instead of stdout.
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Deadline for the whole command, retries included (default 5m per attempt).
    #[arg(long, value_name = "DUR")]
    pub timeout: Option<String>,
    /// The audio file (WAV, MP3, FLAC, Ogg, WebM, M4A, AAC, AIFF; at most
    /// 25 MiB), or - to read it from stdin.
    #[arg(value_name = "FILE")]
    pub file: String,
    /// Provider parameters, budget, dry run.
    #[command(flatten)]
    pub paid: PaidArgs,
}

/// `embed` arguments.
#[derive(Debug, Args)]
pub struct EmbedArgs {
    /// Model ref (default: the first embed model of a configured plugin).
    #[arg(long)]
    pub model: Option<String>,
    /// The vector size to ask for (models that can shorten their vectors).
    #[arg(long, value_name = "N")]
    pub dimensions: Option<u32>,
    /// Deadline for the whole command, retries included (default 2m per attempt).
    #[arg(long, value_name = "DUR")]
    pub timeout: Option<String>,
    /// The texts, one input each; or - (or nothing, with piped input) to
    /// read one input per line from stdin.
    #[arg(value_name = "TEXT")]
    pub texts: Vec<String>,
    /// Provider parameters, budget, dry run.
    #[command(flatten)]
    pub paid: PaidArgs,
}

/// `onboard` arguments.
#[derive(Debug, Args)]
pub struct OnboardArgs {
    /// Provider id.
    #[arg(long, default_value = "openrouter")]
    pub provider: String,
    /// Read the key from stdin (no prompt).
    #[arg(long)]
    pub api_key_stdin: bool,
}

/// `config` subcommands.
#[derive(Debug, Subcommand)]
pub enum ConfigCmd {
    /// The config file path.
    Path,
    /// The resolved settings and where each came from (secrets redacted).
    Show,
    /// Check the config file: unknown keys, wrong types, unreadable files.
    Check,
}

/// Shells for completions.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Shell {
    /// bash
    Bash,
    /// zsh
    Zsh,
    /// fish
    Fish,
    /// PowerShell
    Powershell,
}

/*!
`cargo xtask demo`: the README's first command. Builds the binary and the
plugins, then runs the main jobs (chat, streamed chat, image, video,
speech, and the plugin API 2.1 kinds: two images from the Image API, a
transcription of the speech, embeddings, a chat about the image with a
JSON-schema answer) through the real `switchyard` binary and the loaded
OpenRouter plugin. Without `OPENROUTER_API_KEY` it starts the bundled fake OpenRouter
server on loopback (no network needed); with the key it talks to the real
API. Outputs go to `target/demo/`, which it names at the end.
*/

use anyhow::{bail, Context, Result};
use fake_openrouter::FakeServer;
use std::process::Command;

/// The JSON schema of the demo's captioned-image answer.
const CAPTION_SCHEMA: &str = r#"{
  "type": "object",
  "properties": {
    "caption": {"type": "string"},
    "objects": {"type": "array", "items": {"type": "string"}}
  },
  "required": ["caption", "objects"],
  "additionalProperties": false
}
"#;

/// Runs the demo.
// Over 80 lines on purpose: a linear script of the demo jobs, read top to bottom.
pub fn run(_args: &[String]) -> Result<()> {
    let c = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    crate::sh(
        &c,
        &["build", "-p", "switchyard", "-p", "switchyard-openrouter"],
    )?;
    let out = crate::target_dir().join("demo");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(out.join("state"))?;
    let live = std::env::var("OPENROUTER_API_KEY")
        .map(|k| !k.trim().is_empty())
        .unwrap_or(false);
    let server = if live {
        None
    } else {
        Some(FakeServer::start()?)
    };
    let config = out.join("config.toml");
    let mut text = String::from("[agents.defaults.videoGenerationModel]\npollIntervalMs = 500\n\n");
    match &server {
        Some(s) => {
            println!(
                "No OPENROUTER_API_KEY set: using the bundled fake OpenRouter server at {}",
                s.base_url()
            );
            text.push_str(&format!(
                "[models.providers.openrouter]\napiKey = \"{}\"\nbaseUrl = \"{}\"\n",
                s.api_key(),
                s.base_url()
            ));
        }
        None => println!(
            "OPENROUTER_API_KEY is set: talking to the real OpenRouter API (this costs credits)"
        ),
    }
    std::fs::write(&config, text)?;
    std::fs::write(out.join("caption.json"), CAPTION_SCHEMA)?;
    let bin = crate::target_dir().join("debug/switchyard");
    let jobs: Vec<(&str, Vec<&str>)> = vec![
        (
            "chat",
            vec!["chat", "Say hello to Switchyard in five words."],
        ),
        ("streamed chat", vec!["chat", "--stream", "Count to five."]),
        (
            "image",
            vec![
                "image",
                "--aspect-ratio",
                "16:9",
                "--out",
                "image.png",
                "A lighthouse at dawn",
            ],
        ),
        (
            "video",
            vec![
                "video",
                "--duration",
                "4",
                "--resolution",
                "720p",
                "--out",
                "video.mp4",
                "A paper boat on a river",
            ],
        ),
        (
            "speech",
            vec!["speak", "--out", "speech.mp3", "Hello from Switchyard."],
        ),
        (
            "two images (Image API)",
            vec![
                "image",
                "--model",
                "openrouter/bytedance-seed/seedream-4.5",
                "--count",
                "2",
                "--out",
                "pair.png",
                "A lighthouse at dusk",
            ],
        ),
        (
            "transcription",
            vec!["transcribe", "--out", "speech.srt", "speech.mp3"],
        ),
        (
            "embeddings",
            vec!["embed", "Switchyard routes requests", "to provider plugins"],
        ),
        (
            "chat with an image and a schema",
            vec![
                "chat",
                "--model",
                "openrouter/openai/gpt-4o-mini",
                "--image",
                "image.png",
                "--schema",
                "caption.json",
                "Caption this image.",
            ],
        ),
    ];
    let mut failed = Vec::new();
    for (name, args) in jobs {
        println!("\n== {name}: switchyard {}", args.join(" "));
        let status = Command::new(&bin)
            .args(&args)
            .current_dir(&out)
            .env("SWITCHYARD_CONFIG", &config)
            .env("XDG_STATE_HOME", out.join("state"))
            .status()
            .with_context(|| format!("cannot run {}", bin.display()))?;
        if !status.success() {
            failed.push(name);
        }
    }
    println!("\nOutputs are in {}", out.display());
    for f in [
        "image.png",
        "video.mp4",
        "speech.mp3",
        "pair.png",
        "pair-2.png",
        "speech.srt",
    ] {
        if let Ok(m) = std::fs::metadata(out.join(f)) {
            println!("  {f:<10} {} bytes", m.len());
        }
    }
    if !failed.is_empty() {
        bail!("these demo jobs failed: {}", failed.join(", "));
    }
    Ok(())
}

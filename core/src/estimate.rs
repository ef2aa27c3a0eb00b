/*!
Cost estimates before anything is paid (`--dry-run`, `--max-cost`, the
batch budget), from a model's catalog pricing.

Prices arrive from the plugin's live catalog in normalized units (USD per
unit, as decimal strings in `ModelInfo.pricing`), so the host knows no
provider's price sheet:

| key | unit |
|---|---|
| `request` | one request |
| `input_token`, `output_token` | one token in, one token out |
| `input_character` | one character of input text (speech) |
| `image` | one generated image |
| `video_second`, `video_second@<resolution>` | one second of video (at that resolution) |
| `audio_second` | one second of input audio (transcription) |

An estimate says what it assumed (tokens from characters, the output
length, the longest allowed duration, ...), and is `None` when the model
states no price for what the request would use: `--max-cost` then refuses.
*/

use std::collections::BTreeMap;

/// What a request will consume, as far as the host can tell before sending.
#[derive(Debug, Clone, PartialEq)]
pub enum Usage {
    /// A chat: the characters of the prompt (system included) and the
    /// output bound (`--max-tokens`), when given.
    Chat {
        /// Characters sent.
        input_chars: usize,
        /// `--max-tokens`, when given.
        max_output_tokens: Option<u32>,
    },
    /// `count` images.
    Image {
        /// Images asked for.
        count: u32,
    },
    /// A video of `seconds` (None: not given) at `resolution`.
    Video {
        /// `--duration`, when given.
        seconds: Option<u32>,
        /// The model's allowed durations (the longest is assumed when none is given).
        allowed: Vec<u32>,
        /// `--resolution`, when given (API spelling).
        resolution: Option<String>,
    },
    /// Speech of `chars` characters.
    Speech {
        /// Characters to speak.
        chars: usize,
    },
    /// A transcription of `seconds` of audio (None: unknown length).
    Transcribe {
        /// The audio's length, when it could be read.
        seconds: Option<f64>,
        /// The file's size, for a guess when the length is unknown.
        bytes: u64,
    },
    /// Embeddings of `chars` characters in all.
    Embed {
        /// Characters of all inputs.
        chars: usize,
    },
}

/// A cost estimate and what it assumed.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// The estimated cost in USD.
    pub usd: f64,
    /// Each assumption, as a short phrase.
    pub assumptions: Vec<String>,
}

/// Output tokens assumed for a chat without `--max-tokens`.
pub const ASSUMED_OUTPUT_TOKENS: u32 = 1024;
/// Characters per token assumed for text (a common rule of thumb).
pub const CHARS_PER_TOKEN: usize = 4;
/// Bitrate assumed for audio of unknown length (128 kbit/s).
pub const ASSUMED_AUDIO_BYTES_PER_SECOND: u64 = 16_000;

/// Prices in USD per unit, parsed from a model's `pricing` table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Prices(BTreeMap<String, f64>);

impl Prices {
    /// Parses the decimal strings; unparsable or negative prices are left out.
    pub fn parse(table: &BTreeMap<String, String>) -> Prices {
        Prices(
            table
                .iter()
                .filter_map(|(k, v)| {
                    let p: f64 = v.trim().parse().ok()?;
                    (p.is_finite() && p >= 0.0).then(|| (k.clone(), p))
                })
                .collect(),
        )
    }

    fn get(&self, key: &str) -> Option<f64> {
        self.0.get(key).copied()
    }
}

fn tokens(chars: usize) -> u64 {
    chars.div_ceil(CHARS_PER_TOKEN).max(1) as u64
}

/// The estimate of `usage` at `prices`, or `None` when a price it needs is
/// not stated.
pub fn estimate(usage: &Usage, prices: &Prices) -> Option<Estimate> {
    let mut assumptions = Vec::new();
    let per_request = prices.get("request").unwrap_or(0.0);
    let usd = match usage {
        Usage::Chat {
            input_chars,
            max_output_tokens,
        } => {
            let input = tokens(*input_chars);
            assumptions.push(format!(
                "{input} input tokens ({CHARS_PER_TOKEN} characters a token)"
            ));
            let output = match max_output_tokens {
                Some(n) => u64::from(*n),
                None => {
                    assumptions.push(format!(
                        "{ASSUMED_OUTPUT_TOKENS} output tokens (bound it with --max-tokens)"
                    ));
                    u64::from(ASSUMED_OUTPUT_TOKENS)
                }
            };
            input as f64 * prices.get("input_token")?
                + output as f64 * prices.get("output_token")?
        }
        Usage::Image { count } => f64::from(*count) * prices.get("image")?,
        Usage::Video {
            seconds,
            allowed,
            resolution,
        } => {
            let secs = match (seconds, allowed.iter().max()) {
                (Some(s), _) => *s,
                (None, Some(longest)) => {
                    assumptions.push(format!(
                        "{longest} s, the longest the model allows (set --duration)"
                    ));
                    *longest
                }
                (None, None) => return None,
            };
            let per_second = resolution
                .as_ref()
                .and_then(|r| prices.get(&format!("video_second@{}", r.to_ascii_lowercase())))
                .or_else(|| prices.get("video_second"))?;
            f64::from(secs) * per_second
        }
        Usage::Speech { chars } => *chars as f64 * prices.get("input_character")?,
        Usage::Transcribe { seconds, bytes } => {
            let secs = seconds.unwrap_or_else(|| {
                assumptions.push("the audio's length from its size at 128 kbit/s".into());
                *bytes as f64 / ASSUMED_AUDIO_BYTES_PER_SECOND as f64
            });
            secs * prices.get("audio_second")?
        }
        Usage::Embed { chars } => {
            let input = tokens(*chars);
            assumptions.push(format!(
                "{input} input tokens ({CHARS_PER_TOKEN} characters a token)"
            ));
            input as f64 * prices.get("input_token")?
        }
    };
    Some(Estimate {
        usd: usd + per_request,
        assumptions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prices(pairs: &[(&str, &str)]) -> Prices {
        Prices::parse(
            &pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn a_video_costs_its_per_second_price_times_its_duration_at_its_resolution() {
        let p = prices(&[("video_second", "0.50"), ("video_second@1080p", "0.75")]);
        let usage = |s: Option<u32>, r: Option<&str>| Usage::Video {
            seconds: s,
            allowed: vec![4, 6, 8],
            resolution: r.map(str::to_string),
        };
        assert_eq!(estimate(&usage(Some(4), None), &p).unwrap().usd, 2.0);
        assert_eq!(
            estimate(&usage(Some(4), Some("1080P")), &p).unwrap().usd,
            3.0
        );
        let longest = estimate(&usage(None, None), &p).unwrap();
        assert_eq!(longest.usd, 4.0);
        assert!(longest.assumptions[0].contains("8 s"), "{longest:?}");
    }

    #[test]
    fn a_chat_counts_tokens_from_characters_and_says_so() {
        let p = prices(&[("input_token", "0.000001"), ("output_token", "0.000002")]);
        let e = estimate(
            &Usage::Chat {
                input_chars: 400,
                max_output_tokens: Some(100),
            },
            &p,
        )
        .unwrap();
        assert!((e.usd - (100.0 * 0.000001 + 100.0 * 0.000002)).abs() < 1e-12);
        let e = estimate(
            &Usage::Chat {
                input_chars: 4,
                max_output_tokens: None,
            },
            &p,
        )
        .unwrap();
        assert!(e.assumptions.iter().any(|a| a.contains("--max-tokens")));
    }

    #[test]
    fn no_stated_price_means_no_estimate() {
        let p = prices(&[("input_token", "0.1"), ("image", "nonsense")]);
        assert_eq!(estimate(&Usage::Image { count: 2 }, &p), None);
        assert_eq!(estimate(&Usage::Speech { chars: 10 }, &p), None);
        let p = prices(&[("image", "0.04"), ("request", "0.01")]);
        assert!((estimate(&Usage::Image { count: 3 }, &p).unwrap().usd - 0.13).abs() < 1e-12);
    }
}

/*!
Retries and failover across a chain of models.

Each model is tried; a transient failure (rate limited, timeout, upstream,
network) is retried a bounded number of times with backoff, honouring the
provider's `Retry-After`; then, if the failure is failover-worthy (the
transient kinds, an unavailable model, an exceeded context window), the next
model in the chain is tried. Auth, billing and invalid requests end the
chain at once. Decisions use the error kind only, never message text.
*/

use crate::term;
use std::time::Duration;
use switchyard_plugin_api::PluginError;

/// Retry policy for one model.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub retries: u32,
    /// First backoff delay.
    pub base_delay: Duration,
    /// Longest wait honoured (a longer `Retry-After` moves on instead).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            retries: 2,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        }
    }
}

/// The outcome of a chain: the value and the model that produced it, or
/// the last error with the model that produced it.
pub type ChainResult<T> = Result<(T, String), (PluginError, String)>;

/// Runs `attempt` over `models` with retries and failover. `may_retry` is
/// asked before every retry or failover (e.g. false once streamed text was
/// printed, since it cannot be taken back).
pub fn run<T>(
    models: &[String],
    policy: RetryPolicy,
    mut attempt: impl FnMut(&str) -> Result<T, PluginError>,
    may_retry: impl Fn() -> bool,
) -> ChainResult<T> {
    let mut last: Option<(PluginError, String)> = None;
    for (i, model) in models.iter().enumerate() {
        let mut tries = 0;
        loop {
            match attempt(model) {
                Ok(v) => return Ok((v, model.clone())),
                Err(e) => {
                    let retry_after = e.retry_after_ms.into_option().map(Duration::from_millis);
                    let can = may_retry() && !crate::call::cancelled();
                    if can
                        && e.kind.is_transient()
                        && tries < policy.retries
                        && retry_after.is_none_or(|d| d <= policy.max_delay)
                    {
                        let backoff = policy.base_delay * 2u32.saturating_pow(tries);
                        let wait = retry_after.unwrap_or(backoff).min(policy.max_delay);
                        term::notice(&format!(
                            "{model}: {} ({}); retrying in {:.1}s",
                            e.message,
                            e.kind,
                            wait.as_secs_f64()
                        ));
                        sleep_cancellable(wait);
                        tries += 1;
                        continue;
                    }
                    let next = models.get(i + 1);
                    let worthy = e.kind.is_failover_worthy() && can;
                    last = Some((e, model.clone()));
                    match (worthy, next) {
                        (true, Some(n)) => {
                            if let Some((e, _)) = &last {
                                term::notice(&format!(
                                    "{model} failed ({}): {}; trying fallback {n}",
                                    e.kind, e.message
                                ));
                            }
                            break;
                        }
                        _ => return Err(last.unwrap_or_else(|| unreachable_error(model))),
                    }
                }
            }
        }
    }
    Err(last.unwrap_or_else(|| unreachable_error("(no model)")))
}

fn unreachable_error(model: &str) -> (PluginError, String) {
    (
        PluginError::new(
            switchyard_plugin_api::ErrorKind::INVALID_INPUT,
            "no model to try",
        ),
        model.to_string(),
    )
}

/// Runs one call that writes output files, retrying transient errors only
/// when the provider answered with them (an HTTP status: nothing was
/// generated or billed), never after the answer started to arrive. Each
/// attempt gets fresh outputs; returns the value and the (not yet verified)
/// outputs of the successful attempt.
pub fn run_with_outputs<T>(
    label: &str,
    make_outputs: impl Fn() -> crate::output::Outputs,
    call: impl Fn(switchyard_plugin_api::HostRef<'_>) -> Result<T, PluginError>,
) -> Result<(T, crate::output::Outputs), crate::error::HostError> {
    use crate::call::HostCalls;
    use crate::error::HostError;
    let answered = std::cell::Cell::new(true);
    let result = run(
        &[label.to_string()],
        RetryPolicy::default(),
        |_| {
            let mut calls = HostCalls::with_outputs(label, make_outputs());
            let r = call(calls.as_host());
            let outputs = calls.take_outputs();
            if let Err(e) = &r {
                answered.set(e.status.is_some());
            }
            r.map(|v| (v, outputs))
        },
        || answered.get(),
    );
    let ((value, outputs), _) = result.map_err(|(e, _)| HostError::from(e))?;
    let outputs =
        outputs.ok_or_else(|| HostError::BadOutput("the output sink disappeared".into()))?;
    Ok((value, outputs))
}

/// Sleeps for `d`, waking early when the user cancels.
pub fn sleep_cancellable(d: Duration) {
    let end = std::time::Instant::now() + d;
    while std::time::Instant::now() < end && !crate::call::cancelled() {
        std::thread::sleep(
            Duration::from_millis(50).min(end.saturating_duration_since(std::time::Instant::now())),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchyard_plugin_api::ErrorKind;

    fn fast() -> RetryPolicy {
        RetryPolicy {
            retries: 2,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
        }
    }

    #[test]
    fn rate_limit_on_primary_fails_over_to_fallback() {
        let models = vec!["a".to_string(), "b".to_string()];
        let mut calls = Vec::new();
        let r = run(
            &models,
            fast(),
            |m| {
                calls.push(m.to_string());
                if m == "a" {
                    Err(PluginError::new(ErrorKind::RATE_LIMITED, "slow down"))
                } else {
                    Ok(42)
                }
            },
            || true,
        );
        assert_eq!(r.unwrap(), (42, "b".to_string()));
        assert_eq!(calls, vec!["a", "a", "a", "b"]);
    }

    #[test]
    fn auth_error_never_retries_or_fails_over() {
        let models = vec!["a".to_string(), "b".to_string()];
        let mut n = 0;
        let r: ChainResult<()> = run(
            &models,
            fast(),
            |_| {
                n += 1;
                Err(PluginError::new(ErrorKind::AUTH, "bad key"))
            },
            || true,
        );
        assert_eq!(r.unwrap_err().0.kind, ErrorKind::AUTH);
        assert_eq!(n, 1);
    }

    #[test]
    fn context_length_fails_over_without_retry() {
        let models = vec!["a".to_string(), "b".to_string()];
        let mut calls = Vec::new();
        let r = run(
            &models,
            fast(),
            |m| {
                calls.push(m.to_string());
                if m == "a" {
                    Err(PluginError::new(ErrorKind::CONTEXT_LENGTH, "too long"))
                } else {
                    Ok(1)
                }
            },
            || true,
        );
        assert!(r.is_ok());
        assert_eq!(calls, vec!["a", "b"]);
    }

    #[test]
    fn no_retry_once_output_was_streamed() {
        let models = vec!["a".to_string(), "b".to_string()];
        let mut n = 0;
        let r: ChainResult<()> = run(
            &models,
            fast(),
            |_| {
                n += 1;
                Err(PluginError::new(ErrorKind::UPSTREAM, "mid-stream"))
            },
            || false,
        );
        assert!(r.is_err());
        assert_eq!(n, 1);
    }
}

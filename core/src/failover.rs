/*!
Retries and failover across a chain of models, within the command's deadline.

Each model is tried; a transient failure (rate limited, timeout, upstream,
network) is retried a bounded number of times with backoff, honouring the
provider's `Retry-After`; then, if the failure is failover-worthy (the
transient kinds, an unavailable model, an exceeded context window), the next
model in the chain is tried. Auth, billing and invalid requests end the
chain at once. Decisions use the error kind only, never message text.

A user's `--timeout` is the whole command's deadline
([`Session::set_deadline`]), retries and fallbacks included: a retry or
fallback that cannot start with at least [`MIN_ATTEMPT`] left after its
wait is not started, each attempt is given the time left
([`Session::attempt_timeout_ms`]), and a plugin call still running at the
deadline is cancelled through the host callback
([`Session::deadline_passed`]). Either way the command ends as timed out
(exit 5).
*/

use crate::call::HostCalls;
use crate::error::HostError;
use crate::output::Outputs;
use crate::session::Session;
use std::sync::Arc;
use std::time::Duration;
use switchyard_plugin_api::{ErrorKind, PluginError};

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

/// The shortest time worth starting a retry or fallback with.
pub(crate) const MIN_ATTEMPT: Duration = Duration::from_millis(250);

/// Whether an attempt may start after waiting `wait`.
fn fits(session: &Session, wait: Duration) -> bool {
    session
        .time_left()
        .is_none_or(|left| left >= wait + MIN_ATTEMPT)
}

/// `e` as a timeout of the whole command (exit 5).
fn timed_out(session: &Session, e: PluginError, why: &str) -> PluginError {
    let total = session.deadline_total().map_or(0.0, |t| t.as_secs_f64());
    let cause = if e.kind == ErrorKind::CANCELLED {
        String::new()
    } else {
        format!("; last error: {}", e.message)
    };
    let mut t = PluginError::new(
        ErrorKind::TIMEOUT,
        format!("timed out: {why} the --timeout of {total:.1} s (for the whole command, retries and fallbacks included){cause}"),
    );
    t.status = e.status;
    t
}

/// The outcome of a chain: the value and the model that produced it, or
/// the last error with the model that produced it.
pub type ChainResult<T> = Result<(T, String), (PluginError, String)>;

/// Runs `attempt` over `models` with retries and failover. `may_retry` is
/// asked before every retry or failover (e.g. false once streamed text was
/// printed, since it cannot be taken back).
pub fn run<T>(
    session: &Session,
    models: &[String],
    policy: RetryPolicy,
    mut attempt: impl FnMut(&str) -> Result<T, PluginError>,
    may_retry: impl Fn() -> bool,
) -> ChainResult<T> {
    let _enforcing = session.enforce_deadline();
    let mut last: Option<(PluginError, String)> = None;
    for (i, model) in models.iter().enumerate() {
        let mut tries = 0;
        loop {
            let e = match attempt(model) {
                Ok(v) => return Ok((v, model.clone())),
                Err(e)
                    if session.time_left() == Some(Duration::ZERO) && !session.is_cancelled() =>
                {
                    return Err((timed_out(session, e, "no answer within"), model.clone()))
                }
                Err(e) => e,
            };
            let can = may_retry() && !session.is_cancelled();
            if can && e.kind.is_transient() && tries < policy.retries {
                if let Some(wait) = retry_wait(&e, tries, policy) {
                    if !fits(session, wait) {
                        let why = "no time is left for a retry within";
                        return Err((timed_out(session, e, why), model.clone()));
                    }
                    session.notice(&format!(
                        "{model}: {} ({}); retrying in {:.1}s",
                        e.message,
                        e.kind,
                        wait.as_secs_f64()
                    ));
                    session.sleep_cancellable(wait);
                    if session.is_cancelled() {
                        return Err((PluginError::cancelled(), model.clone()));
                    }
                    tries += 1;
                    continue;
                }
            }
            let next = models.get(i + 1);
            let (true, Some(n)) = (e.kind.is_failover_worthy() && can, next) else {
                return Err((e, model.clone()));
            };
            if !fits(session, Duration::ZERO) {
                let why = "no time is left for a fallback within";
                return Err((timed_out(session, e, why), model.clone()));
            }
            session.notice(&format!(
                "{model} failed ({}): {}; trying fallback {n}",
                e.kind, e.message
            ));
            last = Some((e, model.clone()));
            break;
        }
    }
    Err(last.unwrap_or_else(|| unreachable_error("(no model)")))
}

/// How long to wait before retry number `tries + 1`: `Retry-After` when
/// given (`None` when it is longer than the policy allows), else backoff.
fn retry_wait(e: &PluginError, tries: u32, policy: RetryPolicy) -> Option<Duration> {
    let retry_after = e.retry_after_ms.into_option().map(Duration::from_millis);
    if retry_after.is_some_and(|d| d > policy.max_delay) {
        return None;
    }
    let backoff = policy.base_delay * 2u32.saturating_pow(tries);
    Some(retry_after.unwrap_or(backoff).min(policy.max_delay))
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
    session: &Arc<Session>,
    label: &str,
    make_outputs: impl Fn() -> Outputs,
    call: impl Fn(&HostCalls) -> Result<T, PluginError>,
) -> Result<(T, Outputs), HostError> {
    let answered = std::cell::Cell::new(true);
    let result = run(
        session,
        &[label.to_string()],
        RetryPolicy::default(),
        |_| {
            let mut calls = HostCalls::with_outputs(session, label, make_outputs());
            let r = call(&calls);
            let outputs = calls.take_outputs();
            if let Err(e) = &r {
                answered.set(e.status.is_some());
            }
            r.map(|v| (v, outputs))
        },
        || answered.get(),
    );
    let ((value, outputs), _) = result.map_err(|(e, _)| HostError::from(e))?;
    let outputs = outputs.ok_or(crate::error::OutputError::SinkGone)?;
    Ok((value, outputs))
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
            &Session::silent(),
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
            &Session::silent(),
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
            &Session::silent(),
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
            &Session::silent(),
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

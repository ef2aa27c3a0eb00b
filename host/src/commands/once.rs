/*!
One plugin call for a single model, with the retries every paid command
without a model chain shares (`transcribe`, `embed`): a transient error is
retried only when the provider answered with it (an HTTP status: nothing
was done or billed), within the command's deadline; each attempt gets no
more than the time left.
*/

use super::Ctx;
use serde::{de::DeserializeOwned, Serialize};
use std::sync::Arc;
use switchyard_core::call::HostCalls;
use switchyard_core::error::HostError;
use switchyard_core::failover::{self, RetryPolicy};
use switchyard_core::manifest::Manifest;
use switchyard_plugin_api::doc::Context as CallContext;

/// What to call: the routed model's plugin, the attempt's timeout and the
/// operation.
pub struct Call<'a> {
    /// The model ref (also the progress label).
    pub model: &'a str,
    /// The routed plugin's manifest.
    pub manifest: &'a Arc<Manifest>,
    /// The timeout of one attempt, in milliseconds.
    pub timeout_ms: u64,
    /// The operation (`transcribe`, `embed`).
    pub op: &'a str,
}

/// Builds the call context, loads the plugin and runs `call` with
/// `request` and `blobs`.
pub fn run<Req: Serialize, T: DeserializeOwned>(
    ctx: &Ctx,
    call: &Call<'_>,
    request: &Req,
    blobs: &[&[u8]],
) -> Result<T, HostError> {
    let base = ctx.call_context(call.manifest, false, call.timeout_ms)?;
    let plugin = ctx.load(call.manifest)?;
    let answered = std::cell::Cell::new(true);
    let result = failover::run(
        &ctx.session,
        &[call.model.to_string()],
        RetryPolicy::default(),
        |model| {
            let calls = HostCalls::new(&ctx.session, model);
            let cc = CallContext {
                timeout_ms: ctx.session.attempt_timeout_ms(base.timeout_ms),
                ..base.clone()
            };
            let r = calls.call::<_, T>(&plugin, call.op, &cc, request, blobs);
            if let Err(e) = &r {
                answered.set(e.status.is_some());
            }
            r
        },
        || answered.get(),
    );
    result
        .map(|(v, _)| v)
        .map_err(|(error, _)| HostError::Plugin { error })
}

/// A cost for a notice: `$0.0123`, `$0.000010`, or as many decimals as
/// show two significant digits of a smaller one (`$0.000000040`).
pub fn cost_text(usd: f64) -> String {
    if !(usd.is_finite() && usd > 0.0) || usd >= 0.01 {
        return format!("${usd:.4}");
    }
    let decimals = ((-usd.log10()).ceil() as usize + 1).clamp(6, 12);
    format!("${usd:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_costs_keep_two_significant_digits() {
        assert_eq!(cost_text(0.25), "$0.2500");
        assert_eq!(cost_text(0.00001), "$0.000010");
        assert_eq!(cost_text(0.00000004), "$0.000000040");
        assert_eq!(cost_text(0.0), "$0.0000");
    }
}

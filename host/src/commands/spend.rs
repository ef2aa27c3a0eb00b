/*!
`switchyard spend [--since DUR] [--by model|day]`: sums the costs past
commands recorded in the spend journal. Nothing is fetched.
*/

use super::Ctx;
use crate::cli::SpendBy;
use serde_json::json;
use switchyard_core::error::HostError;
use switchyard_core::spend::{self, By};

/// Runs `spend`.
pub fn run(ctx: &Ctx, since: Option<&str>, by: Option<SpendBy>) -> Result<(), HostError> {
    let since_secs = match since {
        Some(d) => {
            let dur = switchyard_core::duration::parse_window(d)
                .map_err(|e| HostError::InvalidInput(format!("--since: {e}")))?;
            switchyard_core::journal::now().saturating_sub(dur.as_secs())
        }
        None => 0,
    };
    let by = match by {
        None => By::Total,
        Some(SpendBy::Model) => By::Model,
        Some(SpendBy::Day) => By::Day,
    };
    let records = spend::read_all(ctx.session.dirs());
    let sums = spend::sum(&records, since_secs, by);
    let total: f64 = sums.values().fold(0.0, |t, (c, _)| t + c);
    let calls: usize = sums.values().map(|(_, n)| n).sum();
    if ctx.json {
        let rows: Vec<_> = sums
            .iter()
            .map(|(k, (cost, n))| json!({"key": k, "cost": cost, "calls": n}))
            .collect();
        ctx.print_json(&json!({
            "since": since_secs,
            "total": total,
            "calls": calls,
            "rows": rows,
            "journal": spend::path(ctx.session.dirs()).display().to_string(),
        }));
        return Ok(());
    }
    if by != By::Total {
        for (k, (cost, n)) in &sums {
            ctx.term.out(&format!("{k:<48} ${cost:>12.6}  {n} call(s)"));
        }
    }
    let window = since
        .map(|s| format!(" in the last {s}"))
        .unwrap_or_default();
    ctx.term.out(&format!(
        "total{window}: ${total:.6} over {calls} paid call(s)"
    ));
    Ok(())
}

/*!
`switchyard embed [--model REF] [--dimensions N] TEXT...|-`: one vector per
input, printed as one JSON array of numbers per line, in input order.

Inputs are the arguments (one each), or with `-` (or no argument and a
piped stdin) the lines of stdin (one each; a trailing newline ends the
last, `\r\n` is accepted). An empty input is refused before anything is
sent (exit 2, naming it), so line N of the output is always the vector of
input N. The plugin splits a long list into as many provider requests as
it needs. `--json` prints one object instead: the model, the vectors, the
usage and the cost.
*/

use super::{model_or_default, once, paid, timeout_ms, Ctx};
use crate::cli::EmbedArgs;
use serde_json::json;
use std::io::{IsTerminal, Read};
use switchyard_core::check;
use switchyard_core::error::HostError;
use switchyard_core::estimate::Usage;
use switchyard_plugin_api::doc::{EmbedRequest, EmbedResponse};
use switchyard_plugin_api::{caps::EMBED as CAP_EMBED, ops, ErrorKind, PluginError};

/// Default timeout per attempt (2 minutes).
pub const DEFAULT_TIMEOUT_MS: u64 = 120_000;

/// Runs `embed`.
pub fn run(ctx: &Ctx, args: EmbedArgs) -> Result<(), HostError> {
    let inputs = read_inputs(&args.texts)?;
    let model = model_or_default(ctx, args.model.as_deref(), CAP_EMBED)?;
    let route = check::route(&ctx.session, &ctx.table, &model, CAP_EMBED)?;
    if route.limits.is_none() {
        ctx.term.notice(&format!(
            "note: {model} is not listed in the {} manifest; its limits could not be checked",
            route.manifest.id
        ));
    }
    if args.dimensions == Some(0) {
        return Err(HostError::InvalidInput(
            "--dimensions 0: give a vector size of 1 or more (or leave it out for the model's own)"
                .into(),
        ));
    }
    let params = paid::params(&args.paid, &model, route.limits.as_ref())?;
    let timeout = timeout_ms(ctx, args.timeout.as_deref(), None, DEFAULT_TIMEOUT_MS)?;
    let usage = Usage::Embed {
        chars: inputs.iter().map(|i| i.chars().count()).sum(),
    };
    let req = EmbedRequest {
        model: model.clone(),
        inputs,
        dimensions: args.dimensions,
        params,
    };
    let plan = paid::Planned {
        command: "embed",
        model: &model,
        operation: ops::EMBED,
        request: &req,
        blobs: &[],
    };
    if let paid::Go::Stop = paid::preflight(ctx, &args.paid, &plan, route.limits.as_ref(), &usage)?
    {
        return Ok(());
    }
    let call = once::Call {
        model: &model,
        manifest: &route.manifest,
        timeout_ms: timeout,
        op: ops::EMBED,
    };
    let resp: EmbedResponse = once::run(ctx, &call, &req, &[])?;
    paid::record(ctx, "embed", &model, resp.usage.cost, None);
    check_answer(&resp, req.inputs.len(), args.dimensions)?;
    report(ctx, &model, &resp);
    Ok(())
}

/// The inputs: the arguments, or the lines of stdin for `-` (or for no
/// argument when stdin is piped). Empty inputs are refused by number.
fn read_inputs(texts: &[String]) -> Result<Vec<String>, HostError> {
    let from_stdin = texts.is_empty() || (texts.len() == 1 && texts[0] == "-");
    if !from_stdin {
        if texts.iter().any(|t| t == "-") {
            return Err(HostError::InvalidInput(
                "- reads the inputs from stdin, one per line: give texts as arguments or -, not both".into(),
            ));
        }
        return numbered_inputs(texts.to_vec(), "input");
    }
    if texts.is_empty() && std::io::stdin().is_terminal() {
        return Err(HostError::InvalidInput(
            "no text given: pass texts as arguments, or pipe one input per line on stdin (use - to read stdin)".into(),
        ));
    }
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .map_err(|e| HostError::InvalidInput(format!("cannot read the inputs from stdin: {e}")))?;
    let lines: Vec<String> = s
        .lines()
        .map(|l| l.strip_suffix('\r').unwrap_or(l).to_string())
        .collect();
    if lines.is_empty() {
        return Err(HostError::InvalidInput(
            "stdin holds no inputs: give one text per line".into(),
        ));
    }
    numbered_inputs(lines, "line")
}

/// Refuses an empty or blank input, naming it (`input 2`, `line 3`).
fn numbered_inputs(inputs: Vec<String>, what: &str) -> Result<Vec<String>, HostError> {
    if let Some(i) = inputs.iter().position(|t| t.trim().is_empty()) {
        return Err(HostError::InvalidInput(format!(
            "{what} {} is empty: every input needs some text (each {what} is one vector)",
            i + 1
        )));
    }
    Ok(inputs)
}

/// One vector per input, each of the asked size (when asked).
fn check_answer(
    r: &EmbedResponse,
    inputs: usize,
    dimensions: Option<u32>,
) -> Result<(), HostError> {
    let malformed = |what: String| {
        HostError::from(PluginError::new(
            ErrorKind::UPSTREAM,
            format!("the embeddings answer is malformed: {what}"),
        ))
    };
    if r.vectors.len() != inputs {
        return Err(malformed(format!(
            "{} vectors for {inputs} inputs",
            r.vectors.len()
        )));
    }
    if let Some(d) = dimensions {
        if let Some((i, v)) = r
            .vectors
            .iter()
            .enumerate()
            .find(|(_, v)| v.len() != d as usize)
        {
            return Err(malformed(format!(
                "vector {} has {} numbers, not the {d} asked for",
                i + 1,
                v.len()
            )));
        }
    }
    Ok(())
}

/// A vector component as the JSON number it was sent as: the shortest
/// decimal of the `f32` (`0.1`, not `0.10000000149011612`).
fn decimal(x: f32) -> serde_json::Value {
    format!("{x}")
        .parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map_or(serde_json::Value::Null, serde_json::Value::Number)
}

fn report(ctx: &Ctx, model: &str, r: &EmbedResponse) {
    if ctx.json {
        ctx.print_json(&json!({
            "model": r.model,
            "model_ref": model,
            "vectors": r.vectors.iter().map(|v| v.iter().map(|x| decimal(*x)).collect::<Vec<_>>()).collect::<Vec<_>>(),
            "usage": {
                "prompt_tokens": r.usage.prompt_tokens,
                "total_tokens": r.usage.total_tokens,
            },
            "cost": r.usage.cost,
        }));
        return;
    }
    for v in &r.vectors {
        ctx.term
            .out(&serde_json::to_string(v).unwrap_or_else(|_| "[]".into()));
    }
    let cost = r
        .usage
        .cost
        .map(|c| format!(", cost {}", once::cost_text(c)))
        .unwrap_or_default();
    ctx.term.notice(&format!(
        "— {} vector(s) of {} from {model}{cost}",
        r.vectors.len(),
        r.vectors.first().map_or(0, Vec::len)
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_print_as_their_shortest_decimal() {
        assert_eq!(decimal(0.1).to_string(), "0.1");
        assert_eq!(decimal(-2.5e-7).to_string(), "-2.5e-7");
        assert_eq!(decimal(f32::NAN), serde_json::Value::Null);
    }

    #[test]
    fn empty_inputs_are_named() {
        let e = numbered_inputs(vec!["a".into(), " ".into()], "line").unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().starts_with("line 2 is empty"), "{e}");
        let e = read_inputs(&["a".into(), "-".into()]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert_eq!(read_inputs(&["a".into(), "b c".into()]).unwrap().len(), 2);
    }

    #[test]
    fn answers_must_have_a_vector_per_input_of_the_asked_size() {
        let r = EmbedResponse {
            vectors: vec![vec![0.5, 1.0], vec![0.25]],
            ..Default::default()
        };
        assert!(check_answer(&r, 3, None)
            .unwrap_err()
            .to_string()
            .contains("2 vectors for 3 inputs"));
        assert!(check_answer(&r, 2, None).is_ok());
        let e = check_answer(&r, 2, Some(2)).unwrap_err();
        assert_eq!(e.exit_code(), 6);
    }
}

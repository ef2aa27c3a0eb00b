/*!
The OpenAI embeddings wire format (`POST /embeddings`), which OpenRouter,
Ollama, vLLM, llama.cpp, LM Studio and most hosted APIs speak: the request
body ([`body`]), the answer ([`parse`]) and the split of a long input list
into several requests whose vectors are put back in input order
([`in_batches`]).

Vectors are asked for as floats (`encoding_format: "float"`); an answer
that sends them as base64 (little-endian `f32`s) is read too. Each answer
item is placed by its `index`; a missing, repeated or out-of-range index is
a malformed answer, never a silently shifted vector.
*/

use crate::errors::Api;
use crate::openai::{add_usage, apply_params, usage_of};
use crate::provider::Call;
use serde_json::{json, Value};
use std::future::Future;
use switchyard_plugin_api::doc::{EmbedRequest, EmbedResponse, Usage};
use switchyard_plugin_api::{ErrorKind, PluginError, Progress, Stage};

/// Inputs sent per request by default (OpenAI accepts up to 2048; smaller
/// requests keep each answer modest and a failure cheap to retry).
pub const BATCH: usize = 256;

/// Refuses what no provider would take: no inputs, an empty input, zero
/// dimensions. Nothing is sent.
pub fn check(req: &EmbedRequest) -> Result<(), PluginError> {
    let invalid = |m: String| PluginError::new(ErrorKind::INVALID_INPUT, m);
    if req.inputs.is_empty() {
        return Err(invalid("there is no text to embed".into()));
    }
    if let Some(i) = req.inputs.iter().position(|t| t.is_empty()) {
        return Err(invalid(format!("input {} is empty", i + 1)));
    }
    if req.dimensions == Some(0) {
        return Err(invalid("dimensions must be at least 1".into()));
    }
    Ok(())
}

/// The `/embeddings` body for `inputs` (a batch of `req.inputs`), with the
/// model named `api_model`; `--param` values are merged last.
pub fn body(req: &EmbedRequest, api_model: &str, inputs: &[String]) -> Result<Value, PluginError> {
    let mut body = json!({"model": api_model, "input": inputs, "encoding_format": "float"});
    if let Some(d) = req.dimensions {
        body["dimensions"] = json!(d);
    }
    apply_params(&mut body, &req.params)?;
    Ok(body)
}

fn malformed(api: &Api, what: &str) -> PluginError {
    PluginError::new(
        ErrorKind::UPSTREAM,
        format!("{} sent a malformed embeddings answer: {what}", api.name),
    )
}

/// One embedding: an array of numbers, or base64 of little-endian `f32`s.
fn vector(v: &Value) -> Option<Vec<f32>> {
    match v {
        Value::Array(a) => a.iter().map(|x| x.as_f64().map(|f| f as f32)).collect(),
        Value::String(s) => {
            let bytes = crate::sink::decode_base64(s)?;
            if bytes.len() % 4 != 0 {
                return None;
            }
            Some(
                bytes
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
            )
        }
        _ => None,
    }
}

/// Reads an answer that must hold `expected` vectors: the vectors in input
/// order, the model that answered (empty when it names none) and the
/// usage. An error inside a 200 answer is classified by `api`.
pub fn parse(api: &Api, v: &Value, expected: usize) -> Result<EmbedResponse, PluginError> {
    if let Some(err) = v.get("error").filter(|e| !e.is_null()) {
        return Err(api.classify_inline(err));
    }
    let items = v
        .get("data")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed(api, "no `data` array"))?;
    if items.len() != expected {
        return Err(malformed(
            api,
            &format!("{} vectors for {expected} inputs", items.len()),
        ));
    }
    let mut out: Vec<Option<Vec<f32>>> = vec![None; expected];
    for (pos, item) in items.iter().enumerate() {
        let index = match item.get("index") {
            None | Some(Value::Null) => pos,
            Some(i) => i
                .as_u64()
                .and_then(|i| usize::try_from(i).ok())
                .ok_or_else(|| malformed(api, "an `index` is not a number"))?,
        };
        let slot = out
            .get_mut(index)
            .ok_or_else(|| malformed(api, &format!("index {index} is out of range")))?;
        if slot.is_some() {
            return Err(malformed(api, &format!("index {index} appears twice")));
        }
        let vec = item.get("embedding").and_then(vector).ok_or_else(|| {
            malformed(
                api,
                &format!("the embedding at index {index} is not a vector"),
            )
        })?;
        *slot = Some(vec);
    }
    let vectors = out
        .into_iter()
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| malformed(api, "a vector is missing"))?;
    Ok(EmbedResponse {
        vectors,
        model: v
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        usage: v.get("usage").map(usage_of).unwrap_or_default(),
    })
}

/// Embeds `req.inputs` in requests of at most `batch` inputs, one after
/// the other, and answers every vector in input order with the usage
/// summed. `send` posts one body (see [`body`]) and answers its JSON.
/// When there is more than one request, each finished one is reported as
/// `partial` progress ("embedded 512 of 1000 inputs").
pub async fn in_batches<F, Fut>(
    call: &Call<'_>,
    api: &Api,
    req: &EmbedRequest,
    api_model: &str,
    batch: usize,
    mut send: F,
) -> Result<EmbedResponse, PluginError>
where
    F: FnMut(Value) -> Fut,
    Fut: Future<Output = Result<Value, PluginError>>,
{
    check(req)?;
    let batch = batch.max(1);
    let pieces = req.inputs.len().div_ceil(batch);
    let mut answer = EmbedResponse {
        vectors: Vec::with_capacity(req.inputs.len()),
        model: String::new(),
        usage: Usage::default(),
    };
    for (n, chunk) in req.inputs.chunks(batch).enumerate() {
        let v = send(body(req, api_model, chunk)?).await?;
        let piece = parse(api, &v, chunk.len())?;
        answer.vectors.extend(piece.vectors);
        if answer.model.is_empty() {
            answer.model = piece.model;
        }
        add_usage(&mut answer.usage, &piece.usage);
        if pieces > 1 {
            let mut p = Progress::new(Stage::PARTIAL);
            p.index = n as u32;
            p.message = format!(
                "embedded {} of {} inputs",
                answer.vectors.len(),
                req.inputs.len()
            )
            .into();
            call.host().progress(&p);
        }
    }
    if answer.model.is_empty() {
        answer.model = req.model.clone();
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    const API: Api = Api::new("the server");

    #[test]
    fn answers_are_put_in_input_order_by_index() {
        let v = json!({"data": [
            {"index": 1, "embedding": [1.0, 2.0]},
            {"index": 0, "embedding": "AACAPwAAAEA="}
        ], "model": "m", "usage": {"prompt_tokens": 4, "total_tokens": 4}});
        let r = parse(&API, &v, 2).unwrap();
        assert_eq!(r.vectors, vec![vec![1.0, 2.0], vec![1.0, 2.0]]);
        assert_eq!(r.model, "m");
        assert_eq!(r.usage.prompt_tokens, Some(4));
    }

    #[test]
    fn bad_answers_are_upstream_errors_naming_the_fault() {
        for (v, n, want) in [
            (
                json!({"data": [{"index": 0, "embedding": [1]}]}),
                2,
                "1 vectors for 2",
            ),
            (
                json!({"data": [{"index": 0, "embedding": [1]}, {"index": 0, "embedding": [1]}]}),
                2,
                "twice",
            ),
            (
                json!({"data": [{"index": 5, "embedding": [1]}]}),
                1,
                "out of range",
            ),
            (
                json!({"data": [{"index": 0, "embedding": "x"}]}),
                1,
                "not a vector",
            ),
            (json!({"object": "list"}), 1, "no `data`"),
        ] {
            let e = parse(&API, &v, n).unwrap_err();
            assert_eq!(e.kind, ErrorKind::UPSTREAM);
            assert!(e.message.contains(want), "{}", e.message);
        }
        let e = parse(
            &API,
            &json!({"error": {"code": 402, "message": "no credits"}}),
            1,
        )
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::BILLING);
    }

    #[test]
    fn bodies_ask_for_floats_and_refuse_empty_inputs() {
        let mut req = EmbedRequest {
            model: "m".into(),
            inputs: vec!["a".into(), "b".into()],
            dimensions: Some(64),
            ..Default::default()
        };
        req.params
            .insert("input_type".into(), "\"search_query\"".into());
        let b = body(&req, "x", &req.inputs[..1]).unwrap();
        assert_eq!(
            b,
            json!({"model": "x", "input": ["a"], "encoding_format": "float", "dimensions": 64, "input_type": "search_query"})
        );
        req.inputs.push(String::new());
        assert!(check(&req).unwrap_err().message.contains("input 3"));
        req.inputs.clear();
        assert_eq!(check(&req).unwrap_err().kind, ErrorKind::INVALID_INPUT);
    }
}

/*!
`switchyard chat`: a prompt through the model chain (primary, then
fallbacks) with retries, plain or streamed, printing which model answered.
*/

use super::{read_text_arg, timeout_ms, Ctx};
use crate::call::HostCalls;
use crate::check;
use crate::cli::ChatArgs;
use crate::error::HostError;
use crate::failover::{self, RetryPolicy};
use crate::term;
use serde_json::json;
use switchyard_plugin_api::{
    ChatMessage, ChatRequest, ChatResponse, ErrorKind, PluginError, ROption, RVec, CAP_CHAT,
};

/// The default chat model.
pub const DEFAULT_CHAT_MODEL: &str = "openrouter/auto";

/// Runs `chat`.
pub fn run(ctx: &Ctx, args: ChatArgs) -> Result<(), HostError> {
    let prompt = read_text_arg(args.prompt.as_deref(), "prompt")?;
    let chain = model_chain(ctx, &args);
    let timeout = timeout_ms(args.timeout.as_deref(), None, 300_000)?;
    // Route every model before the first request: a bad ref is exit 2 with nothing sent.
    let mut targets = Vec::new();
    for m in &chain {
        let r = check::route(&ctx.table, m, CAP_CHAT)?;
        if r.limits.is_none() {
            term::notice(&format!(
                "note: {m} is not listed in the {} manifest; its limits could not be checked",
                r.manifest.id
            ));
        }
        let cc = ctx.call_context(&r.manifest, false, timeout)?;
        let plugin = ctx.load(&r.manifest)?;
        targets.push((m.clone(), plugin, cc));
    }
    let mut messages = RVec::new();
    if let Some(s) = &args.system {
        messages.push(ChatMessage {
            role: "system".into(),
            content: s.as_str().into(),
        });
    }
    messages.push(ChatMessage {
        role: "user".into(),
        content: prompt.as_str().into(),
    });
    let stream = args.stream;
    let mut printed_any = false;
    let printed = std::cell::Cell::new(false);
    let result = failover::run(
        &chain,
        RetryPolicy::default(),
        |model| {
            let Some((_, plugin, cc)) = targets.iter().find(|(m, _, _)| m == model) else {
                return Err(PluginError::new(
                    ErrorKind::INTERNAL,
                    format!("no target for {model}"),
                ));
            };
            let mut calls = HostCalls::new(model);
            calls.print_stream = stream && !ctx.json;
            let req = ChatRequest {
                model: model.into(),
                messages: messages.clone(),
                stream,
                max_tokens: args.max_tokens.map_or(ROption::RNone, ROption::RSome),
                temperature: ROption::RNone,
            };
            // Each attempt gets no more than the time left (`--timeout`).
            let mut cc = cc.clone();
            cc.timeout_ms = failover::attempt_timeout_ms(cc.timeout_ms);
            let r = plugin.chat(&req, &cc, calls.as_host());
            let streamed = calls
                .streamed
                .lock()
                .map(|s| !s.is_empty())
                .unwrap_or(false);
            if streamed && calls.print_stream {
                printed.set(true);
            }
            r
        },
        || !printed.get(),
    );
    if printed.get() {
        printed_any = true;
        term::end_stream();
    }
    match result {
        Ok((resp, model_ref)) => {
            let speech = speak_answer(ctx, &args, &resp.text)?;
            report(
                ctx,
                &resp,
                &model_ref,
                &chain[0],
                printed_any,
                speech.as_ref().map(|s| &s.0),
            );
            Ok(())
        }
        Err((e, model_ref)) => {
            let mut e = e;
            if chain.len() > 1 {
                e.message = format!("{model_ref}: {}", e.message).into();
            }
            Err(HostError::Plugin { error: e })
        }
    }
}

/// The models to try: `--model`, else the configured primary, else the
/// default; then the configured fallbacks and each `--fallback`, once each.
fn model_chain(ctx: &Ctx, args: &ChatArgs) -> Vec<String> {
    let cfg = &ctx.config.file.agents.defaults.model;
    let mut chain = vec![args
        .model
        .clone()
        .or_else(|| cfg.primary.clone())
        .unwrap_or_else(|| DEFAULT_CHAT_MODEL.to_string())];
    for f in cfg.fallbacks.iter().chain(args.fallbacks.iter()) {
        if !chain.iter().any(|c| c.eq_ignore_ascii_case(f)) {
            chain.push(f.clone());
        }
    }
    chain
}

/// Speaks the answer when `messages.tts.auto = "always"` or `--speak-to`.
fn speak_answer(
    ctx: &Ctx,
    args: &ChatArgs,
    text: &str,
) -> Result<Option<(std::path::PathBuf, u64)>, HostError> {
    let auto = ctx
        .config
        .file
        .messages
        .tts
        .auto
        .as_deref()
        .is_some_and(|a| a.eq_ignore_ascii_case("always"));
    if !auto && args.speak_to.is_none() {
        return Ok(None);
    }
    let plan = super::speak::plan(
        ctx,
        None,
        None,
        None,
        args.speak_to.as_deref(),
        24_000,
        None,
    )?;
    super::speak::synthesize(ctx, &plan, text, 120_000).map(Some)
}

fn report(
    ctx: &Ctx,
    r: &ChatResponse,
    model_ref: &str,
    primary: &str,
    already_printed: bool,
    speech: Option<&std::path::PathBuf>,
) {
    let usage = &r.usage;
    if ctx.json {
        ctx.print_json(&json!({
            "text": r.text.as_str(),
            "model": r.model.as_str(),
            "model_ref": model_ref,
            "fallback_used": !model_ref.eq_ignore_ascii_case(primary),
            "finish_reason": r.finish_reason.as_str(),
            "usage": {
                "prompt_tokens": usage.prompt_tokens.into_option(),
                "completion_tokens": usage.completion_tokens.into_option(),
                "total_tokens": usage.total_tokens.into_option(),
            },
            "cost": usage.cost.into_option(),
            "generation_id": r.generation_id.as_ref().map(|s| s.to_string()).into_option(),
            "speech": speech.map(|p| p.display().to_string()),
        }));
        return;
    }
    if !already_printed {
        term::out(&r.text);
    }
    let cost = usage
        .cost
        .into_option()
        .map(|c| format!(", cost ${c:.6}"))
        .unwrap_or_default();
    let via = if model_ref.eq_ignore_ascii_case(primary) {
        String::new()
    } else {
        format!(" (fallback for {primary})")
    };
    term::notice(&format!(
        "— answered by {} via {model_ref}{via}{cost}",
        r.model
    ));
    if let Some(p) = speech {
        term::notice(&format!("spoke the answer to {}", p.display()));
    }
}

/*!
`switchyard chat`: a prompt through the model chain (primary, then
fallbacks) with retries, plain or streamed, printing which model answered.
*/

use super::{paid, read_text_arg, timeout_ms, Ctx};
use crate::cli::ChatArgs;
use serde_json::json;
use switchyard_core::call::HostCalls;
use switchyard_core::check;
use switchyard_core::error::HostError;
use switchyard_core::estimate::Usage;
use switchyard_core::failover::{self, RetryPolicy};
use switchyard_plugin_api::doc::{
    ChatMessage, ChatRequest, ChatResponse, Context as CallContext, Params,
};
use switchyard_plugin_api::{caps::CHAT as CAP_CHAT, ops, ErrorKind, PluginError};

/// The default chat model.
pub const DEFAULT_CHAT_MODEL: &str = "openrouter/auto";

/// Runs `chat`.
pub fn run(ctx: &Ctx, args: ChatArgs) -> Result<(), HostError> {
    let prompt = read_text_arg(args.prompt.as_deref(), "prompt")?;
    if args.max_tokens == Some(0) {
        return Err(HostError::InvalidInput(
            "--max-tokens 0 leaves no room for an answer; allowed: 1 or more (omit it for the model's default)".into(),
        ));
    }
    let chain = model_chain(ctx, &args);
    let timeout = timeout_ms(ctx, args.timeout.as_deref(), None, 300_000)?;
    let targets = route_chain(ctx, &chain, timeout)?;
    let mut params = Params::new();
    for t in &targets {
        params = paid::params(&args.paid, &t.model, t.limits.as_ref())?;
    }
    let speech_plan = speech_plan(ctx, &args)?;
    let messages = messages(args.system.as_deref(), &prompt);
    let stream = args.stream;
    let request = |model: &str| ChatRequest {
        model: model.into(),
        messages: messages.clone(),
        stream,
        max_tokens: args.max_tokens,
        params: params.clone(),
        ..Default::default()
    };
    let usage = Usage::Chat {
        input_chars: messages.iter().map(|m| m.content.chars().count()).sum(),
        max_output_tokens: args.max_tokens,
    };
    let first = &targets[0];
    let plan = paid::Planned {
        command: "chat",
        model: &first.model,
        operation: ops::CHAT,
        request: &request(&first.model),
        blobs: &[],
    };
    if let paid::Go::Stop = paid::preflight(ctx, &args.paid, &plan, first.limits.as_ref(), &usage)?
    {
        return Ok(());
    }
    let mut printed_any = false;
    let printed = std::cell::Cell::new(false);
    let result = failover::run(
        &ctx.session,
        &chain,
        RetryPolicy::default(),
        |model| {
            let Some(t) = targets.iter().find(|t| t.model == model) else {
                return Err(PluginError::new(
                    ErrorKind::INTERNAL,
                    format!("no target for {model}"),
                ));
            };
            let (plugin, cc) = (&t.plugin, &t.cc);
            let mut calls = HostCalls::new(&ctx.session, model);
            calls.print_stream = stream && !ctx.json;
            let req = request(model);
            // Each attempt gets no more than the time left (`--timeout`).
            let mut cc = cc.clone();
            cc.timeout_ms = ctx.session.attempt_timeout_ms(cc.timeout_ms);
            let r = calls.call::<_, ChatResponse>(plugin, ops::CHAT, &cc, &req, &[]);
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
        ctx.term.end_stream();
    }
    match result {
        Ok((resp, model_ref)) => {
            paid::record(ctx, "chat", &model_ref, resp.usage.cost, None);
            let speech = match &speech_plan {
                Some(plan) => Some(super::speak::synthesize(ctx, plan, &resp.text, 120_000)?),
                None => None,
            };
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

/// The system message, if any, and the prompt.
fn messages(system: Option<&str>, prompt: &str) -> Vec<ChatMessage> {
    let mut messages = Vec::new();
    if let Some(s) = system {
        messages.push(ChatMessage::system(s));
    }
    messages.push(ChatMessage::user(prompt));
    messages
}

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

/// How the answer is to be spoken (`--speak-to`, or `messages.tts.auto =
/// "always"`), planned, with its output path checked, before anything is sent.
fn speech_plan(ctx: &Ctx, args: &ChatArgs) -> Result<Option<super::speak::SpeechPlan>, HostError> {
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
    super::speak::plan(
        ctx,
        None,
        None,
        None,
        ("--speak-to", args.speak_to.as_deref()),
        24_000,
        None,
    )
    .map(Some)
}

/// One model of the chain, routed: its plugin, call context and limits.
struct Target {
    model: String,
    plugin: std::sync::Arc<switchyard_core::loader::Plugin>,
    cc: CallContext,
    limits: Option<switchyard_core::manifest::ModelEntry>,
}

/// Routes every model of the chain before the first request (a bad ref is
/// exit 2 with nothing sent), with its plugin and call context.
fn route_chain(ctx: &Ctx, chain: &[String], timeout: u64) -> Result<Vec<Target>, HostError> {
    let mut targets = Vec::new();
    for m in chain {
        let r = check::route(&ctx.session, &ctx.table, m, CAP_CHAT)?;
        if r.limits.is_none() {
            ctx.term.notice(&format!(
                "note: {m} is not listed in the {} manifest; its limits could not be checked",
                r.manifest.id
            ));
        }
        let cc = ctx.call_context(&r.manifest, false, timeout)?;
        let plugin = ctx.load(&r.manifest)?;
        targets.push(Target {
            model: m.clone(),
            plugin,
            cc,
            limits: r.limits,
        });
    }
    Ok(targets)
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
            "text": r.text,
            "model": r.model,
            "model_ref": model_ref,
            "fallback_used": !model_ref.eq_ignore_ascii_case(primary),
            "finish_reason": r.finish_reason,
            "usage": {
                "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.completion_tokens,
                "total_tokens": usage.total_tokens,
            },
            "cost": usage.cost,
            "generation_id": r.generation_id,
            "speech": speech.map(|p| p.display().to_string()),
        }));
        return;
    }
    if !already_printed {
        ctx.term.out(&r.text);
    }
    let cost = usage
        .cost
        .map(|c| format!(", cost ${c:.6}"))
        .unwrap_or_default();
    let via = if model_ref.eq_ignore_ascii_case(primary) {
        String::new()
    } else {
        format!(" (fallback for {primary})")
    };
    ctx.term.notice(&format!(
        "— answered by {} via {model_ref}{via}{cost}",
        r.model
    ));
    if let Some(p) = speech {
        ctx.term
            .notice(&format!("spoke the answer to {}", p.display()));
    }
}

/*!
`switchyard chat`: a prompt through the model chain (primary, then
fallbacks) with retries, plain or streamed, printing which model answered.

Besides the prompt, a chat may carry attachments ([`super::attach`]:
`--image`, `--audio`, `--file` -> content parts of the user message), ask
for a JSON-schema answer ([`super::structured`]: `--schema` ->
`response_format`, checked when it arrives), a reasoning effort
(`--reasoning` -> `reasoning`) and provider routing preferences
([`super::routing`]: `--provider-*`, `--data-collection` ->
`provider_json`). Everything is checked before the first request.
*/

use super::attach::Attachments;
use super::{paid, read_text_arg, routing, structured, timeout_ms, Ctx};
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
    let plan = plan(ctx, &args)?;
    let first = &plan.targets[0];
    let usage = Usage::Chat {
        input_chars: plan
            .messages
            .iter()
            .map(|m| m.content.chars().count())
            .sum(),
        max_output_tokens: args.max_tokens,
    };
    let dry = paid::Planned {
        command: "chat",
        model: &first.model,
        operation: ops::CHAT,
        request: &plan.request(first),
        blobs: &plan.attachments.blob_sizes(),
    };
    if let paid::Go::Stop = paid::preflight(ctx, &args.paid, &dry, first.limits.as_ref(), &usage)? {
        return Ok(());
    }
    let (result, printed) = send(ctx, &plan);
    let chain: Vec<&str> = plan.targets.iter().map(|t| t.model.as_str()).collect();
    match result {
        Ok((resp, model_ref)) => {
            paid::record(ctx, "chat", &model_ref, resp.usage.cost, None);
            let parsed = match &plan.answer {
                Some(f) => Some(f.check(&model_ref, &resp.text)?),
                None => None,
            };
            let speech = match &plan.speech {
                Some(sp) => super::speak::synthesize(ctx, sp, &resp.text, 120_000, None)?,
                None => None,
            };
            let answered = Answered {
                model_ref: &model_ref,
                primary: chain[0],
                already_printed: printed,
                speech: speech.as_ref().map(|s| &s.0),
                parsed: parsed.as_ref(),
            };
            report(ctx, &resp, &answered);
            Ok(())
        }
        Err((mut e, model_ref)) => {
            if chain.len() > 1 {
                e.message = format!("{model_ref}: {}", e.message).into();
            }
            Err(HostError::Plugin { error: e })
        }
    }
}

/// A chat, planned and checked: nothing has been sent.
struct ChatPlan {
    targets: Vec<Target>,
    messages: Vec<ChatMessage>,
    attachments: Attachments,
    params: Params,
    stream: bool,
    max_tokens: Option<u32>,
    reasoning: Option<String>,
    answer: Option<structured::AnswerFormat>,
    speech: Option<super::speak::SpeechPlan>,
}

impl ChatPlan {
    /// The request for one model of the chain.
    fn request(&self, t: &Target) -> ChatRequest {
        ChatRequest {
            model: t.model.clone(),
            messages: self.messages.clone(),
            stream: self.stream,
            max_tokens: self.max_tokens,
            params: self.params.clone(),
            response_format: self.answer.as_ref().map(|a| a.request.clone()),
            reasoning: self.reasoning.clone(),
            provider_json: t.provider_json.clone(),
            ..Default::default()
        }
    }
}

/// Reads and checks everything a chat needs before anything is sent: the
/// prompt, attachments, schema, the model chain and each model's limits.
fn plan(ctx: &Ctx, args: &ChatArgs) -> Result<ChatPlan, HostError> {
    let prompt = read_text_arg(args.prompt.as_deref(), "prompt")?;
    if args.max_tokens == Some(0) {
        return Err(HostError::InvalidInput(
            "--max-tokens 0 leaves no room for an answer; allowed: 1 or more (omit it for the model's default)".into(),
        ));
    }
    let attachments = Attachments::read(args)?;
    let answer = match &args.schema {
        Some(p) => Some(structured::load(&ctx.session, p)?),
        None => None,
    };
    let chain = model_chain(ctx, args);
    let timeout = timeout_ms(ctx, args.timeout.as_deref(), None, 300_000)?;
    let targets = route_chain(ctx, &chain, timeout, args, &attachments)?;
    let mut params = Params::new();
    for t in &targets {
        params = paid::params(&args.paid, &t.model, t.limits.as_ref())?;
    }
    let speech = speech_plan(ctx, args)?;
    let mut messages = messages(args.system.as_deref(), &prompt);
    if let Some(last) = messages.last_mut() {
        last.parts = attachments.parts.clone();
    }
    Ok(ChatPlan {
        targets,
        messages,
        attachments,
        params,
        stream: args.stream,
        max_tokens: args.max_tokens,
        reasoning: args.reasoning.map(|r| r.name().to_string()),
        answer,
        speech,
    })
}

/// Sends the chat along the chain (retries, fallbacks); says whether
/// streamed text was printed.
fn send(ctx: &Ctx, plan: &ChatPlan) -> (failover::ChainResult<ChatResponse>, bool) {
    let chain: Vec<String> = plan.targets.iter().map(|t| t.model.clone()).collect();
    let blobs = plan.attachments.blobs.slices();
    let printed = std::cell::Cell::new(false);
    let result = failover::run(
        &ctx.session,
        &chain,
        RetryPolicy::default(),
        |model| {
            let Some(t) = plan.targets.iter().find(|t| t.model == model) else {
                return Err(PluginError::new(
                    ErrorKind::INTERNAL,
                    format!("no target for {model}"),
                ));
            };
            let mut calls = HostCalls::new(&ctx.session, model);
            calls.print_stream = plan.stream && !ctx.json;
            // Each attempt gets no more than the time left (`--timeout`).
            let mut cc = t.cc.clone();
            cc.timeout_ms = ctx.session.attempt_timeout_ms(cc.timeout_ms);
            let r =
                calls.call::<_, ChatResponse>(&t.plugin, ops::CHAT, &cc, &plan.request(t), &blobs);
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
        ctx.term.end_stream();
    }
    (result, printed.get())
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
    provider_json: Option<String>,
}

/// Routes every model of the chain before the first request (a bad ref is
/// exit 2 with nothing sent), with its plugin and call context. The
/// primary must take every kind of attachment; a fallback that states it
/// does not is left out of the chain, with a notice.
fn route_chain(
    ctx: &Ctx,
    chain: &[String],
    timeout: u64,
    args: &ChatArgs,
    attachments: &Attachments,
) -> Result<Vec<Target>, HostError> {
    let mut targets = Vec::new();
    for (i, m) in chain.iter().enumerate() {
        let r = check::route(&ctx.session, &ctx.table, m, CAP_CHAT)?;
        if r.limits.is_none() {
            ctx.term.notice(&format!(
                "note: {m} is not listed in the {} manifest; its limits could not be checked",
                r.manifest.id
            ));
        }
        if let Err(e) = attachments.check(&ctx.session, &r, m) {
            if i == 0 {
                return Err(e);
            }
            ctx.term
                .notice(&format!("note: fallback {m} is left out: {e}"));
            continue;
        }
        let cc = ctx.call_context(&r.manifest, false, timeout)?;
        let plugin = ctx.load(&r.manifest)?;
        targets.push(Target {
            model: m.clone(),
            plugin,
            cc,
            provider_json: routing::provider_json(ctx, &r.manifest.id, &args.routing)?,
            limits: r.limits,
        });
    }
    Ok(targets)
}

/// How an answer came about, for the report.
struct Answered<'a> {
    model_ref: &'a str,
    primary: &'a str,
    already_printed: bool,
    speech: Option<&'a std::path::PathBuf>,
    /// The answer parsed as JSON, when `--schema` asked for it.
    parsed: Option<&'a serde_json::Value>,
}

fn report(ctx: &Ctx, r: &ChatResponse, a: &Answered<'_>) {
    let usage = &r.usage;
    let fallback = !a.model_ref.eq_ignore_ascii_case(a.primary);
    if ctx.json {
        let mut v = json!({
            "text": r.text,
            "model": r.model,
            "model_ref": a.model_ref,
            "fallback_used": fallback,
            "finish_reason": r.finish_reason,
            "usage": {
                "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.completion_tokens,
                "total_tokens": usage.total_tokens,
            },
            "cost": usage.cost,
            "generation_id": r.generation_id,
            "speech": a.speech.map(|p| p.display().to_string()),
        });
        if let Some(p) = a.parsed {
            v["json"] = p.clone();
        }
        ctx.print_json(&v);
        return;
    }
    if !a.already_printed {
        ctx.term.out(&r.text);
    }
    let cost = usage
        .cost
        .map(|c| format!(", cost ${c:.6}"))
        .unwrap_or_default();
    let via = if fallback {
        format!(" (fallback for {})", a.primary)
    } else {
        String::new()
    };
    ctx.term.notice(&format!(
        "— answered by {} via {}{via}{cost}",
        r.model, a.model_ref
    ));
    if let Some(p) = a.speech {
        ctx.term
            .notice(&format!("spoke the answer to {}", p.display()));
    }
}

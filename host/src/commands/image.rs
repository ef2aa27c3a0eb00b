/*!
`switchyard image`: image generation, with aspect-ratio and size hints only
for models that declare them, images verified from their bytes and written
atomically (several images go to numbered files: NAME, NAME-2, ...).

Since plugin API 2.1 (flag -> request field): `--input IMG` -> `inputs`
(local files as blobs, URLs passed on; the model must take image input),
`--count N` -> `count` (refused above the model's `max_count` when
stated), `--seed N` -> `seed` (refused when the model states it honours
none), `--quality Q` -> `quality` (checked against `qualities` when
stated). A model that streams its images reports partial images as
progress, drawn on a terminal.
*/

use super::video::Blobs;
use super::{paid, read_text_arg, stamp, timeout_ms, Ctx};
use crate::cli::ImageArgs;
use serde_json::json;
use switchyard_core::check::{self, Route};
use switchyard_core::error::HostError;
use switchyard_core::estimate::Usage;
use switchyard_core::output::{Expect, Outputs, Target, Written, MAX_OUTPUTS};
use switchyard_plugin_api::doc::{Context as CallContext, ImageRequest, ImageResponse};
use switchyard_plugin_api::{caps::IMAGE as CAP_IMAGE, ops};

/// Default image model.
pub const DEFAULT_IMAGE_MODEL: &str = "openrouter/google/gemini-3.1-flash-image-preview";
/// Default image timeout (3 minutes).
pub const DEFAULT_TIMEOUT_MS: u64 = 180_000;

/// Runs `image`.
pub fn run(ctx: &Ctx, args: ImageArgs) -> Result<(), HostError> {
    let prompt = read_text_arg(Some(&args.prompt), "prompt")?;
    let im = &ctx.config.file.agents.defaults.image_generation_model;
    let model = args
        .model
        .clone()
        .or_else(|| im.primary.clone())
        .unwrap_or_else(|| DEFAULT_IMAGE_MODEL.to_string());
    let route = check::route(&ctx.session, &ctx.table, &model, CAP_IMAGE)?;
    if route.limits.is_none() {
        ctx.term.notice(&format!(
            "note: {model} is not listed in the {} manifest; its limits could not be checked",
            route.manifest.id
        ));
    }
    let (req, blobs) = build_request(ctx, &route, &model, &args, prompt)?;
    let timeout = timeout_ms(
        ctx,
        args.timeout.as_deref(),
        im.timeout_ms,
        DEFAULT_TIMEOUT_MS,
    )?;
    let target = Target::check("--out", args.out.as_deref())?;
    check_extension(&target)?;
    let out = target.path(&format!("image-{}.png", stamp()));
    let usage = Usage::Image {
        count: req.count.unwrap_or(1),
    };
    let sizes: Vec<usize> = blobs.0.iter().map(Vec::len).collect();
    let plan = paid::Planned {
        command: "image",
        model: &model,
        operation: ops::IMAGE,
        request: &req,
        blobs: &sizes,
    };
    if let paid::Go::Stop = paid::preflight(ctx, &args.paid, &plan, route.limits.as_ref(), &usage)?
    {
        return Ok(());
    }
    let cc = ctx.call_context(&route.manifest, false, timeout)?;
    let plugin = ctx.load(&route.manifest)?;
    let slices = blobs.slices();
    // Retried like chat when the provider answered with a transient error
    // (no image was generated or billed); not after the answer started.
    let temps = ctx.session.temps();
    let (resp, outputs) = switchyard_core::failover::run_with_outputs(
        &ctx.session,
        &model,
        || Outputs::new(temps, out.clone(), Expect::Image, cc.max_output_bytes).named_by_format(),
        |calls| {
            // Each attempt gets no more than the time left (`--timeout`).
            let cc = CallContext {
                timeout_ms: ctx.session.attempt_timeout_ms(cc.timeout_ms),
                ..cc.clone()
            };
            calls.call::<_, ImageResponse>(&plugin, ops::IMAGE, &cc, &req, &slices)
        },
    )?;
    paid::record(ctx, "image", &model, resp.usage.cost, None);
    if let Some(asked) = req.count.filter(|n| resp.images < *n) {
        ctx.term.notice(&format!(
            "note: {asked} images were asked for; {model} made {}",
            resp.images
        ));
    }
    let written = outputs.finish(resp.images)?;
    if target.name.is_some() {
        say_renamed(ctx, &out, &written);
    }
    report(ctx, &model, &resp, &written);
    Ok(())
}

/// The request, every value checked against the model's limits: aspect
/// ratio and size (models that declare them), input images, the count
/// (`max_count`), the seed (`supports_seed`) and the quality (`qualities`),
/// each checked when the limits state it.
fn build_request(
    ctx: &Ctx,
    route: &Route,
    model: &str,
    args: &ImageArgs,
    prompt: String,
) -> Result<(ImageRequest, Blobs), HostError> {
    let s = &ctx.session;
    let aspect = check::optional_choice(
        s,
        route,
        model,
        "--aspect-ratio",
        args.aspect_ratio.as_deref(),
        |m| m.aspect_ratios.as_ref(),
    )?;
    let size = check::optional_choice(s, route, model, "--size", args.size.as_deref(), |m| {
        m.sizes.as_ref()
    })?;
    let mut blobs = Blobs::default();
    let mut inputs = Vec::new();
    for arg in &args.inputs {
        check::takes_input(s, route, model, "--input", "image")?;
        inputs.push(blobs.image("--input", arg)?);
    }
    let l = route.limits.as_ref();
    let count = match args.count {
        Some(n) => Some(count(route, model, n)?),
        None => None,
    };
    if args.seed.is_some() && l.and_then(|l| l.supports_seed) == Some(false) {
        return Err(HostError::InvalidInput(format!(
            "--seed is not offered by {model} (it does not honour a seed); image models that do: {}",
            route.offering(|m| m.supports_seed == Some(true))
        )));
    }
    let quality = match (&args.quality, l.and_then(|l| l.qualities.as_ref())) {
        (Some(q), Some(allowed)) => Some(check::choice(model, "--quality", q, Some(allowed))?),
        (Some(q), None) => {
            s.notice(&format!(
                "note: {model} does not state its qualities; --quality {q} is sent unchecked"
            ));
            Some(q.trim().to_string())
        }
        (None, _) => None,
    };
    let req = ImageRequest {
        model: model.to_string(),
        prompt,
        aspect_ratio: aspect,
        size,
        params: paid::params(&args.paid, model, l)?,
        inputs,
        count,
        seed: args.seed,
        quality,
    };
    Ok((req, blobs))
}

/// `--count N`: at least 1, at most the model's `max_count` when stated,
/// and at most the outputs one request may write.
fn count(route: &Route, model: &str, n: u32) -> Result<u32, HostError> {
    let max = route.limits.as_ref().and_then(|l| l.max_count);
    if n == 0 {
        return Err(HostError::InvalidInput(
            "--count 0: ask for 1 image or more".into(),
        ));
    }
    if let Some(max) = max.filter(|m| n > *m) {
        return Err(HostError::InvalidInput(format!(
            "--count {n} is more than {model} makes in one request (at most {max}); image models that make {n}: {}",
            route.offering(|m| m.max_count.is_some_and(|c| c >= n))
        )));
    }
    if n > MAX_OUTPUTS {
        return Err(HostError::InvalidInput(format!(
            "--count {n}: at most {MAX_OUTPUTS} images per command"
        )));
    }
    Ok(n)
}

/// Prints the written images (and the model's text, if any).
fn report(ctx: &Ctx, model: &str, resp: &ImageResponse, written: &[Written]) {
    if ctx.json {
        ctx.print_json(&json!({
            "model": resp.model,
            "model_ref": model,
            "text": resp.text,
            "outputs": written.iter().map(|w| json!({"path": w.path.display().to_string(), "bytes": w.bytes, "format": w.format.map(|f| f.mime())})).collect::<Vec<_>>(),
            "cost": resp.usage.cost,
        }));
    } else {
        if !resp.text.trim().is_empty() {
            ctx.term.notice(resp.text.trim());
        }
        for w in written {
            ctx.term.out(&w.path.display().to_string());
        }
    }
}

/// Image extensions `--out` may name; the provider decides the format.
const IMAGE_EXTENSIONS: [&str; 5] = ["png", "jpg", "jpeg", "webp", "gif"];

/// Refuses an `--out` whose extension is not an image's (before anything is sent).
fn check_extension(target: &Target) -> Result<(), HostError> {
    match (target.extension(), &target.name) {
        (Some(ext), Some(name)) if !IMAGE_EXTENSIONS.contains(&ext.as_str()) => {
            Err(HostError::InvalidInput(format!(
                "--out {}: .{ext} is not an image extension; allowed: .png, .jpg, .jpeg, .webp, .gif (the file gets the extension of the format the provider sends)",
                std::path::Path::new(name).display()
            )))
        }
        _ => Ok(()),
    }
}

/// Says when a file was saved under another extension than asked, because
/// its bytes are another format.
fn say_renamed(ctx: &Ctx, out: &std::path::Path, written: &[switchyard_core::output::Written]) {
    for (i, w) in written.iter().enumerate() {
        let asked = switchyard_core::output::numbered(out, i as u32);
        if w.path != asked {
            ctx.term.notice(&format!(
                "note: the provider sent {}, so it was saved as {} rather than {}",
                w.format.map_or("another format", |f| f.mime()),
                w.path.display(),
                asked.display()
            ));
        }
    }
}

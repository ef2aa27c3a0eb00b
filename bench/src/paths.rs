/*!
The two ways to reach the OpenRouter client code, measured side by side:

- `plugin`: the cdylib, found through its manifest and loaded by the host's
  loader (ABI checked), called through its `extern "C"` entry point;
- `direct`: the same crate linked here as an rlib, called through the
  provider kit's [`Provider`] trait on a runtime of its own, with no plugin
  boundary (no documents encoded, no `extern "C"` call).

Both get the host's own [`HostCalls`] as callbacks and talk to one fake
OpenRouter server started in this process. The cdylib and the rlib each
carry their own tokio runtime and HTTP client pool (two independent copies
of the plugin), so neither path warms the other's connections. Runs
alternate between the paths (ABBA) so drift from other load on the machine
falls on both.
*/

use fake_openrouter::{FakeServer, Options};
use serde_json::{json, Value};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex, OnceLock};
use std::time::{Duration, Instant};
use switchyard_core::call::HostCalls;
use switchyard_core::loader::{self, Plugin};
use switchyard_core::registry::LookupTable;
use switchyard_core::session::Session;
use switchyard_openrouter::OpenRouter;
use switchyard_plugin_api::abi_stable::sabi_trait::TD_Opaque;
use switchyard_plugin_api::doc::{ChatMessage, ChatRequest, ChatResponse, Context as CallContext};
use switchyard_plugin_api::*;
use switchyard_provider_kit::runtime::PluginRuntime;
use switchyard_provider_kit::{Call, Provider};

/// The direct path's runtime (the rlib's own, as the cdylib has its own).
static DIRECT_RUNTIME: PluginRuntime = PluginRuntime::new("bench-direct");

/// Which side of the boundary a call goes through.
enum Via {
    Plugin(Arc<Plugin>),
    Direct,
}

impl Via {
    fn name(&self) -> &'static str {
        match self {
            Via::Plugin(_) => "plugin",
            Via::Direct => "direct",
        }
    }

    fn chat(
        &self,
        req: &ChatRequest,
        ctx: &CallContext,
        host: HostRef<'_>,
    ) -> Result<ChatResponse, PluginError> {
        match self {
            Via::Plugin(p) => p.call(ops::CHAT, ctx, req, &[], host),
            Via::Direct => {
                let call = Call::new(ops::CHAT, ctx.clone(), host);
                DIRECT_RUNTIME.run(
                    call.host(),
                    ctx.timeout_ms,
                    OpenRouter.chat(req.clone(), &call),
                )
            }
        }
    }
}

fn load_plugin(dir: &Path) -> Result<Arc<Plugin>, String> {
    let table = LookupTable::scan(&[dir.to_path_buf()]);
    let m = table
        .by_id("openrouter")
        .ok_or_else(|| format!("no openrouter manifest in {}", dir.display()))?
        .clone();
    loader::load(&m).map(Arc::new).map_err(|e| e.to_string())
}

fn context(server: &FakeServer) -> CallContext {
    CallContext {
        api_key: Some(server.api_key().to_string()),
        base_url: server.base_url().to_string(),
        timeout_ms: 120_000,
        poll_interval_ms: 2000,
        max_output_bytes: 1 << 30,
        settings_json: "{}".into(),
    }
}

fn request(stream: bool) -> ChatRequest {
    ChatRequest {
        model: "openrouter/openai/gpt-4o-mini".into(),
        messages: vec![ChatMessage::user("Say hello to the benchmark.")],
        stream,
        ..Default::default()
    }
}

const STOP: usize = usize::MAX;

/// Plain chat at concurrency `conc`: `conc` worker threads (kept for the
/// whole run) send `per_round / conc` requests each per round; rounds
/// alternate between the paths (ABBA), `rounds` per path after two
/// warm-up rounds each. Returns each round's wall time and latencies (µs).
// Over 80 lines on purpose: one measurement: the worker threads, barriers and ABBA rounds share these locals, and split apart the synchronisation is harder to follow.
pub fn dispatch(dir: &Path, conc: usize, per_round: usize, rounds: usize) -> Result<Value, String> {
    let conc = conc.max(1);
    let per_thread = (per_round / conc).max(1);
    let server = FakeServer::start().map_err(|e| format!("fake server: {e}"))?;
    let ctx = context(&server);
    let req = request(false);
    let vias = [Via::Plugin(load_plugin(dir)?), Via::Direct];
    let session = Session::silent();
    let warmup = 2;
    let start = Barrier::new(conc + 1);
    let done = Barrier::new(conc + 1);
    let current = AtomicUsize::new(STOP);
    let record = AtomicBool::new(false);
    let errors = AtomicUsize::new(0);
    let last_error = Mutex::new(String::new());
    let mut walls: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    let per_worker: Vec<[Vec<Vec<f64>>; 2]> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..conc)
            .map(|_| {
                s.spawn(|| {
                    let mut lat: [Vec<Vec<f64>>; 2] = [Vec::new(), Vec::new()];
                    loop {
                        start.wait();
                        let i = current.load(Ordering::SeqCst);
                        if i == STOP {
                            return lat;
                        }
                        let mut this = Vec::with_capacity(per_thread);
                        for _ in 0..per_thread {
                            let calls = HostCalls::new(&session, "bench");
                            let t = Instant::now();
                            let r = vias[i].chat(&req, &ctx, calls.as_host());
                            this.push(t.elapsed().as_secs_f64() * 1e6);
                            if let Err(e) = r {
                                errors.fetch_add(1, Ordering::SeqCst);
                                if let Ok(mut l) = last_error.lock() {
                                    *l = format!("{} chat failed: {}", vias[i].name(), e.message);
                                }
                            }
                        }
                        if record.load(Ordering::SeqCst) {
                            lat[i].push(this);
                        }
                        done.wait();
                    }
                })
            })
            .collect();
        for r in 0..warmup + rounds.max(1) {
            record.store(r >= warmup, Ordering::SeqCst);
            for step in 0..2 {
                let i = (r + step) % 2;
                current.store(i, Ordering::SeqCst);
                start.wait();
                let t0 = Instant::now();
                done.wait();
                if r >= warmup {
                    walls[i].push(t0.elapsed().as_secs_f64());
                }
            }
        }
        current.store(STOP, Ordering::SeqCst);
        start.wait();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    if errors.load(Ordering::SeqCst) > 0 {
        let last = last_error.lock().map(|l| l.clone()).unwrap_or_default();
        return Err(format!(
            "{} requests failed; last: {last}",
            errors.load(Ordering::SeqCst)
        ));
    }
    // Round r's latencies, across workers, per path.
    let side = |i: usize| {
        let rounds = walls[i].len();
        let lat: Vec<Vec<f64>> = (0..rounds)
            .map(|r| {
                per_worker
                    .iter()
                    .filter_map(|w| w[i].get(r))
                    .flatten()
                    .copied()
                    .collect()
            })
            .collect();
        json!({"wall_s": walls[i], "lat_us": lat})
    };
    Ok(json!({
        "conc": conc,
        "requests_per_round": per_thread * conc,
        "plugin": side(0),
        "direct": side(1),
    }))
}

/// Host callbacks that also note when the first streamed text arrives.
struct Timed {
    calls: HostCalls,
    start: Instant,
    first: OnceLock<Duration>,
}

impl Host for Timed {
    fn is_cancelled(&self) -> bool {
        self.calls.is_cancelled()
    }
    fn on_cancel(&self, waker: CancelWakerBox) {
        self.calls.on_cancel(waker)
    }
    fn log(&self, level: u8, message: RStr<'_>) {
        self.calls.log(level, message)
    }
    fn progress(&self, event: &Progress) {
        self.calls.progress(event)
    }
    fn text(&self, delta: RStr<'_>) {
        self.first.get_or_init(|| self.start.elapsed());
        self.calls.text(delta)
    }
    fn open_output(
        &self,
        index: u32,
        media_type: RStr<'_>,
        declared_len: ROption<u64>,
    ) -> RResult<(), PluginError> {
        self.calls.open_output(index, media_type, declared_len)
    }
    fn write_output(&self, index: u32, data: RSlice<'_, u8>) -> RResult<(), PluginError> {
        self.calls.write_output(index, data)
    }
}

/// A streamed answer of `chunks` SSE chunks: time to first token and total
/// time, `reps` times per path, alternating.
pub fn stream(dir: &Path, chunks: usize, reps: usize) -> Result<Value, String> {
    let answer = "abcd".repeat(chunks.max(1));
    let server = FakeServer::start_with(Options {
        stream_chunks: chunks.max(1),
        chat_answer: Some(answer.clone()),
        ..Options::default()
    })
    .map_err(|e| format!("fake server: {e}"))?;
    let ctx = context(&server);
    let req = request(true);
    let vias = [Via::Plugin(load_plugin(dir)?), Via::Direct];
    let session = Session::silent();
    let once = |via: &Via| -> Result<(f64, f64), String> {
        let t = Timed {
            calls: HostCalls::new(&session, "bench"),
            start: Instant::now(),
            first: OnceLock::new(),
        };
        let r = via.chat(&req, &ctx, Host_TO::from_ptr(&t, TD_Opaque));
        let total = t.start.elapsed().as_secs_f64() * 1e6;
        let r = r.map_err(|e| format!("{} stream failed: {}", via.name(), e.message))?;
        let got = t.calls.streamed.lock().map(|s| s.len()).unwrap_or(0);
        if r.text.len() != answer.len() || got != answer.len() {
            return Err(format!(
                "{}: streamed {got} / answered {} of {} characters",
                via.name(),
                r.text.len(),
                answer.len()
            ));
        }
        let ttft = t.first.get().map_or(total, |d| d.as_secs_f64() * 1e6);
        Ok((ttft, total))
    };
    for v in &vias {
        once(v)?;
    }
    let mut out: Vec<(Vec<f64>, Vec<f64>)> = vec![(Vec::new(), Vec::new()); 2];
    for r in 0..reps.max(1) {
        for step in 0..2 {
            let i = (r + step) % 2;
            let (ttft, total) = once(&vias[i])?;
            out[i].0.push(ttft);
            out[i].1.push(total);
        }
    }
    let side = |i: usize| json!({"ttft_us": out[i].0, "total_us": out[i].1});
    Ok(json!({"chunks": chunks, "plugin": side(0), "direct": side(1)}))
}

/*!
The two ways to reach the OpenRouter client code, measured side by side:

- `plugin`: the cdylib, found through its manifest and loaded by the host's
  loader (ABI checked), called through its `extern "C"` entry point;
- `direct`: the same crate linked here as an rlib, called through the
  [`Provider`] trait with no plugin boundary.

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
use std::sync::{Arc, Barrier, OnceLock};
use std::time::{Duration, Instant};
use switchyard::call::HostCalls;
use switchyard::loader::{self, Plugin};
use switchyard::registry::LookupTable;
use switchyard_openrouter::OpenRouter;
use switchyard_plugin_api::abi_stable::sabi_trait::TD_Opaque;
use switchyard_plugin_api::*;

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
            Via::Plugin(p) => p.chat(req, ctx, host),
            Via::Direct => Provider::chat(&OpenRouter, req, ctx, &host),
        }
    }
}

fn load_plugin(dir: &Path) -> Result<Arc<Plugin>, String> {
    let table = LookupTable::scan(&[dir.to_path_buf()]);
    let m = table
        .by_id("openrouter")
        .ok_or_else(|| format!("no openrouter manifest in {}", dir.display()))?
        .clone();
    loader::load(&m).map_err(|e| e.to_string())
}

fn context(server: &FakeServer) -> CallContext {
    CallContext {
        api_key: ROption::RSome(server.api_key().into()),
        base_url: server.base_url().into(),
        timeout_ms: 120_000,
        poll_interval_ms: 2000,
        max_output_bytes: 1 << 30,
        settings_json: "{}".into(),
    }
}

fn request(stream: bool) -> ChatRequest {
    ChatRequest {
        model: "openrouter/openai/gpt-4o-mini".into(),
        messages: RVec::from(vec![ChatMessage {
            role: "user".into(),
            content: "Say hello to the benchmark.".into(),
        }]),
        stream,
        max_tokens: ROption::RNone,
        temperature: ROption::RNone,
    }
}

/// One round: `conc` threads each send `per_thread` requests back to back.
/// Returns the round's wall time and every request's latency (µs).
fn round(
    via: &Via,
    conc: usize,
    per_thread: usize,
    req: &ChatRequest,
    ctx: &CallContext,
) -> Result<(f64, Vec<f64>), String> {
    let barrier = Barrier::new(conc + 1);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..conc)
            .map(|_| {
                let barrier = &barrier;
                s.spawn(move || -> Result<Vec<f64>, String> {
                    let mut lat = Vec::with_capacity(per_thread);
                    barrier.wait();
                    for _ in 0..per_thread {
                        let calls = HostCalls::new("bench");
                        let t = Instant::now();
                        let r = via.chat(req, ctx, calls.as_host());
                        lat.push(t.elapsed().as_secs_f64() * 1e6);
                        r.map_err(|e| format!("{} chat failed: {}", via.name(), e.message))?;
                    }
                    Ok(lat)
                })
            })
            .collect();
        barrier.wait();
        let t0 = Instant::now();
        let mut all = Vec::with_capacity(conc * per_thread);
        let mut err = None;
        for h in handles {
            match h.join() {
                Ok(Ok(l)) => all.extend(l),
                Ok(Err(e)) => err = Some(e),
                Err(_) => err = Some("a bench thread panicked".into()),
            }
        }
        let wall = t0.elapsed().as_secs_f64();
        match err {
            Some(e) => Err(e),
            None => Ok((wall, all)),
        }
    })
}

/// Plain chat at concurrency `conc`: `requests` per round and path,
/// `rounds` rounds per path, after one warm-up round each.
pub fn dispatch(dir: &Path, conc: usize, requests: usize, rounds: usize) -> Result<Value, String> {
    let conc = conc.max(1);
    let per_thread = requests.div_ceil(conc).max(1);
    let server = FakeServer::start().map_err(|e| format!("fake server: {e}"))?;
    let ctx = context(&server);
    let req = request(false);
    let vias = [Via::Plugin(load_plugin(dir)?), Via::Direct];
    for v in &vias {
        round(v, conc, 1, &req, &ctx)?;
    }
    let mut out: Vec<(Vec<f64>, Vec<f64>)> = vec![(Vec::new(), Vec::new()); 2];
    for r in 0..rounds.max(1) {
        for step in 0..2 {
            let i = (r + step) % 2;
            let (wall, lat) = round(&vias[i], conc, per_thread, &req, &ctx)?;
            out[i].0.push(wall);
            out[i].1.extend(lat);
        }
    }
    let side = |i: usize| {
        json!({
            "wall_s": out[i].0,
            "lat_us": out[i].1,
            "requests_per_round": per_thread * conc,
        })
    };
    Ok(json!({"conc": conc, "plugin": side(0), "direct": side(1)}))
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
    let once = |via: &Via| -> Result<(f64, f64), String> {
        let t = Timed {
            calls: HostCalls::new("bench"),
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

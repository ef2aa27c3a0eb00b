//! ABI-evolution fixture: a minimal host of plugin API 2.0.0.
//!
//! `fixture-v2-0-host LIBRARY MODEL PROMPT BASE_URL [API_KEY]` loads LIBRARY
//! (built against any 2.x), prints what its embedded manifest offers that a
//! 2.0 host cannot ask (one line per unknown capability), then sends a 2.0
//! chat request and prints the answer. Exit 0 on an answer, 1 otherwise.

use abi_stable::library::lib_header_from_path;
use abi_stable::sabi_trait::TD_Opaque;
use std::path::Path;
use switchyard_plugin_api::doc::{ChatMessage, ChatRequest, ChatResponse, Context};
use switchyard_plugin_api::{
    caps, CancelWakerBox, Host, Host_TO, PluginError, Progress, ROption, RResult, RSlice, RStr,
    PLUGIN_API_VERSION,
};

struct Callbacks;

impl Host for Callbacks {
    fn is_cancelled(&self) -> bool {
        false
    }
    fn on_cancel(&self, _waker: CancelWakerBox) {}
    fn log(&self, _level: u8, _message: RStr<'_>) {}
    fn progress(&self, _event: &Progress) {}
    fn text(&self, _delta: RStr<'_>) {}
    fn open_output(&self, _i: u32, _t: RStr<'_>, _n: ROption<u64>) -> RResult<(), PluginError> {
        RResult::RErr(PluginError::unsupported("outputs in this fixture host"))
    }
    fn write_output(&self, _i: u32, _d: RSlice<'_, u8>) -> RResult<(), PluginError> {
        RResult::RErr(PluginError::unsupported("outputs in this fixture host"))
    }
}

fn run(args: &[String]) -> Result<String, String> {
    let [lib, model, prompt, base_url, rest @ ..] = args else {
        return Err("usage: fixture-v2-0-host LIBRARY MODEL PROMPT BASE_URL [API_KEY]".into());
    };
    let header = lib_header_from_path(Path::new(lib)).map_err(|e| format!("cannot open {lib}: {e}"))?;
    let built = header.version_strings().version.to_string();
    let module = switchyard_plugin_api::module::init_root_module(header)
        .map_err(|e| format!("refused {lib} (built against plugin API {built}): {e}"))?;
    println!("loaded a plugin built against plugin API {built} into a plugin API {PLUGIN_API_VERSION} host");
    let manifest: toml::Table = toml::from_str((module.manifest())().as_str())
        .map_err(|e| format!("the embedded manifest does not parse: {e}"))?;
    let declared = manifest
        .get("capabilities")
        .and_then(|c| c.as_array())
        .cloned()
        .unwrap_or_default();
    for cap in declared.iter().filter_map(|c| c.as_str()) {
        if !caps::ALL.contains(&cap) {
            println!("not offered: capability {cap:?} is not known to plugin API {PLUGIN_API_VERSION}");
        }
    }
    let ctx = Context {
        api_key: rest.first().cloned(),
        base_url: base_url.clone(),
        timeout_ms: 30_000,
        ..Default::default()
    };
    let req = ChatRequest {
        model: model.clone(),
        messages: vec![ChatMessage::user(prompt.as_str())],
        ..Default::default()
    };
    let ctx = serde_json::to_string(&ctx).map_err(|e| e.to_string())?;
    let req = serde_json::to_string(&req).map_err(|e| e.to_string())?;
    let cb = Callbacks;
    let answer = (module.call())(
        RStr::from_str("chat"),
        RStr::from_str(&ctx),
        RStr::from_str(&req),
        RSlice::from_slice(&[]),
        Host_TO::from_ptr(&cb, TD_Opaque),
    )
    .into_result()
    .map_err(|e| format!("chat failed ({}): {}", e.kind, e.message))?;
    let answer: ChatResponse = serde_json::from_str(answer.as_str())
        .map_err(|e| format!("the chat answer does not parse as a 2.0 document: {e}"))?;
    Ok(answer.text)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(text) => println!("answer: {text}"),
        Err(e) => {
            eprintln!("fixture-v2-0-host: {e}");
            std::process::exit(1);
        }
    }
}

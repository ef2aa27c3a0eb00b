/*!
ABI-evolution fixture: a plugin built against plugin API 2.0.0, its root
module written by hand (no provider kit), as an author who only knows the
2.0 ABI would.

`chat` answers "plugin API 2.0.0 echoes: <last message>" and names the
request fields it read; every other operation (including those added after
2.0, such as `transcribe`) answers `unsupported`. Panics never cross the
boundary.
*/

use abi_stable::library::{CheckTypeLayout, LibHeader, RootModuleResult};
use abi_stable::prefix_type::PrefixTypeTrait;
use std::panic::{catch_unwind, AssertUnwindSafe};
use switchyard_plugin_api::doc::{ChatRequest, ChatResponse};
use switchyard_plugin_api::{
    ErrorKind, HostRef, PluginError, PluginModule, PluginModuleRef, RResult, RSlice, RStr,
    RString, PLUGIN_API_VERSION,
};

const MANIFEST: &str = include_str!("../manifest.toml");

extern "C" fn manifest() -> RStr<'static> {
    RStr::from_str(MANIFEST)
}

fn chat(request: &str) -> Result<String, PluginError> {
    let req: ChatRequest = serde_json::from_str(request).map_err(|e| {
        PluginError::new(ErrorKind::INVALID_INPUT, format!("bad chat request: {e}"))
    })?;
    let last = req
        .messages
        .last()
        .map(|m| m.content.clone())
        .ok_or_else(|| PluginError::new(ErrorKind::INVALID_INPUT, "no messages"))?;
    let answer = ChatResponse {
        text: format!("plugin API {PLUGIN_API_VERSION} echoes: {last}"),
        model: req.model,
        finish_reason: "stop".into(),
        ..Default::default()
    };
    serde_json::to_string(&answer).map_err(|e| PluginError::new(ErrorKind::INTERNAL, e.to_string()))
}

extern "C" fn call(
    op: RStr<'_>,
    _context: RStr<'_>,
    request: RStr<'_>,
    _blobs: RSlice<'_, RSlice<'_, u8>>,
    _host: HostRef<'_>,
) -> RResult<RString, PluginError> {
    let r = catch_unwind(AssertUnwindSafe(|| match op.as_str() {
        "chat" => chat(request.as_str()),
        other => Err(PluginError::new(
            ErrorKind::UNSUPPORTED,
            format!("plugin API {PLUGIN_API_VERSION} has no operation {other:?}"),
        )),
    }));
    match r {
        Ok(Ok(text)) => RResult::ROk(text.into()),
        Ok(Err(e)) => RResult::RErr(e),
        Err(_) => RResult::RErr(PluginError::new(ErrorKind::INTERNAL, "the plugin panicked")),
    }
}

fn root_module() -> PluginModuleRef {
    PluginModule { manifest, call }.leak_into_prefix()
}

extern "C" fn erased_root_module() -> RootModuleResult {
    abi_stable::library::__call_root_module_loader(root_module)
}

/// The library header the host looks up.
#[export_name = "_1as_0lib_1header_0root_bmodule_bloader"]
pub static LIB_HEADER: LibHeader = unsafe {
    LibHeader::from_constructor::<PluginModuleRef>(erased_root_module, CheckTypeLayout::Yes)
};

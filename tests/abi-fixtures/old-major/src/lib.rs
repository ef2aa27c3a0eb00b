/*!
ABI-evolution fixture: a provider built against plugin API 1.1.0, whose root
module has the 1.x layout (typed `repr(C)` entry points per capability).

A host of plugin API 2.x reads its library header, sees major version 1,
and refuses it naming both versions, before any entry point is called.
*/

use switchyard_plugin_api::*;

/// The fixture provider.
pub struct OldMajor;

impl Provider for OldMajor {
    fn describe(&self) -> PluginDescription {
        PluginDescription {
            id: "old-major".into(),
            version: "0.1.0".into(),
            plugin_api: PLUGIN_API_VERSION.into(),
            capabilities: RVec::from(vec![RString::from(CAP_CHAT)]),
            models: RVec::new(),
        }
    }

    fn chat(
        &self,
        req: &ChatRequest,
        _ctx: &CallContext,
        _host: &HostRef<'_>,
    ) -> Result<ChatResponse, PluginError> {
        Ok(ChatResponse {
            text: format!("old major (plugin API {PLUGIN_API_VERSION})").into(),
            model: req.model.clone(),
            finish_reason: "stop".into(),
            usage: Usage::default(),
            generation_id: ROption::RNone,
        })
    }
}

export_provider!(OldMajor, OldMajor);

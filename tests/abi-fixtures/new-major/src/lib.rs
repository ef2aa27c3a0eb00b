/*!
ABI-evolution fixture: a provider built against plugin API 2.0.0, an
incompatible major version. The host must refuse to load it and name both
versions; if it were ever loaded, its chat would say so.
*/

use switchyard_plugin_api::*;

/// The fixture provider.
pub struct NewMajor;

impl Provider for NewMajor {
    fn describe(&self) -> PluginDescription {
        PluginDescription {
            id: "new-major".into(),
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
            text: "a 2.0 plugin was loaded by a 1.x host: this must not happen".into(),
            model: req.model.clone(),
            finish_reason: "stop".into(),
            usage: Usage::default(),
            generation_id: ROption::RNone,
        })
    }
}

export_provider!(NewMajor, NewMajor);

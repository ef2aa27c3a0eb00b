/*!
ABI-evolution fixture: a provider built against plugin API 1.0.0, whose root
module has the 1.0 layout (it ends at `video_wait`, the last prefix field).

It implements `check_key` and `video_status` in Rust, but a 1.0 root module
has no slot for them, so the host must read both as absent (`None`) and
answer "unsupported", never call into garbage. Chat answers with a fixed
text naming the API version it was built against.
*/

use switchyard_plugin_api::*;

/// The fixture provider.
pub struct OldMinor;

impl Provider for OldMinor {
    fn describe(&self) -> PluginDescription {
        PluginDescription {
            id: "old-minor".into(),
            version: "0.1.0".into(),
            plugin_api: PLUGIN_API_VERSION.into(),
            capabilities: RVec::from(vec![RString::from(CAP_CHAT)]),
            models: RVec::from(vec![ModelDescription {
                model_ref: "old-minor/echo".into(),
                capabilities: RVec::from(vec![RString::from(CAP_CHAT)]),
            }]),
        }
    }

    fn chat(
        &self,
        req: &ChatRequest,
        _ctx: &CallContext,
        _host: &HostRef<'_>,
    ) -> Result<ChatResponse, PluginError> {
        let last = req
            .messages
            .iter()
            .last()
            .map(|m| m.content.to_string())
            .ok_or_else(|| PluginError::new(ErrorKind::INVALID_INPUT, "no messages"))?;
        Ok(ChatResponse {
            text: format!("old minor (plugin API {PLUGIN_API_VERSION}) says: {last}").into(),
            model: req.model.clone(),
            finish_reason: "stop".into(),
            usage: Usage::default(),
            generation_id: ROption::RNone,
        })
    }

    fn check_key(&self, _ctx: &CallContext, _host: &HostRef<'_>) -> Result<KeyStatus, PluginError> {
        Err(PluginError::new(
            ErrorKind::INTERNAL,
            "unreachable: a 1.0 root module has no check_key slot",
        ))
    }

    fn video_status(
        &self,
        _job: &VideoJob,
        _ctx: &CallContext,
        _host: &HostRef<'_>,
    ) -> Result<VideoJobState, PluginError> {
        Err(PluginError::new(
            ErrorKind::INTERNAL,
            "unreachable: a 1.0 root module has no video_status slot",
        ))
    }
}

export_provider!(OldMinor, OldMinor);

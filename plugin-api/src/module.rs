/*!
The root module: the table of entry points every plugin library exports.

It is an abi_stable prefix type. Fields up to `video_wait` (marked
`last_prefix_field`) exist in every 1.x plugin; fields after it were appended
in later minor versions and read as `Option` by the host, `None` when the
plugin was built against an older minor version.
*/

use crate::error::PluginError;
use crate::host::HostRef;
use crate::types::*;
use abi_stable::library::RootModule;
use abi_stable::std_types::{RResult, RString};
use abi_stable::{
    declare_root_module_statics, package_version_strings, sabi_types::VersionStrings, StableAbi,
};

/// The name of the symbol holding a plugin's library header (abi_stable's
/// mangled root-module loader name). [`crate::export_provider!`] exports it.
pub const ROOT_MODULE_LOADER_SYMBOL: &str = "_1as_0lib_1header_0root_bmodule_bloader";

/// Entry points of a provider plugin. Build it with [`crate::export_provider!`].
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = PluginModuleRef)))]
#[sabi(missing_field(option))]
pub struct PluginModule {
    /// Describes the plugin (id, version, capabilities, models).
    pub describe: extern "C" fn() -> RResult<PluginDescription, PluginError>,
    /// Chat completion (plain, or streamed through `Host::text`).
    pub chat: extern "C" fn(
        &ChatRequest,
        &CallContext,
        HostRef<'_>,
    ) -> RResult<ChatResponse, PluginError>,
    /// Image generation; images go to the host's output sink.
    pub image: extern "C" fn(
        &ImageRequest,
        &CallContext,
        HostRef<'_>,
    ) -> RResult<ImageResponse, PluginError>,
    /// Text-to-speech; audio goes to the host's output sink.
    pub speech: extern "C" fn(
        &SpeechRequest,
        &CallContext,
        HostRef<'_>,
    ) -> RResult<SpeechResponse, PluginError>,
    /// Submits a video job and returns as soon as the provider accepted it.
    pub video_submit:
        extern "C" fn(&VideoRequest, &CallContext, HostRef<'_>) -> RResult<VideoJob, PluginError>,
    /// Polls a submitted job until it ends, then downloads its videos to the sink.
    #[sabi(last_prefix_field)]
    pub video_wait:
        extern "C" fn(&VideoJob, &CallContext, HostRef<'_>) -> RResult<VideoResponse, PluginError>,
    /// Since 1.1: asks the provider about the configured key.
    #[cfg(not(feature = "api-1-0"))]
    pub check_key: extern "C" fn(&CallContext, HostRef<'_>) -> RResult<KeyStatus, PluginError>,
    /// Since 1.1: polls a video job once and returns its current state
    /// (`status`; a terminal failure's text in `error`), downloading nothing.
    #[cfg(not(feature = "api-1-0"))]
    pub video_status:
        extern "C" fn(&VideoJob, &CallContext, HostRef<'_>) -> RResult<VideoJobState, PluginError>,
    /// Since 1.1: fetches the provider's live model catalog, as a JSON array
    /// of model entries in the manifest's `[[models]]` shape (`ref`,
    /// `capabilities`, and the limit lists such as `durations`).
    #[cfg(not(feature = "api-1-0"))]
    pub catalog: extern "C" fn(&CallContext, HostRef<'_>) -> RResult<RString, PluginError>,
}

impl RootModule for PluginModuleRef {
    declare_root_module_statics! {PluginModuleRef}
    const BASE_NAME: &'static str = "switchyard_plugin";
    const NAME: &'static str = "switchyard provider plugin";
    const VERSION_STRINGS: VersionStrings = package_version_strings!();
}

#[cfg(test)]
mod tests {
    #[test]
    fn loader_symbol_matches_abi_stable() {
        assert_eq!(
            super::ROOT_MODULE_LOADER_SYMBOL,
            abi_stable::library::ROOT_MODULE_LOADER_NAME
        );
    }
}

/*!
The safe way to write a plugin: implement [`Provider`], then call
[`crate::export_provider!`] once. The macro generates the `extern "C"` entry
points and the exported root module; each entry point runs the trait method
inside [`guard`], so a panic becomes an `internal` error and never unwinds
across the boundary (abi_stable would abort the whole host process).
*/

use crate::error::{ErrorKind, PluginError};
use crate::host::HostRef;
use crate::types::*;
use abi_stable::std_types::RResult;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// A provider plugin. Every capability defaults to `unsupported`.
///
/// Methods are blocking: the host calls them from its own threads and the
/// plugin runs the work on its own async runtime (a cdylib has its own copy
/// of tokio; the host's runtime never crosses the boundary).
pub trait Provider: Send + Sync + 'static {
    /// Describes the plugin; must agree with its manifest.
    fn describe(&self) -> PluginDescription;

    /// Chat completion.
    fn chat(
        &self,
        _req: &ChatRequest,
        _ctx: &CallContext,
        _host: &HostRef<'_>,
    ) -> Result<ChatResponse, PluginError> {
        Err(PluginError::unsupported(CAP_CHAT))
    }

    /// Image generation.
    fn image(
        &self,
        _req: &ImageRequest,
        _ctx: &CallContext,
        _host: &HostRef<'_>,
    ) -> Result<ImageResponse, PluginError> {
        Err(PluginError::unsupported(CAP_IMAGE))
    }

    /// Text-to-speech.
    fn speech(
        &self,
        _req: &SpeechRequest,
        _ctx: &CallContext,
        _host: &HostRef<'_>,
    ) -> Result<SpeechResponse, PluginError> {
        Err(PluginError::unsupported(CAP_SPEECH))
    }

    /// Submits a video job.
    fn video_submit(
        &self,
        _req: &VideoRequest,
        _ctx: &CallContext,
        _host: &HostRef<'_>,
    ) -> Result<VideoJob, PluginError> {
        Err(PluginError::unsupported(CAP_VIDEO))
    }

    /// Waits for a video job and downloads its outputs.
    fn video_wait(
        &self,
        _job: &VideoJob,
        _ctx: &CallContext,
        _host: &HostRef<'_>,
    ) -> Result<VideoResponse, PluginError> {
        Err(PluginError::unsupported(CAP_VIDEO))
    }

    /// Polls a video job once.
    fn video_status(
        &self,
        _job: &VideoJob,
        _ctx: &CallContext,
        _host: &HostRef<'_>,
    ) -> Result<VideoJobState, PluginError> {
        Err(PluginError::unsupported(CAP_VIDEO))
    }

    /// Fetches the live model catalog as a JSON array of manifest-shaped
    /// model entries.
    fn catalog(&self, _ctx: &CallContext, _host: &HostRef<'_>) -> Result<String, PluginError> {
        Err(PluginError::unsupported("a live model catalog"))
    }

    /// Reports on the configured API key.
    fn check_key(&self, _ctx: &CallContext, _host: &HostRef<'_>) -> Result<KeyStatus, PluginError> {
        Err(PluginError::unsupported("key status"))
    }
}

/// Runs `f`, turning a panic into an `internal` error.
pub fn guard<T>(f: impl FnOnce() -> Result<T, PluginError>) -> RResult<T, PluginError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => RResult::ROk(v),
        Ok(Err(e)) => RResult::RErr(e),
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic payload".to_string());
            RResult::RErr(PluginError::new(
                ErrorKind::INTERNAL,
                format!("the plugin panicked: {what}"),
            ))
        }
    }
}

/// Exports a [`Provider`] as this library's root module.
///
/// `$ty` is the provider type and `$init` an expression building it (run
/// once, on first use, inside the panic guard).
///
/// ```ignore
/// struct MyProvider;
/// impl switchyard_plugin_api::Provider for MyProvider { /* ... */ }
/// switchyard_plugin_api::export_provider!(MyProvider, MyProvider);
/// ```
#[macro_export]
macro_rules! export_provider {
    ($ty:ty, $init:expr) => {
        mod __switchyard_export {
            use super::*;
            use $crate::abi_stable::std_types::RResult;
            use $crate::{
                CallContext, ChatRequest, ChatResponse, HostRef, ImageRequest, ImageResponse,
                KeyStatus, PluginDescription, PluginError, Provider, SpeechRequest, SpeechResponse,
                VideoJob, VideoJobState, VideoRequest, VideoResponse,
            };

            fn provider() -> &'static $ty {
                static PROVIDER: ::std::sync::OnceLock<$ty> = ::std::sync::OnceLock::new();
                PROVIDER.get_or_init(|| $init)
            }

            extern "C" fn describe() -> RResult<PluginDescription, PluginError> {
                $crate::guard(|| Ok(Provider::describe(provider())))
            }
            extern "C" fn chat(
                r: &ChatRequest,
                c: &CallContext,
                h: HostRef<'_>,
            ) -> RResult<ChatResponse, PluginError> {
                $crate::guard(|| Provider::chat(provider(), r, c, &h))
            }
            extern "C" fn image(
                r: &ImageRequest,
                c: &CallContext,
                h: HostRef<'_>,
            ) -> RResult<ImageResponse, PluginError> {
                $crate::guard(|| Provider::image(provider(), r, c, &h))
            }
            extern "C" fn speech(
                r: &SpeechRequest,
                c: &CallContext,
                h: HostRef<'_>,
            ) -> RResult<SpeechResponse, PluginError> {
                $crate::guard(|| Provider::speech(provider(), r, c, &h))
            }
            extern "C" fn video_submit(
                r: &VideoRequest,
                c: &CallContext,
                h: HostRef<'_>,
            ) -> RResult<VideoJob, PluginError> {
                $crate::guard(|| Provider::video_submit(provider(), r, c, &h))
            }
            extern "C" fn video_wait(
                j: &VideoJob,
                c: &CallContext,
                h: HostRef<'_>,
            ) -> RResult<VideoResponse, PluginError> {
                $crate::guard(|| Provider::video_wait(provider(), j, c, &h))
            }
            extern "C" fn check_key(
                c: &CallContext,
                h: HostRef<'_>,
            ) -> RResult<KeyStatus, PluginError> {
                $crate::guard(|| Provider::check_key(provider(), c, &h))
            }

            extern "C" fn video_status(
                j: &VideoJob,
                c: &CallContext,
                h: HostRef<'_>,
            ) -> RResult<VideoJobState, PluginError> {
                $crate::guard(|| Provider::video_status(provider(), j, c, &h))
            }

            extern "C" fn catalog(
                c: &CallContext,
                h: HostRef<'_>,
            ) -> RResult<$crate::RString, PluginError> {
                $crate::guard(|| Provider::catalog(provider(), c, &h).map(Into::into))
            }

            fn root_module() -> $crate::PluginModuleRef {
                use $crate::abi_stable::prefix_type::PrefixTypeTrait;
                $crate::__plugin_module!(
                    describe,
                    chat,
                    image,
                    speech,
                    video_submit,
                    video_wait,
                    check_key,
                    video_status,
                    catalog
                )
                .leak_into_prefix()
            }

            extern "C" fn erased_root_module() -> $crate::abi_stable::library::RootModuleResult {
                $crate::abi_stable::library::__call_root_module_loader(root_module)
            }

            /// The library header abi_stable looks up when the host loads this plugin.
            #[export_name = "_1as_0lib_1header_0root_bmodule_bloader"]
            pub static LIB_HEADER: $crate::abi_stable::library::LibHeader = unsafe {
                $crate::abi_stable::library::LibHeader::from_constructor::<$crate::PluginModuleRef>(
                    erased_root_module,
                    $crate::abi_stable::library::CheckTypeLayout::Yes,
                )
            };
        }
    };
}

/// Builds a [`crate::PluginModule`] value from entry points; the fields that
/// exist depend on the interface version this crate was built as.
#[doc(hidden)]
#[macro_export]
#[cfg(not(feature = "api-1-0"))]
macro_rules! __plugin_module {
    ($d:ident, $c:ident, $i:ident, $s:ident, $vs:ident, $vw:ident, $k:ident, $st:ident, $cat:ident) => {
        $crate::PluginModule {
            describe: $d,
            chat: $c,
            image: $i,
            speech: $s,
            video_submit: $vs,
            video_wait: $vw,
            check_key: $k,
            video_status: $st,
            catalog: $cat,
        }
    };
}

/// Builds a [`crate::PluginModule`] value from entry points (1.0 layout).
#[doc(hidden)]
#[macro_export]
#[cfg(feature = "api-1-0")]
macro_rules! __plugin_module {
    ($d:ident, $c:ident, $i:ident, $s:ident, $vs:ident, $vw:ident, $k:ident, $st:ident, $cat:ident) => {{
        let _ = ($k, $st, $cat);
        $crate::PluginModule {
            describe: $d,
            chat: $c,
            image: $i,
            speech: $s,
            video_submit: $vs,
            video_wait: $vw,
        }
    }};
}

/*!
From the typed [`Provider`] to the ABI's two entry points.

[`crate::export_provider!`] generates `manifest()` (the embedded manifest)
and `call()`, which lands in [`dispatch`]: it decodes the context and the
request document, runs the provider's method on the plugin's runtime, and
encodes the answer. Everything runs inside [`guard`]: a panic becomes an
`internal` error (abi_stable's wrappers would abort the host otherwise), and
the panic's text never reaches the user's terminal raw: a quiet panic hook
keeps it off stderr, and the host prints it as a one-line error naming the
plugin and the operation.
*/

use crate::provider::{Call, Provider};
use crate::runtime::PluginRuntime;
use serde::{de::DeserializeOwned, Serialize};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;
use switchyard_plugin_api::abi_stable::sabi_trait::TD_Opaque;
use switchyard_plugin_api::doc::Context;
use switchyard_plugin_api::{
    ops, ErrorKind, HostRef, Host_TO, PluginError, RResult, RSlice, RString,
};

static QUIET_PANICS: Once = Once::new();

/// Keeps panics of this library off the user's stderr: the default hook
/// would print the raw message (and a backtrace hint) past `-q` and `--json`.
/// A cdylib has its own copy of std, so this hook is the plugin's own and
/// leaves the host's untouched.
pub fn install_quiet_panic_hook() {
    QUIET_PANICS.call_once(|| std::panic::set_hook(Box::new(|_| {})));
}

/// The printable first line of a panic payload, at most 200 characters.
fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    let raw = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_string());
    let line: String = raw
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    if line.is_empty() {
        "no message".into()
    } else {
        line
    }
}

/// Runs `f`, turning a panic into an `internal` error.
pub fn guard<T>(f: impl FnOnce() -> Result<T, PluginError>) -> RResult<T, PluginError> {
    install_quiet_panic_hook();
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => RResult::ROk(v),
        Ok(Err(e)) => RResult::RErr(e),
        Err(payload) => RResult::RErr(PluginError::new(
            ErrorKind::INTERNAL,
            format!("the plugin panicked: {}", panic_text(payload.as_ref())),
        )),
    }
}

fn decode<T: DeserializeOwned>(what: &str, text: &str) -> Result<T, PluginError> {
    let text = if text.trim().is_empty() { "{}" } else { text };
    serde_json::from_str(text).map_err(|e| {
        PluginError::new(
            ErrorKind::INVALID_INPUT,
            format!("the host sent a malformed {what} document: {e}"),
        )
    })
}

fn encode<T: Serialize>(value: &T) -> Result<RString, PluginError> {
    serde_json::to_string(value)
        .map(RString::from)
        .map_err(|e| {
            PluginError::new(
                ErrorKind::INTERNAL,
                format!("cannot encode the answer: {e}"),
            )
        })
}

/// The `call` entry point: runs operation `op` of `provider` (built on first
/// use by `get`) on `rt`, within the context's deadline.
pub fn dispatch<P: Provider>(
    get: impl FnOnce() -> &'static P,
    rt: &PluginRuntime,
    op: &str,
    context: &str,
    request: &str,
    blobs: RSlice<'_, RSlice<'_, u8>>,
    host: HostRef<'_>,
) -> RResult<RString, PluginError> {
    guard(|| {
        let ctx: Context = decode("context", context)?;
        let p = get();
        let timeout = ctx.timeout_ms;
        // `HostRef` is invariant in its lifetime: re-wrap it so the call's
        // lifetime can be the shortest of its arguments'.
        let host: HostRef<'_> = Host_TO::from_ptr(&host, TD_Opaque);
        let call = Call {
            op,
            ctx,
            host,
            blobs,
        };
        let h = &call.host;
        macro_rules! run {
            ($method:ident) => {{
                let req = decode(op, request)?;
                encode(&rt.run(h, timeout, p.$method(req, &call))?)
            }};
            ($method:ident, no_request) => {{
                encode(&rt.run(h, timeout, p.$method(&call))?)
            }};
        }
        match op {
            ops::CHAT => run!(chat),
            ops::IMAGE => run!(image),
            ops::SPEECH => run!(speech),
            ops::VIDEO_SUBMIT => run!(video_submit),
            ops::VIDEO_WAIT => run!(video_wait),
            ops::VIDEO_STATUS => run!(video_status),
            ops::CATALOG => run!(catalog, no_request),
            ops::KEY_CHECK => run!(check_key, no_request),
            ops::TRANSCRIBE => run!(transcribe),
            ops::EMBED => run!(embed),
            other => rt
                .run(h, timeout, p.other(other, request, &call))
                .map(RString::from),
        }
    })
}

/// Exports a [`Provider`] as this library's root module.
///
/// `$ty` is the provider type, `$init` an expression building it (run once,
/// on first use, inside the panic guard) and `$manifest` the plugin's
/// manifest text, embedded so the library and its manifest cannot drift:
///
/// ```
/// use switchyard_provider_kit::{export_provider, Call, Provider};
/// use switchyard_provider_kit::api::{doc, PluginError};
///
/// struct Echo;
///
/// impl Provider for Echo {
///     async fn chat(&self, req: doc::ChatRequest, _call: &Call<'_>) -> Result<doc::ChatResponse, PluginError> {
///         let last = req.messages.last().map(|m| m.content.clone()).unwrap_or_default();
///         Ok(doc::ChatResponse { text: last, model: req.model, ..Default::default() })
///     }
/// }
///
/// // In a real plugin: export_provider!(Echo, Echo, include_str!("../manifest.toml"));
/// export_provider!(Echo, Echo, "id = \"echo\"\nversion = \"0.1.0\"\n");
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! export_provider {
    ($ty:ty, $init:expr, $manifest:expr) => {
        #[doc(hidden)]
        mod __switchyard_export {
            use super::*;
            use $crate::api::abi_stable::library::{
                __call_root_module_loader, CheckTypeLayout, LibHeader, RootModuleResult,
            };
            use $crate::api::abi_stable::prefix_type::PrefixTypeTrait;
            use $crate::api::{
                HostRef, PluginError, PluginModule, PluginModuleRef, RResult, RSlice, RStr, RString,
            };

            static PROVIDER: ::std::sync::OnceLock<$ty> = ::std::sync::OnceLock::new();
            static RUNTIME: $crate::runtime::PluginRuntime =
                $crate::runtime::PluginRuntime::new("switchyard-plugin");
            const MANIFEST: &str = $manifest;

            extern "C" fn manifest() -> RStr<'static> {
                RStr::from_str(MANIFEST)
            }

            extern "C" fn call(
                op: RStr<'_>,
                context: RStr<'_>,
                request: RStr<'_>,
                blobs: RSlice<'_, RSlice<'_, u8>>,
                host: HostRef<'_>,
            ) -> RResult<RString, PluginError> {
                $crate::export::dispatch(
                    || PROVIDER.get_or_init(|| $init),
                    &RUNTIME,
                    op.as_str(),
                    context.as_str(),
                    request.as_str(),
                    blobs,
                    host,
                )
            }

            fn root_module() -> PluginModuleRef {
                PluginModule { manifest, call }.leak_into_prefix()
            }

            extern "C" fn erased_root_module() -> RootModuleResult {
                __call_root_module_loader(root_module)
            }

            /// The library header abi_stable looks up when the host loads this plugin.
            #[export_name = "_1as_0lib_1header_0root_bmodule_bloader"]
            pub static LIB_HEADER: LibHeader = unsafe {
                LibHeader::from_constructor::<PluginModuleRef>(
                    erased_root_module,
                    CheckTypeLayout::Yes,
                )
            };
        }
    };
}

/// Implements [`Provider`] for `$ty` by naming the function that serves
/// each operation, so a plugin writes no method signatures:
///
/// ```
/// use switchyard_provider_kit::api::doc::{ChatRequest, ChatResponse};
/// use switchyard_provider_kit::api::PluginError;
/// use switchyard_provider_kit::{impl_provider, Call};
///
/// async fn chat(req: &ChatRequest, _call: &Call<'_>) -> Result<ChatResponse, PluginError> {
///     Ok(ChatResponse { text: "hi".into(), model: req.model.clone(), ..Default::default() })
/// }
///
/// struct Echo;
/// impl_provider!(Echo { chat => chat });
/// ```
///
/// Each function takes the request by reference and the [`Call`]
/// (`catalog` and `check_key` take the call only); operations not named
/// stay `unsupported`.
#[macro_export]
macro_rules! impl_provider {
    ($ty:ty { $($op:ident => $f:path),* $(,)? }) => {
        impl $crate::Provider for $ty {
            $( $crate::__provider_method!($op, $f); )*
        }
    };
}

/// One method of [`impl_provider!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __provider_method {
    (catalog, $f:path) => {
        async fn catalog(
            &self,
            call: &$crate::Call<'_>,
        ) -> ::std::result::Result<$crate::api::doc::Catalog, $crate::api::PluginError> {
            $f(call).await
        }
    };
    (check_key, $f:path) => {
        async fn check_key(
            &self,
            call: &$crate::Call<'_>,
        ) -> ::std::result::Result<$crate::api::doc::KeyStatus, $crate::api::PluginError> {
            $f(call).await
        }
    };
    (chat, $f:path) => { $crate::__provider_method!(@req chat, ChatRequest, ChatResponse, $f); };
    (image, $f:path) => { $crate::__provider_method!(@req image, ImageRequest, ImageResponse, $f); };
    (speech, $f:path) => { $crate::__provider_method!(@req speech, SpeechRequest, SpeechResponse, $f); };
    (video_submit, $f:path) => { $crate::__provider_method!(@req video_submit, VideoRequest, VideoJob, $f); };
    (video_wait, $f:path) => { $crate::__provider_method!(@req video_wait, VideoJob, VideoResponse, $f); };
    (video_status, $f:path) => { $crate::__provider_method!(@req video_status, VideoJob, VideoJobState, $f); };
    (transcribe, $f:path) => { $crate::__provider_method!(@req transcribe, TranscribeRequest, TranscribeResponse, $f); };
    (embed, $f:path) => { $crate::__provider_method!(@req embed, EmbedRequest, EmbedResponse, $f); };
    (@req $name:ident, $req:ident, $resp:ident, $f:path) => {
        async fn $name(
            &self,
            req: $crate::api::doc::$req,
            call: &$crate::Call<'_>,
        ) -> ::std::result::Result<$crate::api::doc::$resp, $crate::api::PluginError> {
            $f(&req, call).await
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_internal_error_with_one_printable_line() {
        let r: RResult<(), PluginError> = guard(|| panic!("boom\u{1b}[31m\nsecond line"));
        let e = r.into_result().unwrap_err();
        assert_eq!(e.kind, ErrorKind::INTERNAL);
        assert_eq!(e.message.as_str(), "the plugin panicked: boom[31m");
    }
}

/*!
The root module: the table of entry points every plugin library exports.

It is an abi_stable prefix type. Fields up to `call` (marked
`last_prefix_field`) exist in every 2.x plugin; a field appended in a later
minor version reads as `Option` in the host, `None` when the plugin was
built against an older minor version. [`init_root_module`] is how
a host checks and loads a library's root module so that this holds (abi_stable's
own check would refuse a library older than the host).
*/

use crate::error::PluginError;
use crate::host::HostRef;
use abi_stable::abi_stability::abi_checking::exported_check_layout_compatibility;
use abi_stable::library::{LibHeader, LibraryError, RootModule};
use abi_stable::sabi_types::VersionNumber;
use abi_stable::std_types::{RBoxError, RResult, RSlice, RStr, RString};
use abi_stable::{
    declare_root_module_statics, package_version_strings, sabi_types::VersionStrings, StableAbi,
};

/// The name of the symbol holding a plugin's library header (abi_stable's
/// mangled root-module loader name). The provider kit's `export_provider!`
/// exports it.
pub const ROOT_MODULE_LOADER_SYMBOL: &str = "_1as_0lib_1header_0root_bmodule_bloader";

/// Entry points of a provider plugin.
///
/// Two functions for the whole life of major version 2: what the plugin is
/// (its manifest) and "run this operation". Requests and responses are
/// documents ([`crate::doc`]), so new fields and operations never change
/// this layout. Fields appended in a later minor version would come after
/// `call` and read as `None` from older plugins.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = PluginModuleRef)))]
#[sabi(missing_field(option))]
pub struct PluginModule {
    /// The plugin's manifest (TOML), embedded in the library when it was
    /// built: its id, version, capabilities and models, written once. The
    /// host refuses a library whose manifest contradicts the one it was
    /// installed with.
    pub manifest: extern "C" fn() -> RStr<'static>,
    /// Runs operation `op` ([`crate::ops`]) with a [`crate::doc::Context`]
    /// (JSON), the operation's request document (JSON) and the binary
    /// inputs the request refers to by index. Answers the response document
    /// (JSON) or a typed error; `unsupported` for an unknown operation.
    #[sabi(last_prefix_field)]
    pub call: extern "C" fn(
        op: RStr<'_>,
        context: RStr<'_>,
        request: RStr<'_>,
        blobs: RSlice<'_, RSlice<'_, u8>>,
        host: HostRef<'_>,
    ) -> RResult<RString, PluginError>,
}

impl RootModule for PluginModuleRef {
    declare_root_module_statics! {PluginModuleRef}
    const BASE_NAME: &'static str = "switchyard_plugin";
    const NAME: &'static str = "switchyard provider plugin";
    const VERSION_STRINGS: VersionStrings = package_version_strings!();
}

/// Checks the root module of a plugin library against this interface and
/// returns it; hosts call this instead of `LibHeader::init_root_module`.
///
/// abi_stable's own check treats the loading side as the interface and
/// requires the library's prefix type to have *at least* its fields (the
/// library may be newer, never older): a root module of an older minor
/// version with fewer fields would fail it with a field-count mismatch.
/// Our promise is the reverse direction as well: a plugin built against
/// an older minor version must load. So for a library of the same major
/// and an older minor version, the check runs the other way round (the
/// library's layout as the interface, this crate's as the implementation):
/// every field the library has must match ours, the fields it lacks are
/// read as `None` through the accessors, because abi_stable records in the
/// library's own static which fields it holds. The `Host` vtable, which the
/// host builds and the older library reads, is checked in its natural
/// direction by the same call. A library of the same or a newer minor
/// version gets abi_stable's unchanged check; another major version is
/// refused by abi_stable (and before that by the host, naming both versions).
pub fn init_root_module(header: &LibHeader) -> Result<PluginModuleRef, LibraryError> {
    let ours = VersionNumber::new(<PluginModuleRef as RootModule>::VERSION_STRINGS)?;
    let theirs = VersionNumber::new(header.version_strings())?;
    let older_minor = ours.major >= 2 && theirs.major == ours.major && theirs.minor < ours.minor;
    if !older_minor {
        return header.init_root_module::<PluginModuleRef>();
    }
    let Some(found) = header.layout() else {
        return Err(LibraryError::AbiInstability(RBoxError::from_fmt(
            &"the library was exported without its root module's type layout, so it cannot be checked",
        )));
    };
    exported_check_layout_compatibility(found, <PluginModuleRef as StableAbi>::LAYOUT)
        .into_result()
        .map_err(LibraryError::AbiInstability)?;
    // SAFETY: the layout was checked just above, in the direction that holds
    // for a root module of an older minor version (see the doc comment).
    unsafe { header.init_root_module_with_unchecked_layout::<PluginModuleRef>() }
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

//! A plugin built against plugin API 1.0.0 (`tests/abi-fixtures/old-minor`,
//! whose root module ends at `video_wait`), loaded through the host's own
//! loader: it passes the ABI check, chats, and every entry point appended
//! after 1.0 reads as absent, answered by the host as `unsupported` without
//! calling into the library. (The end-to-end side, through the binary, is
//! `tests/e2e/tests/abi_evolution.rs`.)
//!
//! `cargo xtask test` builds the fixture into the target directory first.

use std::path::PathBuf;
use std::sync::Arc;
use switchyard::call::HostCalls;
use switchyard::loader;
use switchyard::manifest::Manifest;
use switchyard_plugin_api::*;

fn profile_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let target = if target.is_absolute() {
        target
    } else {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(target)
    };
    target.join("debug")
}

fn ctx() -> CallContext {
    CallContext {
        api_key: ROption::RNone,
        base_url: "http://127.0.0.1:9/v1".into(),
        timeout_ms: 10_000,
        poll_interval_ms: 20,
        max_output_bytes: 1 << 20,
        settings_json: "{}".into(),
    }
}

#[test]
fn a_1_0_plugin_loads_chats_and_lacks_the_1_1_entry_points() {
    let lib = profile_dir().join(format!(
        "{}fixture_old_minor{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ));
    assert!(
        lib.is_file(),
        "{} is missing: `cargo xtask test` builds tests/abi-fixtures/old-minor first",
        lib.display()
    );
    let dir = std::env::temp_dir().join(format!("sy-old-minor-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("old-minor.toml");
    std::fs::write(
        &path,
        "id = \"old-minor\"\nversion = \"0.1.0\"\nplugin_api = \"^1.0\"\nlibrary = \"fixture_old_minor\"\nmodel_prefix = \"old-minor/\"\ncapabilities = [\"chat\"]\n[[models]]\nref = \"old-minor/echo\"\ncapabilities = [\"chat\"]\n",
    )
    .unwrap();
    std::fs::copy(&lib, dir.join(lib.file_name().unwrap())).unwrap();
    let manifest = Arc::new(Manifest::load(&path).unwrap());
    let plugin = loader::load(&manifest).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(plugin.description.plugin_api, "1.0.0");

    let calls = HostCalls::new("old-minor/echo");
    let req = ChatRequest {
        model: "old-minor/echo".into(),
        messages: RVec::from(vec![ChatMessage {
            role: "user".into(),
            content: "ping".into(),
        }]),
        stream: false,
        max_tokens: ROption::RNone,
        temperature: ROption::RNone,
    };
    let answer = plugin.chat(&req, &ctx(), calls.as_host()).unwrap();
    assert_eq!(
        answer.text.as_str(),
        "old minor (plugin API 1.0.0) says: ping"
    );

    assert!(!plugin.has_check_key());
    let e = plugin.check_key(&ctx(), calls.as_host()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::UNSUPPORTED, "{e}");
    assert!(e.message.contains("1.0.0"), "{e}");
    let job = VideoJob {
        id: "job".into(),
        polling_url: "/x".into(),
        status: "pending".into(),
        model: "old-minor/echo".into(),
        unsigned_urls: RVec::new(),
    };
    let e = plugin
        .video_status(&job, &ctx(), calls.as_host())
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::UNSUPPORTED, "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

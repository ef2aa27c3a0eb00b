//! An out-of-tree plugin for a provider whose API is not OpenAI's
//! (`tests/external-plugins/tinytalk`, built by `cargo xtask test`) passes
//! `switchyard plugins test --base-url` against a small TinyTalk server of
//! its own, started here: the contract suite does not need the bundled fake
//! OpenRouter.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use switchyard_e2e::{profile_dir, workspace_root, Env};

/// A TinyTalk server: `POST /v1/generate` and `POST /v1/voice`; it records
/// each request line.
fn tinytalk_server() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let log = log.clone();
            std::thread::spawn(move || serve(stream, &log));
        }
    });
    (base, seen)
}

fn serve(mut stream: std::net::TcpStream, log: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut len = 0usize;
        loop {
            let mut h = String::new();
            reader.read_line(&mut h).unwrap();
            if h.trim().is_empty() {
                break;
            }
            if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; len];
        reader.read_exact(&mut body).unwrap();
        log.lock().unwrap().push(line.trim().to_string());
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let (status, ctype, payload) = if line.starts_with("POST /v1/generate ") {
            match v["text"].as_str() {
                Some(t) => {
                    let reply =
                        serde_json::json!({"reply": format!("tiny says: {t}"), "tokens": 3});
                    (200, "application/json", reply.to_string().into_bytes())
                }
                None => (
                    400,
                    "application/json",
                    br#"{"problem":"text is required"}"#.to_vec(),
                ),
            }
        } else if line.starts_with("POST /v1/voice ") {
            let mut mp3 = b"ID3\x03\0\0\0\0\0\0".to_vec();
            for _ in 0..4 {
                let mut frame = vec![0u8; 417];
                frame[..4].copy_from_slice(&[0xFF, 0xFB, 0x90, 0x64]);
                mp3.extend_from_slice(&frame);
            }
            (200, "audio/mpeg", mp3)
        } else {
            (
                404,
                "application/json",
                br#"{"problem":"no such route"}"#.to_vec(),
            )
        };
        let head = format!(
            "HTTP/1.1 {status} X\r\ncontent-type: {ctype}\r\ncontent-length: {}\r\n\r\n",
            payload.len()
        );
        if stream.write_all(head.as_bytes()).is_err() || stream.write_all(&payload).is_err() {
            return;
        }
    }
}

#[test]
fn a_plugin_for_a_non_openai_api_passes_the_contract_suite_against_its_own_server() {
    let lib = profile_dir().join(format!(
        "{}switchyard_tinytalk{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ));
    assert!(
        lib.is_file(),
        "{} is missing: `cargo xtask test` builds tests/external-plugins/* first",
        lib.display()
    );
    let (base, seen) = tinytalk_server();
    let env = Env::new();
    let crate_dir = workspace_root().join("tests/external-plugins/tinytalk");
    let out = env.run_with_env(
        &[
            "plugins",
            "test",
            crate_dir.to_str().unwrap(),
            "--base-url",
            &base,
        ],
        &[("SWITCHYARD_LIBRARY_PATH", profile_dir().to_str().unwrap())],
    );
    out.assert_code(0);
    assert!(out.stdout.contains("0 failed, 0 skipped"), "{}", out.all());
    for what in [
        "entry point `chat`: a minimal valid request succeeds",
        "entry point `speech`: a minimal valid request succeeds",
    ] {
        assert!(
            out.stdout.contains(&format!("[ok]   {what}")),
            "{what}: {}",
            out.all()
        );
    }
    let seen = seen.lock().unwrap().clone();
    assert!(
        seen.iter().any(|l| l.starts_with("POST /v1/generate")),
        "{seen:?}"
    );
    assert!(
        seen.iter().any(|l| l.starts_with("POST /v1/voice")),
        "{seen:?}"
    );
}

#[test]
fn without_a_base_url_the_probes_are_skipped_with_the_reason_and_the_rest_runs() {
    let env = Env::new();
    let crate_dir = workspace_root().join("tests/external-plugins/tinytalk");
    let out = env.run_with_env(
        &["plugins", "test", crate_dir.to_str().unwrap()],
        &[("SWITCHYARD_LIBRARY_PATH", profile_dir().to_str().unwrap())],
    );
    out.assert_code(0);
    assert!(
        out.stdout.contains("[skip] entry point `chat`") && out.stdout.contains("needs --base-url"),
        "{}",
        out.all()
    );
    assert!(
        out.stdout
            .contains("an unknown operation answers `unsupported`"),
        "{}",
        out.all()
    );
}

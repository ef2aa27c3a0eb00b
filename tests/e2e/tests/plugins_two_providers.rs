//! Two real providers in one installation: the OpenRouter plugin and the
//! OpenAI-compatible one (`local/<model>`, base URL from
//! `models.providers.openai-compatible.baseUrl`), both against the fake
//! server, which also speaks the OpenAI-compatible image endpoint.

use fake_openrouter::{Route, Step};
use switchyard_e2e::Env;

/// The config section pointing the OpenAI-compatible plugin at the fake server.
fn local_section(env: &Env, with_key: bool) -> String {
    let key = if with_key {
        format!("apiKey = \"{}\"\n", env.server.api_key())
    } else {
        String::new()
    };
    format!(
        "[models.providers.openai-compatible]\nbaseUrl = \"{}\"\n{key}",
        env.server.base_url()
    )
}

/// An environment whose config points both providers at the fake server.
fn two_provider_env() -> Env {
    let env = Env::new();
    env.write_config(&local_section(&env, true));
    env
}

#[test]
fn plugins_list_shows_both_providers_loaded() {
    let env = two_provider_env();
    let out = env.run(&["plugins", "list"]);
    out.assert_code(0);
    for (id, prefix) in [
        ("openrouter", "openrouter/"),
        ("openai-compatible", "local/"),
    ] {
        let line = out
            .stdout
            .lines()
            .find(|l| l.starts_with(&format!("{id} ")))
            .unwrap_or_else(|| panic!("no line for {id}: {}", out.all()));
        assert!(
            line.contains("loaded") && line.contains(prefix),
            "{line}\n{}",
            out.all()
        );
    }
    let json = env.run(&["--json", "plugins", "list"]).json();
    let plugins = json["plugins"].as_array().expect("plugins array");
    let local = plugins
        .iter()
        .find(|p| p["id"] == "openai-compatible")
        .expect("openai-compatible listed");
    assert_eq!(local["status"], "loaded", "{local}");
    assert_eq!(
        local["capabilities"],
        serde_json::json!(["chat", "image", "speech", "transcribe", "embed"])
    );
}

#[test]
fn a_chat_through_each_provider_answers_in_the_same_installation() {
    let env = two_provider_env();
    let local = env.run(&["chat", "--model", "local/llama3.2", "hi local"]);
    local.assert_code(0);
    assert!(
        local
            .stdout
            .contains("Hello from llama3.2. You said: hi local"),
        "{}",
        local.all()
    );
    let remote = env.run(&[
        "chat",
        "--model",
        "openrouter/openai/gpt-4o-mini",
        "hi remote",
    ]);
    remote.assert_code(0);
    assert!(
        remote
            .stdout
            .contains("Hello from openai/gpt-4o-mini. You said: hi remote"),
        "{}",
        remote.all()
    );
    // `local/` is stripped; the key goes along as a Bearer token.
    assert_eq!(env.chat_models(), vec!["llama3.2", "openai/gpt-4o-mini"]);
    let first = &env.chat_requests()[0];
    assert_eq!(
        first.header("authorization"),
        Some(format!("Bearer {}", env.server.api_key()).as_str())
    );
}

#[test]
fn a_model_the_manifest_does_not_list_still_works_with_a_note() {
    let env = two_provider_env();
    let out = env.run(&["chat", "--model", "local/Qwen/Qwen2.5-7B-Instruct", "hi"]);
    out.assert_code(0);
    assert!(
        out.stdout
            .contains("Hello from Qwen/Qwen2.5-7B-Instruct. You said: hi"),
        "{}",
        out.all()
    );
    assert!(out.stderr.contains("not listed"), "{}", out.all());
}

#[test]
fn a_streamed_local_chat_arrives_whole_and_asks_for_usage() {
    let env = two_provider_env();
    let out = env.run(&["chat", "--stream", "--model", "local/qwen2.5", "stream me"]);
    out.assert_code(0);
    assert!(
        out.stdout
            .contains("Hello from qwen2.5. You said: stream me"),
        "{}",
        out.all()
    );
    let body = env.chat_requests()[0].json().expect("json body");
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"]["include_usage"], true);
}

#[test]
fn a_local_image_is_decoded_from_b64_json_into_the_output_file() {
    let env = two_provider_env();
    let png = switchyard_e2e::tagged_png("local");
    env.server
        .script(Route::Images, [Step::Images(vec![png.clone()])]);
    let out = env.run(&[
        "image",
        "--model",
        "local/gpt-image-1",
        "--aspect-ratio",
        "3:2",
        "--out",
        "boat.png",
        "a boat",
    ]);
    out.assert_code(0);
    assert_eq!(std::fs::read(env.work_file("boat.png")).unwrap(), png);
    let reqs = env.server.requests_to("/api/v1/images/generations");
    assert_eq!(reqs.len(), 1);
    let body = reqs[0].json().expect("json body");
    assert_eq!(body["model"], "gpt-image-1");
    assert_eq!(body["response_format"], "b64_json");
    assert_eq!(body["size"], "1536x1024");
}

#[test]
fn a_local_image_count_and_quality_are_sent_and_a_seed_is_refused_before_sending() {
    let env = two_provider_env();
    let (a, b) = (
        switchyard_e2e::tagged_png("first"),
        switchyard_e2e::tagged_png("second"),
    );
    env.server
        .script(Route::Images, [Step::Images(vec![a.clone(), b.clone()])]);
    let out = env.run(&[
        "image",
        "--model",
        "local/gpt-image-1",
        "--count",
        "2",
        "--quality",
        "high",
        "--out",
        "boat.png",
        "a boat",
    ]);
    out.assert_code(0);
    assert_eq!(std::fs::read(env.work_file("boat.png")).unwrap(), a);
    assert_eq!(std::fs::read(env.work_file("boat-2.png")).unwrap(), b);
    let reqs = env.server.requests_to("/api/v1/images/generations");
    let body = reqs[0].json().expect("json body");
    assert_eq!(
        (body["n"].clone(), body["quality"].clone()),
        (2.into(), "high".into())
    );

    let out = env.run(&[
        "image",
        "--model",
        "local/gpt-image-1",
        "--seed",
        "7",
        "--out",
        "seeded.png",
        "a boat",
    ]);
    out.assert_code(2);
    assert!(out.stderr.contains("seed"), "{}", out.all());
    assert_eq!(
        env.server.requests_to("/api/v1/images/generations").len(),
        1,
        "nothing more was sent"
    );
    assert!(!env.work_file("seeded.png").exists());
}

#[test]
fn local_speech_is_streamed_into_the_output_file() {
    let env = two_provider_env();
    let out = env.run(&[
        "speak",
        "--model",
        "local/tts-1",
        "--out",
        "hello.mp3",
        "Hello there",
    ]);
    out.assert_code(0);
    assert_eq!(
        std::fs::read(env.work_file("hello.mp3")).unwrap(),
        fake_openrouter::sample_mp3()
    );
    let reqs = env.server.requests_to("/api/v1/audio/speech");
    assert_eq!(reqs[0].json().expect("json")["model"], "tts-1");
}

#[test]
fn without_a_key_the_servers_refusal_is_an_auth_error_naming_where_keys_go() {
    let env = Env::new();
    env.write_config(&local_section(&env, false));
    let out = env.run(&["chat", "--model", "local/llama3.2", "hi"]);
    out.assert_code(3);
    assert!(
        out.stderr.contains("401") && out.stderr.contains("OPENAI_COMPATIBLE_API_KEY"),
        "{}",
        out.all()
    );
    // The request was sent without an Authorization header.
    assert_eq!(env.chat_requests()[0].header("authorization"), None);
}

#[test]
fn an_unknown_local_model_is_model_unavailable_and_the_chain_falls_over() {
    let env = two_provider_env();
    env.server.script_model(
        "nope",
        [Step::ErrorBody {
            code: 404,
            body: r#"{"error":{"message":"model \"nope\" not found, try pulling it first","type":"api_error","param":null,"code":null}}"#.into(),
            retry_after: None,
        }],
    );
    let out = env.run(&["chat", "--model", "local/nope", "hi"]);
    out.assert_code(4);
    assert!(
        out.stderr.contains("try pulling it first") && out.stderr.contains("local/<"),
        "{}",
        out.all()
    );
    // Failover is decided on the kind: an unavailable model moves to the next one.
    env.server.script_model(
        "nope",
        [Step::ErrorBody {
            code: 404,
            body: r#"{"error":{"message":"model \"nope\" not found","type":"api_error"}}"#.into(),
            retry_after: None,
        }],
    );
    let out = env.run(&[
        "chat",
        "--model",
        "local/nope",
        "--fallback",
        "openrouter/openai/gpt-4o-mini",
        "hi",
    ]);
    out.assert_code(0);
    assert!(
        out.stdout.contains("Hello from openai/gpt-4o-mini"),
        "{}",
        out.all()
    );
}

#[test]
fn a_server_that_is_not_running_is_a_network_error_naming_the_setting() {
    let env = Env::new();
    env.write_config("[models.providers.openai-compatible]\nbaseUrl = \"http://127.0.0.1:9/v1\"\n");
    let out = env.run(&["chat", "--model", "local/llama3.2", "hi"]);
    out.assert_code(6);
    assert!(
        out.all()
            .contains("models.providers.openai-compatible.baseUrl"),
        "{}",
        out.all()
    );
}

/// Starts `args`, presses Ctrl-C after 700 ms, and returns the exit code
/// once the process ends (failing if that takes more than 5 s).
fn interrupted(env: &Env, args: &[&str]) -> Option<i32> {
    let mut cmd = env.cmd(args);
    cmd.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().expect("spawn switchyard");
    std::thread::sleep(std::time::Duration::from_millis(700));
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success());
    let start = std::time::Instant::now();
    loop {
        if let Some(s) = child.try_wait().expect("wait") {
            return s.code();
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(5),
            "the call did not end within 5 s of Ctrl-C"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn ctrl_c_ends_a_local_call_that_the_server_keeps_waiting() {
    let env = two_provider_env();
    env.server.script(
        Route::Chat,
        [Step::Delay(std::time::Duration::from_secs(30))],
    );
    assert_eq!(
        interrupted(&env, &["chat", "--model", "local/llama3.2", "hi"]),
        Some(130)
    );
}

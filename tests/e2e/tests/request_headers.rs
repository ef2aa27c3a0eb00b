//! Headers on the wire: the key as `Authorization: Bearer <key>`, and no
//! app-attribution headers toward a custom base URL (only the real API gets
//! `HTTP-Referer`, `X-OpenRouter-Title`, `X-OpenRouter-Categories`).

use fake_openrouter::{sample_png, RecordedRequest, TEST_API_KEY};
use switchyard_e2e::Env;

const ATTRIBUTION: [&str; 4] = [
    "http-referer",
    "x-openrouter-title",
    "x-openrouter-categories",
    "x-title",
];

/// Runs chat, streamed chat, image, speech and video against one server.
fn env_after_every_capability() -> Env {
    let env = Env::new();
    env.write_config("[agents.defaults.videoGenerationModel]\npollIntervalMs = 20\n");
    std::fs::write(env.work_file("first.png"), sample_png()).expect("write first.png");
    env.run(&["chat", "hi"]).assert_code(0);
    env.run(&["chat", "--stream", "hi"]).assert_code(0);
    env.run(&["image", "--out", "i.png", "a cat"])
        .assert_code(0);
    env.run(&["speak", "--out", "s.mp3", "hello"])
        .assert_code(0);
    env.run(&[
        "video",
        "--first-frame",
        "first.png",
        "--out",
        "v.mp4",
        "a cat",
    ])
    .assert_code(0);
    env
}

fn describe(r: &RecordedRequest) -> String {
    format!("{} {} {:?}", r.method, r.path, r.headers)
}

#[test]
fn attribution_headers_are_not_sent_to_a_custom_base_url() {
    let env = env_after_every_capability();
    let reqs = env.server.requests();
    for path in [
        "/api/v1/chat/completions",
        "/api/v1/audio/speech",
        "/api/v1/videos",
    ] {
        assert!(
            reqs.iter().any(|r| r.path_only() == path),
            "no request to {path}"
        );
    }
    for r in &reqs {
        for h in ATTRIBUTION {
            assert!(r.header(h).is_none(), "{h} sent: {}", describe(r));
        }
    }
}

#[test]
fn every_api_request_carries_the_bearer_key() {
    let env = env_after_every_capability();
    let reqs = env.server.requests();
    assert!(reqs.len() >= 6, "{} requests", reqs.len());
    let expected = format!("Bearer {TEST_API_KEY}");
    for r in &reqs {
        assert_eq!(
            r.header("authorization"),
            Some(expected.as_str()),
            "{}",
            describe(r)
        );
    }
}

#[test]
fn key_is_not_sent_to_a_foreign_image_host() {
    let env = Env::new();
    let cdn = fake_openrouter::FakeServer::start().expect("start image host");
    cdn.add_file(
        "/img/cat.png",
        fake_openrouter::ServedFile::bytes("image/png", sample_png()),
    );
    env.server.script(
        fake_openrouter::Route::Chat,
        [fake_openrouter::Step::ImageUrls(vec![format!(
            "{}/img/cat.png",
            cdn.origin()
        )])],
    );
    env.run(&["image", "--out", "cat.png", "a cat"])
        .assert_code(0);
    let got = cdn.requests();
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].header("authorization").is_none(),
        "{}",
        describe(&got[0])
    );
    assert_eq!(
        std::fs::read(env.work_file("cat.png")).expect("cat.png"),
        sample_png()
    );
}

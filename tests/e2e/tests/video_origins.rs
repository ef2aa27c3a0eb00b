//! Where the API key goes: a foreign `polling_url` is never followed, and a
//! download URL on another origin is fetched without credentials.

use fake_openrouter::{generated_bytes, FakeServer, ServedFile, VideoJobSpec, VideoUrlStyle};
use switchyard_e2e::video::{content_gets, fast_env, job_id, polls, temp_files};

#[test]
fn foreign_polling_url_is_never_contacted_and_the_api_is_polled_instead() {
    let foreign = FakeServer::start().expect("foreign server");
    let env = fast_env();
    env.server.set_video_job(VideoJobSpec {
        polling_url_override: Some(format!("{}/api/v1/videos/stolen-job", foreign.origin())),
        ..VideoJobSpec::default()
    });
    let out = env.run(&["video", "a fox"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        foreign.requests().is_empty(),
        "the foreign origin was contacted: {:?}",
        foreign.requests()
    );
    let id = job_id(&env.server).expect("job id");
    assert_eq!(
        polls(&env.server, &id),
        3,
        "the API's /videos/{{id}} is polled"
    );
    assert!(
        out.stderr.contains("not on the API's origin"),
        "a notice says why: {}",
        out.stderr
    );
    assert!(!out.all().contains(&env.server.api_key()));
}

#[test]
fn foreign_polling_url_with_other_scheme_is_not_followed() {
    let env = fast_env();
    env.server.set_video_job(VideoJobSpec {
        polling_url_override: Some("ftp://example.invalid/videos/x".into()),
        ..VideoJobSpec::default()
    });
    let out = env.run(&["video", "a fox"]);
    assert_eq!(out.code, 0, "{out:?}");
    let id = job_id(&env.server).expect("job id");
    assert_eq!(polls(&env.server, &id), 3);
}

#[test]
fn foreign_download_url_is_fetched_without_the_api_key() {
    let cdn = FakeServer::start().expect("cdn server");
    cdn.add_file("/cdn/v.mp4", ServedFile::generated_mp4(400_000, 42));
    let env = fast_env();
    env.server.set_video_job(VideoJobSpec {
        url_style: VideoUrlStyle::Foreign(format!("{}/cdn/v.mp4", cdn.origin())),
        ..VideoJobSpec::default()
    });
    let out = env.run(&["video", "a fox"]);
    assert_eq!(out.code, 0, "{out:?}");
    let got = cdn.requests();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].path, "/cdn/v.mp4");
    assert_eq!(
        got[0].header("authorization"),
        None,
        "the key was sent to a foreign origin"
    );
    assert!(
        got.iter().all(|r| r
            .headers
            .iter()
            .all(|(_, v)| !v.contains(&env.server.api_key()))),
        "the key appears in a header sent to the foreign origin"
    );
    let id = job_id(&env.server).expect("job id");
    assert_eq!(
        content_gets(&env.server, &id),
        0,
        "the content endpoint was not needed"
    );
    let name = format!("video-{id}.mp4");
    assert_eq!(env.work_files(), vec![name.clone()]);
    assert!(std::fs::read(env.work().join(name)).unwrap() == generated_bytes(400_000, 42));
}

#[test]
fn failing_foreign_download_falls_back_to_the_content_endpoint() {
    let cdn = FakeServer::start().expect("cdn server");
    // Nothing registered at /cdn/missing.mp4: the CDN answers 404.
    let env = fast_env();
    env.server.set_video_job(VideoJobSpec {
        url_style: VideoUrlStyle::Foreign(format!("{}/cdn/missing.mp4", cdn.origin())),
        video: ServedFile::generated_mp4(80_000, 9),
        ..VideoJobSpec::default()
    });
    let out = env.run(&["video", "a fox"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(cdn
        .requests()
        .iter()
        .all(|r| r.header("authorization").is_none()));
    let id = job_id(&env.server).expect("job id");
    assert_eq!(content_gets(&env.server, &id), 1);
    assert!(
        std::fs::read(env.work().join(format!("video-{id}.mp4"))).unwrap()
            == generated_bytes(80_000, 9)
    );
    assert!(temp_files(&env.work()).is_empty());
}

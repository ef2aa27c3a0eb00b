//! Downloading a finished video: truncation, non-video 200 answers and the
//! size cap leave no output and no temporary file; one bad attempt followed
//! by a good one ends byte-exact.

use fake_openrouter::{
    generated_bytes, sample_mp4, FakeServer, Route, ServedFile, Step, VideoJobSpec, VideoUrlStyle,
};
use switchyard_e2e::video::{content_gets, fast_env, job_id, submits, FAST_POLLS};
use switchyard_e2e::Env;

/// A job whose only download route is the content endpoint.
fn content_only(env: &Env, video: ServedFile) {
    env.server.set_video_job(VideoJobSpec {
        url_style: VideoUrlStyle::Omitted,
        video,
        ..VideoJobSpec::default()
    });
}

fn body_200(content_type: &str, body: &str) -> Step {
    Step::Malformed {
        status: 200,
        content_type: content_type.into(),
        body: body.into(),
    }
}

/// The command failed, left nothing in the work dir, and the job is resumable.
fn assert_nothing_written(env: &Env, out: &switchyard_e2e::Output) -> String {
    assert_ne!(out.code, 0, "{out:?}");
    assert!(
        env.work_files().is_empty(),
        "no output and no temp file: {:?}",
        env.work_files()
    );
    let id = job_id(&env.server).expect("job id");
    assert!(
        out.stderr
            .contains(&format!("switchyard video resume {id}")),
        "{}",
        out.stderr
    );
    id
}

#[test]
fn truncated_download_every_attempt_fails_and_leaves_no_file() {
    let env = fast_env();
    content_only(&env, ServedFile::generated_mp4(600_000, 1));
    env.server.script(
        Route::VideoContent,
        std::iter::repeat_n(Step::DropAfter(300_000), 10),
    );
    let out = env.run(&["video", "a fox"]);
    let id = assert_nothing_written(&env, &out);
    assert_eq!(out.code, 6, "{out:?}");
    assert!(
        content_gets(&env.server, &id) >= 2,
        "the download was retried"
    );
}

#[test]
fn short_content_length_every_attempt_fails_and_leaves_no_file() {
    let env = fast_env();
    content_only(&env, ServedFile::generated_mp4(100_000, 2));
    env.server.script(
        Route::VideoContent,
        std::iter::repeat_n(Step::ShortContentLength(1000), 10),
    );
    let out = env.run(&["video", "a fox"]);
    assert_nothing_written(&env, &out);
    assert_eq!(out.code, 6, "{out:?}");
    assert!(
        out.stderr.contains("truncated") || out.stderr.contains("dropped"),
        "says the download was cut short: {}",
        out.stderr
    );
}

#[test]
fn truncated_download_with_unsigned_url_fails_and_leaves_no_file() {
    let env = fast_env();
    env.server.set_video_job(VideoJobSpec {
        video: ServedFile::generated_mp4(100_000, 2),
        ..VideoJobSpec::default()
    });
    env.server.script(
        Route::VideoContent,
        std::iter::repeat_n(Step::DropAfter(50_000), 10),
    );
    let out = env.run(&["video", "a fox"]);
    assert_nothing_written(&env, &out);
    assert_eq!(out.code, 6, "{out:?}");
}

#[test]
fn single_truncation_then_good_answer_is_byte_exact() {
    let env = fast_env();
    content_only(&env, ServedFile::generated_mp4(2 * 1024 * 1024, 3));
    env.server
        .script(Route::VideoContent, [Step::DropAfter(1_000_000)]);
    let out = env.run(&["video", "a fox"]);
    assert_eq!(out.code, 0, "{out:?}");
    let id = job_id(&env.server).expect("job id");
    // Index 0 twice (truncated, then whole), then one probe of index 1,
    // which this job does not have (404): the job lists no URLs.
    assert_eq!(content_gets(&env.server, &id), 3);
    let name = format!("video-{id}.mp4");
    assert_eq!(env.work_files(), vec![name.clone()]);
    assert!(std::fs::read(env.work().join(name)).unwrap() == generated_bytes(2 * 1024 * 1024, 3));
}

#[test]
fn a_job_with_two_outputs_and_no_unsigned_urls_writes_both_files() {
    let env = fast_env();
    env.server.set_video_job(VideoJobSpec {
        url_style: VideoUrlStyle::Omitted,
        video: ServedFile::generated_mp4(50_000, 7),
        videos: 2,
        ..VideoJobSpec::default()
    });
    let out = env.run(&["video", "two foxes"]);
    assert_eq!(out.code, 0, "{out:?}");
    let id = job_id(&env.server).expect("job id");
    let (first, second) = (format!("video-{id}.mp4"), format!("video-{id}-2.mp4"));
    let mut want = vec![first.clone(), second.clone()];
    want.sort();
    assert_eq!(env.work_files(), want);
    for name in [first, second] {
        assert!(
            std::fs::read(env.work().join(&name)).unwrap() == generated_bytes(50_000, 7),
            "{name} is not the served video"
        );
    }
    // Indices 0 and 1, then the probe of index 2 that ends the list.
    assert_eq!(content_gets(&env.server, &id), 3);
}

#[test]
fn single_short_content_length_then_good_answer_is_byte_exact() {
    let env = fast_env();
    content_only(&env, ServedFile::generated_mp4(300_000, 4));
    env.server
        .script(Route::VideoContent, [Step::ShortContentLength(10)]);
    let out = env.run(&["video", "a fox"]);
    assert_eq!(out.code, 0, "{out:?}");
    let id = job_id(&env.server).expect("job id");
    let name = format!("video-{id}.mp4");
    assert_eq!(env.work_files(), vec![name.clone()]);
    assert!(std::fs::read(env.work().join(name)).unwrap() == generated_bytes(300_000, 4));
}

#[test]
fn restart_after_a_longer_partial_download_leaves_no_trailing_bytes() {
    // The CDN copy is bigger than the content endpoint's and is cut off every
    // time; the fallback's shorter video must not keep bytes of the partial one.
    let cdn = FakeServer::start().expect("cdn server");
    cdn.add_file("/cdn/v.mp4", ServedFile::generated_mp4(3 * 1024 * 1024, 5));
    cdn.script(
        Route::File,
        std::iter::repeat_n(Step::DropAfter(1_500_000), 10),
    );
    let env = fast_env();
    env.server.set_video_job(VideoJobSpec {
        url_style: VideoUrlStyle::Foreign(format!("{}/cdn/v.mp4", cdn.origin())),
        ..VideoJobSpec::default()
    });
    let out = env.run(&["video", "a fox"]);
    assert_eq!(out.code, 0, "{out:?}");
    let id = job_id(&env.server).expect("job id");
    assert_eq!(
        content_gets(&env.server, &id),
        1,
        "fell back to the content endpoint"
    );
    let name = format!("video-{id}.mp4");
    assert_eq!(env.work_files(), vec![name.clone()]);
    let got = std::fs::read(env.work().join(name)).unwrap();
    assert_eq!(
        got.len(),
        sample_mp4().len(),
        "the file is exactly the content endpoint's video"
    );
    assert!(got == sample_mp4());
}

fn refused_200(content_type: &str, body: &str, says: &[&str]) {
    let env = fast_env();
    content_only(&env, ServedFile::bytes("video/mp4", sample_mp4()));
    env.server.script(
        Route::VideoContent,
        std::iter::repeat_n(body_200(content_type, body), 10),
    );
    let out = env.run(&["video", "a fox"]);
    assert_nothing_written(&env, &out);
    assert_eq!(out.code, 6, "{out:?}");
    assert!(
        says.iter().any(|s| out.stderr.contains(s)),
        "says it is not a video ({says:?}): {}",
        out.stderr
    );
}

#[test]
fn html_200_download_is_refused_with_exit_6() {
    refused_200(
        "text/html",
        "<html><body><h1>502 Bad Gateway</h1></body></html>",
        &["not a video"],
    );
}

#[test]
fn json_200_download_is_refused_with_exit_6() {
    refused_200(
        "application/json",
        "{\"status\": \"ok\", \"data\": []}",
        &["not a video"],
    );
}

#[test]
fn empty_200_download_is_refused_with_exit_6() {
    refused_200("video/mp4", "", &["not a video"]);
}

#[test]
fn html_body_labelled_video_mp4_is_refused_with_exit_6() {
    refused_200(
        "video/mp4",
        "<!DOCTYPE html><html><body>Access denied</body></html>",
        &["not a video"],
    );
}

#[test]
fn one_html_answer_then_the_video_recovers() {
    let env = fast_env();
    content_only(&env, ServedFile::bytes("video/mp4", sample_mp4()));
    env.server.script(
        Route::VideoContent,
        [body_200("text/html", "<html>busy</html>")],
    );
    let out = env.run(&["video", "a fox"]);
    assert_eq!(out.code, 0, "{out:?}");
    let id = job_id(&env.server).expect("job id");
    assert_eq!(
        std::fs::read(env.work().join(format!("video-{id}.mp4"))).unwrap(),
        sample_mp4()
    );
}

#[test]
fn video_over_the_size_cap_is_refused_and_leaves_no_file() {
    let env = fast_env();
    env.write_config(&format!(
        "{FAST_POLLS}\n[agents.defaults]\nmediaMaxMb = 1\n"
    ));
    content_only(&env, ServedFile::generated_mp4(2 * 1024 * 1024, 6));
    let out = env.run(&["video", "a fox"]);
    assert_nothing_written(&env, &out);
    assert!(
        out.stderr.contains("mediaMaxMb"),
        "names the setting: {}",
        out.stderr
    );
    let id = job_id(&env.server).expect("job id");
    assert_eq!(
        content_gets(&env.server, &id),
        1,
        "an over-cap download is not retried"
    );
    assert_eq!(submits(&env.server), 1);
}

#[test]
fn foreign_video_over_the_size_cap_is_refused_without_fallback() {
    let env = fast_env();
    env.write_config(&format!(
        "{FAST_POLLS}\n[agents.defaults]\nmediaMaxMb = 1\n"
    ));
    let cdn = FakeServer::start().expect("cdn server");
    cdn.add_file("/cdn/v.mp4", ServedFile::generated_mp4(2 * 1024 * 1024, 8));
    env.server.set_video_job(VideoJobSpec {
        url_style: VideoUrlStyle::Foreign(format!("{}/cdn/v.mp4", cdn.origin())),
        video: ServedFile::generated_mp4(2 * 1024 * 1024, 8),
        ..VideoJobSpec::default()
    });
    let out = env.run(&["video", "a fox"]);
    let id = assert_nothing_written(&env, &out);
    assert!(out.stderr.contains("mediaMaxMb"), "{}", out.stderr);
    assert_eq!(
        cdn.requests().len(),
        1,
        "an over-cap download is not retried"
    );
    assert_eq!(
        content_gets(&env.server, &id),
        0,
        "nor fetched again from the content endpoint"
    );
}

#[test]
fn resume_after_a_failed_download_fetches_it_byte_exact() {
    let env = fast_env();
    content_only(&env, ServedFile::generated_mp4(500_000, 12));
    env.server.script(
        Route::VideoContent,
        std::iter::repeat_n(Step::DropAfter(1000), 3),
    );
    let out = env.run(&["video", "a fox"]);
    let id = assert_nothing_written(&env, &out);
    let again = env.run(&["video", "resume", &id]);
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!(submits(&env.server), 1, "resume never submits again");
    let name = format!("video-{id}.mp4");
    assert_eq!(env.work_files(), vec![name.clone()]);
    assert!(std::fs::read(env.work().join(name)).unwrap() == generated_bytes(500_000, 12));
}

#[test]
fn failure_on_the_second_video_leaves_neither_file() {
    let env = fast_env();
    env.server.set_video_job(VideoJobSpec {
        videos: 2,
        ..VideoJobSpec::default()
    });
    let mut steps = vec![Step::Delay(std::time::Duration::ZERO)];
    steps.extend(std::iter::repeat_n(Step::DropAfter(1000), 10));
    env.server.script(Route::VideoContent, steps);
    let out = env.run(&["video", "two takes"]);
    let id = assert_nothing_written(&env, &out);
    assert!(env
        .server
        .requests_to(&format!("/api/v1/videos/{id}/content"))
        .iter()
        .any(|r| r.path.ends_with("index=1")));
}

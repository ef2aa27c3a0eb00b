//! Polling a video job: transient failures recover, malformed answers are
//! tolerated a few times, and terminal failures end the job with OpenRouter's
//! own error text (exit 4) while the journal keeps the outcome.

use fake_openrouter::{sample_mp4, Route, Step, VideoJobSpec, VideoOutcome};
use switchyard_e2e::video::{fast_env, job_id, polls, submits, temp_files};
use switchyard_e2e::Env;

fn status(code: u16, retry_after: Option<u32>) -> Step {
    Step::Status {
        code,
        retry_after,
        message: None,
    }
}

fn not_json() -> Step {
    Step::Malformed {
        status: 200,
        content_type: "application/json".into(),
        body: "{\"id\": \"job-1\", \"status\": ".into(),
    }
}

/// The output exists, holds the sample video, and nothing else is in the work dir.
fn assert_downloaded(env: &Env) -> String {
    let id = job_id(&env.server).expect("job id");
    let name = format!("video-{id}.mp4");
    assert_eq!(env.work_files(), vec![name.clone()]);
    assert_eq!(std::fs::read(env.work().join(name)).unwrap(), sample_mp4());
    id
}

/// `video status JOB --json`: the journal record.
fn journal(env: &Env, id: &str) -> serde_json::Value {
    let out = env.run(&["--json", "video", "status", id]);
    assert_eq!(out.code, 0, "{out:?}");
    out.json()["job"].clone()
}

#[test]
fn poll_429_with_retry_after_recovers() {
    let env = fast_env();
    env.server.script(Route::VideoPoll, [status(429, Some(1))]);
    let started = std::time::Instant::now();
    let out = env.run(&["video", "a fox"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(900),
        "Retry-After: 1 was honoured"
    );
    let id = assert_downloaded(&env);
    assert_eq!(
        polls(&env.server, &id),
        4,
        "one 429, then pending, in_progress, completed"
    );
    assert_eq!(submits(&env.server), 1);
}

#[test]
fn poll_repeated_503_recovers() {
    let env = fast_env();
    env.server.script(
        Route::VideoPoll,
        [status(503, None), status(503, None), status(503, None)],
    );
    let out = env.run(&["video", "a fox"]);
    assert_eq!(out.code, 0, "{out:?}");
    let id = assert_downloaded(&env);
    assert_eq!(polls(&env.server, &id), 6);
    assert_eq!(submits(&env.server), 1, "a poll failure never re-submits");
}

#[test]
fn poll_500_and_502_mixed_recover() {
    let env = fast_env();
    env.server
        .script(Route::VideoPoll, [status(500, None), status(502, None)]);
    let out = env.run(&["video", "a fox"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_downloaded(&env);
}

#[test]
fn poll_dropped_connection_recovers() {
    let env = fast_env();
    env.server.script(Route::VideoPoll, [Step::DropAfter(5)]);
    let out = env.run(&["video", "a fox"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_downloaded(&env);
}

#[test]
fn poll_malformed_body_a_few_times_recovers() {
    let env = fast_env();
    env.server
        .script(Route::VideoPoll, [not_json(), not_json(), not_json()]);
    let out = env.run(&["video", "a fox"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_downloaded(&env);
}

#[test]
fn poll_unknown_status_a_few_times_recovers() {
    let env = fast_env();
    let queued = Step::Malformed {
        status: 200,
        content_type: "application/json".into(),
        body: "{\"id\": \"x\", \"polling_url\": \"/api/v1/videos/x\", \"status\": \"queued\"}"
            .into(),
    };
    env.server
        .script(Route::VideoPoll, [queued.clone(), queued]);
    let out = env.run(&["video", "a fox"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_downloaded(&env);
}

#[test]
fn poll_malformed_body_too_often_exits_6_and_keeps_the_job() {
    let env = fast_env();
    env.server
        .script(Route::VideoPoll, std::iter::repeat_n(not_json(), 12));
    let out = env.run(&["--json", "video", "a fox"]);
    assert_eq!(out.code, 6, "{out:?}");
    assert!(
        out.stderr.contains("malformed"),
        "a clear message: {}",
        out.stderr
    );
    let id = job_id(&env.server).expect("job id");
    assert_eq!(out.json()["error"]["job_id"], id.as_str());
    assert!(
        out.stderr
            .contains(&format!("switchyard video resume {id}")),
        "{}",
        out.stderr
    );
    assert!(env.work_files().is_empty(), "{:?}", env.work_files());
    let rec = journal(&env, &id);
    assert_eq!(rec["id"], id.as_str());
    assert!(!rec["polling_url"].as_str().unwrap_or("").is_empty());
    let jobs = env.run(&["video", "jobs"]);
    assert!(jobs.stdout.starts_with(&id), "{}", jobs.stdout);
}

#[test]
fn poll_persistent_503_exits_6_and_keeps_the_job() {
    let env = fast_env();
    env.write_config("[agents.defaults.videoGenerationModel]\npollIntervalMs = 10\n");
    env.server
        .script(Route::VideoPoll, std::iter::repeat_n(status(503, None), 20));
    let out = env.run(&["video", "a fox"]);
    assert_eq!(out.code, 6, "{out:?}");
    let id = job_id(&env.server).expect("job id");
    assert!(out.stderr.contains(&id), "{}", out.stderr);
    assert_eq!(journal(&env, &id)["id"], id.as_str());
    assert!(env.work_files().is_empty());
}

fn terminal(outcome: VideoOutcome, word: &str, text: &str) {
    let env = fast_env();
    env.server.set_video_job(VideoJobSpec {
        outcome,
        ..VideoJobSpec::default()
    });
    let out = env.run(&["--json", "video", "a fox"]);
    assert_eq!(out.code, 4, "{out:?}");
    assert!(
        out.stderr.contains(text),
        "OpenRouter's error verbatim: {}",
        out.stderr
    );
    assert!(out.stderr.contains(word), "{}", out.stderr);
    let id = job_id(&env.server).expect("job id");
    let err = &out.json()["error"];
    assert_eq!(err["job_id"], id.as_str());
    assert!(err["message"].as_str().unwrap_or("").contains(text));
    assert!(env.work_files().is_empty(), "{:?}", env.work_files());
    assert!(temp_files(&env.work()).is_empty());
    let rec = journal(&env, &id);
    assert_eq!(rec["status"], word, "{rec}");
    assert!(rec["error"].as_str().unwrap_or("").contains(text), "{rec}");
    let before = env.server.requests().len();
    let resume = env.run(&["video", "resume", &id]);
    assert_ne!(
        resume.code, 0,
        "a {word} job cannot be downloaded: {resume:?}"
    );
    assert_eq!(submits(&env.server), 1, "resume never submits again");
    assert!(env.server.requests().len() >= before);
}

#[test]
fn failed_job_exits_4_with_the_error_verbatim() {
    terminal(
        VideoOutcome::Failed("Content policy violation: the prompt was rejected".into()),
        "failed",
        "Content policy violation: the prompt was rejected",
    );
}

#[test]
fn cancelled_job_exits_4_with_the_error_verbatim() {
    terminal(
        VideoOutcome::Cancelled("Job was cancelled".into()),
        "cancelled",
        "Job was cancelled",
    );
}

#[test]
fn expired_job_exits_4_with_the_error_verbatim() {
    terminal(
        VideoOutcome::Expired("Job exceeded maximum time to live".into()),
        "expired",
        "Job exceeded maximum time to live",
    );
}

#[test]
fn poll_404_for_the_job_exits_4() {
    let env = fast_env();
    env.server.script(
        Route::VideoPoll,
        [Step::Status {
            code: 404,
            retry_after: None,
            message: Some("Video generation job not found".into()),
        }],
    );
    let out = env.run(&["video", "a fox"]);
    assert_eq!(out.code, 4, "{out:?}");
    assert!(out.stderr.contains("not found"), "{}", out.stderr);
    assert!(env.work_files().is_empty());
}

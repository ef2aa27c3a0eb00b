//! A paid video job is never lost: timeouts and crashes leave it in the
//! journal, `video jobs` lists it, `video status` shows it, and
//! `video resume` finishes it without submitting again.

use fake_openrouter::{generated_bytes, sample_mp4, Route, ServedFile, Step, VideoJobSpec};
use std::process::Stdio;
use std::time::Duration;
use switchyard_e2e::video::{
    content_gets, fast_env, job_id, polls, submits, temp_files, wait_until, FAST_POLLS,
};
use switchyard_e2e::Env;

fn slow_job(env: &Env, in_progress_polls: u32, video: ServedFile) {
    env.server.set_video_job(VideoJobSpec {
        pending_polls: 1,
        in_progress_polls,
        video,
        ..VideoJobSpec::default()
    });
}

/// Starts `video a fox` with slow polling and SIGKILLs it after its first poll.
fn killed_mid_poll(env: &Env) -> String {
    env.write_config("[agents.defaults.videoGenerationModel]\npollIntervalMs = 400\n");
    let mut child = env
        .cmd(&["video", "a fox"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn switchyard");
    let polled = wait_until(Duration::from_secs(10), || {
        job_id(&env.server).is_some_and(|id| polls(&env.server, &id) >= 1)
    });
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    assert!(polled, "the job was never polled");
    env.write_config(FAST_POLLS);
    job_id(&env.server).expect("job id")
}

#[test]
fn overall_timeout_exits_5_with_the_job_id_and_resume_finishes_it() {
    let env = fast_env();
    slow_job(&env, 7, ServedFile::generated_mp4(250_000, 21));
    let out = env.run(&["--json", "video", "--timeout", "300ms", "a fox"]);
    assert_eq!(out.code, 5, "{out:?}");
    let id = job_id(&env.server).expect("job id");
    assert_eq!(out.json()["error"]["job_id"], id.as_str());
    assert!(
        out.stderr
            .contains(&format!("switchyard video resume {id}")),
        "{}",
        out.stderr
    );
    assert!(env.work_files().is_empty(), "{:?}", env.work_files());
    let first_polls = polls(&env.server, &id);
    assert!(
        (1..9).contains(&first_polls),
        "{first_polls} polls before the timeout"
    );

    let again = env.run(&["--json", "video", "resume", &id]);
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!(submits(&env.server), 1, "resume never submits again");
    assert_eq!(
        polls(&env.server, &id),
        9,
        "8 unfinished answers, then completed"
    );
    assert_eq!(again.json()["job_id"], id.as_str());
    let name = format!("video-{id}.mp4");
    assert_eq!(env.work_files(), vec![name.clone()]);
    assert!(std::fs::read(env.work().join(name)).unwrap() == generated_bytes(250_000, 21));
}

#[test]
fn timeout_from_config_exits_5() {
    let env = fast_env();
    env.write_config(
        "[agents.defaults.videoGenerationModel]\npollIntervalMs = 20\ntimeoutMs = 250\n",
    );
    slow_job(&env, 50, ServedFile::bytes("video/mp4", sample_mp4()));
    let out = env.run(&["video", "a fox"]);
    assert_eq!(out.code, 5, "{out:?}");
    let id = job_id(&env.server).expect("job id");
    assert!(out.stderr.contains(&id), "{}", out.stderr);
}

#[test]
fn killed_job_is_resumed_byte_exact_without_a_second_submit() {
    let env = fast_env();
    slow_job(&env, 3, ServedFile::generated_mp4(700_000, 33));
    let id = killed_mid_poll(&env);
    assert!(temp_files(&env.work()).is_empty());
    let out = env.run(&["video", "resume", &id]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(submits(&env.server), 1, "no second POST /videos");
    let name = format!("video-{id}.mp4");
    assert_eq!(
        env.work_files(),
        vec![name.clone()],
        "the path recorded at submit time"
    );
    assert!(std::fs::read(env.work().join(&name)).unwrap() == generated_bytes(700_000, 33));
    assert!(out.stdout.contains(&name), "{}", out.stdout);
}

#[test]
fn killed_job_is_listed_by_video_jobs_one_line_id_first() {
    let env = fast_env();
    slow_job(&env, 3, ServedFile::bytes("video/mp4", sample_mp4()));
    let id = killed_mid_poll(&env);
    let out = env.run(&["video", "jobs"]);
    assert_eq!(out.code, 0, "{out:?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{}", out.stdout);
    assert_eq!(
        lines[0].split_whitespace().next(),
        Some(id.as_str()),
        "{}",
        lines[0]
    );
    assert!(
        lines[0].contains("openrouter/google/veo-3.1-fast"),
        "{}",
        lines[0]
    );
    let before = env.server.requests().len();
    let _ = env.run(&["video", "jobs"]);
    assert_eq!(
        env.server.requests().len(),
        before,
        "`video jobs` reads the journal only"
    );
}

#[test]
fn killed_job_status_shows_the_journal_and_the_live_status() {
    let env = fast_env();
    slow_job(&env, 5, ServedFile::bytes("video/mp4", sample_mp4()));
    let id = killed_mid_poll(&env);
    let before = polls(&env.server, &id);
    let out = env.run(&["video", "status", &id]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(polls(&env.server, &id), before + 1, "asked the API once");
    assert!(out.stdout.contains(&id), "{}", out.stdout);
    assert!(
        out.stdout.lines().any(|l| l.starts_with("journal")),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with("live") && l.contains("in_progress")),
        "{}",
        out.stdout
    );
    let json = env.run(&["--json", "video", "status", &id]).json();
    assert_eq!(json["job"]["id"], id.as_str());
    assert_eq!(json["live_status"], "in_progress");
}

#[test]
fn status_falls_back_to_the_journal_when_the_api_fails() {
    let env = fast_env();
    slow_job(&env, 5, ServedFile::bytes("video/mp4", sample_mp4()));
    let id = killed_mid_poll(&env);
    env.server.script(
        Route::VideoPoll,
        [Step::Status {
            code: 500,
            retry_after: None,
            message: None,
        }],
    );
    let out = env.run(&["video", "status", &id]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.lines().any(|l| l.starts_with("journal")),
        "{}",
        out.stdout
    );
    assert!(
        !out.stdout.lines().any(|l| l.starts_with("live")),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("journal"),
        "a notice says so: {}",
        out.stderr
    );
}

#[test]
fn status_of_a_downloaded_job_does_not_ask_the_api() {
    let env = fast_env();
    let out = env.run(&["video", "a fox"]);
    assert_eq!(out.code, 0, "{out:?}");
    let id = job_id(&env.server).expect("job id");
    let before = env.server.requests().len();
    let status = env.run(&["video", "status", &id]);
    assert_eq!(status.code, 0, "{status:?}");
    assert!(status.stdout.contains("downloaded"), "{}", status.stdout);
    assert!(
        status.stdout.contains(&format!("video-{id}.mp4")),
        "{}",
        status.stdout
    );
    assert_eq!(env.server.requests().len(), before);
}

#[test]
fn resume_of_a_downloaded_job_sends_nothing() {
    let env = fast_env();
    let out = env.run(&["video", "a fox"]);
    assert_eq!(out.code, 0, "{out:?}");
    let id = job_id(&env.server).expect("job id");
    let before = env.server.requests().len();
    let again = env.run(&["video", "resume", &id]);
    assert_eq!(again.code, 0, "{again:?}");
    assert!(
        again.stdout.contains(&format!("video-{id}.mp4")),
        "{}",
        again.stdout
    );
    assert_eq!(env.server.requests().len(), before, "nothing sent");
    assert_eq!(env.work_files().len(), 1);
}

#[test]
fn resume_with_out_writes_to_the_new_path() {
    let env = fast_env();
    slow_job(&env, 3, ServedFile::generated_mp4(90_000, 44));
    let id = killed_mid_poll(&env);
    let out = env.run(&["video", "resume", &id, "--out", "saved.mp4"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(env.work_files(), vec!["saved.mp4".to_string()]);
    assert!(std::fs::read(env.work().join("saved.mp4")).unwrap() == generated_bytes(90_000, 44));
    assert_eq!(submits(&env.server), 1);
    assert_eq!(content_gets(&env.server, &id), 1);
}

#[test]
fn resume_of_an_unknown_job_exits_2_with_a_helpful_message() {
    let env = fast_env();
    let out = env.run(&["video", "resume", "job-does-not-exist"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("job-does-not-exist"), "{}", out.stderr);
    assert!(
        out.stderr.contains("video jobs"),
        "points at `video jobs`: {}",
        out.stderr
    );
    assert!(env.server.requests().is_empty());
}

#[test]
fn status_of_an_unknown_job_exits_2() {
    let env = fast_env();
    let out = env.run(&["video", "status", "job-does-not-exist"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(env.server.requests().is_empty());
}

#[test]
fn video_jobs_lists_every_job_one_line_each() {
    let env = fast_env();
    assert_eq!(env.run(&["video", "a fox"]).code, 0);
    assert_eq!(env.run(&["video", "a cat"]).code, 0);
    let out = env.run(&["video", "jobs"]);
    assert_eq!(out.code, 0, "{out:?}");
    let ids: Vec<&str> = out
        .stdout
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(ids.len(), 2, "{}", out.stdout);
    for r in env.server.requests_to("/api/v1/videos/") {
        let id = r
            .path_only()
            .trim_start_matches("/api/v1/videos/")
            .trim_end_matches("/content");
        assert!(ids.contains(&id), "{id} listed in {}", out.stdout);
    }
}

#[test]
fn submit_without_an_answer_is_journaled_and_never_resubmitted() {
    let env = fast_env();
    env.server.script(Route::VideoSubmit, [Step::DropAfter(0)]);
    let out = env.run(&["video", "a fox"]);
    assert_eq!(out.code, 6, "{out:?}");
    assert_eq!(
        submits(&env.server),
        1,
        "the submit is not retried on its own"
    );
    let jobs = env.run(&["video", "jobs"]);
    let lines: Vec<&str> = jobs.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{}", jobs.stdout);
    assert!(lines[0].contains("submit_unknown"), "{}", lines[0]);
    let key = lines[0].split_whitespace().next().unwrap_or("");
    let again = env.run(&["video", "resume", key]);
    assert_eq!(again.code, 2, "{again:?}");
    assert_eq!(submits(&env.server), 1, "resume never submits");
}

#[test]
fn submit_refused_by_the_api_leaves_no_journal_entry() {
    let env = fast_env();
    env.server.script(
        Route::VideoSubmit,
        [Step::Status {
            code: 402,
            retry_after: None,
            message: None,
        }],
    );
    let out = env.run(&["video", "a fox"]);
    assert_eq!(out.code, 4, "{out:?}");
    assert_eq!(env.run(&["video", "jobs"]).stdout.trim(), "");
}

#[test]
fn interrupted_job_exits_130_and_stays_resumable() {
    let env = fast_env();
    env.write_config("[agents.defaults.videoGenerationModel]\npollIntervalMs = 400\n");
    slow_job(&env, 3, ServedFile::generated_mp4(120_000, 55));
    let child = env
        .cmd(&["video", "a fox"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn switchyard");
    let polled = wait_until(Duration::from_secs(10), || {
        job_id(&env.server).is_some_and(|id| polls(&env.server, &id) >= 1)
    });
    let sent = std::process::Command::new("kill")
        .args(["-s", "INT", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success());
    let out = child.wait_with_output().expect("wait");
    assert!(polled, "the job was never polled");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    let id = job_id(&env.server).expect("job id");
    assert!(
        stderr.contains(&format!("switchyard video resume {id}")),
        "{stderr}"
    );
    assert!(env.work_files().is_empty(), "{:?}", env.work_files());
    env.write_config(FAST_POLLS);
    let again = env.run(&["video", "resume", &id]);
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!(submits(&env.server), 1);
    assert!(
        std::fs::read(env.work().join(format!("video-{id}.mp4"))).unwrap()
            == generated_bytes(120_000, 55)
    );
}

#[test]
fn job_killed_mid_download_is_resumed_and_its_part_file_removed() {
    let env = fast_env();
    env.server.set_video_job(VideoJobSpec {
        video: ServedFile::generated_mp4(1_000_000, 66),
        ..VideoJobSpec::default()
    });
    env.server
        .script(Route::VideoContent, [Step::Stall(Duration::from_secs(5))]);
    let mut child = env
        .cmd(&["video", "a fox"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn switchyard");
    let downloading = wait_until(Duration::from_secs(10), || {
        env.work_files().iter().any(|f| f.ends_with(".part"))
    });
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    assert!(
        downloading,
        "the download never started: {:?}",
        env.work_files()
    );
    let id = job_id(&env.server).expect("job id");
    let out = env.run(&["video", "resume", &id]);
    assert_eq!(out.code, 0, "{out:?}");
    let name = format!("video-{id}.mp4");
    assert_eq!(
        env.work_files(),
        vec![name.clone()],
        "the stale part file is gone"
    );
    assert!(std::fs::read(env.work().join(name)).unwrap() == generated_bytes(1_000_000, 66));
    assert_eq!(submits(&env.server), 1);
}

#[test]
fn resume_of_a_downloaded_job_whose_file_was_deleted_downloads_again() {
    let env = fast_env();
    let out = env.run(&["video", "a fox"]);
    assert_eq!(out.code, 0, "{out:?}");
    let id = job_id(&env.server).expect("job id");
    let name = format!("video-{id}.mp4");
    std::fs::remove_file(env.work().join(&name)).unwrap();
    let again = env.run(&["video", "resume", &id]);
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!(submits(&env.server), 1);
    assert_eq!(std::fs::read(env.work().join(name)).unwrap(), sample_mp4());
}

/// The status column of `video jobs` for `id`.
fn listed_status(env: &Env, id: &str) -> String {
    let out = env.run(&["video", "jobs"]);
    out.stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(id))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or_default()
        .to_string()
}

#[test]
fn timed_out_job_is_journaled_with_its_last_polled_status() {
    let env = fast_env();
    slow_job(&env, 50, ServedFile::bytes("video/mp4", sample_mp4()));
    let out = env.run(&["video", "--timeout", "300ms", "a fox"]);
    assert_eq!(out.code, 5, "{out:?}");
    let id = job_id(&env.server).expect("job id");
    assert!(polls(&env.server, &id) >= 2, "reached in_progress");
    assert_eq!(listed_status(&env, &id), "in_progress");
}

#[test]
fn job_whose_download_failed_is_journaled_as_a_failed_download() {
    let env = fast_env();
    env.server.set_video_job(VideoJobSpec {
        video: ServedFile::generated_mp4(100_000, 77),
        ..VideoJobSpec::default()
    });
    env.server.script(
        Route::VideoContent,
        std::iter::repeat_n(Step::DropAfter(100), 3),
    );
    let out = env.run(&["video", "a fox"]);
    assert_eq!(out.code, 6, "{out:?}");
    let id = job_id(&env.server).expect("job id");
    assert_eq!(listed_status(&env, &id), "download_failed");
    let again = env.run(&["video", "resume", &id]);
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!(listed_status(&env, &id), "downloaded");
    assert!(
        std::fs::read(env.work().join(format!("video-{id}.mp4"))).unwrap()
            == generated_bytes(100_000, 77)
    );
}

/// Starts `args` (a slow video job), interrupts it with SIGINT after its
/// first poll, and returns the job id, exit code, stdout and stderr.
fn interrupt_after_first_poll(env: &Env, args: &[&str]) -> (String, Option<i32>, String, String) {
    env.write_config("[agents.defaults.videoGenerationModel]\npollIntervalMs = 400\n");
    slow_job(env, 5, ServedFile::bytes("video/mp4", sample_mp4()));
    let child = env
        .cmd(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn switchyard");
    let polled = wait_until(Duration::from_secs(10), || {
        job_id(&env.server).is_some_and(|id| polls(&env.server, &id) >= 1)
    });
    let sent = std::process::Command::new("kill")
        .args(["-s", "INT", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success());
    let out = child.wait_with_output().expect("wait");
    assert!(polled, "the job was never polled");
    (
        job_id(&env.server).expect("job id"),
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Issue 16: `-q video` then Ctrl-C printed only "error: cancelled".
#[test]
fn quiet_video_interrupted_still_prints_the_job_id_to_resume() {
    let env = fast_env();
    let (id, code, stdout, stderr) = interrupt_after_first_poll(&env, &["-q", "video", "a fox"]);
    assert_eq!(code, Some(130), "{stderr}");
    assert!(
        stderr.contains(&format!("switchyard video resume {id}")),
        "{stderr}"
    );
    assert!(stdout.is_empty(), "{stdout}");
    let journaled = listed_status(&env, &id);
    assert!(
        ["pending", "in_progress"].contains(&journaled.as_str()),
        "still journaled as running: {journaled}"
    );
}

#[test]
fn json_video_interrupted_names_the_job_id_in_the_error_object() {
    let env = fast_env();
    let (id, code, stdout, stderr) =
        interrupt_after_first_poll(&env, &["-q", "--json", "video", "a fox"]);
    assert_eq!(code, Some(130), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("stdout is not one JSON object ({e}): {stdout}"));
    assert_eq!(v["error"]["job_id"], id.as_str(), "{v}");
    assert_eq!(v["error"]["kind"], "cancelled", "{v}");
    assert!(stderr.contains(&id), "{stderr}");
}

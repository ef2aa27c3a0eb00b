//! What `switchyard video` sends, and what it refuses before any request:
//! values outside the model's declared limits and video inputs (exit 2),
//! image inputs as data URLs or URLs, and values in the API's spelling.

use fake_openrouter::{sample_mp4, sample_png};
use switchyard_e2e::video::{base64, fast_env, submit_body};
use switchyard_e2e::Env;

/// Runs `args`, expects exit 2 with every `says` in stderr and no request sent.
fn refused(env: &Env, args: &[&str], says: &[&str]) {
    let out = env.run(args);
    assert_eq!(out.code, 2, "{out:?}");
    for s in says {
        assert!(out.stderr.contains(s), "stderr names {s:?}: {}", out.stderr);
    }
    assert!(
        env.server.requests().is_empty(),
        "no request may reach the server: {:?}",
        env.server.requests()
    );
    assert!(
        env.work_files().iter().all(|f| f == "clip.mp4"),
        "{:?}",
        env.work_files()
    );
    let jobs = env.run(&["video", "jobs"]);
    assert_eq!(
        jobs.stdout.trim(),
        "",
        "nothing journaled for a refused request"
    );
}

#[test]
fn duration_outside_the_model_limits_is_refused_before_any_request() {
    let env = fast_env();
    refused(
        &env,
        &["video", "--duration", "5", "a fox"],
        &["--duration", "4, 6, 8"],
    );
}

#[test]
fn resolution_outside_the_model_limits_is_refused_before_any_request() {
    let env = fast_env();
    refused(
        &env,
        &["video", "--resolution", "4k", "a fox"],
        &["--resolution", "720p, 1080p"],
    );
}

#[test]
fn aspect_ratio_outside_the_model_limits_is_refused_before_any_request() {
    let env = fast_env();
    refused(
        &env,
        &["video", "--aspect-ratio", "1:1", "a fox"],
        &["--aspect-ratio", "16:9, 9:16"],
    );
}

#[test]
fn local_video_file_as_first_frame_is_refused_before_any_request() {
    let env = fast_env();
    std::fs::write(env.work().join("clip.mp4"), sample_mp4()).unwrap();
    refused(
        &env,
        &["video", "--first-frame", "clip.mp4", "a fox"],
        &["clip.mp4", "is a video", "--reference-video"],
    );
}

#[test]
fn video_url_as_reference_is_refused_before_any_request() {
    let env = fast_env();
    refused(
        &env,
        &["video", "--reference", "https://x/a.mov", "a fox"],
        &["https://x/a.mov", "takes an image"],
    );
}

#[test]
fn video_url_as_last_frame_is_refused_before_any_request() {
    let env = fast_env();
    refused(
        &env,
        &[
            "video",
            "--last-frame",
            "https://cdn.example/clip.webm?sig=1",
            "a fox",
        ],
        &["clip.webm", "--reference-video"],
    );
}

#[test]
fn missing_frame_file_is_refused_before_any_request() {
    let env = fast_env();
    refused(
        &env,
        &["video", "--first-frame", "nope.png", "a fox"],
        &["nope.png"],
    );
}

#[test]
fn unknown_model_prefix_is_refused_before_any_request() {
    let env = fast_env();
    refused(
        &env,
        &["video", "--model", "acme/newvid", "a fox"],
        &["acme/newvid"],
    );
}

#[test]
fn chat_only_model_is_refused_for_video_before_any_request() {
    let env = fast_env();
    refused(
        &env,
        &["video", "--model", "openrouter/openai/gpt-4o-mini", "a fox"],
        &["video"],
    );
}

#[test]
fn bad_timeout_is_refused_before_any_request() {
    let env = fast_env();
    refused(
        &env,
        &["video", "--timeout", "soon", "a fox"],
        &["--timeout"],
    );
}

#[test]
fn local_png_first_frame_is_sent_as_a_data_url() {
    let env = fast_env();
    std::fs::write(env.work().join("frame.png"), sample_png()).unwrap();
    let out = env.run(&["video", "--first-frame", "frame.png", "a fox"]);
    assert_eq!(out.code, 0, "{out:?}");
    let body = submit_body(&env.server);
    let frames = body["frame_images"].as_array().expect("frame_images");
    assert_eq!(frames.len(), 1, "{body}");
    assert_eq!(frames[0]["type"], "image_url");
    assert_eq!(frames[0]["frame_type"], "first_frame");
    let url = frames[0]["image_url"]["url"].as_str().expect("url");
    assert_eq!(
        url,
        format!("data:image/png;base64,{}", base64(&sample_png()))
    );
    assert!(body.get("input_references").is_none(), "{body}");
}

#[test]
fn first_and_last_frames_are_sent_with_their_frame_types() {
    let env = fast_env();
    std::fs::write(env.work().join("a.png"), sample_png()).unwrap();
    let out = env.run(&[
        "video",
        "--first-frame",
        "a.png",
        "--last-frame",
        "https://img.example/end.jpg",
        "a fox",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let body = submit_body(&env.server);
    let frames = body["frame_images"].as_array().expect("frame_images");
    assert_eq!(frames.len(), 2, "{body}");
    assert_eq!(frames[0]["frame_type"], "first_frame");
    assert!(frames[0]["image_url"]["url"]
        .as_str()
        .unwrap_or("")
        .starts_with("data:image/png;base64,"));
    assert_eq!(frames[1]["frame_type"], "last_frame");
    assert_eq!(frames[1]["image_url"]["url"], "https://img.example/end.jpg");
}

#[test]
fn references_are_sent_as_input_references() {
    let env = fast_env();
    std::fs::write(env.work().join("ref.png"), sample_png()).unwrap();
    let out = env.run(&[
        "video",
        "--reference",
        "https://img.example/a.png",
        "--reference",
        "ref.png",
        "a fox",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let body = submit_body(&env.server);
    let refs = body["input_references"]
        .as_array()
        .expect("input_references");
    assert_eq!(refs.len(), 2, "{body}");
    assert_eq!(refs[0]["type"], "image_url");
    assert_eq!(refs[0]["image_url"]["url"], "https://img.example/a.png");
    assert_eq!(
        refs[1]["image_url"]["url"],
        format!("data:image/png;base64,{}", base64(&sample_png()))
    );
    assert!(body.get("frame_images").is_none(), "{body}");
}

#[test]
fn values_are_matched_case_insensitively_and_sent_in_api_spelling() {
    let env = fast_env();
    let out = env.run(&[
        "video",
        "--resolution",
        "1080P",
        "--aspect-ratio",
        "9:16",
        "--duration",
        "6",
        "a fox",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let body = submit_body(&env.server);
    assert_eq!(body["resolution"], "1080p");
    assert_eq!(body["aspect_ratio"], "9:16");
    assert_eq!(body["duration"], 6);
}

#[test]
fn unset_options_are_not_sent() {
    let env = fast_env();
    let out = env.run(&["video", "a fox"]);
    assert_eq!(out.code, 0, "{out:?}");
    let body = submit_body(&env.server);
    for k in [
        "duration",
        "resolution",
        "aspect_ratio",
        "frame_images",
        "input_references",
    ] {
        assert!(body.get(k).is_none(), "{k} sent unasked: {body}");
    }
}

#[test]
fn prompt_is_read_from_stdin_with_dash() {
    let env = fast_env();
    let out = env.run_stdin(&["video", "-"], "a fox from stdin\n");
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(submit_body(&env.server)["prompt"], "a fox from stdin");
}

#[test]
fn model_missing_from_the_manifest_is_allowed_with_a_one_line_notice() {
    let env = fast_env();
    let out = env.run(&[
        "video",
        "--model",
        "openrouter/acme/newvid",
        "--duration",
        "5",
        "--resolution",
        "4K",
        "a fox",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let notices: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("could not be checked"))
        .collect();
    assert_eq!(notices.len(), 1, "one notice line: {}", out.stderr);
    assert!(
        notices[0].contains("openrouter/acme/newvid"),
        "{}",
        notices[0]
    );
    let body = submit_body(&env.server);
    assert_eq!(body["model"], "acme/newvid");
    assert_eq!(body["duration"], 5);
    assert_eq!(body["resolution"], "4K");
}

#[test]
fn model_missing_from_the_manifest_notice_is_silenced_by_quiet() {
    let env = fast_env();
    let out = env.run(&["-q", "video", "--model", "openrouter/acme/newvid", "a fox"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        !out.stderr.contains("could not be checked"),
        "{}",
        out.stderr
    );
}

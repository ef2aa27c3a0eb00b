//! `switchyard video` happy paths: polling URL forms, download routes,
//! output naming, `--json`, and a job that is already completed on submit.

use fake_openrouter::{
    generated_bytes, sample_mp4, Options, PollingUrlStyle, ServedFile, VideoJobSpec, VideoUrlStyle,
};
use switchyard_e2e::video::{
    content_gets, fast_env, fast_env_opts, job_id, polls, submits, temp_files,
};

fn spec(f: impl FnOnce(&mut VideoJobSpec)) -> VideoJobSpec {
    let mut s = VideoJobSpec::default();
    f(&mut s);
    s
}

#[test]
fn absolute_polling_url_downloads_exact_bytes_to_default_name() {
    let env = fast_env();
    env.server
        .set_video_job(spec(|s| s.video = ServedFile::generated_mp4(300_000, 7)));
    let out = env.run(&["video", "a fox running"]);
    assert_eq!(out.code, 0, "{out:?}");
    let id = job_id(&env.server).expect("job id");
    let name = format!("video-{id}.mp4");
    assert_eq!(
        env.work_files(),
        vec![name.clone()],
        "exactly the video, no temp file"
    );
    let bytes = std::fs::read(env.work().join(&name)).unwrap();
    assert!(
        bytes == generated_bytes(300_000, 7),
        "the file holds exactly the served bytes"
    );
    assert_eq!(
        polls(&env.server, &id),
        3,
        "pending, in_progress, then completed"
    );
    assert_eq!(submits(&env.server), 1);
    assert!(
        out.stdout.contains(&name),
        "stdout names the file: {}",
        out.stdout
    );
}

#[test]
fn relative_polling_url_is_resolved_against_the_api_origin() {
    let env = fast_env_opts(Options {
        polling_url_style: PollingUrlStyle::Relative,
        ..Options::default()
    });
    let out = env.run(&["video", "a fox running"]);
    assert_eq!(out.code, 0, "{out:?}");
    let id = job_id(&env.server).expect("job id");
    assert_eq!(polls(&env.server, &id), 3);
    let name = format!("video-{id}.mp4");
    assert_eq!(env.work_files(), vec![name.clone()]);
    assert_eq!(std::fs::read(env.work().join(name)).unwrap(), sample_mp4());
}

#[test]
fn unsigned_url_is_used_for_the_download() {
    let env = fast_env();
    let out = env.run(&["video", "waves"]);
    assert_eq!(out.code, 0, "{out:?}");
    let id = job_id(&env.server).expect("job id");
    let gets: Vec<String> = env
        .server
        .requests_to(&format!("/api/v1/videos/{id}/content"))
        .iter()
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(gets, vec![format!("/api/v1/videos/{id}/content?index=0")]);
    assert_eq!(
        std::fs::read(env.work().join(format!("video-{id}.mp4"))).unwrap(),
        sample_mp4()
    );
}

#[test]
fn content_endpoint_is_used_when_unsigned_urls_are_omitted() {
    let env = fast_env();
    env.server.set_video_job(spec(|s| {
        s.url_style = VideoUrlStyle::Omitted;
        s.video = ServedFile::generated_mp4(200_000, 11);
    }));
    let out = env.run(&["video", "waves"]);
    assert_eq!(out.code, 0, "{out:?}");
    let id = job_id(&env.server).expect("job id");
    // Index 0, then the probe of index 1 that says the job has no more.
    assert_eq!(content_gets(&env.server, &id), 2);
    let name = format!("video-{id}.mp4");
    assert_eq!(env.work_files(), vec![name.clone()]);
    assert!(std::fs::read(env.work().join(name)).unwrap() == generated_bytes(200_000, 11));
}

#[test]
fn json_output_reports_job_status_outputs_and_cost() {
    let env = fast_env();
    env.server.set_video_job(spec(|s| {
        s.video = ServedFile::generated_mp4(100_000, 3);
        s.cost = 0.5;
    }));
    let out = env.run(&["--json", "video", "a lighthouse"]);
    assert_eq!(out.code, 0, "{out:?}");
    let v = out.json();
    let id = job_id(&env.server).expect("job id");
    assert_eq!(v["job_id"], id.as_str());
    assert_eq!(v["status"], "completed");
    assert_eq!(v["cost"], 0.5);
    let outputs = v["outputs"].as_array().expect("outputs array");
    assert_eq!(outputs.len(), 1);
    let path = outputs[0]["path"].as_str().expect("path");
    assert!(path.ends_with(&format!("video-{id}.mp4")), "{path}");
    assert_eq!(outputs[0]["bytes"], 100_000);
    assert_eq!(v["size"], 100_000);
    assert_eq!(std::fs::metadata(path).unwrap().len(), 100_000);
}

#[test]
fn out_path_is_honoured() {
    let env = fast_env();
    std::fs::create_dir_all(env.work().join("clips")).unwrap();
    let out = env.run(&["video", "--out", "clips/fox.mp4", "a fox"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        env.work_files(),
        vec!["clips".to_string()],
        "nothing beside the clips dir"
    );
    assert_eq!(
        switchyard_e2e::list_files(&env.work().join("clips")),
        vec!["fox.mp4".to_string()]
    );
    assert_eq!(
        std::fs::read(env.work().join("clips/fox.mp4")).unwrap(),
        sample_mp4()
    );
}

#[test]
fn out_path_in_missing_directory_is_refused_before_any_request() {
    let env = fast_env();
    let out = env.run(&["video", "--out", "nope/fox.mp4", "a fox"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("does not exist"), "{}", out.stderr);
    assert!(env.server.requests().is_empty());
}

#[test]
fn several_videos_get_numbered_names() {
    let env = fast_env();
    env.server.set_video_job(spec(|s| {
        s.videos = 3;
        s.video = ServedFile::generated_mp4(50_000, 5);
    }));
    let out = env.run(&["--json", "video", "three takes"]);
    assert_eq!(out.code, 0, "{out:?}");
    let id = job_id(&env.server).expect("job id");
    let mut want = vec![
        format!("video-{id}-2.mp4"),
        format!("video-{id}-3.mp4"),
        format!("video-{id}.mp4"),
    ];
    want.sort();
    assert_eq!(env.work_files(), want);
    for n in &want {
        assert!(
            std::fs::read(env.work().join(n)).unwrap() == generated_bytes(50_000, 5),
            "{n}"
        );
    }
    assert_eq!(out.json()["outputs"].as_array().map(Vec::len), Some(3));
    let indices: Vec<String> = env
        .server
        .requests_to(&format!("/api/v1/videos/{id}/content"))
        .iter()
        .map(|r| r.path.rsplit('=').next().unwrap_or("").to_string())
        .collect();
    assert_eq!(indices, vec!["0", "1", "2"]);
}

#[test]
fn several_videos_with_out_get_numbered_names() {
    let env = fast_env();
    env.server.set_video_job(spec(|s| s.videos = 2));
    let out = env.run(&["video", "--out", "take.mp4", "two takes"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        env.work_files(),
        vec!["take-2.mp4".to_string(), "take.mp4".to_string()]
    );
}

#[test]
fn completed_on_submit_skips_polling() {
    let env = fast_env();
    env.server
        .set_video_job(spec(|s| s.completed_on_submit = true));
    let out = env.run(&["video", "instant"]);
    assert_eq!(out.code, 0, "{out:?}");
    let id = job_id(&env.server).expect("job id");
    assert_eq!(polls(&env.server, &id), 0, "no GET /videos/{{id}}");
    assert_eq!(content_gets(&env.server, &id), 1);
    assert_eq!(
        std::fs::read(env.work().join(format!("video-{id}.mp4"))).unwrap(),
        sample_mp4()
    );
    assert!(temp_files(&env.work()).is_empty());
}

#[test]
fn default_model_is_sent_without_the_openrouter_prefix() {
    let env = fast_env();
    let out = env.run(&["video", "a fox"]);
    assert_eq!(out.code, 0, "{out:?}");
    let body = switchyard_e2e::video::submit_body(&env.server);
    assert_eq!(body["model"], "google/veo-3.1-fast");
    assert_eq!(body["prompt"], "a fox");
}

#[test]
fn configured_primary_model_is_used() {
    let env = fast_env();
    env.write_config(
        "[agents.defaults.videoGenerationModel]\npollIntervalMs = 20\nprimary = \"openrouter/google/veo-3.1-lite\"\n",
    );
    let out = env.run(&["video", "a fox"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        switchyard_e2e::video::submit_body(&env.server)["model"],
        "google/veo-3.1-lite"
    );
}

#[test]
fn api_key_is_sent_to_the_api_and_never_printed() {
    let env = fast_env();
    let out = env.run(&["-v", "video", "a fox"]);
    assert_eq!(out.code, 0, "{out:?}");
    let key = env.server.api_key();
    assert!(!out.all().contains(&key), "the key leaked into the output");
    for r in env.server.requests() {
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {key}").as_str()),
            "{}",
            r.path
        );
    }
    assert!(
        out.stderr.contains("/videos"),
        "-v shows the requests: {}",
        out.stderr
    );
}

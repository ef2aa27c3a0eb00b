//! Output paths are checked before anything is sent (DESIGN §4a): a
//! directory that is missing or not writable is refused with exit 2 and no
//! request; `--out DIR` (an existing directory) writes the default name
//! inside it. A paid video that cannot be written is journaled as a failed
//! download and fetched again with `video resume JOB --out PATH`.

use fake_openrouter::{generated_bytes, ServedFile, VideoJobSpec};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use switchyard_e2e::video::{fast_env, job_id, polls, submits, wait_until};
use switchyard_e2e::{list_files, Env};

/// A directory this process cannot create files in: a 0555 directory, or
/// for root (whom permission bits do not stop) `/sys`, where nobody can.
fn unwritable_dir(env: &Env) -> PathBuf {
    let d = env.subdir("read-only");
    std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o555)).unwrap();
    if std::fs::write(d.join("probe"), b"x").is_ok() {
        std::fs::remove_file(d.join("probe")).unwrap();
        return PathBuf::from("/sys");
    }
    d
}

fn path_str(p: PathBuf) -> String {
    p.display().to_string()
}

/// The commands that write a file, with `--out` set to `out`.
fn writers(out: &str) -> Vec<Vec<String>> {
    [
        vec!["video", "--out", out, "a paper boat"],
        vec!["image", "--out", out, "a lighthouse"],
        vec!["speak", "--out", out, "hello"],
        vec!["chat", "--speak-to", out, "hi"],
    ]
    .into_iter()
    .map(|v| v.into_iter().map(str::to_string).collect())
    .collect()
}

fn run(env: &Env, args: &[String]) -> switchyard_e2e::Output {
    env.run(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

#[test]
fn video_out_into_a_missing_directory_is_refused_before_any_request() {
    let env = fast_env();
    let out = env.run(&["video", "--out", "no-such-dir/v.mp4", "a paper boat"]);
    out.assert_code(2);
    assert!(out.stderr.contains("no-such-dir"), "{}", out.stderr);
    assert!(out.stderr.contains("does not exist"), "{}", out.stderr);
    assert!(env.server.requests().is_empty(), "a paid request was sent");
    assert_eq!(env.run(&["video", "jobs"]).stdout.trim(), "");
}

#[test]
fn video_out_into_a_read_only_directory_is_refused_before_any_request() {
    let env = fast_env();
    let dir = unwritable_dir(&env);
    let target = path_str(dir.join("v.mp4"));
    let out = env.run(&["video", "--out", &target, "a paper boat"]);
    out.assert_code(2);
    assert!(out.stderr.contains("not writable"), "{}", out.stderr);
    assert!(out.stderr.contains(&path_str(dir)), "{}", out.stderr);
    assert!(env.server.requests().is_empty(), "a paid request was sent");
}

#[test]
fn every_writing_command_refuses_a_missing_or_read_only_directory_before_any_request() {
    let env = fast_env();
    let read_only = path_str(unwritable_dir(&env).join("out.bin"));
    for out in ["missing/out.bin", "missing/", read_only.as_str()] {
        for args in writers(out) {
            let r = run(&env, &args);
            r.assert_code(2);
            assert!(
                r.stderr.contains("does not exist") || r.stderr.contains("not writable"),
                "{args:?}: {}",
                r.stderr
            );
        }
    }
    assert!(env.server.requests().is_empty(), "a paid request was sent");
    assert!(!env.work().join("missing").exists());
}

#[test]
fn video_out_an_existing_directory_writes_the_default_name_inside_it() {
    let env = fast_env();
    let dir = env.subdir("videos");
    let out = env.run(&["video", "--out", &path_str(dir.clone()), "a paper boat"]);
    out.assert_code(0);
    let id = job_id(&env.server).expect("job id");
    let name = format!("video-{id}.mp4");
    assert_eq!(list_files(&dir), vec![name.clone()]);
    let printed = std::fs::canonicalize(&dir).unwrap().join(&name);
    assert_eq!(out.stdout, format!("{}\n", printed.display()));
}

#[test]
fn image_and_speak_out_an_existing_directory_write_the_default_name_inside_it() {
    let env = Env::new();
    let dir = env.subdir("outputs");
    let d = path_str(dir.clone());
    env.run(&["image", "--out", &d, "a lighthouse"])
        .assert_code(0);
    env.run(&["speak", "--out", &d, "hello"]).assert_code(0);
    let files = list_files(&dir);
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(
        files[0].starts_with("image-") && files[0].ends_with(".png"),
        "{files:?}"
    );
    assert!(
        files[1].starts_with("speech-") && files[1].ends_with(".mp3"),
        "{files:?}"
    );
    assert!(env.work_files().is_empty(), "{:?}", env.work_files());
}

#[test]
fn a_paid_video_that_cannot_be_written_is_journaled_as_a_failed_download_and_resumes_with_out() {
    let env = fast_env();
    env.write_config("[agents.defaults.videoGenerationModel]\npollIntervalMs = 300\n");
    env.server.set_video_job(VideoJobSpec {
        pending_polls: 1,
        in_progress_polls: 2,
        video: ServedFile::generated_mp4(50_000, 9),
        ..VideoJobSpec::default()
    });
    let dir = env.subdir("gone");
    let target = path_str(dir.join("v.mp4"));
    let child = env
        .cmd(&["video", "--out", &target, "a paper boat"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn switchyard");
    let polled = wait_until(Duration::from_secs(10), || {
        job_id(&env.server).is_some_and(|id| polls(&env.server, &id) >= 1)
    });
    assert!(polled, "the job was never polled");
    // The directory disappears while the job runs: the download cannot be written.
    std::fs::remove_dir_all(&dir).unwrap();
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    // A local write failure is "anything else" (DESIGN §4).
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot create"), "{stderr}");
    let id = job_id(&env.server).expect("job id");
    assert!(
        stderr.contains(&format!("switchyard video resume {id}")),
        "{stderr}"
    );
    let jobs = env.run(&["video", "jobs"]);
    let line = jobs.stdout.lines().next().unwrap_or_default().to_string();
    assert!(line.starts_with(&id), "{}", jobs.stdout);
    assert!(line.contains("download_failed"), "{line}");
    // Resumed where it was to go: the directory is still missing, refused.
    let refused = env.run(&["video", "resume", &id]);
    refused.assert_code(2);
    assert!(refused.stderr.contains("--out PATH"), "{}", refused.stderr);
    let resumed = env.run(&["video", "resume", &id, "--out", "saved.mp4"]);
    resumed.assert_code(0);
    assert!(std::fs::read(env.work_file("saved.mp4")).unwrap() == generated_bytes(50_000, 9));
    assert_eq!(submits(&env.server), 1, "resume never submits again");
    let after = env.run(&["video", "jobs"]);
    assert!(after.stdout.contains("downloaded"), "{}", after.stdout);
}

#[test]
fn image_and_speak_print_absolute_output_paths_like_video() {
    let env = fast_env();
    let image = env.run(&["image", "--out", "pic.png", "a lighthouse"]);
    image.assert_code(0);
    assert_eq!(image.stdout, format!("{}\n", env.printed_path("pic.png")));
    let speak = env.run(&["speak", "--out", "hi.mp3", "hello"]);
    speak.assert_code(0);
    assert_eq!(speak.stdout, format!("{}\n", env.printed_path("hi.mp3")));
    let video = env.run(&["video", "--out", "v.mp4", "a paper boat"]);
    video.assert_code(0);
    assert_eq!(video.stdout, format!("{}\n", env.printed_path("v.mp4")));
}

/*!
A download is made durable before it is renamed into place: `switchyard
video` killed with SIGKILL the moment its final file appears never leaves
a short file. The video (40 MiB, so the writeback helper runs rounds
while it arrives) is whole, byte for byte, at every kill; repeated a few
times with the kill at once and a little later.
*/

use fake_openrouter::{generated_bytes, ServedFile, VideoJobSpec};
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::time::{Duration, Instant};
use switchyard_e2e::video::{fast_env, temp_files};

const LEN: u64 = 40 * 1024 * 1024;
const SEED: u64 = 0xD0_2AB1E;

#[test]
fn sigkill_right_after_the_rename_never_leaves_a_short_file() {
    let env = fast_env();
    env.server.set_video_job(VideoJobSpec {
        video: ServedFile::generated_mp4(LEN, SEED),
        ..VideoJobSpec::default()
    });
    let expected = generated_bytes(LEN, SEED);
    let mut killed = 0;
    for (i, delay_us) in [0u64, 0, 200, 1000].into_iter().enumerate() {
        let name = format!("v-{i}.mp4");
        let target = env.work().join(&name);
        let mut child = env
            .cmd(&["video", "--out", &name, "--timeout", "120s", "durable"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn switchyard video");
        let start = Instant::now();
        let mut exited = None;
        while !target.exists() {
            if let Some(status) = child.try_wait().expect("try_wait") {
                exited = Some(status);
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "iteration {i}: no file after 120 s"
            );
            std::thread::sleep(Duration::from_micros(100));
        }
        std::thread::sleep(Duration::from_micros(delay_us));
        // The process may have ended by itself in the meantime (then the
        // kill fails harmlessly): what matters is the file it left.
        let _ = child.kill();
        let status = child.wait().expect("wait");
        killed += usize::from(status.signal() == Some(9));
        assert!(
            exited.is_none_or(|s| s.success()),
            "iteration {i}: switchyard video failed before its file appeared ({status})"
        );
        let got = std::fs::read(&target).expect("the renamed file");
        assert_eq!(
            got.len() as u64,
            LEN,
            "iteration {i}: a short file after SIGKILL"
        );
        assert!(
            got == expected,
            "iteration {i}: the file is not the served video"
        );
        assert!(
            temp_files(&env.work()).is_empty(),
            "iteration {i}: a temporary file is left: {:?}",
            temp_files(&env.work())
        );
    }
    eprintln!("killed while running: {killed} of 4");
    // At least one run was still going when it was killed (the rest may
    // have finished first: the journal update after the rename is quick).
    assert!(killed >= 1, "no run was killed: the test proved nothing");
}

/*!
Crash recovery, short version of `cargo xtask crashloop`: `switchyard
video` is killed with SIGKILL at moments spread over its run (startup,
submit, polling, download, rename, and one random moment), six times; each time `video resume`
leaves exactly one byte-exact video, or the journal honestly reports a
submit that got no answer; never a second paid submit, never a partial
file. See `switchyard_e2e::crash`.
*/

use switchyard_e2e::crash;

#[test]
fn sigkill_at_any_moment_then_resume_gives_one_exact_video_or_an_honest_error() {
    let env = crash::setup().expect("setup");
    let summary =
        crash::run(&env, 6, 0x5EED, |line| eprintln!("{line}")).unwrap_or_else(|e| panic!("{e}"));
    eprintln!("{}", summary.describe());
    assert_eq!(summary.iterations.len(), 6);
    assert!(summary.submits() <= 6);
}

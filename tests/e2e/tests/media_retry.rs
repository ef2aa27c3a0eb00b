//! Image and speech retry a transient error the provider answered with
//! (nothing was generated), honouring `Retry-After`, like chat does.

use fake_openrouter::{sample_mp3, sample_png, Route, Step};
use switchyard_e2e::Env;

#[test]
fn image_recovers_from_one_503() {
    let env = Env::new();
    env.server.script(
        Route::Chat,
        [Step::Status {
            code: 503,
            retry_after: None,
            message: None,
        }],
    );
    let out = env.run(&["image", "--out", "pic.png", "a cat"]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert_eq!(
        std::fs::read(env.work().join("pic.png")).unwrap(),
        sample_png()
    );
    assert_eq!(env.server.requests_to("/api/v1/chat/completions").len(), 2);
}

#[test]
fn image_gives_up_after_bounded_retries_with_exit_6() {
    let env = Env::new();
    let s = || Step::Status {
        code: 502,
        retry_after: None,
        message: None,
    };
    env.server.script(Route::Chat, [s(), s(), s(), s()]);
    let out = env.run(&["image", "--out", "pic.png", "a cat"]);
    assert_eq!(out.code, 6, "{}", out.all());
    assert_eq!(env.server.requests_to("/api/v1/chat/completions").len(), 3);
    assert!(env.work_files().is_empty(), "{:?}", env.work_files());
}

#[test]
fn speech_recovers_from_a_429_with_retry_after() {
    let env = Env::new();
    env.server.script(
        Route::Speech,
        [Step::Status {
            code: 429,
            retry_after: Some(1),
            message: None,
        }],
    );
    let started = std::time::Instant::now();
    let out = env.run(&["speak", "--format", "mp3", "--out", "s.mp3", "hello"]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(started.elapsed() >= std::time::Duration::from_millis(900));
    assert_eq!(
        std::fs::read(env.work().join("s.mp3")).unwrap(),
        sample_mp3()
    );
    assert_eq!(env.server.requests_to("/api/v1/audio/speech").len(), 2);
}

#[test]
fn speech_auth_error_is_not_retried() {
    let env = Env::new();
    env.server.script(
        Route::Speech,
        [Step::Status {
            code: 401,
            retry_after: None,
            message: None,
        }],
    );
    let out = env.run(&["speak", "--format", "mp3", "--out", "s.mp3", "hello"]);
    assert_eq!(out.code, 3, "{}", out.all());
    assert_eq!(env.server.requests_to("/api/v1/audio/speech").len(), 1);
}

//! `models refresh` failures keep their kind: a rejected key is an
//! authentication problem (exit 3), an unreachable upstream stays exit 6.

use fake_openrouter::{Route, Step};
use switchyard_e2e::Env;

fn status(code: u16) -> Step {
    Step::Status {
        code,
        retry_after: None,
        message: None,
    }
}

fn catalog_file(env: &Env) -> std::path::PathBuf {
    env.dir
        .path()
        .join("cache/switchyard/catalog-openrouter.json")
}

#[test]
fn models_refresh_with_a_rejected_key_exits_3_and_caches_nothing() {
    let env = Env::new();
    env.write_raw_config(&format!(
        "[models.providers.openrouter]\napiKey = \"sk-or-v1-not-the-right-key\"\nbaseUrl = \"{}\"\n",
        env.server.base_url()
    ));
    let out = env.run(&["models", "refresh"]);
    out.assert_code(3);
    assert!(out.stderr.contains("openrouter"), "{}", out.stderr);
    assert!(out.stderr.contains("401"), "{}", out.stderr);
    assert!(out.stderr.contains("API key"), "{}", out.stderr);
    assert!(!catalog_file(&env).exists());
}

#[test]
fn models_refresh_refused_with_403_exits_3() {
    let env = Env::new();
    env.server.script(Route::Models, [status(403)]);
    let out = env.run(&["--json", "models", "refresh"]);
    out.assert_code(3);
    let v = out.json();
    assert_eq!(v["error"]["kind"], "auth", "{v}");
    assert_eq!(v["error"]["status"], 403, "{v}");
    assert!(!catalog_file(&env).exists());
}

#[test]
fn models_refresh_against_a_failing_upstream_still_exits_6() {
    let env = Env::new();
    env.server
        .script(Route::Models, (0..8).map(|_| status(503)));
    let out = env.run(&["models", "refresh"]);
    out.assert_code(6);
    assert!(
        out.stderr.contains("catalog refresh failed"),
        "{}",
        out.stderr
    );
}

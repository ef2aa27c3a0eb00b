//! Commands that write the config file: a file left holding a key is
//! tightened to 0600 (an existing 0644 one included), and a symlinked
//! config (dotfile managers) is edited through the link, never replaced.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use switchyard_e2e::Env;

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).expect("stat").permissions().mode() & 0o777
}

fn chmod(p: &Path, m: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).expect("chmod");
}

/// Moves the config into `dotfiles/` and leaves a relative symlink in its place.
fn symlink_config(env: &Env) -> std::path::PathBuf {
    let real = env.subdir("dotfiles").join("switchyard.toml");
    std::fs::rename(env.config_path(), &real).expect("move config");
    std::os::unix::fs::symlink("dotfiles/switchyard.toml", env.config_path()).expect("symlink");
    real
}

fn assert_still_a_link_to(env: &Env, target: &str) {
    let meta = std::fs::symlink_metadata(env.config_path()).expect("lstat");
    assert!(
        meta.file_type().is_symlink(),
        "the link was replaced by a copy"
    );
    assert_eq!(
        std::fs::read_link(env.config_path()).expect("readlink"),
        Path::new(target)
    );
}

fn onboard(env: &Env) -> switchyard_e2e::Output {
    env.run_stdin(
        &["onboard", "--api-key-stdin"],
        &format!("{}\n", env.server.api_key()),
    )
}

#[test]
fn onboarding_into_an_existing_0644_config_tightens_it_to_0600() {
    let env = Env::new();
    env.write_raw_config(&format!(
        "[models.providers.openrouter]\nbaseUrl = \"{}\"\n",
        env.server.base_url()
    ));
    chmod(&env.config_path(), 0o644);
    let out = onboard(&env);
    out.assert_code(0);
    let text = std::fs::read_to_string(env.config_path()).expect("read");
    assert!(text.contains(&env.server.api_key()), "{text}");
    assert_eq!(mode(&env.config_path()), 0o600);
    assert!(out.stderr.contains("now 0600"), "{}", out.stderr);
}

#[test]
fn models_set_into_a_0644_config_holding_a_key_tightens_it_to_0600() {
    let env = Env::new();
    chmod(&env.config_path(), 0o644);
    let out = env.run(&["models", "set", "openrouter/moonshotai/kimi-k2.6"]);
    out.assert_code(0);
    assert_eq!(mode(&env.config_path()), 0o600);
}

#[test]
fn models_set_into_a_0644_config_without_a_key_keeps_its_mode() {
    let env = Env::new();
    env.write_raw_config(&format!(
        "[models.providers.openrouter]\nbaseUrl = \"{}\"\n",
        env.server.base_url()
    ));
    chmod(&env.config_path(), 0o644);
    env.run(&["models", "set", "openrouter/moonshotai/kimi-k2.6"])
        .assert_code(0);
    assert_eq!(mode(&env.config_path()), 0o644);
}

#[test]
fn onboarding_through_a_symlinked_config_edits_the_linked_file() {
    let env = Env::new();
    env.write_raw_config(&format!(
        "# managed by my dotfiles\n[models.providers.openrouter]\nbaseUrl = \"{}\"\n",
        env.server.base_url()
    ));
    let real = symlink_config(&env);
    chmod(&real, 0o644);
    onboard(&env).assert_code(0);
    assert_still_a_link_to(&env, "dotfiles/switchyard.toml");
    let text = std::fs::read_to_string(&real).expect("read");
    assert!(text.starts_with("# managed by my dotfiles\n"), "{text}");
    assert!(text.contains(&env.server.api_key()), "{text}");
    assert_eq!(mode(&real), 0o600);
    assert!(
        switchyard_e2e::list_files(&env.dir.path().join("dotfiles"))
            == vec!["switchyard.toml".to_string()],
        "no temporary file left beside the target"
    );
}

#[test]
fn models_set_through_a_symlinked_config_edits_the_linked_file() {
    let env = Env::new();
    let real = symlink_config(&env);
    env.run(&["models", "set", "openrouter/moonshotai/kimi-k2.6"])
        .assert_code(0);
    assert_still_a_link_to(&env, "dotfiles/switchyard.toml");
    let text = std::fs::read_to_string(&real).expect("read");
    assert!(
        text.contains("primary = \"openrouter/moonshotai/kimi-k2.6\""),
        "{text}"
    );
}

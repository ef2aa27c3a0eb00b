//! A key split across streamed chunks never reaches the terminal, not even
//! in pieces: streamed text is redacted over a sliding window that holds
//! back only what could still be the start of a secret.

use fake_openrouter::{Route, Step};
use switchyard_e2e::{Env, Output};

/// Every 16-character piece of `key`.
fn pieces_of(key: &str) -> Vec<&str> {
    (0..=key.len() - 16).map(|i| &key[i..i + 16]).collect()
}

#[track_caller]
fn assert_key_absent(out: &Output, key: &str, what: &str) {
    let all = out.all();
    assert!(!all.contains(key), "{what}: {all}");
    for p in pieces_of(key) {
        assert!(!all.contains(p), "{what}: shows {p:?} of the key: {all}");
    }
}

fn split_key_stream(key: &str) -> Step {
    let (a, rest) = key.split_at(18);
    let (b, c) = rest.split_at(17);
    Step::SseChunks(vec![
        format!("Your key is {a}"),
        b.to_string(),
        format!("{c}. Keep it safe."),
    ])
}

#[test]
fn a_key_split_across_streamed_chunks_is_never_printed_even_verbose() {
    let env = Env::new();
    let key = env.server.api_key();
    for verbosity in [None, Some("-v"), Some("-vv")] {
        env.server.script(Route::Chat, [split_key_stream(&key)]);
        let mut args: Vec<&str> = verbosity.into_iter().collect();
        args.extend(["chat", "--stream", "tell me my key"]);
        let out = env.run(&args);
        out.assert_code(0);
        assert_eq!(
            out.stdout, "Your key is [redacted]. Keep it safe.\n",
            "{verbosity:?}: {}",
            out.stderr
        );
        assert_key_absent(&out, &key, &format!("{verbosity:?}"));
    }
}

#[test]
fn a_key_streamed_one_character_at_a_time_is_never_printed() {
    let env = Env::new();
    let key = env.server.api_key();
    let text = format!("{key} then {key}");
    let chars: Vec<String> = text.chars().map(String::from).collect();
    env.server.script(Route::Chat, [Step::SseChunks(chars)]);
    let out = env.run(&["-vv", "chat", "--stream", "hi"]);
    out.assert_code(0);
    assert_eq!(out.stdout, "[redacted] then [redacted]\n");
    assert_key_absent(&out, &key, "one character per chunk");
}

#[test]
fn a_streamed_answer_ending_in_a_key_prefix_is_flushed_at_the_end() {
    let env = Env::new();
    let key = env.server.api_key();
    // Ends with the key's first characters: held back while streaming,
    // printed once the stream ends (it is not the key).
    env.server.script(
        Route::Chat,
        [Step::SseChunks(vec![
            "prefix: ".into(),
            key[..10].to_string(),
        ])],
    );
    let out = env.run(&["chat", "--stream", "hi"]);
    out.assert_code(0);
    assert_eq!(out.stdout, format!("prefix: {}\n", &key[..10]));
}

#[test]
fn a_key_split_across_chunks_is_absent_from_json_output() {
    let env = Env::new();
    let key = env.server.api_key();
    env.server.script(Route::Chat, [split_key_stream(&key)]);
    let out = env.run(&["--json", "chat", "--stream", "hi"]);
    out.assert_code(0);
    assert_eq!(out.json()["text"], "Your key is [redacted]. Keep it safe.");
    assert_key_absent(&out, &key, "--json");
}

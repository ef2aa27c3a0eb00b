/*!
Fuzz target: the SSE parser (`switchyard_plugin_api::sse::SseParser`).

The first bytes of the input choose up to four split points; the rest is
the stream. Whatever the bytes: no panic; the events are the same whether
the stream arrives whole or split at those points; the same after every
CRLF and CR is rewritten to LF (line endings never change events); a
truncated stream yields a prefix of the whole stream's events (a cut
never invents, changes or reorders one); no value holds a line terminator;
and the parser is usable again after `finish`.
*/
#![no_main]

use libfuzzer_sys::fuzz_target;
use switchyard_plugin_api::sse::{SseEvent, SseParser};

fn parse(chunks: &[&[u8]]) -> Vec<SseEvent> {
    let mut p = SseParser::new();
    let mut out = Vec::new();
    for c in chunks {
        p.feed(c, &mut out);
    }
    out
}

fn lf_only(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\r' if b.get(i + 1) == Some(&b'\n') => {
                out.push(b'\n');
                i += 1;
            }
            b'\r' => out.push(b'\n'),
            c => out.push(c),
        }
        i += 1;
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let (head, stream) = data.split_at(data.len().min(4));
    let mut cuts: Vec<usize> = head
        .iter()
        .map(|&b| usize::from(b) * (stream.len() + 1) / 256)
        .collect();
    cuts.sort_unstable();

    let whole = parse(&[stream]);
    let mut pieces: Vec<&[u8]> = Vec::new();
    let mut at = 0;
    for &c in &cuts {
        pieces.push(&stream[at..c]);
        at = c;
    }
    pieces.push(&stream[at..]);
    assert_eq!(parse(&pieces), whole, "split at {cuts:?}");

    let ones: Vec<&[u8]> = stream.chunks(1).collect();
    assert_eq!(parse(&ones), whole, "byte by byte");

    assert_eq!(parse(&[&lf_only(stream)]), whole, "line endings");

    let cut = cuts.first().copied().unwrap_or(stream.len() / 2);
    let short = parse(&[&stream[..cut]]);
    assert!(short.len() <= whole.len() && whole[..short.len()] == short[..]);

    for e in &whole {
        assert!(!e.data.contains('\r'));
        assert!(!e.event.contains(['\r', '\n']));
        assert!(e
            .id
            .as_deref()
            .is_none_or(|i| !i.contains(['\r', '\n', '\0'])));
    }

    let mut p = SseParser::new();
    let mut out = Vec::new();
    p.feed(stream, &mut out);
    p.finish();
    out.clear();
    p.feed(b"\ndata: again\n\n", &mut out);
    assert_eq!(out.last().map(|e| e.data.as_str()), Some("again"));
});

/*!
An incremental Server-Sent Events parser (the WHATWG `text/event-stream`
rules), for plugins that stream answers.

Bytes go in as they arrive, split anywhere; complete events come out. Lines
may end in LF, CR or CRLF (even a CRLF split across two reads); comment
lines (starting with `:`, such as OpenRouter's `: OPENROUTER PROCESSING`
keep-alives) are skipped; several `data:` lines join with `\n`; a leading
byte-order mark is ignored. It never panics and keeps no more than one
unfinished line plus one unfinished event in memory.
*/

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    /// The `event:` field, empty when absent (meaning `message`).
    pub event: String,
    /// The `data:` lines joined with `\n`.
    pub data: String,
    /// The `id:` field, when present.
    pub id: Option<String>,
}

/// Incremental parser state.
#[derive(Debug, Default)]
pub struct SseParser {
    line: Vec<u8>,
    skip_lf: bool,
    started: bool,
    event: String,
    data: String,
    has_data: bool,
    id: Option<String>,
    comments: u64,
}

impl SseParser {
    /// A parser at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many comment lines were skipped so far.
    pub fn comments_seen(&self) -> u64 {
        self.comments
    }

    /// Feeds bytes; pushes every event completed by them onto `out`.
    pub fn feed(&mut self, mut bytes: &[u8], out: &mut Vec<SseEvent>) {
        if !self.started && !bytes.is_empty() {
            // The BOM may only appear at the very start; tolerate it split.
            let bom = [0xEF, 0xBB, 0xBF];
            let have = self.line.len();
            let need = bom.len() - have;
            let take = need.min(bytes.len());
            if bytes[..take] == bom[have..have + take] {
                if have + take == bom.len() {
                    self.line.clear();
                    self.started = true;
                    bytes = &bytes[take..];
                } else {
                    self.line.extend_from_slice(&bytes[..take]);
                    return;
                }
            } else {
                self.started = true;
            }
        }
        for &b in bytes {
            if self.skip_lf {
                self.skip_lf = false;
                if b == b'\n' {
                    continue;
                }
            }
            match b {
                b'\n' => self.end_line(out),
                b'\r' => {
                    self.skip_lf = true;
                    self.end_line(out);
                }
                _ => self.line.push(b),
            }
        }
    }

    /// Ends the stream: an event left without its closing blank line is
    /// discarded, as the standard says. Returns whether anything was pending.
    pub fn finish(&mut self) -> bool {
        let pending = !self.line.is_empty() || self.has_data;
        self.line.clear();
        self.reset_event();
        pending
    }

    fn reset_event(&mut self) {
        self.event.clear();
        self.data.clear();
        self.has_data = false;
    }

    fn end_line(&mut self, out: &mut Vec<SseEvent>) {
        let line = std::mem::take(&mut self.line);
        if line.is_empty() {
            if self.has_data {
                out.push(SseEvent {
                    event: std::mem::take(&mut self.event),
                    data: std::mem::take(&mut self.data),
                    id: self.id.clone(),
                });
            }
            self.reset_event();
        } else if line[0] == b':' {
            self.comments += 1;
        } else {
            let (name, value) = match line.iter().position(|&c| c == b':') {
                Some(i) => {
                    let v = &line[i + 1..];
                    (&line[..i], v.strip_prefix(b" ").unwrap_or(v))
                }
                None => (&line[..], &[][..]),
            };
            let value = String::from_utf8_lossy(value);
            match name {
                b"data" => {
                    if self.has_data {
                        self.data.push('\n');
                    }
                    self.data.push_str(&value);
                    self.has_data = true;
                }
                b"event" => self.event = value.into_owned(),
                b"id" if !value.contains('\0') => self.id = Some(value.into_owned()),
                _ => {}
            }
        }
        self.line = line;
        self.line.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_split(input: &[u8], split: usize) -> Vec<SseEvent> {
        let mut p = SseParser::new();
        let mut out = Vec::new();
        for chunk in input.chunks(split.max(1)) {
            p.feed(chunk, &mut out);
        }
        out
    }

    #[test]
    fn comments_are_skipped_and_data_kept() {
        let s = b": OPENROUTER PROCESSING\n\ndata: {\"a\":1}\n\n: x\ndata: [DONE]\n\n";
        let ev = parse_split(s, 1000);
        assert_eq!(ev.len(), 2);
        assert_eq!(ev[0].data, "{\"a\":1}");
        assert_eq!(ev[1].data, "[DONE]");
    }

    #[test]
    fn every_split_point_and_line_ending_gives_the_same_events() {
        let lf = b"data: one\n\ndata: two\ndata: three\n\n".to_vec();
        let crlf = b"data: one\r\n\r\ndata: two\r\ndata: three\r\n\r\n".to_vec();
        let cr = b"data: one\r\rdata: two\rdata: three\r\r".to_vec();
        let want = parse_split(&lf, 1000);
        assert_eq!(want.len(), 2);
        assert_eq!(want[1].data, "two\nthree");
        for input in [&lf, &crlf, &cr] {
            for split in 1..input.len() {
                assert_eq!(parse_split(input, split), want, "split {split}");
            }
        }
    }

    #[test]
    fn unterminated_event_is_not_dispatched() {
        let mut p = SseParser::new();
        let mut out = Vec::new();
        p.feed(b"data: partial", &mut out);
        assert!(out.is_empty());
        assert!(p.finish());
    }

    #[test]
    fn bom_is_ignored_even_when_split() {
        assert_eq!(parse_split(b"\xEF\xBB\xBFdata: x\n\n", 1)[0].data, "x");
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        /// Feeds `input` in pieces cut at `cuts` (positions, any order).
        fn parse_cut(input: &[u8], cuts: &[usize]) -> Vec<SseEvent> {
            let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
            cuts.sort_unstable();
            let mut p = SseParser::new();
            let mut out = Vec::new();
            let mut at = 0;
            for c in cuts.into_iter().chain(std::iter::once(input.len())) {
                p.feed(&input[at..c], &mut out);
                at = c;
            }
            out
        }

        /// One line of an event stream, without its terminator.
        fn line() -> impl Strategy<Value = String> {
            prop_oneof![
                "[ -~]{0,12}".prop_map(|v| format!("data: {v}")),
                "[ -~]{0,12}".prop_map(|v| format!("data:{v}")),
                Just("data".to_string()),
                Just(": OPENROUTER PROCESSING".to_string()),
                "[ -~]{0,8}".prop_map(|v| format!(":{v}")),
                "[a-z]{0,6}".prop_map(|v| format!("event: {v}")),
                "[ -~]{0,6}".prop_map(|v| format!("id: {v}")),
                "[a-z]{1,6}: [ -~]{0,6}",
                Just(String::new()),
                Just(String::new()),
                "\\PC{0,6}".prop_map(|v| format!("data: {v}")),
            ]
        }

        fn terminator() -> impl Strategy<Value = &'static str> {
            prop::sample::select(vec!["\n", "\r\n", "\r"])
        }

        fn stream() -> impl Strategy<Value = (Vec<String>, Vec<&'static str>)> {
            prop::collection::vec((line(), terminator()), 0..24).prop_map(|v| {
                let (lines, mut ends): (Vec<String>, Vec<&str>) = v.into_iter().unzip();
                // A CR then an empty line ended by LF is one CRLF on the
                // wire, not two line endings: frame that empty line with
                // CRLF so the generated lines are the lines sent.
                for i in 1..lines.len() {
                    if ends[i - 1] == "\r" && lines[i].is_empty() && ends[i] == "\n" {
                        ends[i] = "\r\n";
                    }
                }
                (lines, ends)
            })
        }

        fn join(lines: &[String], ends: &[&str]) -> Vec<u8> {
            let mut out = Vec::new();
            for (l, e) in lines.iter().zip(ends) {
                out.extend_from_slice(l.as_bytes());
                out.extend_from_slice(e.as_bytes());
            }
            out
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(32))]

            /// The events do not depend on where the bytes were split, nor
            /// on which line ending (LF, CRLF, CR, mixed) framed each line.
            #[test]
            fn events_are_the_same_whatever_the_split_and_line_endings(
                (lines, ends) in stream(),
                cuts in prop::collection::vec(any::<usize>(), 0..8),
                bom in any::<bool>(),
            ) {
                let mut bytes = if bom { b"\xEF\xBB\xBF".to_vec() } else { Vec::new() };
                bytes.extend(join(&lines, &ends));
                let whole = parse_cut(&bytes, &[]);
                prop_assert_eq!(&parse_cut(&bytes, &cuts), &whole);
                let lf = vec!["\n"; lines.len()];
                let mut plain = if bom { b"\xEF\xBB\xBF".to_vec() } else { Vec::new() };
                plain.extend(join(&lines, &lf));
                prop_assert_eq!(&parse_cut(&plain, &[]), &whole);
                // One event per blank line that follows data.
                prop_assert!(whole.len() <= lines.iter().filter(|l| l.is_empty()).count());
            }

            /// A truncated stream yields a prefix of the whole stream's
            /// events: a cut never invents, changes or reorders one.
            #[test]
            fn a_truncated_stream_gives_a_prefix_of_the_events((lines, ends) in stream(), cut in any::<usize>()) {
                let bytes = join(&lines, &ends);
                let whole = parse_cut(&bytes, &[]);
                let short = parse_cut(&bytes[..cut % (bytes.len() + 1)], &[]);
                prop_assert!(short.len() <= whole.len());
                prop_assert_eq!(&whole[..short.len()], &short[..]);
            }

            /// Arbitrary bytes: no panic; no line terminator inside a value.
            #[test]
            fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..96), cuts in prop::collection::vec(any::<usize>(), 0..6)) {
                let events = parse_cut(&bytes, &cuts);
                prop_assert_eq!(&events, &parse_cut(&bytes, &[]));
                for e in &events {
                    prop_assert!(!e.data.contains('\r') && !e.event.contains(['\r', '\n']));
                }
                let mut p = SseParser::new();
                let mut out = Vec::new();
                p.feed(&bytes, &mut out);
                p.finish();
                p.feed(b"data: after\n\n", &mut out);
                prop_assert_eq!(out.last().map(|e| e.data.as_str()), Some("after"));
            }
        }
    }
}

/*!
`fake-openrouter`: runs the fake OpenRouter server for demos and benchmarks.

```text
fake-openrouter [--port N] [--key K] [--relative-polling] [--video-bytes N]
                [--fault-rate R --seed S] [--in-progress-polls N] [--latency-ms N] [--until-stdin-eof]
```

Prints exactly one line, `listening <base_url>`, then serves until killed
(or until standard input closes with `--until-stdin-eof`).
*/

use std::io::{Read, Write};
use std::process::ExitCode;

use fake_openrouter::{FakeServer, Options, PollingUrlStyle, ServedFile, VideoJobSpec};

const USAGE: &str = "usage: fake-openrouter [--port N] [--key K] [--relative-polling] \
[--video-bytes N] [--fault-rate R --seed S] [--in-progress-polls N] [--latency-ms N] [--until-stdin-eof]";

/// Parsed command line.
#[derive(Debug, Default)]
struct Args {
    port: u16,
    key: Option<String>,
    relative: bool,
    video_bytes: Option<u64>,
    fault_rate: Option<f64>,
    seed: u64,
    in_progress_polls: Option<u32>,
    latency_ms: Option<u64>,
    until_stdin_eof: bool,
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
    fn value<T: std::str::FromStr>(flag: &str, v: Option<String>) -> Result<T, String> {
        let v = v.ok_or_else(|| format!("{flag} needs a value"))?;
        v.parse()
            .map_err(|_| format!("invalid value for {flag}: {v:?}"))
    }
    let mut out = Args::default();
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (a.clone(), None),
        };
        let mut next = || inline.clone().or_else(|| it.next());
        match flag.as_str() {
            "--port" => out.port = value(&flag, next())?,
            "--key" => out.key = Some(value(&flag, next())?),
            "--relative-polling" => out.relative = true,
            "--video-bytes" => out.video_bytes = Some(value(&flag, next())?),
            "--fault-rate" => out.fault_rate = Some(value(&flag, next())?),
            "--seed" => out.seed = value(&flag, next())?,
            "--in-progress-polls" => out.in_progress_polls = Some(value(&flag, next())?),
            "--latency-ms" => out.latency_ms = Some(value(&flag, next())?),
            "--until-stdin-eof" => out.until_stdin_eof = true,
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(out)
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("{msg}");
            return ExitCode::from(2);
        }
    };
    let mut opts = Options::default();
    if let Some(k) = &args.key {
        opts.api_key = k.clone();
    }
    if args.relative {
        opts.polling_url_style = PollingUrlStyle::Relative;
    }
    // Each answer waits a random 0..N ms, like a real API's latency.
    opts.latency = args.latency_ms.map(std::time::Duration::from_millis);
    let server = match FakeServer::start_on(args.port, opts) {
        Ok(s) => s,
        Err(e) => {
            eprintln!(
                "fake-openrouter: cannot listen on 127.0.0.1:{}: {e}",
                args.port
            );
            return ExitCode::from(1);
        }
    };
    let mut spec = VideoJobSpec::default();
    if let Some(n) = args.video_bytes {
        spec.video = ServedFile::generated_mp4(n, 1);
    }
    if let Some(n) = args.in_progress_polls {
        spec.in_progress_polls = n;
    }
    server.set_video_job(spec);
    if let Some(rate) = args.fault_rate {
        server.set_fault_rate(rate, args.seed);
    }
    let mut stdout = std::io::stdout();
    if writeln!(stdout, "listening {}", server.base_url())
        .and_then(|_| stdout.flush())
        .is_err()
    {
        return ExitCode::from(1);
    }
    if args.until_stdin_eof {
        let mut sink = [0u8; 1024];
        let mut stdin = std::io::stdin();
        while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
        if args.fault_rate.is_some() {
            eprintln!("faults injected: {}", server.faults_injected());
        }
        return ExitCode::SUCCESS;
    }
    loop {
        std::thread::park();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Args, String> {
        parse_args(s.split_whitespace().map(str::to_string))
    }

    #[test]
    fn parses_flags() {
        let a = parse("--port 0 --key k --relative-polling --video-bytes 1024 --fault-rate 0.1 --seed 7 --in-progress-polls 3 --until-stdin-eof")
            .expect("valid flags");
        assert_eq!(a.port, 0);
        assert_eq!(a.key.as_deref(), Some("k"));
        assert!(a.relative && a.until_stdin_eof);
        assert_eq!(a.video_bytes, Some(1024));
        assert_eq!(a.fault_rate, Some(0.1));
        assert_eq!(a.seed, 7);
        assert_eq!(a.in_progress_polls, Some(3));
        assert_eq!(parse("--port=8080").expect("inline value").port, 8080);
        assert!(parse("--bogus").is_err());
        assert!(parse("--port").is_err());
        assert!(parse("--port x").is_err());
    }
}

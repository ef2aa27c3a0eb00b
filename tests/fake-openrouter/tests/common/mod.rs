/*!
A tiny std-only HTTP/1.1 client for the integration tests: keep-alive
connections, `Content-Length` / chunked / close-delimited bodies, and an
explicit `complete` flag so truncation faults can be asserted.
*/
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use fake_openrouter::FakeServer;
use serde_json::Value;

/// A response as the client saw it.
#[derive(Debug, Clone)]
pub struct Resp {
    /// Status code (0 when the connection closed before a full head arrived).
    pub status: u16,
    /// Headers, names lowercased.
    pub headers: Vec<(String, String)>,
    /// Body bytes received (de-chunked).
    pub body: Vec<u8>,
    /// Whether the body arrived completely per its framing.
    pub complete: bool,
}

impl Resp {
    /// A header value by (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON; panics with the body text when it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text()))
    }

    /// The body as (lossy) text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The `data:` payloads of an SSE body, in order (comments skipped).
    pub fn sse_data(&self) -> Vec<String> {
        sse_data(&self.text())
    }
}

/// The `data:` payloads of an SSE text, in order (comment lines skipped).
pub fn sse_data(text: &str) -> Vec<String> {
    let normalized = text.replace("\r\n", "\n");
    normalized
        .split("\n\n")
        .filter_map(|event| {
            let data: Vec<&str> = event
                .lines()
                .filter(|l| !l.starts_with(':'))
                .filter_map(|l| l.strip_prefix("data:"))
                .map(|l| l.strip_prefix(' ').unwrap_or(l))
                .collect();
            (!data.is_empty()).then(|| data.join("\n"))
        })
        .collect()
}

/// One client connection (reusable for keep-alive).
pub struct Client {
    stream: TcpStream,
    buf: Vec<u8>,
    host: String,
}

fn host_of(origin: &str) -> String {
    let rest = origin.strip_prefix("http://").unwrap_or(origin);
    rest.split('/').next().unwrap_or(rest).to_string()
}

impl Client {
    /// Connects to `http://host:port`.
    pub fn connect(origin: &str) -> Client {
        let host = host_of(origin);
        let stream = TcpStream::connect(&host).expect("connect to fake server");
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .expect("set timeout");
        Client {
            stream,
            buf: Vec::new(),
            host,
        }
    }

    /// Sends raw bytes.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write request");
    }

    /// Sends a request with a Content-Length body and reads the response.
    pub fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Resp {
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.host);
        for (n, v) in headers {
            req.push_str(&format!("{n}: {v}\r\n"));
        }
        if !body.is_empty() || method == "POST" {
            req.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        req.push_str("\r\n");
        let mut bytes = req.into_bytes();
        bytes.extend_from_slice(body);
        self.send_raw(&bytes);
        self.read_response(method == "HEAD")
    }

    fn fill(&mut self) -> usize {
        let mut tmp = [0u8; 65536];
        match self.stream.read(&mut tmp) {
            Ok(n) => {
                self.buf.extend_from_slice(&tmp[..n]);
                n
            }
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut =>
            {
                panic!("read timed out")
            }
            Err(_) => 0,
        }
    }

    /// Reads one response.
    pub fn read_response(&mut self, head_only: bool) -> Resp {
        let (status, headers, head_len) = loop {
            let mut hdrs = [httparse::EMPTY_HEADER; 64];
            let mut r = httparse::Response::new(&mut hdrs);
            match r.parse(&self.buf) {
                Ok(httparse::Status::Complete(n)) => {
                    let headers: Vec<(String, String)> = r
                        .headers
                        .iter()
                        .map(|h| {
                            (
                                h.name.to_ascii_lowercase(),
                                String::from_utf8_lossy(h.value).to_string(),
                            )
                        })
                        .collect();
                    let code = r.code.unwrap_or(0);
                    if code == 100 && !head_only {
                        self.buf.drain(..n);
                        continue;
                    }
                    break (code, headers, n);
                }
                Ok(httparse::Status::Partial) => {
                    if self.fill() == 0 {
                        return Resp {
                            status: 0,
                            headers: Vec::new(),
                            body: Vec::new(),
                            complete: false,
                        };
                    }
                }
                Err(e) => panic!("bad response head: {e}"),
            }
        };
        self.buf.drain(..head_len);
        let find = |n: &str| headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
        let mut resp = Resp {
            status,
            headers: headers.clone(),
            body: Vec::new(),
            complete: true,
        };
        if head_only || status == 204 || status == 304 {
            return resp;
        }
        if find("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
            resp.complete = self.read_chunked(&mut resp.body);
        } else if let Some(len) = find("content-length") {
            let len: usize = len.parse().expect("numeric content-length");
            while self.buf.len() < len {
                if self.fill() == 0 {
                    break;
                }
            }
            let n = self.buf.len().min(len);
            resp.body = self.buf.drain(..n).collect();
            resp.complete = n == len;
        } else {
            while self.fill() > 0 {}
            resp.body = std::mem::take(&mut self.buf);
        }
        resp
    }

    fn read_line(&mut self) -> Option<String> {
        loop {
            if let Some(p) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line: Vec<u8> = self.buf.drain(..p + 2).collect();
                return Some(String::from_utf8_lossy(&line[..p]).to_string());
            }
            if self.fill() == 0 {
                return None;
            }
        }
    }

    fn read_chunked(&mut self, out: &mut Vec<u8>) -> bool {
        loop {
            let Some(line) = self.read_line() else {
                return false;
            };
            let size = usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16)
                .expect("chunk size");
            if size == 0 {
                return self.read_line().is_some();
            }
            while self.buf.len() < size + 2 {
                if self.fill() == 0 {
                    out.extend_from_slice(&self.buf);
                    self.buf.clear();
                    return false;
                }
            }
            out.extend(self.buf.drain(..size));
            self.buf.drain(..2);
        }
    }

    /// Whether the server has closed this connection (reads EOF).
    pub fn is_closed(&mut self) -> bool {
        self.stream
            .set_read_timeout(Some(Duration::from_millis(500)))
            .expect("set timeout");
        let mut b = [0u8; 1];
        matches!(self.stream.read(&mut b), Ok(0) | Err(_))
    }
}

/// One request on a fresh connection (`Connection: close`).
pub fn request(
    origin: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Resp {
    let mut all: Vec<(&str, &str)> = headers.to_vec();
    all.push(("Connection", "close"));
    Client::connect(origin).send(method, path, &all, body)
}

/// `Authorization` header value for the server's key.
pub fn bearer(server: &FakeServer) -> String {
    format!("Bearer {}", server.api_key())
}

/// An authorized GET of a path (relative to the origin, e.g. `/api/v1/key`).
pub fn get(server: &FakeServer, path: &str) -> Resp {
    let auth = bearer(server);
    request(
        &server.origin(),
        "GET",
        path,
        &[("Authorization", &auth)],
        b"",
    )
}

/// An authorized GET with extra headers.
pub fn get_with(server: &FakeServer, path: &str, extra: &[(&str, &str)]) -> Resp {
    let auth = bearer(server);
    let mut headers = vec![("Authorization", auth.as_str())];
    headers.extend_from_slice(extra);
    request(&server.origin(), "GET", path, &headers, b"")
}

/// An authorized JSON POST.
pub fn post_json(server: &FakeServer, path: &str, body: &Value) -> Resp {
    let auth = bearer(server);
    request(
        &server.origin(),
        "POST",
        path,
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        body.to_string().as_bytes(),
    )
}

/// A minimal chat request body.
pub fn chat_body(model: &str, text: &str, stream: bool) -> Value {
    serde_json::json!({
        "model": model,
        "messages": [{"role": "user", "content": text}],
        "stream": stream
    })
}

/// The path part of an absolute or relative polling URL.
pub fn path_of(url: &str) -> String {
    match url.strip_prefix("http://") {
        Some(rest) => rest
            .find('/')
            .map(|i| rest[i..].to_string())
            .unwrap_or_else(|| "/".into()),
        None => url.to_string(),
    }
}

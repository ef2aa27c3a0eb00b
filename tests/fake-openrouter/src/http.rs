/*!
Hand-written HTTP/1.1 wire handling: reading request heads (with `httparse`)
and bodies (`Content-Length` or `Transfer-Encoding: chunked`), and writing
responses byte by byte so that faults (truncation, short bodies, stalls) are exact.
*/

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use crate::data::fill_generated;
use crate::{FileSource, RecordedRequest, ServedFile};

/// Largest accepted request head.
const MAX_HEAD: usize = 64 * 1024;
/// Largest accepted request body (OpenRouter caps video submissions at 50 MiB).
pub(crate) const MAX_BODY: u64 = 50 * 1024 * 1024;
/// Bodies are written in slices of this size.
pub(crate) const SLICE: usize = 64 * 1024;

/// Why a request could not be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The socket failed or closed mid-request.
    Io,
    /// The request is not valid HTTP/1.1 (answered with 400).
    Bad(String),
    /// The declared body is over [`MAX_BODY`] (answered with 413); the head is recorded.
    TooLarge(RecordedRequest),
}

impl From<io::Error> for ReadError {
    fn from(_: io::Error) -> ReadError {
        ReadError::Io
    }
}

/// A parsed request.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub(crate) method: String,
    pub(crate) target: String,
    /// `true` when the client asked to keep the connection open (HTTP/1.1 default).
    pub(crate) keep_alive: bool,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Request {
    /// The first header with this (lowercase) name.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The path without query.
    pub(crate) fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    /// The raw query string (after `?`), if any.
    pub(crate) fn query(&self) -> Option<&str> {
        self.target.split_once('?').map(|(_, q)| q)
    }

    /// The decoded value of query parameter `name`.
    pub(crate) fn query_param(&self, name: &str) -> Option<String> {
        self.query()?.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k) == name).then(|| percent_decode(v))
        })
    }

    /// The record kept by the server.
    pub(crate) fn record(&self) -> RecordedRequest {
        RecordedRequest {
            method: self.method.clone(),
            path: self.target.clone(),
            headers: self.headers.clone(),
            body: self.body.clone(),
        }
    }
}

/// Decodes `%XX` escapes and `+` (as space) in a query component.
pub(crate) fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One client connection: the socket plus bytes read but not yet consumed.
pub(crate) struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    /// Wraps an accepted socket.
    pub(crate) fn new(stream: TcpStream) -> Conn {
        Conn {
            stream,
            buf: Vec::new(),
        }
    }

    /// Reads more bytes into the buffer; `Ok(0)` at end of stream.
    fn fill(&mut self) -> io::Result<usize> {
        let mut tmp = [0u8; 16 * 1024];
        loop {
            match self.stream.read(&mut tmp) {
                Ok(n) => {
                    self.buf.extend_from_slice(&tmp[..n]);
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    fn need(&mut self, n: usize) -> Result<(), ReadError> {
        while self.buf.len() < n {
            if self.fill()? == 0 {
                return Err(ReadError::Io);
            }
        }
        Ok(())
    }

    fn take(&mut self, n: usize) -> Vec<u8> {
        let rest = self.buf.split_off(n);
        std::mem::replace(&mut self.buf, rest)
    }

    /// Reads one CRLF-terminated line (without the CRLF).
    fn read_line(&mut self) -> Result<Vec<u8>, ReadError> {
        loop {
            if let Some(pos) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let mut line = self.take(pos + 2);
                line.truncate(pos);
                return Ok(line);
            }
            if self.buf.len() > MAX_HEAD {
                return Err(ReadError::Bad("line too long".into()));
            }
            if self.fill()? == 0 {
                return Err(ReadError::Io);
            }
        }
    }

    /// Reads and discards `n` bytes.
    fn discard(&mut self, mut n: u64) -> io::Result<()> {
        let have = (self.buf.len() as u64).min(n);
        self.take(have as usize);
        n -= have;
        let mut tmp = vec![0u8; SLICE];
        while n > 0 {
            let want = (n as usize).min(tmp.len());
            let got = self.stream.read(&mut tmp[..want])?;
            if got == 0 {
                return Ok(());
            }
            n -= got as u64;
        }
        Ok(())
    }

    /// Reads the next request; `Ok(None)` when the client closed the connection
    /// cleanly between requests.
    pub(crate) fn read_request(&mut self) -> Result<Option<Request>, ReadError> {
        let (head_len, method, target, minor, headers) = loop {
            if !self.buf.is_empty() {
                let mut hdrs = [httparse::EMPTY_HEADER; 96];
                let mut req = httparse::Request::new(&mut hdrs);
                match req.parse(&self.buf) {
                    Ok(httparse::Status::Complete(n)) => {
                        let headers: Vec<(String, String)> = req
                            .headers
                            .iter()
                            .map(|h| {
                                (
                                    h.name.to_ascii_lowercase(),
                                    String::from_utf8_lossy(h.value).trim().to_string(),
                                )
                            })
                            .collect();
                        break (
                            n,
                            req.method.unwrap_or("GET").to_string(),
                            req.path.unwrap_or("/").to_string(),
                            req.version.unwrap_or(1),
                            headers,
                        );
                    }
                    Ok(httparse::Status::Partial) => {
                        if self.buf.len() > MAX_HEAD {
                            return Err(ReadError::Bad("request head too large".into()));
                        }
                    }
                    Err(e) => return Err(ReadError::Bad(format!("malformed request: {e}"))),
                }
            }
            match self.fill() {
                Ok(0) if self.buf.is_empty() => return Ok(None),
                Ok(0) => return Err(ReadError::Io),
                Ok(_) => {}
                // A reset between requests is an ordinary hang-up.
                Err(_) if self.buf.is_empty() => return Ok(None),
                Err(_) => return Err(ReadError::Io),
            }
        };
        self.take(head_len);
        let find = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        let connection = find("connection").unwrap_or_default().to_ascii_lowercase();
        let transfer_encoding = find("transfer-encoding");
        let content_length = find("content-length");
        let expect = find("expect");
        let keep_alive = if minor == 0 {
            connection.contains("keep-alive")
        } else {
            !connection.contains("close")
        };
        let mut req = Request {
            method,
            target,
            keep_alive,
            headers,
            body: Vec::new(),
        };
        let chunked = transfer_encoding
            .map(|v| v.to_ascii_lowercase().contains("chunked"))
            .unwrap_or(false);
        let length = match content_length {
            Some(v) if !chunked => Some(
                v.parse::<u64>()
                    .map_err(|_| ReadError::Bad("invalid Content-Length".into()))?,
            ),
            _ => None,
        };
        if let Some(len) = length {
            if len > MAX_BODY {
                // Let the client finish sending so it can read the 413.
                if len <= 4 * MAX_BODY {
                    let _ = self.discard(len);
                }
                return Err(ReadError::TooLarge(req.record()));
            }
        }
        let expects_continue = expect
            .map(|v| v.eq_ignore_ascii_case("100-continue"))
            .unwrap_or(false);
        if expects_continue && (chunked || length.unwrap_or(0) > 0) {
            self.stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        }
        if chunked {
            req.body = self.read_chunked_body()?;
            if req.body.len() as u64 > MAX_BODY {
                return Err(ReadError::TooLarge(req.record()));
            }
        } else if let Some(len) = length {
            let len = len as usize;
            self.need(len)?;
            req.body = self.take(len);
        }
        Ok(Some(req))
    }

    fn read_chunked_body(&mut self) -> Result<Vec<u8>, ReadError> {
        let mut body = Vec::new();
        loop {
            let line = self.read_line()?;
            let line = String::from_utf8_lossy(&line);
            let size_str = line.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(size_str, 16)
                .map_err(|_| ReadError::Bad("invalid chunk size".into()))?;
            if size == 0 {
                // Trailers, up to the empty line.
                loop {
                    if self.read_line()?.is_empty() {
                        return Ok(body);
                    }
                }
            }
            if body.len() as u64 + size as u64 > MAX_BODY + 1 {
                return Err(ReadError::Bad("chunked body too large".into()));
            }
            self.need(size + 2)?;
            let chunk = self.take(size + 2);
            if &chunk[size..] != b"\r\n" {
                return Err(ReadError::Bad("chunk not followed by CRLF".into()));
            }
            body.extend_from_slice(&chunk[..size]);
        }
    }

    /// Writes all bytes.
    pub(crate) fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)
    }

    /// Flushes the socket.
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }

    /// Shuts the connection down in both directions.
    pub(crate) fn close(&mut self) {
        let _ = self.stream.flush();
        let _ = self.stream.shutdown(Shutdown::Write);
        // Give the peer a moment to read what was sent before the socket closes
        // (closing with unread input would turn into a reset).
        let _ = self
            .stream
            .set_read_timeout(Some(Duration::from_millis(50)));
        let mut tmp = [0u8; 4096];
        for _ in 0..64 {
            match self.stream.read(&mut tmp) {
                Ok(n) if n > 0 => continue,
                _ => break,
            }
        }
        let _ = self.stream.shutdown(Shutdown::Both);
    }
}

/// The body of a response.
#[derive(Debug, Clone)]
pub(crate) enum Body {
    /// In-memory bytes.
    Bytes(Vec<u8>),
    /// A slice `start..start+len` of a served file.
    File {
        file: Arc<ServedFile>,
        start: u64,
        len: u64,
    },
    /// Server-sent events, each a complete framed event (sent as one chunk each).
    Sse(Vec<Vec<u8>>),
}

impl Body {
    /// Body length in bytes.
    pub(crate) fn len(&self) -> u64 {
        match self {
            Body::Bytes(b) => b.len() as u64,
            Body::File { len, .. } => *len,
            Body::Sse(events) => events.iter().map(|e| e.len() as u64).sum(),
        }
    }
}

/// A response ready to be written.
#[derive(Debug, Clone)]
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Body,
    /// Close the connection after this response.
    pub(crate) close: bool,
}

impl Response {
    /// A response with a body and a content type.
    pub(crate) fn new(status: u16, content_type: &str, body: Body) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body,
            close: false,
        }
    }

    /// A JSON response.
    pub(crate) fn json(status: u16, value: &serde_json::Value) -> Response {
        Response::new(
            status,
            "application/json",
            Body::Bytes(value.to_string().into_bytes()),
        )
    }

    /// Adds a header.
    pub(crate) fn with_header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
}

/// How a response is delivered (faults that affect the wire).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Delivery {
    /// Normally.
    Normal,
    /// Headers + first N body bytes, then close.
    DropAfter(u64),
    /// Like `DropAfter`, at this fraction of the body (soak mode).
    DropAtFraction(f64),
    /// Content-Length overstated by N, full body, close.
    ShortBy(u64),
    /// Headers + about half the body, stall, close.
    Stall(Duration),
}

/// The standard reason phrase of a status code.
pub(crate) fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Payload Too Large",
        416 => "Range Not Satisfiable",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        524 => "A Timeout Occurred",
        529 => "Site is overloaded",
        _ => "Unknown",
    }
}

/// Message framing of a response.
enum Framing {
    Length(u64),
    Chunked,
}

fn head_bytes(resp: &Response, framing: &Framing, close: bool) -> Vec<u8> {
    let mut h = format!("HTTP/1.1 {} {}\r\n", resp.status, reason(resp.status));
    h.push_str("Server: fake-openrouter\r\n");
    for (n, v) in &resp.headers {
        h.push_str(n);
        h.push_str(": ");
        h.push_str(v);
        h.push_str("\r\n");
    }
    match framing {
        Framing::Length(n) => h.push_str(&format!("Content-Length: {n}\r\n")),
        Framing::Chunked => h.push_str("Transfer-Encoding: chunked\r\n"),
    }
    if close {
        h.push_str("Connection: close\r\n");
    }
    h.push_str("\r\n");
    h.into_bytes()
}

/// Streams body bytes `from..to` (clamped), in slices of at most 64 KiB.
fn write_body_range(conn: &mut Conn, body: &Body, from: u64, to: u64) -> io::Result<()> {
    let to = to.min(body.len());
    if from >= to {
        return Ok(());
    }
    match body {
        Body::Bytes(b) => {
            for slice in b[from as usize..to as usize].chunks(SLICE) {
                conn.write(slice)?;
            }
        }
        Body::File { file, start, .. } => match &file.source {
            FileSource::Bytes(b) => {
                let lo = (start + from) as usize;
                let hi = (start + to) as usize;
                for slice in b[lo..hi].chunks(SLICE) {
                    conn.write(slice)?;
                }
            }
            FileSource::Generated { len, seed } => {
                let mut buf = vec![0u8; SLICE];
                let mut pos = start + from;
                let end = start + to;
                while pos < end {
                    let n = ((end - pos) as usize).min(SLICE);
                    fill_generated(*seed, *len, pos, &mut buf[..n]);
                    conn.write(&buf[..n])?;
                    pos += n as u64;
                }
            }
        },
        Body::Sse(events) => {
            let mut all = Vec::new();
            for e in events {
                all.extend_from_slice(e);
            }
            conn.write(&all[from as usize..to as usize])?;
        }
    }
    Ok(())
}

/// Writes one chunk of a chunked body.
fn write_chunk(conn: &mut Conn, data: &[u8]) -> io::Result<()> {
    if data.is_empty() {
        return Ok(());
    }
    let mut framed = format!("{:x}\r\n", data.len()).into_bytes();
    framed.extend_from_slice(data);
    framed.extend_from_slice(b"\r\n");
    conn.write(&framed)?;
    conn.flush()
}

/// Writes `resp` according to `delivery`. `head_only` is for HEAD requests.
/// `sleep` is the (interruptible) sleep used for stalls. Returns whether the
/// connection may be kept open.
pub(crate) fn send(
    conn: &mut Conn,
    resp: &Response,
    delivery: Delivery,
    head_only: bool,
    keep_alive: bool,
    sleep: &dyn Fn(Duration),
) -> io::Result<bool> {
    let total = resp.body.len();
    let sse = matches!(resp.body, Body::Sse(_));
    match delivery {
        Delivery::Normal => {
            let close = resp.close || !keep_alive;
            if let (Body::Sse(events), false) = (&resp.body, head_only) {
                conn.write(&head_bytes(resp, &Framing::Chunked, close))?;
                conn.flush()?;
                for e in events {
                    write_chunk(conn, e)?;
                }
                conn.write(b"0\r\n\r\n")?;
            } else {
                let framing = if sse {
                    Framing::Chunked
                } else {
                    Framing::Length(total)
                };
                conn.write(&head_bytes(resp, &framing, close))?;
                if !head_only {
                    write_body_range(conn, &resp.body, 0, total)?;
                }
            }
            conn.flush()?;
            Ok(!close)
        }
        Delivery::DropAfter(_) | Delivery::DropAtFraction(_) => {
            let cut = match delivery {
                Delivery::DropAfter(n) => n.min(total),
                Delivery::DropAtFraction(f) if total > 0 => {
                    ((total as f64 * f) as u64).min(total - 1)
                }
                _ => 0,
            };
            if let Body::Sse(events) = &resp.body {
                conn.write(&head_bytes(resp, &Framing::Chunked, false))?;
                let mut left = cut as usize;
                for e in events {
                    if left == 0 {
                        break;
                    }
                    let n = left.min(e.len());
                    write_chunk(conn, &e[..n])?;
                    left -= n;
                }
            } else {
                conn.write(&head_bytes(resp, &Framing::Length(total), false))?;
                write_body_range(conn, &resp.body, 0, cut)?;
            }
            conn.flush()?;
            Ok(false)
        }
        Delivery::ShortBy(extra) => {
            conn.write(&head_bytes(resp, &Framing::Length(total + extra), false))?;
            if let Body::Sse(events) = &resp.body {
                for e in events {
                    conn.write(e)?;
                    conn.flush()?;
                }
            } else {
                write_body_range(conn, &resp.body, 0, total)?;
            }
            conn.flush()?;
            Ok(false)
        }
        Delivery::Stall(d) => {
            if let Body::Sse(events) = &resp.body {
                conn.write(&head_bytes(resp, &Framing::Chunked, false))?;
                conn.flush()?;
                let n = (events.len() / 2).max(1).min(events.len());
                for e in &events[..n] {
                    write_chunk(conn, e)?;
                }
            } else {
                conn.write(&head_bytes(resp, &Framing::Length(total), false))?;
                write_body_range(conn, &resp.body, 0, total / 2)?;
            }
            conn.flush()?;
            sleep(d);
            Ok(false)
        }
    }
}

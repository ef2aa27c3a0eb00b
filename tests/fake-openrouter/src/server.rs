/*!
The server core: shared state, the accept loop, per-connection threads with
HTTP/1.1 keep-alive, and shutdown.
*/

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::http::{Conn, ReadError};
use crate::rng::XorShift;
use crate::{handlers, Options, RecordedRequest, Route, ServedFile, Step, VideoJobSpec};

/// A submitted video job.
#[derive(Debug)]
pub(crate) struct Job {
    /// The job id.
    pub(crate) id: String,
    /// The `polling_url` handed out at submit.
    pub(crate) polling_url: String,
    /// The generation id reported once completed.
    pub(crate) generation_id: String,
    /// The behaviour captured at submit time.
    pub(crate) spec: Arc<VideoJobSpec>,
    /// The video served by the content endpoint (shared, not copied per request).
    pub(crate) video: Arc<ServedFile>,
    /// Polls answered so far.
    pub(crate) polls: u32,
}

/// Mutable server state, behind one mutex.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) requests: Vec<RecordedRequest>,
    pub(crate) scripts: HashMap<Route, VecDeque<Step>>,
    pub(crate) model_scripts: HashMap<String, VecDeque<Step>>,
    pub(crate) video_spec: Arc<VideoJobSpec>,
    pub(crate) video_file: Arc<ServedFile>,
    pub(crate) jobs: HashMap<String, Job>,
    pub(crate) job_counter: u64,
    pub(crate) files: HashMap<String, Arc<ServedFile>>,
    pub(crate) models: Option<serde_json::Value>,
    pub(crate) video_models: Option<serde_json::Value>,
    pub(crate) image_models: Option<serde_json::Value>,
    pub(crate) image_endpoints: HashMap<String, serde_json::Value>,
    pub(crate) fault: Option<(f64, XorShift)>,
    /// Jitter, ids and other non-fault randomness.
    pub(crate) rng: XorShift,
}

/// State shared by the handle, the accept thread and the connection threads.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) opts: Options,
    pub(crate) origin: String,
    pub(crate) addr: SocketAddr,
    pub(crate) faults: AtomicU64,
    pub(crate) shutdown: AtomicBool,
    state: Mutex<State>,
    conns: Mutex<HashMap<u64, TcpStream>>,
}

impl Shared {
    /// Locks the state, ignoring poisoning (a panicked thread must not wedge the server).
    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn conns(&self) -> MutexGuard<'_, HashMap<u64, TcpStream>> {
        self.conns.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the server is shutting down.
    pub(crate) fn stopping(&self) -> bool {
        self.shutdown.load(Ordering::SeqCst)
    }

    /// Sleeps for `d`, waking early when the server shuts down.
    pub(crate) fn sleep(&self, d: Duration) {
        let end = Instant::now() + d;
        loop {
            let now = Instant::now();
            if now >= end || self.stopping() {
                return;
            }
            std::thread::sleep((end - now).min(Duration::from_millis(20)));
        }
    }

    /// Stops accepting, closes every open connection and joins the accept thread.
    pub(crate) fn stop(&self, accept: Option<JoinHandle<()>>) {
        self.shutdown.store(true, Ordering::SeqCst);
        let woke = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1)).is_ok();
        if let Some(handle) = accept {
            if woke {
                let _ = handle.join();
            }
        }
        for (_, s) in self.conns().drain() {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

/// Binds `127.0.0.1:port` and spawns the accept thread.
pub(crate) fn start(port: u16, opts: Options) -> io::Result<(Arc<Shared>, JoinHandle<()>)> {
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    let addr = listener.local_addr()?;
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
        ^ u64::from(addr.port());
    let shared = Arc::new(Shared {
        origin: format!("http://127.0.0.1:{}", addr.port()),
        addr,
        opts,
        faults: AtomicU64::new(0),
        shutdown: AtomicBool::new(false),
        state: Mutex::new(State {
            requests: Vec::new(),
            scripts: HashMap::new(),
            model_scripts: HashMap::new(),
            video_spec: Arc::new(VideoJobSpec::default()),
            video_file: Arc::new(VideoJobSpec::default().video),
            jobs: HashMap::new(),
            job_counter: 0,
            files: HashMap::new(),
            models: None,
            video_models: None,
            image_models: None,
            image_endpoints: HashMap::new(),
            fault: None,
            rng: XorShift::new(seed),
        }),
        conns: Mutex::new(HashMap::new()),
    });
    let s2 = Arc::clone(&shared);
    let handle = std::thread::Builder::new()
        .name(format!("fake-openrouter-accept-{}", addr.port()))
        .spawn(move || accept_loop(s2, listener))?;
    Ok((shared, handle))
}

fn accept_loop(shared: Arc<Shared>, listener: TcpListener) {
    let mut next_id: u64 = 0;
    loop {
        let accepted = listener.accept();
        if shared.stopping() {
            return;
        }
        let stream = match accepted {
            Ok((s, _)) => s,
            Err(_) => {
                std::thread::sleep(Duration::from_millis(5));
                continue;
            }
        };
        next_id += 1;
        let id = next_id;
        if let Ok(clone) = stream.try_clone() {
            shared.conns().insert(id, clone);
        }
        let s2 = Arc::clone(&shared);
        let spawned = std::thread::Builder::new()
            .name("fake-openrouter-conn".to_string())
            .spawn(move || {
                serve_connection(&s2, stream);
                s2.conns().remove(&id);
            });
        if spawned.is_err() {
            if let Some(s) = shared.conns().remove(&id) {
                let _ = s.shutdown(Shutdown::Both);
            }
        }
    }
}

fn serve_connection(shared: &Shared, stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let mut conn = Conn::new(stream);
    loop {
        if shared.stopping() {
            break;
        }
        match conn.read_request() {
            Ok(None) => break,
            Ok(Some(req)) => {
                let keep_alive = handlers::handle(shared, &mut conn, req);
                if !keep_alive {
                    break;
                }
            }
            Err(ReadError::Io) => break,
            Err(ReadError::Bad(msg)) => {
                let _ = handlers::send_protocol_error(&mut conn, 400, &msg);
                break;
            }
            Err(ReadError::TooLarge(req)) => {
                shared.state().requests.push(req);
                let _ = handlers::send_protocol_error(&mut conn, 413, "Request payload too large");
                break;
            }
        }
    }
    conn.close();
}

/*!
Durable output files: written front to back, made durable (fsync) before
they are renamed into place, with the cost of that fsync spread over the
download instead of paid at its end.

Written bytes stay in the page cache until something writes them back: the
kernel starts on its own only past `vm.dirty_background_ratio` (10 % of
memory by default) or after 30 s, so the final fsync of a 1 GiB video
writes the whole gigabyte while the user waits. On Linux, [`DurableFile`]
starts writeback of each completed window ([`WINDOW`], 16 MiB) while the
next one arrives: a helper thread calls
`sync_file_range(SYNC_FILE_RANGE_WRITE)` on the new window, then waits for
the one before it (`WAIT_BEFORE | WRITE | WAIT_AFTER`), so about two
windows at most are unwritten and the final fsync only writes the tail and
the metadata.

The writer never waits for the helper: it records how far the file is
written (a store under a mutex that is never held across a system call),
wakes the helper and goes on. A helper still busy with an earlier round
picks up the latest mark when it is done: rounds are skipped, never
queued, so a disk slower than the network makes the final fsync longer,
never the transfer. The helper is started with the first full window (a
small image or speech file never starts one).

Durability never depends on the helper: [`DurableFile::sync_all`] always
ends with `fsync`. A writeback error the helper saw is returned from it
too, because Linux reports such an error once per open file: the fsync
after it would succeed. Where `sync_file_range` is not supported (another
system, or a file system that refuses it), the file gets the plain fsync
at the end.
*/

use std::fs::File;
use std::io::{self, Write};

/// What a [`DurableFile`] writes through: a [`File`], or a
/// [`tempfile::NamedTempFile`] (removed when dropped unless committed).
pub trait Backing: Write {
    /// The open file.
    fn file(&self) -> &File;
    /// The open file, for a positioned rewrite.
    fn file_mut(&mut self) -> &mut File;
}

impl Backing for File {
    fn file(&self) -> &File {
        self
    }
    fn file_mut(&mut self) -> &mut File {
        self
    }
}

impl Backing for tempfile::NamedTempFile {
    fn file(&self) -> &File {
        self.as_file()
    }
    fn file_mut(&mut self) -> &mut File {
        self.as_file_mut()
    }
}

/// How much is buffered before it is written to the file.
const BUF: usize = 256 * 1024;

/// The span whose writeback is started at once, once it is complete.
pub const WINDOW: u64 = 16 * 1024 * 1024;

/// A file written front to back and made durable by [`DurableFile::sync_all`].
///
/// Dropping it discards what is still buffered (nothing is flushed), so a
/// restarted output cannot receive bytes of the attempt it replaces.
pub struct DurableFile<F: Backing = File> {
    file: F,
    buf: Vec<u8>,
    /// Bytes handed to the kernel through [`Write`].
    written: u64,
    /// The length at which the next writeback round starts.
    next_round: u64,
    window: u64,
    #[cfg(target_os = "linux")]
    helper: Option<linux::Helper>,
}

impl<F: Backing> DurableFile<F> {
    /// Writes through `file` (new and empty), starting writeback every
    /// [`WINDOW`] bytes.
    pub fn new(file: F) -> DurableFile<F> {
        DurableFile::with_window(file, WINDOW)
    }

    /// Like [`DurableFile::new`] with another window (tests use small ones).
    pub fn with_window(file: F, window: u64) -> DurableFile<F> {
        DurableFile {
            file,
            buf: Vec::new(),
            written: 0,
            next_round: window.max(1),
            window: window.max(1),
            #[cfg(target_os = "linux")]
            helper: None,
        }
    }

    /// The file, for a positioned rewrite (a header) after [`Write::flush`].
    pub fn get_mut(&mut self) -> &mut File {
        self.file.file_mut()
    }

    /// The file written through, after [`DurableFile::sync_all`] (what is
    /// still buffered is written first).
    pub fn into_inner(mut self) -> io::Result<F> {
        self.flush()?;
        Ok(self.file)
    }

    /// Writes what is buffered, waits for the writeback in progress and
    /// makes the file durable (`fsync`: data and metadata).
    pub fn sync_all(&mut self) -> io::Result<()> {
        self.flush()?;
        #[cfg(target_os = "linux")]
        let seen = self.helper.take().and_then(linux::Helper::finish);
        #[cfg(not(target_os = "linux"))]
        let seen: Option<io::Error> = None;
        self.file.file().sync_all()?;
        seen.map_or(Ok(()), Err)
    }

    /// Writeback rounds the helper has done (0 without a helper).
    pub fn rounds(&self) -> u64 {
        #[cfg(target_os = "linux")]
        if let Some(h) = &self.helper {
            return h.rounds();
        }
        0
    }

    fn write_out(&mut self, data: &[u8]) -> io::Result<()> {
        self.file.write_all(data)?;
        self.written += data.len() as u64;
        if self.written >= self.next_round {
            self.next_round = (self.written / self.window + 1) * self.window;
            self.start_writeback();
        }
        Ok(())
    }

    #[cfg(target_os = "linux")]
    fn start_writeback(&mut self) {
        if self.helper.is_none() {
            // No helper (no thread, no descriptor): the final fsync does it all.
            self.helper = linux::Helper::start(self.file.file());
        }
        if let Some(h) = &self.helper {
            h.mark(self.written);
        }
    }

    #[cfg(not(target_os = "linux"))]
    fn start_writeback(&mut self) {}
}

impl<F: Backing> Write for DurableFile<F> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.buf.len() + data.len() > BUF {
            self.flush()?;
        }
        if data.len() >= BUF {
            self.write_out(data)?;
        } else {
            if self.buf.capacity() == 0 {
                self.buf.reserve_exact(BUF);
            }
            self.buf.extend_from_slice(data);
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let buf = std::mem::take(&mut self.buf);
        let r = self.write_out(&buf);
        self.buf = buf;
        self.buf.clear();
        r
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use std::fs::File;
    use std::io;
    use std::os::fd::AsRawFd;
    use std::sync::{Arc, Condvar, Mutex, MutexGuard};

    /// What the writer and the helper share.
    #[derive(Default)]
    struct State {
        /// How far the file is written (the latest mark).
        upto: u64,
        /// The writer is done (or gone): stop.
        stop: bool,
        /// Rounds done.
        rounds: u64,
        /// The first writeback error seen.
        error: Option<io::Error>,
    }

    #[derive(Default)]
    struct Shared {
        state: Mutex<State>,
        wake: Condvar,
    }

    impl Shared {
        fn lock(&self) -> MutexGuard<'_, State> {
            self.state.lock().unwrap_or_else(|e| e.into_inner())
        }
    }

    /// The writeback helper thread of one file.
    pub struct Helper {
        shared: Arc<Shared>,
        thread: Option<std::thread::JoinHandle<()>>,
    }

    impl Helper {
        /// Starts a helper on a second descriptor of `file`; `None` if
        /// either cannot be had.
        pub fn start(file: &File) -> Option<Helper> {
            let file = file.try_clone().ok()?;
            let shared = Arc::new(Shared::default());
            let theirs = Arc::clone(&shared);
            let thread = std::thread::Builder::new()
                .name("switchyard-writeback".into())
                .spawn(move || run(&file, &theirs))
                .ok()?;
            Some(Helper {
                shared,
                thread: Some(thread),
            })
        }

        /// The file is written up to `upto`: start writeback up to there.
        pub fn mark(&self, upto: u64) {
            self.shared.lock().upto = upto;
            self.shared.wake.notify_one();
        }

        /// Rounds done so far.
        pub fn rounds(&self) -> u64 {
            self.shared.lock().rounds
        }

        /// Stops the helper once its round is done; the writeback error it
        /// saw, if any.
        pub fn finish(mut self) -> Option<io::Error> {
            self.stop();
            if let Some(t) = self.thread.take() {
                let _ = t.join();
            }
            self.shared.lock().error.take()
        }

        fn stop(&self) {
            self.shared.lock().stop = true;
            self.shared.wake.notify_one();
        }
    }

    impl Drop for Helper {
        /// A discarded file: the helper stops after its round, unwaited.
        fn drop(&mut self) {
            self.stop();
        }
    }

    /// The helper's loop: for each new mark, start writeback of what was
    /// written since the last one and wait for the round before.
    fn run(file: &File, shared: &Shared) {
        let (mut started, mut waited) = (0u64, 0u64);
        loop {
            let upto = {
                let mut s = shared.lock();
                while s.upto == started && !s.stop {
                    s = shared.wake.wait(s).unwrap_or_else(|e| e.into_inner());
                }
                if s.stop {
                    return;
                }
                s.upto
            };
            let wait = libc::SYNC_FILE_RANGE_WAIT_BEFORE
                | libc::SYNC_FILE_RANGE_WRITE
                | libc::SYNC_FILE_RANGE_WAIT_AFTER;
            let r = range(file, started, upto, libc::SYNC_FILE_RANGE_WRITE)
                .and_then(|()| range(file, waited, started, wait));
            let mut s = shared.lock();
            match r {
                Ok(()) => s.rounds += 1,
                Err(e) => {
                    // Unsupported here: the final fsync does it all. A real
                    // writeback error is kept for `sync_all`.
                    let unsupported = matches!(
                        e.raw_os_error(),
                        Some(libc::EINVAL | libc::ENOSYS | libc::ESPIPE | libc::EOPNOTSUPP)
                    );
                    if !unsupported {
                        s.error = Some(e);
                    }
                    return;
                }
            }
            (waited, started) = (started, upto);
        }
    }

    /// `sync_file_range` over `from..to` (nothing when empty: a length of
    /// 0 would mean "to the end of the file").
    fn range(file: &File, from: u64, to: u64, flags: libc::c_uint) -> io::Result<()> {
        if to <= from {
            return Ok(());
        }
        let (Ok(offset), Ok(len)) = (i64::try_from(from), i64::try_from(to - from)) else {
            return Ok(());
        };
        // SAFETY: a plain system call on a descriptor this thread owns for
        // the whole call (`file` outlives it); no memory is passed.
        let r = unsafe { libc::sync_file_range(file.as_raw_fd(), offset, len, flags) };
        if r == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file path in a fresh directory, removed when the guard drops.
    fn path(name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join(name);
        (d, p)
    }

    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 % 251) as u8).collect()
    }

    #[test]
    fn bytes_arrive_whole_in_order_whatever_the_write_sizes() {
        let (_dir, p) = path("order");
        let mut f = DurableFile::with_window(File::create(&p).unwrap(), 64 * 1024);
        let data = pattern(3 * BUF + 12_345);
        let mut rest = &data[..];
        for n in [1, 5000, BUF, 2 * BUF, 17].iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (a, b) = rest.split_at((*n).min(rest.len()));
            f.write_all(a).unwrap();
            rest = b;
        }
        f.sync_all().unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), data);
    }

    #[test]
    fn writeback_runs_while_bytes_arrive() {
        let (_dir, p) = path("rounds");
        let mut f = DurableFile::with_window(File::create(&p).unwrap(), 64 * 1024);
        let data = pattern(4 * 1024 * 1024);
        let mut rounds = 0;
        for piece in data.chunks(64 * 1024) {
            f.write_all(piece).unwrap();
            rounds = rounds.max(f.rounds());
        }
        // Give the helper a moment for its first round (it never blocks
        // the writer, so it may lag behind).
        let t = std::time::Instant::now();
        while cfg!(target_os = "linux") && f.rounds() == 0 && t.elapsed().as_secs() < 5 {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        rounds = rounds.max(f.rounds());
        f.sync_all().unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), data);
        if cfg!(target_os = "linux") {
            assert!(rounds >= 1, "no writeback round ran");
        }
    }

    #[test]
    fn a_dropped_file_keeps_its_buffer_to_itself() {
        let (_dir, p) = path("dropped");
        let mut f = DurableFile::new(File::create(&p).unwrap());
        f.write_all(b"never flushed").unwrap();
        drop(f);
        assert_eq!(std::fs::read(&p).unwrap(), b"");
    }

    #[test]
    fn a_header_rewritten_in_place_is_kept() {
        use std::io::{Seek, SeekFrom};
        let (_dir, p) = path("header");
        let mut f = DurableFile::with_window(File::create(&p).unwrap(), 4096);
        f.write_all(&[0u8; 4]).unwrap();
        f.write_all(&pattern(100_000)).unwrap();
        f.flush().unwrap();
        let file = f.get_mut();
        file.seek(SeekFrom::Start(0)).unwrap();
        file.write_all(b"HEAD").unwrap();
        file.seek(SeekFrom::End(0)).unwrap();
        f.sync_all().unwrap();
        let got = std::fs::read(&p).unwrap();
        assert_eq!(&got[..4], b"HEAD");
        assert_eq!(&got[4..], &pattern(100_000)[..]);
    }
}

//! The change log behind `--state-file`: an append-only file of checksummed records with group
//! commit.
//!
//! Each record is framed as `[len: u32 LE][checksum: 8 bytes][payload]`, the checksum being the
//! first 8 bytes of the payload's SHA-256. Records are appended by request handlers (in the
//! order their changes were applied) into a shared buffer; one committer thread writes
//! everything buffered with one `write` and one `fdatasync`, then wakes every writer whose
//! record it covered. While it syncs, new records pile up for the next round: one fsync per
//! round however many writers are waiting, so throughput under concurrency stays high.
//!
//! When a write or sync fails the log truncates the file back to the end of the last durable
//! record, refuses every later append with the reason and stays failed: the caller rebuilds
//! memory from disk and answers 503 (see [`super::persist`]).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// Bytes of a record's header: length and checksum.
pub const HEADER_LEN: usize = 12;

/// When a write counts as acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// After the record is fsynced: nothing acknowledged is lost, even on power loss.
    Fsync,
    /// After the record is written to the file (it survives the process being killed); the file
    /// is fsynced at most this often, so a power loss or OS crash loses at most this window.
    Interval(Duration),
}

/// A simulated storage fault, so tests can fill the disk without a mount.
#[derive(Debug, Default)]
pub struct StorageFaults {
    /// Bytes the storage may still take (`u64::MAX`: unlimited). Every write to the log or a
    /// snapshot takes from it; a write that does not fit fails with "no space left on device".
    remaining: AtomicU64,
}

impl StorageFaults {
    /// No fault: unlimited space.
    pub fn unlimited() -> Arc<StorageFaults> {
        Arc::new(StorageFaults { remaining: AtomicU64::new(u64::MAX) })
    }

    /// A disk with `bytes` free.
    pub fn capacity(bytes: u64) -> Arc<StorageFaults> {
        Arc::new(StorageFaults { remaining: AtomicU64::new(bytes) })
    }

    /// Takes `len` bytes, or fails as a full disk does.
    pub fn take(&self, len: usize) -> std::io::Result<()> {
        let len = len as u64;
        let taken = self.remaining.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
            if left == u64::MAX { Some(left) } else { left.checked_sub(len) }
        });
        taken.map(|_| ()).map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::StorageFull,
                "No space left on device (simulated by --test-disk-capacity)",
            )
        })
    }
}

/// Frames `payload` as a record.
pub fn frame(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&Sha256::digest(payload)[..8]);
    out.extend_from_slice(payload);
    out
}

/// The records of a log file's content, in order, and the length of the valid prefix: reading
/// stops at the first record that is cut short or whose checksum does not match (a write torn
/// by a crash), and everything before it is kept.
pub fn parse(bytes: &[u8]) -> (Vec<&[u8]>, usize) {
    let mut records = Vec::new();
    let mut at = 0;
    while bytes.len() - at >= HEADER_LEN {
        let len = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap_or_default()) as usize;
        let start = at + HEADER_LEN;
        let Some(end) = start.checked_add(len).filter(|end| *end <= bytes.len()) else { break };
        let payload = &bytes[start..end];
        if Sha256::digest(payload)[..8] != bytes[at + 4..start] {
            break;
        }
        records.push(payload);
        at = end;
    }
    (records, at)
}

/// Progress the committer publishes.
#[derive(Debug, Clone, Default)]
struct Progress {
    /// Every record numbered up to this one is durable.
    durable: u64,
    /// Set once a write failed: why. Records after `durable` will never be.
    failed: Option<Arc<str>>,
}

#[derive(Debug, Default)]
struct Pending {
    buf: Vec<u8>,
    /// The number of the last record appended (records are numbered from 1).
    last: u64,
    stop: bool,
}

#[derive(Debug)]
struct Shared {
    pending: Mutex<Pending>,
    wake: Condvar,
    progress: tokio::sync::watch::Sender<Progress>,
    /// The open segment; locked by the committer while it writes, and to switch segments.
    file: Mutex<Segment>,
    durability: Durability,
    faults: Arc<StorageFaults>,
}

#[derive(Debug)]
struct Segment {
    file: File,
    path: PathBuf,
    /// Length of the durable prefix: where a failed write is cut back to.
    len: u64,
}

/// An open change log (one segment file at a time) and its committer thread.
#[derive(Debug)]
pub struct Wal {
    shared: Arc<Shared>,
    committer: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Wal {
    /// Opens (creating) `path` for appending and starts the committer.
    pub fn open(
        path: &Path,
        durability: Durability,
        faults: Arc<StorageFaults>,
    ) -> std::io::Result<Wal> {
        let segment = open_segment(path)?;
        let (progress, _) = tokio::sync::watch::channel(Progress::default());
        let shared = Arc::new(Shared {
            pending: Mutex::default(),
            wake: Condvar::new(),
            progress,
            file: Mutex::new(segment),
            durability,
            faults,
        });
        let s = shared.clone();
        let committer =
            std::thread::Builder::new().name("state-log".into()).spawn(move || commit_loop(&s))?;
        Ok(Wal { shared, committer: Mutex::new(Some(committer)) })
    }

    /// Why the log failed, if it did.
    pub fn failure(&self) -> Option<Arc<str>> {
        self.shared.progress.borrow().failed.clone()
    }

    /// Appends a record; returns its number, to [`Wal::wait`] for. Refused once the log failed.
    pub fn append(&self, payload: &[u8]) -> Result<u64, Arc<str>> {
        if let Some(why) = self.failure() {
            return Err(why);
        }
        let framed = frame(payload);
        let mut p = lock(&self.shared.pending);
        p.buf.extend_from_slice(&framed);
        p.last += 1;
        let n = p.last;
        drop(p);
        self.shared.wake.notify_one();
        Ok(n)
    }

    /// Waits until record `n` is durable (per the [`Durability`]), or fails with why it never
    /// will be.
    pub async fn wait(&self, n: u64) -> Result<(), Arc<str>> {
        let mut rx = self.shared.progress.subscribe();
        let seen = rx.wait_for(|p| p.durable >= n || p.failed.is_some()).await;
        let p = match seen {
            Ok(p) => p.clone(),
            Err(_) => return Err("the state log stopped".into()),
        };
        if p.durable >= n { Ok(()) } else { Err(p.failed.unwrap_or_else(|| "failed".into())) }
    }

    /// Waits until everything appended so far is durable.
    pub async fn flush(&self) -> Result<(), Arc<str>> {
        let last = lock(&self.shared.pending).last;
        self.wait(last).await
    }

    /// Starts a new segment at `path` once everything appended is durable; later records go
    /// there. Call with appends held off (the caller's write-order lock).
    pub async fn switch_to(&self, path: &Path) -> Result<(), Arc<str>> {
        self.flush().await?;
        let segment = open_segment(path).map_err(|e| Arc::<str>::from(e.to_string()))?;
        *lock(&self.shared.file) = segment;
        Ok(())
    }

    /// The current segment's path.
    pub fn segment_path(&self) -> PathBuf {
        lock(&self.shared.file).path.clone()
    }

    /// Bytes in the current segment.
    pub fn segment_len(&self) -> u64 {
        lock(&self.shared.file).len
    }

    /// Writes what is buffered, syncs and stops the committer.
    pub fn close(&self) {
        lock(&self.shared.pending).stop = true;
        self.shared.wake.notify_one();
        if let Some(handle) = lock(&self.committer).take() {
            let _ = handle.join();
        }
    }
}

impl Drop for Wal {
    fn drop(&mut self) {
        self.close();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn open_segment(path: &Path) -> std::io::Result<Segment> {
    let file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    let len = file.metadata()?.len();
    // A new file's directory entry must be durable too before records in it count.
    sync_dir(path)?;
    Ok(Segment { file, path: path.to_path_buf(), len })
}

/// Fsyncs the directory holding `path`, making a create or rename in it durable.
pub fn sync_dir(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        File::open(dir)?.sync_all()?;
    }
    Ok(())
}

fn commit_loop(shared: &Shared) {
    let mut last_sync = Instant::now();
    let mut unsynced = false;
    loop {
        let (batch, last, stop) = {
            let mut p = lock(&shared.pending);
            while p.buf.is_empty() && !p.stop {
                let timeout = match shared.durability {
                    Durability::Interval(every) if unsynced => {
                        every.saturating_sub(last_sync.elapsed()).max(Duration::from_millis(1))
                    }
                    _ => Duration::from_secs(3600),
                };
                let (guard, waited) =
                    shared.wake.wait_timeout(p, timeout).unwrap_or_else(|e| e.into_inner());
                p = guard;
                if waited.timed_out() && unsynced {
                    break;
                }
            }
            (std::mem::take(&mut p.buf), p.last, p.stop)
        };
        let failed = shared.progress.borrow().failed.is_some();
        if failed {
            // Nothing more is written once the log failed; writers were told.
            if stop {
                return;
            }
            continue;
        }
        let mut seg = lock(&shared.file);
        let result = (|| -> std::io::Result<()> {
            if !batch.is_empty() {
                shared.faults.take(batch.len())?;
                seg.file.write_all(&batch)?;
            }
            let sync_now = match shared.durability {
                Durability::Fsync => !batch.is_empty(),
                Durability::Interval(every) => {
                    (unsynced || !batch.is_empty()) && (stop || last_sync.elapsed() >= every)
                }
            };
            if sync_now {
                seg.file.sync_data()?;
                last_sync = Instant::now();
                unsynced = false;
            } else if !batch.is_empty() {
                unsynced = true;
            }
            Ok(())
        })();
        match result {
            Ok(()) => {
                seg.len += batch.len() as u64;
                drop(seg);
                shared.progress.send_modify(|p| p.durable = last);
            }
            Err(e) => {
                // Cut back to the last durable record so nothing half-written stays behind.
                let _ = seg.file.set_len(seg.len);
                let _ = seg.file.sync_all();
                let why: Arc<str> =
                    format!("cannot write the state log {}: {e}", seg.path.display()).into();
                drop(seg);
                eprintln!("error: {why}");
                shared.progress.send_modify(|p| p.failed = Some(why));
            }
        }
        if stop {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn torn_and_corrupt_tails_are_dropped_and_the_prefix_kept() {
        let mut bytes = frame(b"one");
        bytes.extend(frame(b"two"));
        let whole = bytes.len();
        bytes.extend(&frame(b"three")[..7]);
        let (records, valid) = parse(&bytes);
        assert_eq!(records, [&b"one"[..], &b"two"[..]]);
        assert_eq!(valid, whole);
        let mut flipped = frame(b"one");
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert_eq!(parse(&flipped), (Vec::<&[u8]>::new(), 0));
    }

    #[tokio::test]
    async fn appended_records_are_durable_in_order_and_a_full_disk_fails_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let wal = Wal::open(&path, Durability::Fsync, StorageFaults::capacity(40)).unwrap();
        let a = wal.append(b"first").unwrap();
        let b = wal.append(b"second").unwrap();
        wal.wait(b).await.unwrap();
        wal.wait(a).await.unwrap();
        let c = wal.append(&[b'x'; 64]).unwrap();
        let err = wal.wait(c).await.unwrap_err();
        assert!(err.contains("No space left"), "{err}");
        assert!(wal.append(b"later").is_err(), "a failed log refuses appends");
        wal.close();
        let bytes = std::fs::read(&path).unwrap();
        let (records, valid) = parse(&bytes);
        assert_eq!(records, [&b"first"[..], &b"second"[..]]);
        assert_eq!(valid, bytes.len(), "the failed write left nothing behind");
    }
}

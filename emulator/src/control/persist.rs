//! `--state-file`: a snapshot plus a change log, so an acknowledged write is never lost.
//!
//! The state file is a snapshot (every tenant as a seed document, with its id stream's
//! position). Beside it, `<file>.log.<n>` segments hold every write served since: each
//! mutating request (method, path, headers, body and the wall-clock instant it was served at)
//! is applied in memory, appended to the log in the order it was applied, and answered only
//! once the log's committer has fsynced it ([`super::wal`], group commit). At start the
//! snapshot is loaded and the segments are replayed through the same handlers, pinned to the
//! recorded instants, which rebuilds exactly the state that was acknowledged: ids, tokens and
//! timestamps included. Once a segment grows past a threshold (and at shutdown) a new snapshot
//! is written (temporary file, fsync, rename, fsync of the directory) and the segments it
//! covers are deleted.
//!
//! When the log cannot be written the write is answered 503, every later write is refused with
//! 503 (reads go on), memory is rebuilt from what is on disk so nothing unacknowledged stays
//! visible, and `/health` reports the storage as degraded until a snapshot can be written
//! again. A file that does not parse at start is an error: the server refuses to start and
//! never overwrites it.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ratelimit::RateLimitConfig;
use super::wal::{Durability, StorageFaults, Wal};
use crate::clock::{Clock, PinnedWall};
use crate::events::LogIdentity;
use crate::ids::IdGenerator;
use crate::profile::Profile;
use crate::seed::{Seed, SeedSnapshot};
use crate::state::{Emulator, TenantSpec};
use crate::tenant::{Tenant, TenantId};

/// What identifies the file's format.
pub const FORMAT: &str = "scimulator-state";
/// The format version written.
pub const VERSION: u32 = 1;

/// Why the state file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    /// Reading or writing failed.
    #[error("state file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not a valid state file (it is left untouched).
    #[error(
        "state file {path} is corrupt or not a scimulator state file ({detail}); \
         refusing to start so it is not overwritten: fix or move it"
    )]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the line and column when the JSON is malformed.
        detail: String,
    },
}

/// A tenant's clock as saved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "lowercase")]
pub enum SavedClock {
    /// Wall clock plus an offset.
    System {
        /// Seconds added to the wall clock.
        offset_secs: i64,
    },
    /// A frozen instant.
    Manual {
        /// The instant.
        now: DateTime<Utc>,
    },
}

impl SavedClock {
    fn of(clock: &Clock) -> SavedClock {
        match clock {
            Clock::System { offset } => SavedClock::System { offset_secs: offset.num_seconds() },
            Clock::Manual { now } => SavedClock::Manual { now: *now },
        }
    }

    fn to_clock(&self) -> Clock {
        match self {
            SavedClock::System { offset_secs } => {
                Clock::System { offset: chrono::Duration::seconds(*offset_secs) }
            }
            SavedClock::Manual { now } => Clock::Manual { now: *now },
        }
    }
}

/// One tenant as saved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedTenant {
    /// Its name.
    pub name: String,
    /// SCIM token.
    pub scim_token: String,
    /// The default Events API token when saved (also in `events_identity`, which restores it).
    pub events_token: String,
    /// The event log's identity: account uuid, signing key, cursor secret and issued tokens,
    /// so the Events API tokens and cursors clients hold still work after a restart. Files
    /// written before it existed restore with a new identity (new tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events_identity: Option<LogIdentity>,
    /// Its full profile.
    pub profile: Profile,
    /// Its clock.
    pub clock: SavedClock,
    /// Its rate limits.
    #[serde(default)]
    pub ratelimits: RateLimitConfig,
    /// Its state as a seed document.
    pub seed: Seed,
    /// Where its id stream stood, so ids drawn after a restart were never drawn before. Files
    /// written before it existed restart the stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ids_position: Option<u64>,
}

/// The whole file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateDoc {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`VERSION`].
    pub version: u32,
    /// Changes (since the server started) included in this save.
    pub generation: u64,
    /// Tenants, by name.
    pub tenants: Vec<SavedTenant>,
    /// The first change-log segment not included in this snapshot (replayed on top of it).
    #[serde(default)]
    pub log_segment: u64,
    /// How many times each tenant name (lower-cased) has been created, so a tenant deleted and
    /// created again gets new tokens even across restarts.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub incarnations: BTreeMap<String, u64>,
}

/// Captures every tenant (each locked only while it is copied).
pub fn snapshot(emulator: &Emulator, generation: u64) -> StateDoc {
    let tenants = emulator
        .tenants()
        .iter()
        .map(|shared| {
            let t = shared.read();
            // Its own statement: a guard in the struct literal would live to the end of it,
            // and `export_seed` takes the same (non-reentrant) lock.
            let ratelimits = t.faults().limiter.config().clone();
            SavedTenant {
                name: t.id.0.clone(),
                scim_token: t.scim_token.clone(),
                events_token: t.events_token.clone(),
                events_identity: Some(t.events.identity()),
                profile: t.profile.clone(),
                clock: SavedClock::of(&t.clock),
                ratelimits,
                seed: Seed { profile: None, ..super::export_seed(&t) },
                ids_position: Some(t.ids.position()),
            }
        })
        .collect();
    StateDoc {
        format: FORMAT.into(),
        version: VERSION,
        generation,
        tenants,
        log_segment: 0,
        incarnations: emulator.incarnations(),
    }
}

/// Reads a state file. `Ok(None)` when it does not exist yet. A tenant named twice (also in
/// another case) is refused, naming the line of its second entry.
pub fn read(path: &Path) -> Result<Option<StateDoc>, PersistError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(PersistError::Io { path: path.into(), source }),
    };
    let corrupt = |detail: String| PersistError::Corrupt { path: path.into(), detail };
    let doc: StateDoc = serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
    if doc.format != FORMAT || doc.version != VERSION {
        return Err(corrupt(format!(
            "format {:?} version {} (expected {FORMAT:?} version {VERSION})",
            doc.format, doc.version
        )));
    }
    let mut seen = std::collections::HashSet::new();
    for t in &doc.tenants {
        if !seen.insert(t.name.to_ascii_lowercase()) {
            return Err(corrupt(format!(
                "tenant {:?} is named twice (line {})",
                t.name,
                line_of_tenant(&bytes, &t.name)
            )));
        }
    }
    Ok(Some(doc))
}

/// The line of the last `"name": "<name>"` in `bytes` (1-based), for error messages.
fn line_of_tenant(bytes: &[u8], name: &str) -> usize {
    let text = String::from_utf8_lossy(bytes);
    let needle = serde_json::to_string(name).unwrap_or_default();
    let mut line = 0;
    for (i, l) in text.lines().enumerate() {
        let compact: String = l.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.contains(&format!("\"name\":{needle}")) {
            line = i + 1;
        }
    }
    line
}

/// Applies a saved document to a fresh emulator: the default tenant is rebuilt in place, the
/// others are created. Fails (naming the tenant) when a saved tenant cannot be rebuilt.
pub fn restore(emulator: &Emulator, doc: &StateDoc) -> Result<(), String> {
    for saved in &doc.tenants {
        let id = TenantId(saved.name.clone());
        let fail = |e: String| format!("tenant {:?}: {e}", saved.name);
        let shared = match emulator.tenant(&id) {
            Some(existing) => existing,
            None => emulator
                .create_tenant(TenantSpec {
                    name: Some(saved.name.clone()),
                    scim_token: Some(saved.scim_token.clone()),
                    profile: Some(saved.profile.clone()),
                    seed: None,
                })
                .map_err(|e| fail(e.to_string()))?,
        };
        {
            let mut t = shared.write();
            let mut rebuilt = Tenant::build(
                id.clone(),
                saved.scim_token.clone(),
                saved.profile.clone(),
                saved.clock.to_clock(),
                t.ids.clone(),
                Some(saved.seed.clone()),
                false,
            )
            .map_err(fail)?;
            // Before the swap: a bad identity leaves the tenant as it was.
            if let Some(identity) = &saved.events_identity {
                rebuilt.events.adopt_identity(identity).map_err(fail)?;
                rebuilt.events_token = rebuilt.events.default_token().token.clone();
            }
            if let Some(position) = saved.ids_position {
                rebuilt.ids = IdGenerator::new(position);
            }
            *t = rebuilt;
            t.faults().limiter.configure(saved.ratelimits.clone()).map_err(fail)?;
        }
        emulator.reindex_tokens(&id);
        emulator.control().set_origin(
            id,
            super::Origin {
                seed: Some(SeedSnapshot::of(&saved.seed)),
                profile: Some(saved.profile.clone()),
                generated_token: false,
            },
        );
    }
    emulator.set_incarnations(&doc.incarnations);
    Ok(())
}

/// Loads the snapshot at `path` into `emulator` if it exists (without replaying the change
/// log; [`Store::open`] does both). A corrupt file is an error.
pub fn load(emulator: &Emulator, path: &Path) -> Result<bool, PersistError> {
    match read(path)? {
        None => Ok(false),
        Some(doc) => {
            restore(emulator, &doc)
                .map_err(|detail| PersistError::Corrupt { path: path.into(), detail })?;
            Ok(true)
        }
    }
}

/// Writes `doc` to `path` atomically: temp file, fsync, rename, fsync the directory.
pub fn write_atomic(path: &Path, doc: &StateDoc) -> Result<(), PersistError> {
    write_atomic_with(path, doc, &StorageFaults::unlimited())
}

fn write_atomic_with(
    path: &Path,
    doc: &StateDoc,
    faults: &StorageFaults,
) -> Result<(), PersistError> {
    let io = |source| PersistError::Io { path: path.into(), source };
    let mut bytes = serde_json::to_vec(doc).map_err(|e| io(std::io::Error::other(e)))?;
    bytes.push(b'\n');
    let tmp = temp_path(path);
    let result = (|| {
        faults.take(bytes.len())?;
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        // Make the rename itself durable.
        super::wal::sync_dir(path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}

fn temp_prefix(path: &Path) -> String {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("state");
    format!(".{name}.tmp-")
}

fn temp_path(path: &Path) -> PathBuf {
    path.with_file_name(format!("{}{}", temp_prefix(path), std::process::id()))
}

fn dir_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The path of change-log segment `n` of the state file `path`.
pub fn segment_path(path: &Path, n: u64) -> PathBuf {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("state");
    path.with_file_name(format!("{name}.log.{n:010}"))
}

/// The change-log segments beside `path`, by number.
fn segments(path: &Path) -> std::io::Result<Vec<(u64, PathBuf)>> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("state");
    let prefix = format!("{name}.log.");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir_of(path))? {
        let entry = entry?;
        let file = entry.file_name();
        let Some(n) = file.to_str().and_then(|f| f.strip_prefix(&prefix)) else { continue };
        if let Ok(n) = n.parse::<u64>() {
            found.push((n, entry.path()));
        }
    }
    found.sort();
    Ok(found)
}

/// Deletes the temporary files a crash left behind (a save interrupted before its rename).
/// Returns how many it deleted.
pub fn clean_temp_files(path: &Path) -> std::io::Result<usize> {
    let prefix = temp_prefix(path);
    let mut removed = 0;
    for entry in std::fs::read_dir(dir_of(path))? {
        let entry = entry?;
        if entry.file_name().to_str().is_some_and(|f| f.starts_with(&prefix)) {
            std::fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// One logged write: the request as served, and the wall-clock instant it was served at.
#[derive(Debug, Serialize, Deserialize)]
struct Record {
    /// Wall clock, milliseconds since the epoch.
    w: u64,
    /// Method.
    m: String,
    /// Path and query.
    u: String,
    /// Headers that can change what the handler does (the admin token is left out: replays
    /// use the token of the server replaying).
    h: Vec<(String, String)>,
    /// The body, when it is UTF-8 (SCIM and admin bodies are JSON or YAML).
    #[serde(default)]
    b: String,
    /// The body, base64, when it is not UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    b64: Option<String>,
}

/// Headers that do not change what a handler does, left out of the log.
const UNLOGGED_HEADERS: [header::HeaderName; 7] = [
    header::HOST,
    header::CONTENT_LENGTH,
    header::CONNECTION,
    header::USER_AGENT,
    header::ACCEPT_ENCODING,
    header::TRANSFER_ENCODING,
    header::EXPECT,
];

fn is_admin_path(path: &str) -> bool {
    path == "/__admin" || path.starts_with("/__admin/")
}

/// Whether a request may change persistent state, so it must be logged: every method but
/// GET, HEAD and OPTIONS, except the Events API (its POSTs read) and SCIM searches.
pub fn is_logged(method: &axum::http::Method, path: &str) -> bool {
    use axum::http::Method;
    let read = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    let events_api = path == "/api" || path.starts_with("/api/");
    !(read || events_api || path.ends_with("/.search"))
}

fn encode(wall: u64, parts: &Parts, body: &Bytes) -> Vec<u8> {
    let admin = is_admin_path(parts.uri.path());
    let h = parts
        .headers
        .iter()
        .filter(|(k, _)| !UNLOGGED_HEADERS.contains(k))
        .filter(|(k, _)| !(admin && *k == header::AUTHORIZATION))
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    let (b, b64) = match std::str::from_utf8(body) {
        Ok(text) => (text.to_owned(), None),
        Err(_) => {
            use base64::Engine;
            (String::new(), Some(base64::engine::general_purpose::STANDARD.encode(body)))
        }
    };
    let u = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/").to_owned();
    let record = Record { w: wall, m: parts.method.as_str().to_owned(), u, h, b, b64 };
    // Plain data: serialising cannot fail.
    serde_json::to_vec(&record).unwrap_or_default()
}

fn decode(payload: &[u8], admin_token: &str) -> Result<(u64, Request<Body>), String> {
    let r: Record = serde_json::from_slice(payload).map_err(|e| e.to_string())?;
    let body = match &r.b64 {
        Some(b64) => {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.decode(b64).map_err(|e| e.to_string())?
        }
        None => r.b.into_bytes(),
    };
    let mut req = Request::builder().method(r.m.as_str()).uri(r.u.as_str());
    for (k, v) in &r.h {
        req = req.header(k.as_str(), v.as_str());
    }
    if is_admin_path(&r.u) {
        req = req.header(header::AUTHORIZATION, format!("Bearer {admin_token}"));
    }
    let req = req.body(Body::from(body)).map_err(|e| e.to_string())?;
    Ok((r.w, req))
}

/// Replays logged writes through the handlers (no journal, faults or limits), each pinned to
/// the instant it was first served. Returns how many were replayed.
async fn replay(emulator: &Emulator, records: &[&[u8]]) -> Result<usize, String> {
    use tower::ServiceExt;
    let routes = crate::http::routes(emulator);
    let token = emulator.admin_token().to_owned();
    for (i, payload) in records.iter().enumerate() {
        let (wall, req) = decode(payload, &token).map_err(|e| format!("record {i}: {e}"))?;
        let served = Box::pin(routes.clone().oneshot(req));
        let Ok(_) = PinnedWall::new(wall, served).await;
    }
    Ok(records.len())
}

/// How the store behaves.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// When a write counts as done.
    pub durability: Durability,
    /// A segment this large (bytes) is compacted into a new snapshot.
    pub compact_after_bytes: u64,
    /// Simulated storage faults (tests).
    pub faults: Arc<StorageFaults>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            durability: Durability::Fsync,
            compact_after_bytes: 64 << 20,
            faults: StorageFaults::unlimited(),
        }
    }
}

/// A state file in use: its snapshot, the open change-log segment, and the lock that keeps the
/// log in the order writes were applied.
#[derive(Debug)]
pub struct Store {
    path: PathBuf,
    options: StoreOptions,
    wal: Mutex<Arc<Wal>>,
    /// Held from applying a write until its record is appended, so the log's order is the
    /// order writes were applied in; holds the open segment's number.
    order: tokio::sync::Mutex<u64>,
    /// Set when a failure still has to be undone in memory.
    needs_reload: AtomicBool,
    last_probe: Mutex<Option<Instant>>,
}

/// What [`Store::open`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opened {
    /// Whether a snapshot was loaded.
    pub snapshot: bool,
    /// Writes replayed from the change log.
    pub replayed: usize,
    /// Temporary files from an earlier crash that were deleted.
    pub temp_files_removed: usize,
    /// Bytes of a torn last record dropped from the log.
    pub torn_bytes: usize,
}

impl Store {
    /// Opens the state file at `path` for `emulator`: deletes temporary files a crash left,
    /// loads the snapshot, replays the change log (dropping a torn last record) and starts a
    /// new segment. From then on every write through [`crate::http::app`] is logged.
    pub async fn open(
        emulator: &Emulator,
        path: &Path,
        options: StoreOptions,
    ) -> Result<(Arc<Store>, Opened), PersistError> {
        let io = |source| PersistError::Io { path: path.into(), source };
        let temp_files_removed = clean_temp_files(path).map_err(io)?;
        let (snapshot, replayed, torn_bytes, next) = load_all(emulator, path).await?;
        let wal = Wal::open(&segment_path(path, next), options.durability, options.faults.clone())
            .map_err(io)?;
        let store = Arc::new(Store {
            path: path.to_path_buf(),
            options,
            wal: Mutex::new(Arc::new(wal)),
            order: tokio::sync::Mutex::new(next),
            needs_reload: AtomicBool::new(false),
            last_probe: Mutex::new(None),
        });
        emulator.control().attach_store(store.clone());
        if !snapshot {
            // A first snapshot at once: what the server built at start (the default tenant's
            // Events API identity, issued at the wall-clock time) is not in the log. Written
            // before the simulated disk limit applies, which is about the writes that follow.
            let unlimited = StorageFaults::unlimited();
            store.compact_with(emulator, false, &unlimited).await.map_err(|e| {
                PersistError::Io { path: path.into(), source: std::io::Error::other(e) }
            })?;
        }
        let opened = Opened { snapshot, replayed, temp_files_removed, torn_bytes };
        Ok((store, opened))
    }

    /// The state file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn wal(&self) -> Arc<Wal> {
        self.wal.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Serves one write: applies it (through `serve`), logs it in the order applied, and answers
    /// once the record is durable; 503 when storage failed (now or earlier).
    pub async fn write<F>(
        self: &Arc<Self>,
        emulator: &Emulator,
        parts: Parts,
        body: Bytes,
        serve: impl FnOnce(Request<Body>) -> F,
    ) -> Response
    where
        F: std::future::Future<Output = Response> + Send + Unpin,
    {
        let admin = is_admin_path(parts.uri.path());
        if let Some(why) = emulator.control().storage_error()
            && !self.probe(emulator).await
        {
            return unavailable(admin, &why);
        }
        let order = self.order.lock().await;
        if let Some(why) = emulator.control().storage_error() {
            return unavailable(admin, &why);
        }
        let wall = crate::clock::wall_millis();
        let record = encode(wall, &parts, &body);
        let resp = PinnedWall::new(wall, serve(Request::from_parts(parts, Body::from(body)))).await;
        let wal = self.wal();
        let appended = wal.append(&record);
        drop(order);
        let done = match appended {
            Ok(n) => wal.wait(n).await,
            Err(why) => Err(why),
        };
        match done {
            Ok(()) => resp,
            Err(why) => {
                self.failed(emulator, &why).await;
                unavailable(admin, &why)
            }
        }
    }

    /// Storage failed: refuse writes from now on and rebuild memory from disk, so nothing that
    /// was not acknowledged stays visible.
    async fn failed(self: &Arc<Self>, emulator: &Emulator, why: &str) {
        if emulator.control().set_storage_error(why) {
            self.needs_reload.store(true, Ordering::SeqCst);
        }
        let order = self.order.lock().await;
        if !self.needs_reload.swap(false, Ordering::SeqCst) {
            return;
        }
        // Replays run outside any request (a handler must not see this request's tenant).
        let (emu, path) = (emulator.clone(), self.path.clone());
        let rebuilt = tokio::spawn(async move { rebuild_from_disk(&emu, &path).await }).await;
        match rebuilt {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                eprintln!("error: cannot rebuild state from {}: {e}", self.path.display())
            }
            Err(e) => eprintln!("error: cannot rebuild state: {e}"),
        }
        drop(order);
    }

    /// While degraded, at most once a second: tries to write a snapshot (memory equals disk
    /// then) and start a new log segment. Returns whether storage works again.
    async fn probe(self: &Arc<Self>, emulator: &Emulator) -> bool {
        {
            let mut last = self.last_probe.lock().unwrap_or_else(|e| e.into_inner());
            if last.is_some_and(|t| t.elapsed() < Duration::from_secs(1)) {
                return false;
            }
            *last = Some(Instant::now());
        }
        if self.needs_reload.load(Ordering::SeqCst) {
            return false;
        }
        match self.compact(emulator, true).await {
            Ok(()) => {
                emulator.control().clear_storage_error();
                eprintln!("state storage works again: writes accepted");
                true
            }
            Err(_) => false,
        }
    }

    /// Writes a snapshot of the current state and starts a new segment; deletes the segments
    /// the snapshot covers. `recovering`: the current log failed and is replaced.
    pub async fn compact(
        self: &Arc<Self>,
        emulator: &Emulator,
        recovering: bool,
    ) -> Result<(), String> {
        let faults = self.options.faults.clone();
        self.compact_with(emulator, recovering, &faults).await
    }

    async fn compact_with(
        self: &Arc<Self>,
        emulator: &Emulator,
        recovering: bool,
        faults: &Arc<StorageFaults>,
    ) -> Result<(), String> {
        let mut order = self.order.lock().await;
        let wal = self.wal();
        if !recovering {
            wal.flush().await.map_err(|e| e.to_string())?;
        }
        let generation = emulator.control().generation();
        let emu = emulator.clone();
        let mut doc = tokio::task::spawn_blocking(move || snapshot(&emu, generation))
            .await
            .map_err(|e| e.to_string())?;
        let next = *order + 1;
        doc.log_segment = next;
        let (path, faults) = (self.path.clone(), faults.clone());
        let written = tokio::task::spawn_blocking(move || write_atomic_with(&path, &doc, &faults))
            .await
            .map_err(|e| e.to_string())?;
        written.map_err(|e| e.to_string())?;
        let new = Wal::open(
            &segment_path(&self.path, next),
            self.options.durability,
            self.options.faults.clone(),
        )
        .map_err(|e| e.to_string())?;
        let old = std::mem::replace(
            &mut *self.wal.lock().unwrap_or_else(|e| e.into_inner()),
            Arc::new(new),
        );
        *order = next;
        drop(order);
        old.close();
        for (n, seg) in segments(&self.path).map_err(|e| e.to_string())? {
            if n < next {
                let _ = std::fs::remove_file(seg);
            }
        }
        Ok(())
    }

    /// Compacts when the open segment is past the threshold; call now and then.
    pub async fn maybe_compact(self: &Arc<Self>, emulator: &Emulator) {
        if emulator.control().storage_error().is_some()
            || self.wal().segment_len() < self.options.compact_after_bytes
        {
            return;
        }
        if let Err(e) = self.compact(emulator, false).await {
            eprintln!("error: cannot compact the state file {}: {e}", self.path.display());
        }
    }

    /// At shutdown: waits for logged writes, writes a final snapshot (so the next start replays
    /// nothing) and closes the log.
    pub async fn shutdown(self: &Arc<Self>, emulator: &Emulator) -> Result<(), String> {
        let result = if emulator.control().storage_error().is_some() {
            Err("storage is degraded: the change log holds every acknowledged write".to_owned())
        } else {
            self.compact(emulator, false).await
        };
        self.wal().close();
        result
    }

    /// Spawns the task that compacts the log when it grows; it stops when `emulator` has no
    /// store any more or the returned handle is aborted.
    pub fn spawn_compactor(self: &Arc<Self>, emulator: &Emulator) -> tokio::task::JoinHandle<()> {
        let (store, emu) = (self.clone(), emulator.clone());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                store.maybe_compact(&emu).await;
            }
        })
    }
}

/// Loads the snapshot and replays the log into `emulator`. Returns whether a snapshot was
/// loaded, how many records were replayed, the torn bytes dropped, and the next segment number.
async fn load_all(
    emulator: &Emulator,
    path: &Path,
) -> Result<(bool, usize, usize, u64), PersistError> {
    let io = |source| PersistError::Io { path: path.into(), source };
    let corrupt = |detail: String| PersistError::Corrupt { path: path.into(), detail };
    emulator.control().set_persistent();
    let doc = read(path)?;
    let from = doc.as_ref().map_or(0, |d| d.log_segment);
    if let Some(doc) = &doc {
        restore(emulator, doc).map_err(corrupt)?;
    }
    let mut replayed = 0;
    let mut torn = 0;
    let mut next = from;
    for (n, seg) in segments(path).map_err(io)? {
        if n < from {
            // Covered by the snapshot: left over from a crash after the snapshot's rename.
            let _ = std::fs::remove_file(&seg);
            continue;
        }
        let bytes = std::fs::read(&seg).map_err(io)?;
        let (records, valid) = super::wal::parse(&bytes);
        if valid < bytes.len() {
            // A write torn by a crash: never acknowledged. Cut it off so appends follow the
            // last whole record.
            torn += bytes.len() - valid;
            let f = std::fs::OpenOptions::new().write(true).open(&seg).map_err(io)?;
            f.set_len(valid as u64).map_err(io)?;
            f.sync_all().map_err(io)?;
        }
        let count = replay(emulator, &records)
            .await
            .map_err(|e| corrupt(format!("{}: {e}", seg.display())))?;
        replayed += count;
        next = n + 1;
    }
    Ok((doc.is_some(), replayed, torn, next))
}

/// Replaces `emulator`'s tenants with what the state file on disk holds.
async fn rebuild_from_disk(emulator: &Emulator, path: &Path) -> Result<(), String> {
    let mut config = emulator.config().clone();
    config.seed = emulator.default_seed().map(SeedSnapshot::seed).transpose()?;
    let fresh = Emulator::new(config).map_err(|e| e.to_string())?;
    load_all(&fresh, path).await.map_err(|e| e.to_string())?;
    emulator.adopt_tenants(&fresh);
    Ok(())
}

/// The 503 a write gets while storage is failing, in the API's error shape.
fn unavailable(admin: bool, why: &str) -> Response {
    let message = format!("state storage failed, so the change was not saved: {why}");
    let (content_type, body) = if admin {
        ("application/json", serde_json::json!({"status": 503, "error": message}))
    } else {
        ("application/scim+json", scim::ScimError::new(503, None, message).to_json())
    };
    let mut resp = (StatusCode::SERVICE_UNAVAILABLE, body.to_string()).into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ClockMode, EmulatorConfig};

    fn emulator() -> Emulator {
        Emulator::new(EmulatorConfig { clock: ClockMode::Manual, ..Default::default() }).unwrap()
    }

    #[test]
    fn save_and_load_round_trip_tenants_tokens_clock_faults_limits() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let a = emulator();
        let t = a
            .create_tenant(TenantSpec { name: Some("acme".into()), ..Default::default() })
            .unwrap();
        let (scim, events) = {
            let mut t = t.write();
            t.clock.advance(chrono::Duration::seconds(90));
            t.faults()
                .add_all(vec![
                    serde_json::from_value(serde_json::json!({"action": {"status": 503}})).unwrap(),
                ])
                .unwrap();
            t.faults().limiter.configure(RateLimitConfig::events_api_documented()).unwrap();
            (t.scim_token.clone(), t.events_token.clone())
        };
        a.control().changed();
        write_atomic(&path, &snapshot(&a, a.control().generation())).unwrap();

        let b = emulator();
        assert!(load(&b, &path).unwrap());
        let (found, _) = b.resolve_token(&scim).expect("scim token restored");
        let t = found.read();
        assert_eq!(t.id.0, "acme");
        let restored_events = t.events_token.clone();
        assert_eq!(restored_events, events, "the Events API token survives");
        assert_eq!(t.clock.now(), Clock::default_manual_start() + chrono::Duration::seconds(90));
        assert_eq!(t.faults().rules().len(), 1);
        assert_eq!(t.faults().limiter.config(), &RateLimitConfig::events_api_documented());
        drop(t);
        assert!(b.resolve_token(&restored_events).is_some());
    }

    #[test]
    fn a_tenant_named_twice_is_refused_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let a = emulator();
        a.create_tenant(TenantSpec { name: Some("acme".into()), ..Default::default() }).unwrap();
        let mut doc = snapshot(&a, 0);
        let mut twin = doc.tenants.iter().find(|t| t.name == "acme").unwrap().clone();
        twin.name = "ACME".into();
        doc.tenants.push(twin);
        std::fs::write(&path, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let line = text.lines().position(|l| l.contains("\"name\": \"ACME\"")).unwrap() + 1;
        let err = load(&emulator(), &path).unwrap_err().to_string();
        assert!(
            err.contains("\"ACME\" is named twice") && err.contains(&format!("line {line}")),
            "{err}"
        );
    }

    #[test]
    fn corrupt_files_are_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        std::fs::write(&path, "{\"format\": \"scimulator-state\", \"vers").unwrap();
        let err = load(&emulator(), &path).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("corrupt") && msg.contains("line 1"), "{msg}");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"format\": \"scimulator-state\", \"vers"
        );
        std::fs::write(&path, r#"{"format":"other","version":1,"generation":0,"tenants":[]}"#)
            .unwrap();
        assert!(load(&emulator(), &path).unwrap_err().to_string().contains("\"other\""));
        assert!(!load(&emulator(), &dir.path().join("missing.json")).unwrap());
    }
}

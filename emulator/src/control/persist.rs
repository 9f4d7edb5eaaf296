//! `--state-file`: load the tenants at start, save them on change (debounced) and on shutdown.
//!
//! Saves write a temporary file in the same directory, fsync it, rename it over the state file
//! and fsync the directory, so a crash at any point leaves either the old file or the new one,
//! never a torn one. A file that does not parse at start is an error: the server refuses to start
//! and never overwrites it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ratelimit::RateLimitConfig;
use crate::clock::Clock;
use crate::events::LogIdentity;
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
            }
        })
        .collect();
    StateDoc { format: FORMAT.into(), version: VERSION, generation, tenants }
}

/// Reads a state file. `Ok(None)` when it does not exist yet.
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
    Ok(Some(doc))
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
    Ok(())
}

/// Loads `path` into `emulator` if it exists. A corrupt file is an error.
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
    let io = |source| PersistError::Io { path: path.into(), source };
    let bytes = serde_json::to_vec_pretty(doc).map_err(|e| io(std::io::Error::other(e)))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("state");
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&bytes)?;
        f.write_all(b"\n")?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        // Make the rename itself durable.
        #[cfg(unix)]
        std::fs::File::open(&dir)?.sync_all()?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}

/// Saves `emulator` to `path` now; returns the generation saved.
pub fn save_now(emulator: &Emulator, path: &Path) -> Result<u64, PersistError> {
    // Read the counter first: the snapshot taken after it holds at least those changes.
    let generation = emulator.control().generation();
    let doc = snapshot(emulator, generation);
    write_atomic(path, &doc)?;
    Ok(generation)
}

/// The background saver: saves after changes (debounced) until [`Saver::shutdown`].
#[derive(Debug)]
pub struct Saver {
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    emulator: Emulator,
    path: PathBuf,
}

/// Starts saving `emulator` to `path` `debounce` after each burst of changes. Each completed save
/// is reported on stderr as `state saved: generation N`.
pub fn spawn_saver(emulator: Emulator, path: PathBuf, debounce: Duration) -> Saver {
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let (emu, file) = (emulator.clone(), Arc::new(path.clone()));
    let task = tokio::spawn(async move {
        let mut saved = emu.control().generation();
        loop {
            tokio::select! {
                _ = emu.control().wait_for_change() => {}
                _ = stopped.changed() => return,
            }
            tokio::select! {
                _ = tokio::time::sleep(debounce) => {}
                _ = stopped.changed() => return,
            }
            if emu.control().generation() == saved {
                continue;
            }
            let (e, f) = (emu.clone(), file.clone());
            match tokio::task::spawn_blocking(move || save_now(&e, &f)).await {
                Ok(Ok(generation)) => {
                    saved = generation;
                    eprintln!("state saved: generation {generation}");
                }
                Ok(Err(err)) => eprintln!("error: {err}"),
                Err(err) => eprintln!("error: state saver failed: {err}"),
            }
        }
    });
    Saver { stop, task, emulator, path }
}

impl Saver {
    /// Stops the saver and writes a final save.
    pub async fn shutdown(self) -> Result<u64, PersistError> {
        let _ = self.stop.send(true);
        let _ = self.task.await;
        let (e, p) = (self.emulator, self.path);
        tokio::task::spawn_blocking(move || save_now(&e, &p)).await.map_err(|err| {
            PersistError::Io { path: PathBuf::new(), source: std::io::Error::other(err) }
        })?
    }
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
        assert_eq!(save_now(&a, &path).unwrap(), 1);

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

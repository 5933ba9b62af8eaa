//! Owns where records are kept: an append-only, numbered sequence of JSON texts in a folder of
//! plain files (`000001.json`, ...) or in a PostgreSQL table (`sequence`, `body`). Both refuse a
//! number already taken, so two writers never overwrite each other; both can be locked by one
//! process at a time (a file lock the system releases when the process ends, however it ends; a
//! PostgreSQL advisory lock held by the connection).

use scorecard_project::close::Store;
use std::path::PathBuf;

/// One stored record.
#[derive(Debug, Clone)]
pub struct Entry {
    pub sequence: u64,
    /// Where it is, for messages: its file, or its table and number.
    pub place: String,
    pub text: String,
}

/// A store opened for reading and appending.
pub enum Log {
    Folder(PathBuf),
    Postgres(Box<Postgres>),
}

pub struct Postgres {
    runtime: tokio::runtime::Runtime,
    client: tokio_postgres::Client,
    table: String,
}

/// Held while a process owns a store: released when dropped, or when the process ends.
pub enum Lock {
    File(#[allow(dead_code)] std::fs::File),
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Unusable(String),
    /// The number was taken by another writer since the store was read.
    #[error("record {sequence} of {store} was written by another process meanwhile: run the command again")]
    Taken { store: String, sequence: u64 },
    #[error(
        "{store} is in use by another scorecard process: wait for it to finish, then run again"
    )]
    Busy { store: String },
}

/// The width of a record's number in its file name: `000001.json`.
const WIDTH: usize = 6;

impl Log {
    /// Opens the store (a folder is made when first written; a table is made if missing).
    pub fn open(store: &Store) -> Result<Log, StoreError> {
        match store {
            Store::Folder(path) => Ok(Log::Folder(path.clone())),
            Store::Postgres { url_env, table } => {
                let url = std::env::var(url_env).map_err(|_| {
                    StoreError::Unusable(format!(
                        "the environment variable `{url_env}` is not set: set it to the connection string of the database holding `{table}`"
                    ))
                })?;
                Postgres::connect(&url, table).map(|pg| Log::Postgres(Box::new(pg)))
            }
        }
    }

    /// Where the store is, for messages.
    pub fn shown(&self) -> String {
        match self {
            Log::Folder(path) => format!("`{}`", path.display()),
            Log::Postgres(pg) => format!("PostgreSQL table `{}`", pg.table),
        }
    }

    /// Where the store is, for documents: the folder, or `postgresql:TABLE`.
    pub fn place(&self) -> String {
        match self {
            Log::Folder(path) => path.display().to_string(),
            Log::Postgres(pg) => format!("postgresql:{}", pg.table),
        }
    }

    /// Every record, by number. A folder's files that are not records (`notes.txt`) are returned
    /// in `strays` so that `ledger verify` can name them.
    pub fn entries(&self) -> Result<(Vec<Entry>, Vec<String>), StoreError> {
        match self {
            Log::Folder(path) => folder_entries(path),
            Log::Postgres(pg) => pg.entries().map(|e| (e, Vec::new())),
        }
    }

    /// Adds `text` as record `sequence`, refused when that number exists.
    pub fn append(&self, sequence: u64, text: &str) -> Result<String, StoreError> {
        match self {
            Log::Folder(path) => folder_append(path, sequence, text, &self.shown()),
            Log::Postgres(pg) => pg.append(sequence, text),
        }
    }

    /// Takes the store for this process, or says who has it.
    pub fn lock(&self) -> Result<Lock, StoreError> {
        match self {
            Log::Folder(path) => {
                std::fs::create_dir_all(path).map_err(|e| unusable(path, e))?;
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(path.join(".lock"))
                    .map_err(|e| unusable(path, e))?;
                match file.try_lock() {
                    Ok(()) => Ok(Lock::File(file)),
                    Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Busy {
                        store: self.shown(),
                    }),
                    Err(std::fs::TryLockError::Error(e)) => Err(unusable(path, e)),
                }
            }
            Log::Postgres(pg) => pg.lock(&self.shown()),
        }
    }
}

fn unusable(path: &std::path::Path, e: std::io::Error) -> StoreError {
    StoreError::Unusable(format!("cannot use `{}`: {e}", path.display()))
}

fn folder_entries(path: &std::path::Path) -> Result<(Vec<Entry>, Vec<String>), StoreError> {
    let mut entries = Vec::new();
    let mut strays = Vec::new();
    let listing = match std::fs::read_dir(path) {
        Ok(l) => l,
        // Never written to: no records. (A link to nowhere is not that.)
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && path.symlink_metadata().is_err() => {
            return Ok((entries, strays))
        }
        Err(e) => return Err(unusable(path, e)),
    };
    for item in listing {
        let item = item.map_err(|e| unusable(path, e))?;
        let name = item.file_name().to_string_lossy().into_owned();
        // The lock file and files being written (`.tmp…`) are the store's own.
        if name == ".lock" || name.starts_with(".tmp") {
            continue;
        }
        // Only the name a record is written under: `0000004.json` is not record 4.
        let number = name
            .strip_suffix(".json")
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|n| n.parse::<u64>().ok())
            .filter(|n| name == format!("{n:0WIDTH$}.json"));
        let Some(sequence) = number else {
            strays.push(item.path().display().to_string());
            continue;
        };
        let file = item.path();
        let text = std::fs::read_to_string(&file).map_err(|e| unusable(&file, e))?;
        entries.push(Entry {
            sequence,
            place: file.display().to_string(),
            text,
        });
    }
    entries.sort_by_key(|e| e.sequence);
    strays.sort();
    Ok((entries, strays))
}

/// Written to a temporary file beside it, flushed to disk, then linked under its number, which
/// fails if the number exists: a record is never half written and never replaced.
fn folder_append(
    path: &std::path::Path,
    sequence: u64,
    text: &str,
    shown: &str,
) -> Result<String, StoreError> {
    use std::io::Write;
    std::fs::create_dir_all(path).map_err(|e| unusable(path, e))?;
    let target = path.join(format!("{sequence:0WIDTH$}.json"));
    let mut staged = tempfile::Builder::new()
        .prefix(".tmp")
        .tempfile_in(path)
        .map_err(|e| unusable(path, e))?;
    staged
        .write_all(text.as_bytes())
        .and_then(|_| staged.as_file().sync_all())
        .map_err(|e| unusable(&target, e))?;
    // Readable by the team, as a file written by hand would be (a temporary file is the owner's
    // alone).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = staged
            .as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644));
    }
    match staged.persist_noclobber(&target) {
        Ok(_) => {}
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(StoreError::Taken {
                store: shown.to_string(),
                sequence,
            })
        }
        Err(e) => return Err(unusable(&target, e.error)),
    }
    // The new name is on disk too, not only the bytes.
    if let Ok(dir) = std::fs::File::open(path) {
        let _ = dir.sync_all();
    }
    Ok(target.display().to_string())
}

/// The name a table's lock is taken under: unquoted names are folded to lower case by the
/// server, and one without a schema is taken as `public`'s, so every spelling of one table takes
/// one lock.
fn lock_key(table: &str) -> String {
    let lower = table.to_ascii_lowercase();
    match lower.contains('.') {
        true => lower,
        false => format!("public.{lower}"),
    }
}

/// A PostgreSQL error with the server's own words (its Display is only `db error`).
fn pg(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => db.message().to_string(),
        None => e.to_string(),
    }
}

impl Postgres {
    fn connect(url: &str, table: &str) -> Result<Postgres, StoreError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| StoreError::Unusable(e.to_string()))?;
        let client = runtime.block_on(async {
            let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                .await
                .map_err(|e| {
                    StoreError::Unusable(format!(
                        "cannot connect to the database holding `{table}`: {}",
                        pg(&e)
                    ))
                })?;
            tokio::spawn(connection);
            // A table name is letters, digits, `_` and a schema's dot (checked when the project
            // was read), so it can be written into the statement.
            client
                .batch_execute(&format!(
                    "CREATE TABLE IF NOT EXISTS {table} (sequence bigint PRIMARY KEY, body text NOT NULL)"
                ))
                .await
                .map_err(|e| {
                    StoreError::Unusable(format!("cannot make table `{table}`: {}", pg(&e)))
                })?;
            Ok::<_, StoreError>(client)
        })?;
        Ok(Postgres {
            runtime,
            client,
            table: table.to_string(),
        })
    }

    fn entries(&self) -> Result<Vec<Entry>, StoreError> {
        let table = &self.table;
        let rows = self
            .runtime
            .block_on(self.client.query(
                &format!("SELECT sequence, body FROM {table} ORDER BY sequence"),
                &[],
            ))
            .map_err(|e| {
                StoreError::Unusable(format!("cannot read table `{table}`: {}", pg(&e)))
            })?;
        Ok(rows
            .iter()
            .map(|r| {
                let sequence: i64 = r.get(0);
                Entry {
                    // A number below 1 is no record's: shown as record 0, which never exists.
                    sequence: sequence.max(0) as u64,
                    place: format!("table `{table}`, sequence {sequence}"),
                    text: r.get(1),
                }
            })
            .collect())
    }

    fn append(&self, sequence: u64, text: &str) -> Result<String, StoreError> {
        let table = &self.table;
        let n = i64::try_from(sequence).unwrap_or(i64::MAX);
        let done = self.runtime.block_on(self.client.execute(
            &format!("INSERT INTO {table} (sequence, body) VALUES ($1, $2)"),
            &[&n, &text],
        ));
        match done {
            Ok(_) => Ok(format!("table `{table}`, sequence {sequence}")),
            Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) => {
                Err(StoreError::Taken {
                    store: format!("PostgreSQL table `{table}`"),
                    sequence,
                })
            }
            Err(e) => Err(StoreError::Unusable(format!(
                "cannot write to table `{table}`: {}",
                pg(&e)
            ))),
        }
    }

    fn lock(&self, shown: &str) -> Result<Lock, StoreError> {
        let table = &self.table;
        let row = self
            .runtime
            .block_on(self.client.query_one(
                "SELECT pg_try_advisory_lock(hashtext($1))",
                &[&lock_key(table)],
            ))
            .map_err(|e| {
                StoreError::Unusable(format!("cannot lock table `{table}`: {}", pg(&e)))
            })?;
        match row.get::<_, bool>(0) {
            true => Ok(Lock::Postgres),
            false => Err(StoreError::Busy {
                store: shown.to_string(),
            }),
        }
    }
}

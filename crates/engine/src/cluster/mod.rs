//! Owns running aggregate passes on an Apache DataFusion Ballista cluster (docs/distributed.md):
//! with the `ballista` feature, the client session and the scheduler and executor `scorecard
//! cluster` starts (`ballista.rs`); without it, the same calls, refused with how to build it in
//! (`absent.rs`).

#[cfg(not(feature = "ballista"))]
mod absent;
#[cfg(feature = "ballista")]
mod ballista;

#[cfg(not(feature = "ballista"))]
pub use absent::{connect, executor, scheduler};
#[cfg(feature = "ballista")]
pub use ballista::{connect, executor, scheduler};

use std::net::SocketAddr;

/// How to get a build that can: said wherever a cluster is asked of one that cannot.
pub const HOW_TO_BUILD: &str = "this build of scorecard has no Ballista: install it with `cargo install --path . --features ballista` (docs/distributed.md)";

/// Where an executor listens, which scheduler it serves, and what it may use.
#[derive(Debug, Clone)]
pub struct Executor {
    /// The address the executor is reached at: its host, and its Arrow Flight port (results and
    /// shuffles); the gRPC port (tasks) is `grpc_port`.
    pub bind: SocketAddr,
    pub grpc_port: u16,
    pub scheduler_host: String,
    pub scheduler_port: u16,
    /// Tasks run at once; `None` is every core.
    pub concurrency: Option<usize>,
    /// Where shuffle files go; `None` is a new temporary folder.
    pub work_dir: Option<String>,
}

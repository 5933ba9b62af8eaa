//! Owns a cluster in a build without the `ballista` feature: a run that asks for one, and
//! `scorecard cluster`, are refused with how to build it in.

use super::{Executor, HOW_TO_BUILD};
use crate::error::DataError;
use datafusion::prelude::SessionContext;
use std::net::SocketAddr;

/// Refused: this build has no Ballista client.
pub async fn connect(scheduler: &str, _partitions: usize) -> Result<SessionContext, DataError> {
    Err(DataError::NoCluster {
        scheduler: scheduler.to_string(),
    })
}

/// Refused: this build has no Ballista scheduler.
pub async fn scheduler(_bind: SocketAddr) -> Result<(), String> {
    Err(HOW_TO_BUILD.to_string())
}

/// Refused: this build has no Ballista executor.
pub async fn executor(_e: Executor) -> Result<(), String> {
    Err(HOW_TO_BUILD.to_string())
}

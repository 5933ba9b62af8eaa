//! Owns the Ballista side of a cluster: the client session a run sends its passes through, and the
//! scheduler and executor `scorecard cluster` starts, which know the period function.

use super::Executor;
use crate::error::DataError;
use ballista::prelude::{SessionConfigExt, SessionContextExt};
use ballista_core::registry::BallistaFunctionRegistry;
use ballista_executor::executor_process::{start_executor_process, ExecutorProcessConfig};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::{SchedulerConfig, TaskDistributionPolicy};
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::execution::FunctionRegistry;
use datafusion::prelude::{SessionConfig, SessionContext};
use std::net::SocketAddr;
use std::sync::Arc;

/// A session whose queries run on the cluster behind `scheduler` (`df://host:port`). Nothing is
/// sent until the first query.
pub async fn connect(scheduler: &str, partitions: usize) -> Result<SessionContext, DataError> {
    let config = SessionConfig::new_with_ballista().with_target_partitions(partitions.max(1));
    let state = SessionStateBuilder::new()
        .with_config(config)
        .with_default_features()
        .build();
    SessionContext::remote_with_state(scheduler, state)
        .await
        .map_err(|e| DataError::Cluster {
            scheduler: scheduler.to_string(),
            reason: e.to_string(),
        })
}

/// Runs a scheduler listening on `bind` until the process ends.
pub async fn scheduler(bind: SocketAddr) -> Result<(), String> {
    let config = SchedulerConfig {
        bind_host: bind.ip().to_string(),
        bind_port: bind.port(),
        external_host: bind.ip().to_string(),
        // Spread each stage's tasks over the executors rather than filling one first: a pass is
        // a scan, and scans go fastest side by side.
        task_distribution: TaskDistributionPolicy::RoundRobin,
        override_session_builder: Some(Arc::new(|config: SessionConfig| {
            let mut state = ballista_core::utils::default_session_builder(config)?;
            state.register_udf(crate::passes::period::function())?;
            state.register_udf(crate::passes::period::local_day())?;
            state.register_udf(crate::sources::zone::function())?;
            Ok(state)
        })),
        ..SchedulerConfig::default()
    };
    let cluster = BallistaCluster::new_from_config(&config)
        .await
        .map_err(|e| e.to_string())?;
    ballista_scheduler::scheduler_process::start_server(cluster, bind, Arc::new(config))
        .await
        .map_err(|e| e.to_string())
}

/// Runs an executor until the process ends.
pub async fn executor(e: Executor) -> Result<(), String> {
    let mut registry = BallistaFunctionRegistry::default();
    for f in [
        crate::passes::period::function(),
        crate::passes::period::local_day(),
        crate::sources::zone::function(),
    ] {
        registry.scalar_functions.insert(f.name().to_string(), f);
    }
    let mut config = ExecutorProcessConfig {
        bind_host: e.bind.ip().to_string(),
        external_host: Some(e.bind.ip().to_string()),
        port: e.bind.port(),
        grpc_port: e.grpc_port,
        scheduler_host: e.scheduler_host,
        scheduler_port: e.scheduler_port,
        work_dir: e.work_dir,
        override_function_registry: Some(Arc::new(registry)),
        ..ExecutorProcessConfig::default()
    };
    if let Some(n) = e.concurrency {
        config.vcores = n.max(1);
    }
    start_executor_process(Arc::new(config))
        .await
        .map_err(|e| e.to_string())
}

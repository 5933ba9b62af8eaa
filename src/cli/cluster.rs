//! Owns `scorecard cluster`: starting a Ballista scheduler or executor that knows the period
//! function the engine's plans call (docs/distributed.md). Each runs until it is stopped.

use super::exit::Exit;
use clap::Subcommand;
use scorecard::engine::cluster;
use std::net::SocketAddr;

#[derive(Subcommand)]
pub enum Role {
    /// Run a scheduler: it takes each query from `scorecard run`, plans it in stages and hands
    /// the tasks to its executors.
    Scheduler {
        /// The address to listen on.
        #[arg(long, default_value = "127.0.0.1:50050")]
        bind: SocketAddr,
    },
    /// Run an executor: it registers with the scheduler and runs the tasks it is given, reading
    /// the Parquet files the client staged (or the dataset's own) at the same paths.
    Executor {
        /// The scheduler to serve, as HOST:PORT.
        #[arg(long, default_value = "localhost:50050")]
        scheduler: String,
        /// The address to listen on for results and shuffles (Arrow Flight).
        #[arg(long, default_value = "127.0.0.1:50051")]
        bind: SocketAddr,
        /// The port for tasks from the scheduler (gRPC), on the same host.
        #[arg(long, default_value_t = 50052)]
        grpc_port: u16,
        /// Tasks to run at once [default: every core].
        #[arg(long)]
        concurrency: Option<usize>,
        /// Where shuffle files go [default: a new temporary folder].
        #[arg(long)]
        work_dir: Option<String>,
    },
}

pub fn run(role: Role) -> Exit {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return Exit::DataErrors;
        }
    };
    let served = match role {
        Role::Scheduler { bind } => {
            eprintln!("scorecard cluster scheduler: listening on {bind}");
            runtime.block_on(cluster::scheduler(bind))
        }
        Role::Executor {
            scheduler,
            bind,
            grpc_port,
            concurrency,
            work_dir,
        } => {
            let Some((host, port)) = scheduler
                .rsplit_once(':')
                .and_then(|(h, p)| Some((h.to_string(), p.parse::<u16>().ok()?)))
            else {
                eprintln!(
                    "error: `--scheduler {scheduler}` is not HOST:PORT, such as localhost:50050"
                );
                return Exit::ScorecardErrors;
            };
            eprintln!(
                "scorecard cluster executor: serving {host}:{port} from {bind} (tasks on port {grpc_port})"
            );
            runtime.block_on(cluster::executor(cluster::Executor {
                bind,
                grpc_port,
                scheduler_host: host,
                scheduler_port: port,
                concurrency,
                work_dir,
            }))
        }
    };
    match served {
        Ok(()) => Exit::Ok,
        Err(e) => {
            eprintln!(
                "error[{}]: {e}",
                scorecard::diagnostic::Code::Cluster.as_str()
            );
            Exit::DataErrors
        }
    }
}

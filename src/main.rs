//! The `scorecard` command: the command line (`cli`) over the library.

mod cli;

/// Counts the memory each thread holds, so that the Rhai sandbox can bound a script's.
#[global_allocator]
static ALLOCATOR: scorecard::script::memory::CountingAllocator =
    scorecard::script::memory::CountingAllocator;

fn main() -> std::process::ExitCode {
    cli::main()
}

use std::path::Path;
use std::process::ExitCode;

use clap::Parser;
use mobmatch::cli::{Cli, Command, LogFormat, Outcome, run, write_config_if_absent};
use mobmatch::config::{Config, DEFAULT_CONFIG_FILE};
use mobmatch::demo::FolderNotFresh;
use tracing_subscriber::EnvFilter;

// Ingestion and the report allocate many small strings and columns on several threads;
// glibc's allocator spent a fifth of ingestion's CPU time on them (see ARCHITECTURE.md).
// Built without transparent huge pages (`no_thp` in Cargo.toml): the kernel zeroed each
// fresh 2 MiB page whole, and again after mimalloc gave freed ones back, which took the
// report 1.2-1.7 s of system time against 0.5 s with ordinary pages.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli);
    if matches!(cli.command, Command::Demo { .. }) {
        if cli.config.is_some() || cli.database_url.is_some() {
            eprintln!(
                "mobmatch: the demo writes its own mobmatch.toml and database in its folder; leave out --config and --database-url"
            );
            return ExitCode::from(2);
        }
        // On the embedded defaults: the demo reads no configuration but the one it writes.
        return exit_code(runtime().block_on(run(cli.command, &Config::default())));
    }
    if matches!(cli.command, Command::Init) {
        let path = cli
            .config
            .as_deref()
            .unwrap_or(Path::new(DEFAULT_CONFIG_FILE));
        if let Err(error) = write_config_if_absent(path) {
            eprintln!("mobmatch: {error:#}");
            return ExitCode::FAILURE;
        }
    }
    let config = Config::load(cli.config.as_deref()).and_then(|config| match &cli.database_url {
        Some(url) => config.with_database_url(url),
        None => Ok(config),
    });
    let config = match config {
        Ok(config) => config,
        Err(error) => {
            eprintln!("mobmatch: {error}");
            return ExitCode::from(2);
        }
    };
    exit_code(runtime().block_on(run(cli.command, &config)))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().expect("the tokio runtime starts")
}

fn exit_code(result: anyhow::Result<Outcome>) -> ExitCode {
    match result {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Rejections) => ExitCode::FAILURE,
        // A listing piped into `head` ends when `head` has read enough.
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        // A folder that is not fresh is a wrong argument, like bad usage.
        Err(error) if error.downcast_ref::<FolderNotFresh>().is_some() => {
            eprintln!("mobmatch: {error}");
            ExitCode::from(2)
        }
        Err(error) => {
            eprintln!("mobmatch: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to standard error. Without RUST_LOG, the daemon logs what its jobs do and the
/// commands only their errors (they print their own results).
fn init_logging(cli: &Cli) {
    let default_filter = if matches!(cli.command, Command::Serve { .. } | Command::Demo { .. }) {
        "warn,mobmatch=info"
    } else {
        "error"
    };
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Human => logs.init(),
        LogFormat::Json => logs.json().init(),
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    let kind = error
        .downcast_ref::<std::io::Error>()
        .map(std::io::Error::kind)
        .or_else(|| {
            error
                .downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind)
        });
    kind == Some(std::io::ErrorKind::BrokenPipe)
}

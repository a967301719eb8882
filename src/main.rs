use std::path::Path;
use std::process::ExitCode;

use clap::Parser;
use mobmatch::cli::{Cli, Command, Outcome, run, write_config_if_absent};
use mobmatch::config::{Config, DEFAULT_CONFIG_FILE};

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
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
    let runtime = tokio::runtime::Runtime::new().expect("the tokio runtime starts");
    match runtime.block_on(run(cli.command, &config)) {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Rejections) => ExitCode::FAILURE,
        // A listing piped into `head` ends when `head` has read enough.
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("mobmatch: {error:#}");
            ExitCode::FAILURE
        }
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

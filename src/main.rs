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
        Err(error) => {
            eprintln!("mobmatch: {error:#}");
            ExitCode::FAILURE
        }
    }
}

//! The command line (DESIGN.md section 7): argument parsing with clap, and one function
//! per command that opens the store, does the work and prints the result for people or,
//! with `--json`, for scripts.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use clap::{Parser, Subcommand, ValueEnum};
use serde::Serialize;

use crate::config::{Config, RateDefinition, WriteOutcome, write_example_config};
use crate::daemon::{Daemon, Job, Parts, SystemClock};
use crate::domain::{
    Answer, EmailAddress, Introduction, IntroductionStatus, Mobility, MobilityStatus, Role,
    SideAnswer, Source, Submission, SubmissionStatus,
};
use crate::import::{self, ImportReport};
use crate::introductions::{IntroductionSettings, remind};
use crate::mail::{self, IngestReport, MailRules, Transport};
use crate::outreach::{self, CallMode};
use crate::personal_data::{self, ForgetReport, Mode};
use crate::privacy::PurgeReport;
use crate::report::{self, ExportFormat, ExportTable, ReportFiles, ReportMonth};
use crate::report_mail::{self, ReportMail};
use crate::round::{RoundMode, RoundReport, run_round};
use crate::stop::StopSignal;
use crate::store::{IntroductionFilter, JobLock, JobRun, MobilityFilter, Store, SubmissionFilter};
use crate::synth::{self, synthetic_submissions};
use crate::web;
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Debug, Parser)]
#[command(
    name = "mobmatch",
    version,
    about = "Mobility matchmaking for EARLALL's skills partnership"
)]
pub struct Cli {
    /// The configuration file (default: mobmatch.toml in the working directory, if any).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The database, overriding the configuration: sqlite://FILE or postgres://…
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    /// How log lines are written to standard error: for people, or as JSON objects, one a
    /// line, for a log collector. RUST_LOG chooses what is logged.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Human,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Try mobmatch in a fresh folder: example organisations across Europe email their
    /// offers and requests, a matching round introduces them, example mobilities are
    /// imported and a report written; then the web UI is served.
    Demo {
        /// The folder to create; it must not exist yet, or be empty.
        #[arg(long, value_name = "DIR", default_value = crate::demo::DEFAULT_DIR)]
        dir: PathBuf,
        /// Stop after saying where everything is, without serving the web UI.
        #[arg(long)]
        no_serve: bool,
    },
    /// Write mobmatch.toml (if absent) with a fresh secret; create and migrate the database.
    Init,
    /// Apply pending database migrations.
    Migrate,
    /// List submissions (offers and requests).
    Submissions {
        #[arg(long, value_parser = parse_submission_status)]
        status: Option<SubmissionStatus>,
        #[arg(long, value_parser = parse_role)]
        role: Option<Role>,
        #[arg(long)]
        json: bool,
    },
    /// List introductions made by matching rounds.
    Introductions {
        #[arg(long, value_parser = parse_introduction_status)]
        status: Option<IntroductionStatus>,
        #[arg(long)]
        json: bool,
    },
    /// List the daemon's latest job runs: when, why, how they ended and what they did.
    Jobs {
        /// Only this job (a `[schedule]` key, such as fetch_mail).
        #[arg(long, value_parser = parse_job)]
        job: Option<Job>,
        /// At most this many runs, newest first.
        #[arg(long, default_value_t = 20)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
    /// List recorded mobilities.
    Mobilities {
        #[arg(long, value_parser = parse_mobility_status)]
        status: Option<MobilityStatus>,
        /// Only mobilities starting in this year.
        #[arg(long)]
        year: Option<i32>,
        #[arg(long)]
        json: bool,
    },
    /// Run a matching round now: pick the best offer/request pairs and record them as
    /// proposed introductions.
    Round {
        /// Show what the round would do and write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Also list every candidate pair with its score.
        #[arg(long)]
        candidates: bool,
        #[arg(long)]
        json: bool,
    },
    /// Add synthetic open submissions (and with --mobilities, mobilities and population
    /// figures) to the database, or with --maildir write the submissions as emails into a
    /// Maildir, for load tests and benchmarks.
    Synth {
        #[arg(long)]
        offers: usize,
        #[arg(long)]
        requests: usize,
        /// Also add this many mobilities of the last three years, and population figures
        /// for every region in those years.
        #[arg(long, default_value_t = 0, conflicts_with = "maildir")]
        mobilities: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Write emails into this Maildir instead of submissions into the database.
        #[arg(long, value_name = "DIR")]
        maildir: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Ingest .eml files, Maildir folders, mbox files, or one message on stdin (-).
    Ingest {
        #[arg(value_name = "PATH|-", default_value = "-")]
        paths: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Fetch once from the configured mailbox (Maildir or IMAP) and ingest.
    Fetch {
        #[arg(long)]
        json: bool,
    },
    /// Send reminders for unanswered introductions, expire the ones left unanswered too
    /// long, and ask for the report of each planned mobility that has ended.
    Remind {
        /// Run as if it were this time (RFC 3339), for tests.
        #[arg(long, hide = true, value_name = "TIME")]
        now: Option<DateTime<Utc>>,
        #[arg(long)]
        json: bool,
    },
    /// Email the blank offer and request form to every known contact and to the addresses
    /// of a CSV file (email,name,organisation,language): one email per recipient for the
    /// next matching round; unsubscribed addresses are skipped.
    Call {
        /// Also write to the addresses of this file.
        #[arg(long, value_name = "FILE.csv")]
        to: Option<PathBuf>,
        /// Count who would be written to, and write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Run as if it were this time (RFC 3339), for tests.
        #[arg(long, hide = true, value_name = "TIME")]
        now: Option<DateTime<Utc>>,
        #[arg(long)]
        json: bool,
    },
    /// Ask each open offer and request that is due ([outreach]) to renew or withdraw, and
    /// expire the ones asked that nobody renewed.
    Renew {
        /// Run as if it were this time (RFC 3339), for tests.
        #[arg(long, hide = true, value_name = "TIME")]
        now: Option<DateTime<Utc>>,
        #[arg(long)]
        json: bool,
    },
    /// Deliver the outbox now.
    Send {
        #[arg(long)]
        json: bool,
    },
    /// Write the monthly report: targets and mobilities (CSV, XLSX, Parquet), the charts
    /// (PNG, SVG) and summary.html, into <reports.dir>/<YYYY-MM> or --out.
    Report {
        /// The month to report on, year to date, as YYYY-MM (default: the previous month).
        #[arg(long, value_parser = parse_month)]
        month: Option<ReportMonth>,
        /// The folder to write into.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// The VET mobility rate to lead with: partnership (VET learners, the 20% pledge)
        /// or eu (Cedefop: 10+ days over IVET graduates, the 12% benchmark); default:
        /// reports.definition. targets.* holds both either way.
        #[arg(long, value_parser = parse_rate_definition)]
        definition: Option<RateDefinition>,
        /// Also queue the report to every mail.secretariat address (sent by `send`).
        #[arg(long)]
        email: bool,
        #[arg(long)]
        json: bool,
    },
    /// Export mobilities, submissions or the targets table, for monitoring.
    Export {
        #[arg(long)]
        what: ExportKind,
        /// csv, xlsx, parquet or json (one object per line).
        #[arg(long, value_parser = parse_export_format)]
        format: ExportFormat,
        /// The month of the targets table, year to date (default: the previous month).
        #[arg(long, value_parser = parse_month)]
        month: Option<ReportMonth>,
        /// The file to write (default: standard output).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Add the contact names and addresses to the submissions export (personal data:
        /// keep the file safe and delete it when done).
        #[arg(long)]
        with_contacts: bool,
    },
    /// Remove or blank the personal data past its retention time ([retention]): raw
    /// inbound emails, bodies of sent mail, rejected messages, closed contacts.
    Purge {
        /// Count what would go and change nothing.
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
    /// Erase a person: their contact details become a pseudonym, their messages are
    /// deleted and every mention of them is replaced; mobility counts stay. Logged.
    Forget {
        #[arg(value_name = "EMAIL", value_parser = parse_email)]
        email: EmailAddress,
        /// Who asks for the erasure, for the erasure log (default: $USER).
        #[arg(long, env = "USER", value_name = "NAME")]
        by: String,
        /// Count what would change and change nothing.
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
    /// Write everything held about an email address into a JSON file (the right of access).
    ExportPerson {
        #[arg(value_name = "EMAIL", value_parser = parse_email)]
        email: EmailAddress,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Import mobilities or population figures from a CSV file.
    Import {
        what: ImportKind,
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Run the daemon until SIGTERM or SIGINT: the web server (public forms, token pages,
    /// admin) and the scheduled jobs of `[schedule]`.
    Serve {
        /// Only the web server, without the scheduled jobs.
        #[arg(long)]
        web_only: bool,
    },
    /// Set the secretariat's password for the web admin, read from the first line of
    /// standard input.
    AdminPassword,
    /// Copy the whole SQLite database (database_url) into an empty PostgreSQL database,
    /// keeping ids, and check every table's row count; stop mobmatch first.
    CopyDatabase {
        /// The PostgreSQL database to copy into: postgres://USER:PASSWORD@HOST/DATABASE.
        /// It must be empty; mobmatch creates its tables.
        #[arg(long, value_name = "URL", value_parser = parse_postgres_url)]
        to: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ExportKind {
    Mobilities,
    Submissions,
    Targets,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ImportKind {
    Mobilities,
    Population,
}

/// How a command ended, for the process exit code (0 success, 1 failure).
pub enum Outcome {
    Success,
    /// The command ran, but some input was rejected (as reported).
    Rejections,
}

/// Runs `command`. The demo ignores `config`: it writes and reads its own.
pub async fn run(command: Command, config: &Config) -> anyhow::Result<Outcome> {
    if let Command::Demo { dir, no_serve } = &command {
        return crate::demo::run(dir, !*no_serve).await;
    }
    if let Command::Synth {
        offers,
        requests,
        seed,
        maildir: Some(maildir),
        json,
        ..
    } = &command
    {
        return write_synthetic_emails(*offers, *requests, *seed, maildir, *json, config);
    }
    let store = Store::connect(config.database_url.as_str()).await?;
    let outcome = match command {
        Command::Init => {
            println!("Database {} is ready.", config.database_url);
            Outcome::Success
        }
        Command::Migrate => {
            println!("Database {} is up to date.", config.database_url);
            Outcome::Success
        }
        Command::Submissions { status, role, json } => {
            let submissions = store
                .submissions(&SubmissionFilter {
                    status,
                    role,
                    ..SubmissionFilter::default()
                })
                .await?;
            print_listing(json, submissions.iter().map(SubmissionView::from))?;
            Outcome::Success
        }
        Command::Introductions { status, json } => {
            let introductions = store.introductions(&IntroductionFilter { status }).await?;
            print_listing(json, introductions.iter().map(IntroductionView::from))?;
            Outcome::Success
        }
        Command::Jobs { job, limit, json } => {
            let runs = store.job_runs(job.map(Job::name), limit).await?;
            print_listing(json, runs.into_iter())?;
            Outcome::Success
        }
        Command::Mobilities { status, year, json } => {
            let mobilities = store.mobilities(&MobilityFilter { status, year }).await?;
            print_listing(json, mobilities.iter().map(MobilityView::from))?;
            Outcome::Success
        }
        Command::Round {
            dry_run,
            candidates,
            json,
        } => {
            let _lock = lock_job_unless(dry_run, &store, Job::MatchingRound).await?;
            let mode = if dry_run {
                RoundMode::DryRun
            } else {
                RoundMode::Record
            };
            let report = round_now(&store, config, mode).await?;
            print_round(&report, candidates, json)?;
            Outcome::Success
        }
        Command::Ingest { paths, json } => {
            let sources = mail::list_sources(&paths)?;
            let progress = progress_bar(json, sources.len() as u64);
            let rules = MailRules::from_config(config);
            let mut tally = IngestTally::default();
            let mut printed = Ok(());
            mail::ingest_sources(&store, &rules, &sources, &progress, |report| {
                tally.add(&report);
                if printed.is_ok() {
                    printed = print_ingest_report(json, &report, &progress);
                }
            })
            .await?;
            progress.finish_and_clear();
            printed?;
            tally.finish(json)?
        }
        Command::Fetch { json } => {
            let _lock = lock_job_unless(false, &store, Job::FetchMail).await?;
            let mut tally = IngestTally::default();
            let mut printed = Ok(());
            let hidden = ProgressBar::hidden();
            fetch_mail(&store, config, |report| {
                tally.add(&report);
                if printed.is_ok() {
                    printed = print_ingest_report(json, &report, &hidden);
                }
            })
            .await?;
            printed?;
            tally.finish(json)?
        }
        Command::Remind { now, json } => {
            let _lock = lock_job_unless(false, &store, Job::Reminders).await?;
            let now = now.unwrap_or_else(Utc::now);
            let today = now.with_timezone(&config.timezone).date_naive();
            let settings = IntroductionSettings::from_config(config);
            let report = remind(&store, &settings, now, today).await?;
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                println!(
                    "Introduced {}, reminded {}, expired {}; asked for {} mobility reports.",
                    report.introduced, report.reminded, report.expired, report.completion_requests
                );
            }
            Outcome::Success
        }
        Command::Call {
            to,
            dry_run,
            now,
            json,
        } => {
            let _lock = lock_job_unless(dry_run, &store, Job::Call).await?;
            let now = now.unwrap_or_else(Utc::now);
            let listed = match &to {
                Some(path) => import::read_call_recipients_file(path)
                    .with_context(|| format!("{}", path.display()))?,
                None => Vec::new(),
            };
            let mode = if dry_run {
                CallMode::DryRun
            } else {
                CallMode::Send
            };
            let report = outreach::call_for_next_round(&store, config, listed, mode, now).await?;
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                let verb = if report.dry_run {
                    "Dry run, nothing written; would queue"
                } else {
                    "Queued"
                };
                println!(
                    "{verb} {} calls for the round of {} ({} recipients; {} reached before, {} unsubscribed, {} undeliverable).",
                    report.queued,
                    report.round_date,
                    report.recipients,
                    report.already_called,
                    report.unsubscribed,
                    report.undeliverable.len()
                );
                for address in &report.undeliverable {
                    println!(
                        "Skipped {address}: undeliverable after repeated hard bounces; correct or remove it."
                    );
                }
            }
            Outcome::Success
        }
        Command::Renew { now, json } => {
            let _lock = lock_job_unless(false, &store, Job::Renewals).await?;
            let now = now.unwrap_or_else(Utc::now);
            let today = now.with_timezone(&config.timezone).date_naive();
            let rules = MailRules::from_config(config);
            let report = outreach::renew(&store, &rules, &config.outreach, now, today).await?;
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                println!(
                    "Asked {} listings to renew ({} more without an email: their contact unsubscribed or is undeliverable); expired {}.",
                    report.asked, report.asked_without_email, report.expired
                );
            }
            Outcome::Success
        }
        Command::Send { json } => {
            let progress = progress_bar(json, 0);
            let report = deliver_outbox_now(&store, config, &progress).await?;
            progress.finish_and_clear();
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                println!(
                    "Sent {}, will retry {}, failed {}.",
                    report.sent, report.retrying, report.failed
                );
            }
            if report.failed > 0 {
                Outcome::Rejections
            } else {
                Outcome::Success
            }
        }
        Command::Synth {
            offers,
            requests,
            mobilities,
            seed,
            json,
            ..
        } => {
            let written = write_synthetic_submissions(&store, offers, requests, seed).await?;
            write_synthetic_mobilities(&store, mobilities, seed).await?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "offers": offers, "requests": requests, "mobilities": mobilities, "seed": seed, "written": written })
                );
            } else {
                println!(
                    "Added {offers} offers and {requests} requests (seed {seed}) as open submissions, and {mobilities} mobilities."
                );
            }
            Outcome::Success
        }
        Command::Report {
            month,
            out,
            definition,
            email,
            json,
        } => {
            if email {
                report_mail::check_secretariat(&config.mail)?;
            }
            let month = month.unwrap_or_else(|| previous_month(config));
            let definition = definition.unwrap_or(config.reports.definition);
            let dir = out.unwrap_or_else(|| config.reports.dir.join(month.to_string()));
            let files =
                report_mail::write_monthly_report(&store, &config.targets, month, definition, &dir)
                    .await?;
            let mails = if email {
                report_mail::queue_report_email(&store, &files, &config.mail, Utc::now()).await?
            } else {
                Vec::new()
            };
            print_report_files(&files, &mails, json)?;
            Outcome::Success
        }
        Command::Export {
            what,
            format,
            month,
            out,
            with_contacts,
        } => {
            if with_contacts && !matches!(what, ExportKind::Submissions) {
                anyhow::bail!(
                    "--with-contacts adds contacts to the submissions export only; use it with --what submissions"
                );
            }
            if out.is_none() && !format.is_text() && std::io::stdout().is_terminal() {
                anyhow::bail!(
                    "{format} is a binary format; give --out FILE or redirect the output to a file"
                );
            }
            let mut table = match what {
                ExportKind::Mobilities => {
                    let columns = report_mail::read_mobility_columns(&store).await?;
                    ExportTable::new("mobilities", columns.finish()?)
                }
                ExportKind::Submissions => {
                    let submissions = store.submissions(&SubmissionFilter::default()).await?;
                    let frame = if with_contacts {
                        report::submissions_frame_with_contacts(&submissions)?
                    } else {
                        report::submissions_frame(&submissions)?
                    };
                    ExportTable::new("submissions", frame)
                }
                ExportKind::Targets => {
                    let month = month.unwrap_or_else(|| previous_month(config));
                    report::targets_export(
                        &report_mail::read_report_input(&store).await?,
                        month,
                        &config.targets,
                    )?
                }
            };
            match out {
                Some(path) => report::write_to_file(&path, |out| table.write(format, out))?,
                None => {
                    let mut stdout = std::io::BufWriter::new(std::io::stdout());
                    table.write(format, &mut stdout)?;
                    stdout.flush()?;
                }
            }
            Outcome::Success
        }
        Command::Purge { dry_run, json } => {
            let _lock = lock_job_unless(dry_run, &store, Job::Purge).await?;
            let mode = if dry_run { Mode::DryRun } else { Mode::Apply };
            let report =
                personal_data::purge(&store, &config.retention.periods, Utc::now(), mode).await?;
            print_purge_report(&report, json)?;
            Outcome::Success
        }
        Command::Forget {
            email,
            by,
            dry_run,
            json,
        } => {
            let by = by.trim();
            if by.is_empty() {
                anyhow::bail!(
                    "--by is empty; name who asks for the erasure, for the erasure log, such as --by \"Maria Lopez\""
                );
            }
            let mode = if dry_run { Mode::DryRun } else { Mode::Apply };
            let report = personal_data::forget(&store, &email, by, Utc::now(), mode).await?;
            print_forget_report(&email, &report, json)?;
            Outcome::Success
        }
        Command::ExportPerson { email, out } => {
            let export = personal_data::export_person(&store, &email, Utc::now()).await?;
            write_json_file(&out, &export)?;
            println!(
                "Wrote {}: {} organisations, {} submissions, {} introductions, {} mobilities, {} messages received, {} sent.",
                out.display(),
                export.organisations.len(),
                export.submissions.len(),
                export.introductions.len(),
                export.mobilities.len(),
                export.messages_received.len(),
                export.messages_sent.len()
            );
            Outcome::Success
        }
        Command::Import { what, file, json } => {
            let show_progress = !json && std::io::stderr().is_terminal();
            let report = match what {
                ImportKind::Mobilities => {
                    import::import_mobilities(&store, &file, Utc::now(), show_progress).await?
                }
                ImportKind::Population => {
                    import::import_population(&store, &file, Utc::now(), show_progress).await?
                }
            };
            print_import_report(what, &report, json)?;
            if report.rejected > 0 {
                Outcome::Rejections
            } else {
                Outcome::Success
            }
        }
        Command::Demo { .. } => unreachable!("the demo returned above"),
        Command::Serve { web_only } => {
            let parts = if web_only { Parts::WebOnly } else { Parts::All };
            serve(&store, config, parts).await?;
            Outcome::Success
        }
        Command::AdminPassword => {
            set_admin_password(&store).await?;
            Outcome::Success
        }
        Command::CopyDatabase { to, json } => {
            copy_database(&store, config, &to, json).await?;
            Outcome::Success
        }
    };
    store.close().await;
    Ok(outcome)
}

/// Fetches once from the configured mailbox (Maildir or IMAP) and ingests, handing each
/// message's report to `report` once its batch is committed.
pub(crate) async fn fetch_mail(
    store: &Store,
    config: &Config,
    report: impl FnMut(IngestReport),
) -> anyhow::Result<()> {
    let rules = MailRules::from_config(config);
    mail::fetch_mailbox(
        store,
        &rules,
        &config.mail.inbound,
        &StopSignal::never(),
        report,
    )
    .await?;
    Ok(())
}

/// Runs a matching round over the submissions open today, in the configured time zone.
pub(crate) async fn round_now(
    store: &Store,
    config: &Config,
    mode: RoundMode,
) -> anyhow::Result<RoundReport> {
    let now = Utc::now();
    let today = now.with_timezone(&config.timezone).date_naive();
    let introductions = IntroductionSettings::from_config(config);
    Ok(run_round(store, &config.matching, &introductions, now, today, mode).await?)
}

/// Delivers the outbox now through the configured transport.
pub(crate) async fn deliver_outbox_now(
    store: &Store,
    config: &Config,
    progress: &ProgressBar,
) -> anyhow::Result<mail::DeliveryReport> {
    let extra_root = mail::extra_root_certificate();
    let transport = Transport::from_settings(&config.mail.outbound, extra_root.as_deref())?;
    Ok(mail::deliver_outbox(
        store,
        &transport,
        &config.mail.name,
        &config.mail.address,
        Utc::now(),
        &StopSignal::never(),
        progress,
    )
    .await?)
}

/// Takes the lock of `job` as the daemon does (unless `dry_run`), so that a command and
/// a daemon replica on PostgreSQL never run the same job at once. On SQLite there is
/// nothing to take.
async fn lock_job_unless(
    dry_run: bool,
    store: &Store,
    job: Job,
) -> anyhow::Result<Option<JobLock>> {
    if dry_run {
        return Ok(None);
    }
    match store.try_lock_job(job.name()).await? {
        Some(lock) => Ok(Some(lock)),
        None => anyhow::bail!(
            "a mobmatch serve is running {job} on this database right now; try again when it has finished (mobmatch jobs --job {job})"
        ),
    }
}

/// What `mobmatch serve` runs, and `mobmatch demo` after its steps.
pub(crate) async fn serve(store: &Store, config: &Config, parts: Parts) -> anyhow::Result<()> {
    if config.secret.is_empty() {
        anyhow::bail!(
            "the secret is empty, and it signs the links and forms of the web pages; run mobmatch init or set MOBMATCH_SECRET"
        );
    }
    let daemon = Daemon::new(store.clone(), config.clone(), Arc::new(SystemClock), parts)?;
    let shutdown = shutdown_signal()?;
    let listener = tokio::net::TcpListener::bind(config.web.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.web.listen))?;
    eprintln!(
        "Listening on http://{} (public address {})",
        listener.local_addr()?,
        config.web.base_url
    );
    daemon.run(Some(listener), shutdown).await
}

/// A future that completes on SIGINT (Ctrl-C) or SIGTERM. The handlers are installed
/// at once, so a signal that comes before the future is first awaited is not missed
/// (nor does it end the process the default way).
fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

async fn set_admin_password(store: &Store) -> anyhow::Result<()> {
    if std::io::stdin().is_terminal() {
        eprint!("New admin password (it shows as you type): ");
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    store_admin_password(store, line.trim_end_matches(['\r', '\n'])).await?;
    println!("The admin password is set; sessions opened with the old one have ended.");
    Ok(())
}

/// Stores the argon2 hash of `password` as the admin password, which ends every session.
pub(crate) async fn store_admin_password(store: &Store, password: &str) -> anyhow::Result<()> {
    let hash = web::hash_admin_password(password)?;
    let mut transaction = store.begin().await?;
    transaction
        .set_admin_password_hash(&hash, Utc::now())
        .await?;
    transaction.commit().await?;
    Ok(())
}

async fn copy_database(
    source: &Store,
    config: &Config,
    target_url: &str,
    json: bool,
) -> anyhow::Result<()> {
    let target = Store::connect(target_url).await?;
    let target_shown = crate::store::url_without_password(target_url);
    let progress = if json || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        ProgressBar::new_spinner()
    };
    let copied = crate::store::copy_database(source, &target, |table, rows| {
        progress.set_message(format!("{table}: {rows} rows"));
        progress.tick();
    })
    .await;
    progress.finish_and_clear();
    target.close().await;
    let report = copied?;
    let mut stdout = std::io::stdout().lock();
    if json {
        let line = serde_json::json!({
            "from": config.database_url.to_string(),
            "to": target_shown,
            "tables": report.tables,
            "rows": report.rows(),
        });
        serde_json::to_writer(&mut stdout, &line)?;
        writeln!(stdout)?;
        return Ok(());
    }
    let width = report
        .tables
        .iter()
        .map(|table| table.table.len())
        .max()
        .unwrap_or(0);
    for table in &report.tables {
        writeln!(
            stdout,
            "{:width$}  {:>9} rows",
            table.table, table.target_rows
        )?;
    }
    writeln!(
        stdout,
        "Copied {} rows in {} tables from {} into {target_shown}; every table has as many rows as in the source. Set database_url to the new database, then start mobmatch again.",
        report.rows(),
        report.tables.len(),
        config.database_url
    )?;
    Ok(())
}

fn print_purge_report(report: &PurgeReport, json: bool) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    if json {
        serde_json::to_writer(&mut stdout, report)?;
        writeln!(stdout)?;
        return Ok(());
    }
    let (intro, verbs) = if report.dry_run {
        (
            "Dry run, nothing changed; a purge now would",
            ["delete", "drop", "blank", "erase"],
        )
    } else {
        ("Purged:", ["deleted", "dropped", "blanked", "erased"])
    };
    writeln!(
        stdout,
        "{intro} {} {} rejected or unrecognised messages, {} the raw text of {} messages, {} the bodies of {} sent emails, {} the contacts of {} organisations whose submissions closed.",
        verbs[0],
        report.rejected_messages_deleted,
        verbs[1],
        report.raw_messages_dropped,
        verbs[2],
        report.sent_mail_bodies_blanked,
        verbs[3],
        report.closed_contacts_erased,
    )?;
    Ok(())
}

fn print_forget_report(
    email: &EmailAddress,
    report: &ForgetReport,
    json: bool,
) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    if json {
        serde_json::to_writer(&mut stdout, report)?;
        writeln!(stdout)?;
        return Ok(());
    }
    let counts = &report.counts;
    let intro = if report.dry_run {
        "Dry run, nothing changed; erasing"
    } else {
        "Erased"
    };
    writeln!(
        stdout,
        "{intro} {email}: {} organisations pseudonymised, {} submissions' notes blanked, {} messages deleted, {} stripped of their text, {} outbox messages blanked, {} other mentions replaced; {} introductions and {} mobilities keep their counts.",
        counts.organisations,
        counts.submissions,
        counts.messages_deleted,
        counts.messages_stripped,
        counts.outbox_messages,
        counts.mentions,
        counts.introductions,
        counts.mobilities,
    )?;
    for earlier in &report.erased_before {
        writeln!(stdout, "The same address was erased before, at {earlier}.")?;
    }
    Ok(())
}

/// Writes `value` as indented JSON into `path` through a temporary file beside it, so
/// that a failure leaves no half-written file.
fn write_json_file(path: &std::path::Path, value: &impl Serialize) -> anyhow::Result<()> {
    use anyhow::Context;
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let mut text = serde_json::to_vec_pretty(value)?;
    text.push(b'\n');
    std::fs::write(&partial, text).with_context(|| {
        format!(
            "cannot write {}; check that its folder exists and is writable",
            partial.display()
        )
    })?;
    std::fs::rename(&partial, path)
        .with_context(|| format!("cannot move {} to {}", partial.display(), path.display()))?;
    Ok(())
}

/// A progress bar on a terminal; nothing when output goes elsewhere or is JSON.
fn progress_bar(json: bool, length: u64) -> ProgressBar {
    if json || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let progress = ProgressBar::new(length);
    progress.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {per_sec} ETA {eta}")
            .expect("the progress template is valid"),
    );
    progress
}

/// A private certificate authority to trust for IMAP and SMTP besides the public ones,
/// named as OpenSSL names it.

#[derive(Default)]
struct IngestTally {
    counts: std::collections::BTreeMap<&'static str, usize>,
}

impl IngestTally {
    fn add(&mut self, report: &IngestReport) {
        *self.counts.entry(report.outcome.value()).or_default() += 1;
    }

    fn finish(&self, json: bool) -> anyhow::Result<Outcome> {
        if !json {
            let counts: Vec<String> = self
                .counts
                .iter()
                .map(|(outcome, count)| format!("{count} {outcome}"))
                .collect();
            let total: usize = self.counts.values().sum();
            if total == 0 {
                println!("No messages to ingest.");
            } else {
                println!("Ingested {total} messages: {}.", counts.join(", "));
            }
        }
        Ok(Outcome::Success)
    }
}

fn print_ingest_report(
    json: bool,
    report: &IngestReport,
    progress: &ProgressBar,
) -> anyhow::Result<()> {
    if json {
        let line = serde_json::json!({
            "source": report.source,
            "message_id": report.message_id,
            "outcome": report.outcome,
            "kind": report.kind,
            "reference": report.reference,
            "errors": report.errors,
        });
        writeln!(std::io::stdout().lock(), "{line}")?;
    } else if progress.is_hidden() {
        let reference = report.reference.as_deref().unwrap_or("");
        writeln!(
            std::io::stdout().lock(),
            "{}\t{}\t{}",
            report.source,
            report.outcome.value(),
            reference
        )?;
    }
    Ok(())
}

pub(crate) fn previous_month(config: &Config) -> ReportMonth {
    ReportMonth::before(Utc::now().with_timezone(&config.timezone).date_naive())
}

fn print_report_files(files: &ReportFiles, mails: &[ReportMail], json: bool) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    if json {
        let written: Vec<String> = files
            .written
            .iter()
            .map(|path| path.display().to_string())
            .collect();
        let mut summary = serde_json::json!({
            "month": files.month.to_string(),
            "dir": files.dir.display().to_string(),
            "files": written,
        });
        if !mails.is_empty() {
            summary["emails"] = serde_json::to_value(mails)?;
        }
        writeln!(stdout, "{summary}")?;
    } else {
        writeln!(
            stdout,
            "Wrote the report for {} into {}: {} files; open summary.html in a browser.",
            files.month,
            files.dir.display(),
            files.written.len()
        )?;
        for mail in mails {
            if mail.queued {
                writeln!(
                    stdout,
                    "Queued the report to {}; `mobmatch send` delivers it.",
                    mail.recipient
                )?;
            } else {
                writeln!(
                    stdout,
                    "The same report was queued to {} before; not queued again.",
                    mail.recipient
                )?;
            }
        }
    }
    Ok(())
}

async fn write_synthetic_submissions(
    store: &Store,
    offers: usize,
    requests: usize,
    seed: u64,
) -> anyhow::Result<usize> {
    let now = Utc::now();
    let submissions = synthetic_submissions(offers, requests, seed, now.date_naive());
    let progress = progress_bar(false, submissions.len() as u64);
    for batch in submissions.chunks(SYNTH_BATCH) {
        let mut transaction = store.begin().await?;
        for submission in batch {
            transaction
                .insert_submission(submission, SubmissionStatus::Open, Source::Import, now)
                .await?;
        }
        transaction.commit().await?;
        progress.inc(batch.len() as u64);
    }
    progress.finish_and_clear();
    Ok(submissions.len())
}

async fn write_synthetic_mobilities(store: &Store, count: usize, seed: u64) -> anyhow::Result<()> {
    if count == 0 {
        return Ok(());
    }
    let now = Utc::now();
    let today = now.date_naive();
    let this_year = today.year();
    let years = this_year - synth::SYNTHETIC_MOBILITY_YEARS..=this_year;
    let mut transaction = store.begin().await?;
    for figure in synth::synthetic_population(seed, years) {
        transaction.upsert_population(&figure, now).await?;
    }
    transaction.commit().await?;
    let progress = progress_bar(false, count as u64);
    let mut mobilities = synth::synthetic_mobilities(count, seed, today).peekable();
    while mobilities.peek().is_some() {
        let mut transaction = store.begin().await?;
        let mut written = 0;
        for mobility in mobilities.by_ref().take(SYNTH_BATCH) {
            transaction
                .insert_mobility(&mobility, Source::Import, now)
                .await?;
            written += 1;
        }
        transaction.commit().await?;
        progress.inc(written);
    }
    progress.finish_and_clear();
    Ok(())
}

/// Rows written per transaction by `synth`.
const SYNTH_BATCH: usize = 1000;

/// `synth --maildir`: writes submission emails and needs no database.
fn write_synthetic_emails(
    offers: usize,
    requests: usize,
    seed: u64,
    maildir: &std::path::Path,
    json: bool,
    config: &Config,
) -> anyhow::Result<Outcome> {
    let submissions = synthetic_submissions(offers, requests, seed, Utc::now().date_naive());
    let progress = progress_bar(json, submissions.len() as u64);
    let written = mail::write_synthetic_maildir(
        maildir,
        &submissions,
        config.mail.address.as_str(),
        Utc::now(),
        &progress,
    )?;
    progress.finish_and_clear();
    if json {
        println!(
            "{}",
            serde_json::json!({ "offers": offers, "requests": requests, "seed": seed, "written": written, "maildir": maildir })
        );
    } else {
        println!(
            "Wrote {written} submission emails into {}.",
            maildir.display()
        );
    }
    Ok(Outcome::Success)
}

/// Writes `mobmatch.toml` (or the `--config` path) unless it exists, and says which.
pub fn write_config_if_absent(path: &std::path::Path) -> anyhow::Result<()> {
    match write_example_config(path)? {
        WriteOutcome::Written => println!("Wrote {} with a fresh secret.", path.display()),
        WriteOutcome::AlreadyExists => {
            println!("{} already exists; left unchanged.", path.display())
        }
    }
    Ok(())
}

fn print_import_report(what: ImportKind, report: &ImportReport, json: bool) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    if json {
        serde_json::to_writer(&mut stdout, report)?;
        writeln!(stdout)?;
        return Ok(());
    }
    for error in &report.errors {
        eprintln!("{}: {error}", report.file);
    }
    let updated = match what {
        ImportKind::Mobilities => "updated",
        ImportKind::Population => "replaced an earlier figure",
    };
    let counts = [
        (report.imported, "imported"),
        (report.updated, updated),
        (report.unchanged, "already imported"),
        (report.rejected, "rejected"),
    ];
    let counts: Vec<String> = counts
        .iter()
        .filter(|(count, _)| *count > 0)
        .map(|(count, label)| format!("{count} {label}"))
        .collect();
    if counts.is_empty() {
        writeln!(stdout, "{}: no rows to import.", report.file)?;
    } else {
        let counts = counts.join(", ");
        writeln!(
            stdout,
            "{}: {} rows read; {counts}.",
            report.file, report.rows
        )?;
    }
    Ok(())
}

/// Prints the round as one JSON object (DESIGN.md section 7), or as a summary and tables.
fn print_round(report: &RoundReport, with_candidates: bool, json: bool) -> anyhow::Result<()> {
    let plan = &report.plan;
    let introduction_ids = report
        .stored
        .as_ref()
        .map(|stored| stored.introductions.as_slice())
        .unwrap_or_default();
    let introductions: Vec<PlannedIntroductionView> = plan
        .introductions
        .iter()
        .enumerate()
        .map(|(index, introduction)| PlannedIntroductionView {
            reference: introduction_ids.get(index).map(ToString::to_string),
            offer: introduction.offer.to_string(),
            request: introduction.request.to_string(),
            score: introduction.score.points(),
            reasons: &introduction.reasons,
        })
        .collect();
    let round = RoundView {
        reference: report
            .stored
            .as_ref()
            .map(|stored| stored.round.to_string()),
        dry_run: report.stored.is_none(),
        started_at: report.started_at,
        duration_ms: report.duration_ms,
        parameters: &report.parameters,
        offers: plan.offers,
        requests: plan.requests,
        candidates: plan.candidates.len(),
        introductions: plan.introductions.len(),
        total_score: plan.total_score(),
    };
    if json {
        let output = RoundOutput {
            round,
            introductions,
            candidates: with_candidates.then_some(CandidatesView(&plan.candidates)),
        };
        let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
        serde_json::to_writer(&mut stdout, &output)?;
        writeln!(stdout)?;
        stdout.flush()?;
        return Ok(());
    }
    let name = match &round.reference {
        Some(reference) => format!("Round {reference}"),
        None => "Dry run (nothing written)".to_owned(),
    };
    println!(
        "{name}: {} offers and {} requests took part; {} candidate pairs; {} introductions, total score {:.2}.",
        round.offers, round.requests, round.candidates, round.introductions, round.total_score
    );
    print_listing(false, introductions.into_iter())?;
    if with_candidates {
        println!("Candidates:");
        print_listing(false, plan.candidates.iter().map(CandidateView::from))?;
    }
    Ok(())
}

/// `round --json`: the round, its introductions and, when asked, every candidate.
#[derive(Serialize)]
struct RoundOutput<'a> {
    round: RoundView<'a>,
    introductions: Vec<PlannedIntroductionView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    candidates: Option<CandidatesView<'a>>,
}

/// The candidates of a round, each turned into its view only as it is written: a round
/// at European scale has millions of them.
struct CandidatesView<'a>(&'a [crate::matching::Candidate]);

impl Serialize for CandidatesView<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(CandidateView::from))
    }
}

#[derive(Serialize)]
struct RoundView<'a> {
    reference: Option<String>,
    dry_run: bool,
    started_at: DateTime<Utc>,
    duration_ms: u64,
    parameters: &'a serde_json::Value,
    offers: usize,
    requests: usize,
    candidates: usize,
    introductions: usize,
    total_score: f64,
}

#[derive(Serialize)]
struct PlannedIntroductionView<'a> {
    reference: Option<String>,
    offer: String,
    request: String,
    score: f64,
    reasons: &'a [String],
}

impl TableRow for PlannedIntroductionView<'_> {
    const HEADER: &'static [&'static str] = &["REF", "OFFER", "REQUEST", "SCORE", "REASONS"];

    fn cells(&self) -> Vec<String> {
        vec![
            self.reference.clone().unwrap_or_else(|| "-".to_owned()),
            self.offer.clone(),
            self.request.clone(),
            format!("{:.2}", self.score),
            self.reasons.join("; "),
        ]
    }
}

#[derive(Serialize)]
struct CandidateView {
    offer: String,
    request: String,
    score: f64,
}

impl From<&crate::matching::Candidate> for CandidateView {
    fn from(candidate: &crate::matching::Candidate) -> CandidateView {
        CandidateView {
            offer: candidate.offer.to_string(),
            request: candidate.request.to_string(),
            score: candidate.score.points(),
        }
    }
}

impl TableRow for CandidateView {
    const HEADER: &'static [&'static str] = &["OFFER", "REQUEST", "SCORE"];

    fn cells(&self) -> Vec<String> {
        vec![
            self.offer.clone(),
            self.request.clone(),
            format!("{:.2}", self.score),
        ]
    }
}

/// Prints one JSON object per line, or a table with a header for people.
fn print_listing<V: Serialize + TableRow>(
    json: bool,
    rows: impl Iterator<Item = V>,
) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    if json {
        for row in rows {
            serde_json::to_writer(&mut stdout, &row)?;
            writeln!(stdout)?;
        }
        return Ok(());
    }
    let cells: Vec<Vec<String>> = rows.map(|row| row.cells()).collect();
    if cells.is_empty() {
        writeln!(stdout, "(none)")?;
        return Ok(());
    }
    let mut widths: Vec<usize> = V::HEADER
        .iter()
        .map(|title| title.chars().count())
        .collect();
    for row in &cells {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let header: Vec<String> = V::HEADER.iter().map(|title| (*title).to_owned()).collect();
    for row in std::iter::once(&header).chain(&cells) {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:width$}"))
            .collect();
        writeln!(stdout, "{}", line.join("  ").trim_end())?;
    }
    Ok(())
}

trait TableRow {
    const HEADER: &'static [&'static str];
    fn cells(&self) -> Vec<String>;
}

impl TableRow for JobRun {
    const HEADER: &'static [&'static str] = &[
        "JOB", "STARTED", "TRIGGER", "OUTCOME", "SECONDS", "INSTANCE", "COUNTS",
    ];

    fn cells(&self) -> Vec<String> {
        let seconds = self.finished_at.map_or_else(String::new, |finished| {
            format!("{:.1}", (finished - self.started_at).as_seconds_f64())
        });
        let details = match &self.error {
            Some(error) => error.clone(),
            None => self.counts.to_string(),
        };
        vec![
            self.job.clone(),
            self.started_at.format("%Y-%m-%d %H:%M:%S").to_string(),
            self.trigger.value().to_owned(),
            self.outcome.value().to_owned(),
            seconds,
            self.instance.clone(),
            details,
        ]
    }
}

fn parse_job(text: &str) -> Result<Job, String> {
    Job::ALL
        .into_iter()
        .find(|job| job.name() == text)
        .ok_or_else(|| {
            let names: Vec<&str> = Job::ALL.iter().map(|job| job.name()).collect();
            format!("expected one of {}", names.join(", "))
        })
}

/// A submission with the field names of DESIGN.md section 7.
#[derive(Serialize)]
struct SubmissionView<'a> {
    reference: String,
    status: &'static str,
    role: &'static str,
    organisation: &'a str,
    contact_name: &'a str,
    contact_email: &'a str,
    region: &'static str,
    region_name: &'static str,
    country: &'static str,
    mobility_type: &'static str,
    fields: Vec<&'static str>,
    participants: u32,
    fewer_opportunities: u32,
    inclusion_support: bool,
    earliest_start: NaiveDate,
    latest_end: NaiveDate,
    min_days: u32,
    max_days: u32,
    languages: Vec<&'static str>,
    partner_countries: Vec<&'static str>,
    notes: &'a str,
    source: &'static str,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl<'a> From<&'a Submission> for SubmissionView<'a> {
    fn from(submission: &'a Submission) -> Self {
        let details = &submission.details;
        let organisation = &details.organisation;
        SubmissionView {
            reference: submission.id.to_string(),
            status: submission.status.value(),
            role: details.role.value(),
            organisation: &organisation.name,
            contact_name: &organisation.contact_name,
            contact_email: organisation.contact_email.as_str(),
            region: organisation.region.code(),
            region_name: organisation.region.name(),
            country: organisation.region.country().code(),
            mobility_type: details.mobility_type.value(),
            fields: details.fields.iter().map(|field| field.code()).collect(),
            participants: details.participants,
            fewer_opportunities: details.fewer_opportunities,
            inclusion_support: details.inclusion_support,
            earliest_start: details.window.start(),
            latest_end: details.window.end(),
            min_days: details.duration.min_days(),
            max_days: details.duration.max_days(),
            languages: details
                .languages
                .iter()
                .map(|language| language.code())
                .collect(),
            partner_countries: details
                .partner_countries
                .iter()
                .map(|country| country.code())
                .collect(),
            notes: &details.notes,
            source: submission.source.value(),
            created_at: submission.created_at,
            updated_at: submission.updated_at,
        }
    }
}

impl TableRow for SubmissionView<'_> {
    const HEADER: &'static [&'static str] = &[
        "REF",
        "STATUS",
        "ROLE",
        "TYPE",
        "ORGANISATION",
        "REGION",
        "WINDOW",
        "DAYS",
        "PEOPLE",
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.reference.clone(),
            self.status.to_owned(),
            self.role.to_owned(),
            self.mobility_type.to_owned(),
            self.organisation.to_owned(),
            self.region.to_owned(),
            format!("{} – {}", self.earliest_start, self.latest_end),
            if self.min_days == self.max_days {
                self.min_days.to_string()
            } else {
                format!("{}-{}", self.min_days, self.max_days)
            },
            self.participants.to_string(),
        ]
    }
}

#[derive(Serialize)]
struct MobilityView<'a> {
    reference: String,
    status: &'static str,
    sending_organisation: &'a str,
    sending_region: &'static str,
    receiving_organisation: &'a str,
    receiving_region: Option<&'static str>,
    receiving_country: &'static str,
    mobility_type: &'static str,
    erasmus_activity_code: Option<&'static str>,
    participants: u32,
    fewer_opportunities: u32,
    start_date: NaiveDate,
    end_date: NaiveDate,
    days: u32,
    introduction: Option<String>,
    source: &'static str,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl<'a> From<&'a Mobility> for MobilityView<'a> {
    fn from(mobility: &'a Mobility) -> Self {
        let details = &mobility.details;
        MobilityView {
            reference: mobility.id.to_string(),
            status: details.status.value(),
            sending_organisation: &details.sending_organisation,
            sending_region: details.sending_region.code(),
            receiving_organisation: &details.receiving_organisation,
            receiving_region: details
                .destination
                .nuts_region()
                .map(|region| region.code()),
            receiving_country: details.destination.country().code(),
            mobility_type: details.mobility_type.value(),
            erasmus_activity_code: details.erasmus_activity_code(),
            participants: details.participants,
            fewer_opportunities: details.fewer_opportunities,
            start_date: details.dates.start(),
            end_date: details.dates.end(),
            days: details.dates.days(),
            introduction: details.introduction.map(|id| id.to_string()),
            source: mobility.source.value(),
            created_at: mobility.created_at,
            updated_at: mobility.updated_at,
        }
    }
}

impl TableRow for MobilityView<'_> {
    const HEADER: &'static [&'static str] = &[
        "REF",
        "STATUS",
        "TYPE",
        "FROM",
        "TO",
        "START",
        "END",
        "PEOPLE",
        "FEWER OPP.",
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.reference.clone(),
            self.status.to_owned(),
            self.mobility_type.to_owned(),
            format!("{} ({})", self.sending_organisation, self.sending_region),
            format!(
                "{} ({})",
                self.receiving_organisation,
                self.receiving_region.unwrap_or(self.receiving_country)
            )
            .trim_start()
            .to_owned(),
            self.start_date.to_string(),
            self.end_date.to_string(),
            self.participants.to_string(),
            self.fewer_opportunities.to_string(),
        ]
    }
}

#[derive(Serialize)]
struct IntroductionView<'a> {
    reference: String,
    round: String,
    offer: String,
    request: String,
    score: f64,
    reasons: &'a [String],
    status: &'static str,
    host_answer: Option<&'static str>,
    host_answered_at: Option<DateTime<Utc>>,
    sender_answer: Option<&'static str>,
    sender_answered_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl<'a> From<&'a Introduction> for IntroductionView<'a> {
    fn from(introduction: &'a Introduction) -> Self {
        let answer = |side: Option<SideAnswer>| side.map(|side| side.answer).map(Answer::value);
        let answered_at = |side: Option<SideAnswer>| side.map(|side| side.at);
        IntroductionView {
            reference: introduction.id.to_string(),
            round: introduction.round.to_string(),
            offer: introduction.offer.to_string(),
            request: introduction.request.to_string(),
            score: introduction.score,
            reasons: &introduction.reasons,
            status: introduction.status.value(),
            host_answer: answer(introduction.host_answer),
            host_answered_at: answered_at(introduction.host_answer),
            sender_answer: answer(introduction.sender_answer),
            sender_answered_at: answered_at(introduction.sender_answer),
            created_at: introduction.created_at,
        }
    }
}

impl TableRow for IntroductionView<'_> {
    const HEADER: &'static [&'static str] = &[
        "REF", "STATUS", "OFFER", "REQUEST", "SCORE", "HOST", "SENDER",
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.reference.clone(),
            self.status.to_owned(),
            self.offer.clone(),
            self.request.clone(),
            format!("{:.1}", self.score),
            self.host_answer.unwrap_or("-").to_owned(),
            self.sender_answer.unwrap_or("-").to_owned(),
        ]
    }
}

fn parse_submission_status(text: &str) -> Result<SubmissionStatus, String> {
    SubmissionStatus::from_value(text).map_err(|error| error.to_string())
}

fn parse_email(text: &str) -> Result<EmailAddress, String> {
    EmailAddress::parse(text).map_err(|error| error.to_string())
}

fn parse_role(text: &str) -> Result<Role, String> {
    Role::from_value(text).map_err(|error| error.to_string())
}

fn parse_introduction_status(text: &str) -> Result<IntroductionStatus, String> {
    IntroductionStatus::from_value(text).map_err(|error| error.to_string())
}

fn parse_month(text: &str) -> Result<ReportMonth, String> {
    text.parse()
        .map_err(|error: crate::domain::InvalidValue| error.to_string())
}

fn parse_rate_definition(text: &str) -> Result<RateDefinition, String> {
    RateDefinition::parse(text).map_err(|error| error.to_string())
}

fn parse_export_format(text: &str) -> Result<ExportFormat, String> {
    text.parse()
        .map_err(|error: crate::domain::InvalidValue| error.to_string())
}

fn parse_postgres_url(text: &str) -> Result<String, String> {
    if text.starts_with("postgres://") || text.starts_with("postgresql://") {
        Ok(text.to_owned())
    } else {
        Err("expected a PostgreSQL database URL, postgres://USER:PASSWORD@HOST/DATABASE".to_owned())
    }
}

fn parse_mobility_status(text: &str) -> Result<MobilityStatus, String> {
    MobilityStatus::from_value(text).map_err(|error| error.to_string())
}

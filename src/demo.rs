//! `mobmatch demo`: the whole job once, in a fresh folder, on the embedded defaults.
//! Organisations across Europe (`examples/demo/submissions.toml`) email their offers and
//! requests into the Maildir; the demo ingests them, runs a round, delivers the answers
//! and introductions as `.eml` files, imports the example mobilities and population,
//! writes last month's report, says where everything is and serves the web UI. Every
//! step calls what its own command calls; this module only strings them together.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use chrono::{Days, Months, NaiveDate, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use rand::Rng;
use serde::Deserialize;

use crate::cli::{
    Outcome, deliver_outbox_now, fetch_mail, previous_month, round_now, store_admin_password,
};
use crate::config::{
    Config, ConfigFile, DEFAULT_CONFIG_FILE, InboundMailbox, OutboundTransport, WriteOutcome,
    write_example_config,
};
use crate::daemon::Parts;
use crate::forms::{FieldKey, FormLanguage};
use crate::import::{self, ImportReport};
use crate::mail::{self, FilledForm};
use crate::report_mail;
use crate::round::RoundMode;
use crate::store::Store;

/// The folder the demo makes when `--dir` is not given.
pub const DEFAULT_DIR: &str = "mobmatch-demo";

const DEMO_SUBMISSIONS: &str = include_str!("../examples/demo/submissions.toml");
const EXAMPLE_MOBILITIES: &str = include_str!("../examples/mobilities.csv");
const EXAMPLE_POPULATION: &str = include_str!("../examples/population.csv");
/// The year the example mobilities and population figures were written for; the demo
/// moves them to the year of its report, so that the report shows them.
const EXAMPLES_YEAR: i32 = 2026;

/// The demo's folder already holds something: it starts from nothing, and writes over
/// nobody's files.
#[derive(Debug, thiserror::Error)]
#[error("{}", folder_refusal(dir, *earlier_demo))]
pub struct FolderNotFresh {
    pub dir: PathBuf,
    /// It holds a `mobmatch.toml`: most likely an earlier demo.
    pub earlier_demo: bool,
}

fn folder_refusal(dir: &Path, earlier_demo: bool) -> String {
    let dir = dir.display();
    let mut message = format!(
        "{dir} is not empty, and the demo starts in a fresh folder; give another with --dir, or remove this one (rm -r {dir})"
    );
    if earlier_demo {
        message.push_str(&format!(
            ". It holds an earlier demo: to see it again, run `mobmatch serve` in {dir}"
        ));
    }
    message
}

/// One organisation's offer or request as `examples/demo/submissions.toml` writes it.
#[derive(Deserialize)]
struct DemoSubmission {
    language: String,
    starts_in_days: u64,
    ends_in_days: u64,
    #[serde(flatten)]
    values: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct DemoFile {
    submission: Vec<DemoSubmission>,
}

/// The demo organisations' forms as they fill them in, with their windows counted from
/// `today`, in the order of the file.
pub fn demo_forms(today: NaiveDate) -> Vec<FilledForm> {
    let file: DemoFile =
        toml::from_str(DEMO_SUBMISSIONS).expect("examples/demo/submissions.toml is valid TOML");
    file.submission
        .into_iter()
        .map(|submission| {
            let language = *FormLanguage::ALL
                .iter()
                .find(|language| language.code() == submission.language)
                .expect("each demo submission names a form language");
            let day = |days| (today + Days::new(days)).to_string();
            let mut values: Vec<(FieldKey, String)> = submission
                .values
                .iter()
                .map(|(key, value)| {
                    let key = FieldKey::find(key)
                        .unwrap_or_else(|| panic!("{key} in a demo submission is no form key"));
                    (key, value.clone())
                })
                .collect();
            values.push((FieldKey::EarliestStart, day(submission.starts_in_days)));
            values.push((FieldKey::LatestEnd, day(submission.ends_in_days)));
            FilledForm { language, values }
        })
        .collect()
}

/// Moves every date of `date_columns` and every year of `year_columns` of a CSV file by
/// `years` (29 February becomes the 28th in a common year).
fn shift_years(
    csv_text: &str,
    date_columns: &[&str],
    year_columns: &[&str],
    years: i32,
) -> anyhow::Result<String> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header = reader.headers()?.clone();
    let position = |name: &str| header.iter().position(|column| column == name);
    let dates: Vec<usize> = date_columns
        .iter()
        .filter_map(|name| position(name))
        .collect();
    let year_cells: Vec<usize> = year_columns
        .iter()
        .filter_map(|name| position(name))
        .collect();
    let months = Months::new(12 * years.unsigned_abs());
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(&header)?;
    for record in reader.records() {
        let mut cells: Vec<String> = record?.iter().map(str::to_owned).collect();
        for &index in &dates {
            let date = NaiveDate::parse_from_str(&cells[index], "%Y-%m-%d")
                .with_context(|| format!("{} is not a date", cells[index]))?;
            let moved = if years >= 0 {
                date.checked_add_months(months)
            } else {
                date.checked_sub_months(months)
            };
            cells[index] = moved.context("a date beyond the calendar")?.to_string();
        }
        for &index in &year_cells {
            let year: i32 = cells[index]
                .parse()
                .with_context(|| format!("{} is not a year", cells[index]))?;
            cells[index] = (year + years).to_string();
        }
        writer.write_record(&cells)?;
    }
    Ok(String::from_utf8(writer.into_inner()?)?)
}

/// Runs the demo in `dir` (made if missing; refused unless empty), then serves the web
/// UI until SIGTERM or Ctrl-C when `serve` is set.
pub async fn run(dir: &Path, serve: bool) -> anyhow::Result<Outcome> {
    let dir = prepare_folder(dir)?;
    std::env::set_current_dir(&dir).with_context(|| format!("cannot work in {}", dir.display()))?;
    println!("mobmatch demo in {}", dir.display());
    let steps = Steps::new();

    let step = steps.start("Writing the configuration and creating the database");
    let config_path = Path::new(DEFAULT_CONFIG_FILE);
    if write_example_config(config_path)? == WriteOutcome::AlreadyExists {
        anyhow::bail!(FolderNotFresh {
            dir,
            earlier_demo: true
        });
    }
    // The demo's folder holds all it uses: MOBMATCH_ variables of the shell do not apply.
    let config = Config::from_sources(Some(&ConfigFile::read(config_path)?), Vec::new())?;
    let store = Store::connect(config.database_url.as_str()).await?;
    steps.done(
        step,
        format!(
            "Wrote {DEFAULT_CONFIG_FILE} with a fresh secret, and created the database ({})",
            config.database_url
        ),
    );

    let outcome = run_steps(&steps, &store, &config, &dir).await?;
    if serve {
        println!();
        println!("Serving the web UI; stop it with Ctrl-C.");
        crate::cli::serve(&store, &config, Parts::All).await?;
    }
    store.close().await;
    Ok(outcome)
}

/// Everything between creating the database and serving.
async fn run_steps(
    steps: &Steps,
    store: &Store,
    config: &Config,
    dir: &Path,
) -> anyhow::Result<Outcome> {
    let InboundMailbox::Maildir { path: inbox } = &config.mail.inbound else {
        anyhow::bail!("the demo's configuration reads mail from a Maildir");
    };
    let OutboundTransport::File { dir: outbox } = &config.mail.outbound else {
        anyhow::bail!("the demo's configuration writes mail as files");
    };
    let now = Utc::now();
    let today = now.with_timezone(&config.timezone).date_naive();

    let step = steps.start("Writing the organisations' emails");
    let forms = demo_forms(today);
    let organisations: std::collections::BTreeSet<&str> = forms
        .iter()
        .map(|form| form.value(FieldKey::Organisation))
        .collect();
    let languages: std::collections::BTreeSet<FormLanguage> =
        forms.iter().map(|form| form.language).collect();
    let organisation_count = organisations.len();
    let written = mail::write_submission_emails(
        inbox,
        forms.clone(),
        config.mail.address.as_str(),
        now,
        &ProgressBar::hidden(),
    )
    .with_context(|| format!("cannot write into {}", inbox.display()))?;
    steps.done(
        step,
        format!(
            "{organisation_count} organisations sent {written} offers and requests by email, in {} languages, into {}",
            languages.len(),
            inbox.display()
        ),
    );

    let step = steps.start("Ingesting the emails");
    let mut outcomes: BTreeMap<&'static str, usize> = BTreeMap::new();
    fetch_mail(store, config, |report| {
        *outcomes.entry(report.outcome.value()).or_default() += 1;
    })
    .await?;
    let ingested: usize = outcomes.values().sum();
    let outcomes: Vec<String> = outcomes
        .iter()
        .map(|(outcome, count)| format!("{count} {outcome}"))
        .collect();
    steps.done(
        step,
        format!(
            "Ingested {ingested} emails ({}) and queued an answer to each",
            outcomes.join(", ")
        ),
    );

    let step = steps.start("Running a matching round");
    let round = round_now(store, config, RoundMode::Record).await?;
    let plan = &round.plan;
    let reference = round
        .stored
        .as_ref()
        .map(|stored| stored.round.to_string())
        .unwrap_or_default();
    steps.done(
        step,
        format!(
            "Round {reference}: {} offers and {} requests, {} candidate pairs, {} introductions (an email to each side)",
            plan.offers,
            plan.requests,
            plan.candidates.len(),
            plan.introductions.len()
        ),
    );

    let step = steps.start("Delivering the outbox");
    let delivery = deliver_outbox_now(store, config, &ProgressBar::hidden()).await?;
    steps.done(
        step,
        format!(
            "Delivered {} emails as .eml files into {}",
            delivery.sent,
            outbox.display()
        ),
    );

    let month = previous_month(config);
    let years = month.year() - EXAMPLES_YEAR;
    let step = steps.start("Importing the example mobilities and population");
    let examples = Path::new("examples");
    std::fs::create_dir_all(examples).context("cannot create the examples folder")?;
    let mobilities_file = examples.join("mobilities.csv");
    let population_file = examples.join("population.csv");
    std::fs::write(
        &mobilities_file,
        shift_years(EXAMPLE_MOBILITIES, &["start_date", "end_date"], &[], years)?,
    )?;
    std::fs::write(
        &population_file,
        shift_years(EXAMPLE_POPULATION, &[], &["year"], years)?,
    )?;
    let mobilities = import::import_mobilities(store, &mobilities_file, Utc::now(), false).await?;
    let population = import::import_population(store, &population_file, Utc::now(), false).await?;
    for report in [&mobilities, &population] {
        check_imported(report)?;
    }
    steps.done(
        step,
        format!(
            "Imported {} example mobilities and {} population figures of {} from {}",
            mobilities.imported,
            population.imported,
            month.year(),
            examples.display()
        ),
    );

    let step = steps.start("Writing the report");
    let report_dir = config.reports.dir.join(month.to_string());
    let files = report_mail::write_monthly_report(
        store,
        &config.targets,
        month,
        config.reports.definition,
        &report_dir,
    )
    .await?;
    steps.done(
        step,
        format!(
            "Wrote the report for {month}: {} files in {}",
            files.written.len(),
            files.dir.display()
        ),
    );

    let step = steps.start("Setting an admin password");
    let password = demo_password();
    store_admin_password(store, &password).await?;
    steps.done(step, "Set a password for the admin pages");

    let outbox_files = count_files(outbox, "eml")?;
    let charts: Vec<String> = files
        .chart_pngs
        .iter()
        .filter_map(|path| path.file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .collect();
    let base_url = &config.web.base_url;
    println!();
    println!("Where everything is:");
    println!(
        "  configuration  {}",
        dir.join(DEFAULT_CONFIG_FILE).display()
    );
    let database = config.database_url.as_str();
    match database.strip_prefix("sqlite://") {
        Some(file) => println!("  database       {} (SQLite)", dir.join(file).display()),
        None => println!("  database       {}", config.database_url),
    }
    println!(
        "  inbox          {} (the emails received, moved to cur/)",
        dir.join(inbox).display()
    );
    println!(
        "  outbox         {} ({outbox_files} .eml files: confirmations and introductions)",
        dir.join(outbox).display()
    );
    println!(
        "  report         {}",
        dir.join(&files.dir).join("summary.html").display()
    );
    println!("  charts         {} (PNG and SVG)", charts.join(", "));
    println!("  web            {base_url}/ (the forms people fill in)");
    println!("  admin          {base_url}/admin, password: {password}");
    println!();
    println!(
        "In {}, every mobmatch command works on the demo's data: mobmatch submissions, mobmatch introductions, mobmatch mobilities, mobmatch --help.",
        dir.display()
    );
    Ok(Outcome::Success)
}

/// Makes `dir` unless it exists; refuses it when it holds anything. Returns its
/// absolute path.
fn prepare_folder(dir: &Path) -> anyhow::Result<PathBuf> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                anyhow::bail!(FolderNotFresh {
                    dir: dir.to_owned(),
                    earlier_demo: dir.join(DEFAULT_CONFIG_FILE).exists(),
                });
            }
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotADirectory => {
            anyhow::bail!(FolderNotFresh {
                dir: dir.to_owned(),
                earlier_demo: false,
            });
        }
        Err(error) => {
            return Err(error).with_context(|| format!("cannot read {}", dir.display()));
        }
    }
    std::fs::canonicalize(dir).with_context(|| format!("cannot find {}", dir.display()))
}

/// The example files are ours: a rejected row is a mistake in them.
fn check_imported(report: &ImportReport) -> anyhow::Result<()> {
    match report.errors.first() {
        None => Ok(()),
        Some(error) => anyhow::bail!("{}: {error}", report.file),
    }
}

fn count_files(dir: &Path, extension: &str) -> anyhow::Result<usize> {
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    let mut count = 0;
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_some_and(|found| found == extension) {
            count += 1;
        }
    }
    Ok(count)
}

/// Four groups of four letters and digits, without the ones that look alike: easy to
/// copy from the terminal, and long enough for the admin password's rule.
fn demo_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut random = rand::rng();
    let groups: Vec<String> = (0..4)
        .map(|_| {
            (0..4)
                .map(|_| char::from(ALPHABET[random.random_range(0..ALPHABET.len())]))
                .collect()
        })
        .collect();
    groups.join("-")
}

/// One line per step: a spinner while it runs on a terminal, then what it did.
struct Steps {
    on_terminal: bool,
}

impl Steps {
    fn new() -> Steps {
        Steps {
            on_terminal: std::io::stdout().is_terminal() && std::io::stderr().is_terminal(),
        }
    }

    fn start(&self, doing: &'static str) -> ProgressBar {
        if !self.on_terminal {
            return ProgressBar::hidden();
        }
        let spinner = ProgressBar::new_spinner().with_message(format!("{doing}…"));
        spinner.set_style(
            ProgressStyle::with_template("{spinner} {msg}").expect("the spinner template is valid"),
        );
        spinner.enable_steady_tick(Duration::from_millis(100));
        spinner
    }

    fn done(&self, spinner: ProgressBar, what_it_did: impl std::fmt::Display) {
        spinner.finish_and_clear();
        if self.on_terminal {
            println!("✓ {what_it_did}");
        } else {
            println!("{what_it_did}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{EmailAddress, Role};
    use crate::forms::{SubmissionContext, parse_submission};
    use crate::mail::{Classification, classify, decode, ignore_reason};

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2027, 3, 15).unwrap()
    }

    #[test]
    fn every_demo_email_is_a_valid_submission() {
        let our_address = "matchmaking@example.org";
        let forms = demo_forms(today());
        for (index, form) in forms.iter().enumerate() {
            let email = mail::submission_email(form, index, our_address, Utc::now());
            let message = decode(email.as_bytes());
            assert!(ignore_reason(&message, our_address).is_none(), "{email}");
            let Classification::Submission { fields, .. } = classify(&message, our_address) else {
                panic!("not read as a submission:\n{email}");
            };
            assert_eq!(fields.language(), Some(form.language), "{email}");
            let context = SubmissionContext {
                today: today(),
                sender: message
                    .sender
                    .as_deref()
                    .map(|sender| EmailAddress::parse(sender).unwrap()),
            };
            let details = parse_submission(&fields, &context)
                .unwrap_or_else(|errors| panic!("{errors:?} in\n{email}"));
            assert_eq!(
                details.organisation.name,
                form.value(FieldKey::Organisation)
            );
            assert!(details.window.start() > today());
        }
    }

    #[test]
    fn the_demo_has_offers_and_requests_in_every_form_language() {
        let forms = demo_forms(today());
        let languages: std::collections::BTreeSet<FormLanguage> =
            forms.iter().map(|form| form.language).collect();
        assert_eq!(languages.len(), FormLanguage::ALL.len());
        let roles: Vec<Role> = forms
            .iter()
            .map(|form| {
                let fields = crate::forms::FieldSet::from_pairs(
                    form.values.iter().map(|(key, value)| (key.key(), value)),
                );
                parse_submission(
                    &fields,
                    &SubmissionContext {
                        today: today(),
                        sender: None,
                    },
                )
                .unwrap()
                .role
            })
            .collect();
        assert!(roles.contains(&Role::Receiving) && roles.contains(&Role::Sending));
    }

    #[test]
    fn the_examples_move_by_whole_years() {
        let mobilities = "sending_organisation,start_date,end_date\nTKNIKA,2026-02-09,2026-02-13\nX,2024-02-29,2024-03-01\n";
        assert_eq!(
            shift_years(mobilities, &["start_date", "end_date"], &[], 1).unwrap(),
            "sending_organisation,start_date,end_date\nTKNIKA,2027-02-09,2027-02-13\nX,2025-02-28,2025-03-01\n"
        );
        let population = "region,year,vet_learners\nES21,2026,41250\n";
        assert_eq!(
            shift_years(population, &[], &["year"], -2).unwrap(),
            "region,year,vet_learners\nES21,2024,41250\n"
        );
        assert_eq!(
            shift_years(EXAMPLE_POPULATION, &[], &["year"], 0).unwrap(),
            EXAMPLE_POPULATION
        );
    }

    #[test]
    fn a_folder_with_an_earlier_demo_says_how_to_see_it_again() {
        let message = FolderNotFresh {
            dir: PathBuf::from("mobmatch-demo"),
            earlier_demo: true,
        }
        .to_string();
        assert!(message.contains("--dir"), "{message}");
        assert!(message.contains("mobmatch serve` in"), "{message}");
    }
}

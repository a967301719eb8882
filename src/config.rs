//! The configuration of DESIGN.md section 8, in three layers: the embedded defaults, then
//! the TOML file, then `MOBMATCH_<SECTION>__<KEY>` environment variables. Loading is a
//! pure function of the file text and the variables, so every rule is tested with plain
//! data; `Config::load` only adds the reading of the real file and environment.
//!
//! Every value is parsed into its type here, so the rest of the program never sees an
//! invalid address, time zone or schedule, and every error names the key, where it was
//! set, what was given and what is expected.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono_tz::Tz;
use cron::Schedule;
use rand::Rng;

use crate::domain::{EmailAddress, InvalidValue};
pub use crate::introductions::Timing as IntroductionTiming;
pub use crate::matching::{MatchingSettings, ScoreWeights};
pub use crate::outreach::RenewalTiming;
pub use crate::privacy::RetentionSettings;
use crate::store::url_without_password;

/// The file read from the working directory when no `--config` is given.
pub const DEFAULT_CONFIG_FILE: &str = "mobmatch.toml";

const ENV_PREFIX: &str = "MOBMATCH_";
/// Variables the test harness sets (such as `MOBMATCH_TEST_POSTGRES_URL`); they share the
/// prefix but are not configuration, so they must not be refused as unknown keys.
const TEST_HARNESS_ENV_PREFIX: &str = "MOBMATCH_TEST_";
const EXAMPLE_CONFIG: &str = include_str!("../templates/mobmatch.toml");
const EXAMPLE_SECRET_LINE: &str = "secret = \"\"";

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub database_url: DatabaseUrl,
    /// The HMAC key for reply tokens and links; empty until `init` writes one.
    pub secret: Secret,
    pub timezone: Tz,
    /// Whether submissions wait as `pending` for the secretariat.
    pub moderation: bool,
    pub mail: MailSettings,
    pub web: WebSettings,
    pub schedule: ScheduleSettings,
    pub matching: MatchingSettings,
    /// When unanswered introductions are reminded and expire (`[introductions]`).
    pub introductions: IntroductionTiming,
    /// When open listings are asked to renew, and expire unrenewed (`[outreach]`).
    pub outreach: RenewalTiming,
    pub targets: TargetSettings,
    pub reports: ReportSettings,
    pub retention: RetentionConfig,
}

/// `[retention]`: how long personal data is kept, and whom people write to about it.
#[derive(Clone, Debug, PartialEq)]
pub struct RetentionConfig {
    pub periods: RetentionSettings,
    /// Whom people write to about their data (to see or erase it); `None` means the first
    /// `mail.secretariat` address, or else `mail.address`.
    pub contact: Option<EmailAddress>,
}

impl Config {
    /// The address the privacy notice names: `retention.contact`, else the first
    /// secretariat address, else our own.
    pub fn privacy_contact(&self) -> &EmailAddress {
        self.retention
            .contact
            .as_ref()
            .or(self.mail.secretariat.first())
            .unwrap_or(&self.mail.address)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct MailSettings {
    /// Ours: replies come back to `address+token`.
    pub address: EmailAddress,
    pub name: String,
    /// Who receives the monthly report.
    pub secretariat: Vec<EmailAddress>,
    pub reply_limit_per_hour: u32,
    pub inbound: InboundMailbox,
    pub outbound: OutboundTransport,
}

#[derive(Clone, Debug, PartialEq)]
pub enum InboundMailbox {
    Maildir { path: PathBuf },
    Imap(ImapAccount),
}

#[derive(Clone, Debug, PartialEq)]
pub struct ImapAccount {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// A command that prints an OAuth2 access token, for XOAUTH2.
    pub oauth2_token_command: Option<String>,
    pub folder: String,
    pub done_folder: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum OutboundTransport {
    File { dir: PathBuf },
    Smtp(SmtpServer),
}

#[derive(Clone, Debug, PartialEq)]
pub struct SmtpServer {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// A command that prints an OAuth2 access token, for XOAUTH2 (with `username`).
    pub oauth2_token_command: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsMode {
    /// TLS from the first byte (IMAPS 993, SMTPS 465).
    Implicit,
    StartTls,
    /// No encryption: for servers on loopback only.
    Disabled,
}

#[derive(Clone, Debug, PartialEq)]
pub struct WebSettings {
    pub listen: SocketAddr,
    /// The public address used in the links we send, starting with http:// or https://.
    pub base_url: String,
    /// Form posts (submissions, reports, confirmations, token pages) accepted from one
    /// client address per minute.
    pub public_posts_per_minute: u32,
}

/// Cron schedules with seconds, in the configured time zone.
#[derive(Clone, Debug, PartialEq)]
pub struct ScheduleSettings {
    pub fetch_mail: Schedule,
    pub deliver_mail: Schedule,
    pub matching_round: Schedule,
    pub reminders: Schedule,
    /// Ask stale listings to renew, and expire those nobody renewed (`mobmatch renew`).
    pub renewals: Schedule,
    /// Send the call for submissions (`mobmatch call`); none by default.
    pub call: Option<Schedule>,
    pub monthly_report: Schedule,
    /// Remove what is past its retention time (`mobmatch purge`).
    pub purge: Schedule,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TargetSettings {
    pub vet_mobility_rate: f64,
    pub fewer_opportunities_share: f64,
    pub eu_vet_benchmark: f64,
    pub year: i32,
    pub baseline_year: i32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ReportSettings {
    pub dir: PathBuf,
    /// Which VET mobility rate the summary, the charts and the email lead with.
    pub definition: RateDefinition,
}

/// The two definitions of the VET mobility rate that every targets table carries; a
/// report leads with one of them (`reports/README.md`, "Definitions").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RateDefinition {
    /// The partnership's pledge: participants of completed VET mobilities over the
    /// region's VET learners, against 20%.
    #[default]
    Partnership,
    /// The EU's (Cedefop): participants of completed VET mobilities of at least 10 days
    /// over the region's IVET graduates, against the 12% benchmark.
    Eu,
}

impl RateDefinition {
    pub const ALL: [RateDefinition; 2] = [RateDefinition::Partnership, RateDefinition::Eu];

    pub fn value(self) -> &'static str {
        match self {
            RateDefinition::Partnership => "partnership",
            RateDefinition::Eu => "eu",
        }
    }

    pub fn parse(text: &str) -> Result<RateDefinition, InvalidValue> {
        let wanted = text.trim().to_ascii_lowercase();
        RateDefinition::ALL
            .into_iter()
            .find(|definition| definition.value() == wanted)
            .ok_or_else(|| {
                InvalidValue::new(format!(
                    "{text:?} is not a rate definition; write partnership (VET learners, the 20% pledge) or eu (10+ days over IVET graduates, the 12% benchmark)"
                ))
            })
    }
}

/// A value that must never appear in logs or error messages: it prints as `(redacted)`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

/// `sqlite:…` or `postgres://…`; prints with any password replaced by `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

/// A configuration file as read from disk; its path is used in error messages.
#[derive(Clone, Debug)]
pub struct ConfigFile {
    pub path: PathBuf,
    pub text: String,
}

/// Which configuration key a message is about, and where its value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting {
    /// The dotted path of the key, such as `mail.inbound.source`.
    pub key: String,
    pub origin: Origin,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    Default,
    File(PathBuf),
    Environment { variable: String },
    CommandLine { flag: &'static str },
}

/// What `write_example_config` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteOutcome {
    Written,
    /// A file was already there; it was left unchanged.
    AlreadyExists,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "config file {} not found; check the path given to --config, or run `mobmatch init` to write one",
        path.display()
    )]
    FileNotFound { path: PathBuf },
    #[error("cannot read config file {}: {io_error}; check that it is a readable file", path.display())]
    Unreadable { path: PathBuf, io_error: io::Error },
    #[error("{} is not valid TOML; {message}", path.display())]
    Syntax { path: PathBuf, message: String },
    #[error("unknown key {setting}; {hint}")]
    UnknownKey { setting: Setting, hint: String },
    /// `problem` starts with the value given, as in `"nobody" is not an email address`.
    #[error("{setting}: {problem}; expected {expected}")]
    InvalidValue {
        setting: Setting,
        problem: String,
        expected: String,
    },
    #[error("{key} is required when {condition}; set it in the config file or with {variable}")]
    MissingValue {
        key: String,
        condition: String,
        variable: String,
    },
    #[error("{first} and {second} are both set; {advice}")]
    BothSet {
        first: String,
        second: String,
        advice: String,
    },
    #[error(
        "the [matching] score weights are all 0; give at least one part of the score a weight above 0, such as field_specificity_weight = 30"
    )]
    NoScoreWeight,
    #[error(
        "introductions.remind_after_days ({remind_after_days}) is not less than introductions.expire_after_days ({expire_after_days}), so nobody would be reminded; make the reminder come first, such as 7 and 21"
    )]
    ReminderAfterExpiry {
        remind_after_days: u32,
        expire_after_days: u32,
    },
    #[error("cannot write {}: {io_error}; check that its folder exists and is writable", path.display())]
    Unwritable { path: PathBuf, io_error: io::Error },
}

impl Config {
    /// Loads the configuration from `config_path` (which must exist) or, without one, from
    /// `mobmatch.toml` in the working directory when there is one, then applies the
    /// `MOBMATCH_…` variables of this process.
    pub fn load(config_path: Option<&Path>) -> Result<Config, ConfigError> {
        let file = match config_path {
            Some(path) => Some(ConfigFile::read(path)?),
            None => ConfigFile::read_if_present(Path::new(DEFAULT_CONFIG_FILE))?,
        };
        // Lossy, because `std::env::vars` panics on a variable that is not UTF-8; a
        // mangled `MOBMATCH_` value then fails validation with its name.
        let variables = std::env::vars_os().map(|(name, value)| {
            (
                name.to_string_lossy().into_owned(),
                value.to_string_lossy().into_owned(),
            )
        });
        Config::from_sources(file.as_ref(), variables)
    }

    /// The configuration with the database given on the command line (`--database-url`),
    /// which wins over the file and the environment.
    pub fn with_database_url(self, url: &str) -> Result<Config, ConfigError> {
        let database_url = DatabaseUrl::parse(url).map_err(|rejection| {
            let setting = Setting {
                key: "database_url".to_owned(),
                origin: Origin::CommandLine {
                    flag: "--database-url",
                },
            };
            rejection.into_error(setting, url)
        })?;
        Ok(Config {
            database_url,
            ..self
        })
    }

    /// The embedded defaults, overridden by `file` and then by the `MOBMATCH_…` pairs
    /// among `variables` (others are ignored).
    pub fn from_sources(
        file: Option<&ConfigFile>,
        variables: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let mut sources = Sources::new(file, variables)?;
        sources.refuse_unknown_keys(&KnownKeys::all())?;
        read_config(&mut sources)
    }
}

impl Default for Config {
    fn default() -> Config {
        Config::from_sources(None, Vec::new()).expect("the embedded defaults are valid")
    }
}

impl TlsMode {
    fn default_imap_port(self) -> u16 {
        match self {
            TlsMode::Implicit => 993,
            TlsMode::StartTls | TlsMode::Disabled => 143,
        }
    }

    fn default_smtp_port(self) -> u16 {
        match self {
            TlsMode::Implicit => 465,
            TlsMode::StartTls => 587,
            TlsMode::Disabled => 25,
        }
    }
}

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// 32 random bytes as 64 hexadecimal digits.
    pub fn generate() -> Secret {
        let mut bytes = [0u8; 32];
        rand::rng().fill(&mut bytes);
        Secret(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
    }

    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("Secret(redacted)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("(redacted)")
    }
}

impl DatabaseUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn parse(text: &str) -> Result<DatabaseUrl, Rejection> {
        let supported = ["sqlite:", "postgres://", "postgresql://"];
        if supported.iter().any(|prefix| text.starts_with(prefix)) {
            Ok(DatabaseUrl(text.to_owned()))
        } else {
            Err(Rejection::new(
                "is not a database URL mobmatch can use",
                "sqlite://FILE (e.g. sqlite://mobmatch.db) or postgres://USER:PASSWORD@HOST/DATABASE",
            ))
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "DatabaseUrl({})", url_without_password(&self.0))
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&url_without_password(&self.0))
    }
}

impl ConfigFile {
    pub fn read(path: &Path) -> Result<ConfigFile, ConfigError> {
        match fs::read_to_string(path) {
            Ok(text) => Ok(ConfigFile {
                path: path.to_owned(),
                text,
            }),
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                Err(ConfigError::FileNotFound {
                    path: path.to_owned(),
                })
            }
            Err(io_error) => Err(ConfigError::Unreadable {
                path: path.to_owned(),
                io_error,
            }),
        }
    }

    fn read_if_present(path: &Path) -> Result<Option<ConfigFile>, ConfigError> {
        match ConfigFile::read(path) {
            Ok(file) => Ok(Some(file)),
            Err(ConfigError::FileNotFound { .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }
}

impl fmt::Display for Setting {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.origin {
            Origin::Default => write!(formatter, "{} (default)", self.key),
            Origin::File(path) => write!(formatter, "{} in {}", self.key, path.display()),
            Origin::Environment { variable } => write!(formatter, "{} from {variable}", self.key),
            Origin::CommandLine { flag } => write!(formatter, "{} from {flag}", self.key),
        }
    }
}

/// The commented example configuration with `secret` filled in.
pub fn render_example_config(secret: &Secret) -> String {
    EXAMPLE_CONFIG.replacen(
        EXAMPLE_SECRET_LINE,
        &format!("secret = \"{}\"", secret.expose_secret()),
        1,
    )
}

/// Writes the example configuration with a fresh secret to `path`, unless a file is
/// already there. The file is readable by its owner only, because it holds the secret.
pub fn write_example_config(path: &Path) -> Result<WriteOutcome, ConfigError> {
    let opened = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path);
    let mut file = match opened {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
            return Ok(WriteOutcome::AlreadyExists);
        }
        Err(io_error) => {
            return Err(ConfigError::Unwritable {
                path: path.to_owned(),
                io_error,
            });
        }
    };
    let text = render_example_config(&Secret::generate());
    file.write_all(text.as_bytes())
        .map_err(|io_error| ConfigError::Unwritable {
            path: path.to_owned(),
            io_error,
        })?;
    Ok(WriteOutcome::Written)
}

/// The environment variable that sets `key`: `mail.inbound.source` is
/// `MOBMATCH_MAIL__INBOUND__SOURCE`.
fn env_variable_for(key: &str) -> String {
    format!("{ENV_PREFIX}{}", key.replace('.', "__").to_uppercase())
}

fn read_config(sources: &mut Sources) -> Result<Config, ConfigError> {
    Ok(Config {
        database_url: sources.parsed("database_url", "sqlite://mobmatch.db", DatabaseUrl::parse)?,
        secret: sources.secret("secret")?.unwrap_or_default(),
        timezone: sources.parsed("timezone", "Europe/Brussels", parse_timezone)?,
        moderation: sources.flag("moderation", false)?,
        mail: read_mail(sources)?,
        web: WebSettings {
            listen: sources.parsed("web.listen", "127.0.0.1:8080", parse_socket_address)?,
            base_url: sources.parsed("web.base_url", "http://127.0.0.1:8080", parse_base_url)?,
            public_posts_per_minute: sources
                .whole_number("web.public_posts_per_minute", 1..=i64::from(u32::MAX))?
                .unwrap_or(20),
        },
        schedule: ScheduleSettings {
            fetch_mail: sources.parsed("schedule.fetch_mail", "0 * * * * *", parse_schedule)?,
            deliver_mail: sources.parsed(
                "schedule.deliver_mail",
                "*/30 * * * * *",
                parse_schedule,
            )?,
            matching_round: sources.parsed(
                "schedule.matching_round",
                "0 0 8 * * Mon",
                parse_schedule,
            )?,
            reminders: sources.parsed("schedule.reminders", "0 0 9 * * *", parse_schedule)?,
            renewals: sources.parsed("schedule.renewals", "0 30 9 * * *", parse_schedule)?,
            call: sources.parsed("schedule.call", "", parse_optional_schedule)?,
            monthly_report: sources.parsed(
                "schedule.monthly_report",
                "0 0 7 1 * *",
                parse_schedule,
            )?,
            purge: sources.parsed("schedule.purge", "0 30 3 * * *", parse_schedule)?,
        },
        matching: read_matching(sources)?,
        introductions: read_introductions(sources)?,
        outreach: read_outreach(sources)?,
        targets: read_targets(sources)?,
        reports: ReportSettings {
            dir: sources.text("reports.dir", "reports")?.into(),
            definition: sources.parsed("reports.definition", "partnership", |text| {
                RateDefinition::parse(text).map_err(|_| {
                    Rejection::new("is not a rate definition", "\"partnership\" or \"eu\"")
                })
            })?,
        },
        retention: read_retention(sources)?,
    })
}

fn read_retention(sources: &mut Sources) -> Result<RetentionConfig, ConfigError> {
    let defaults = RetentionSettings::default();
    // At least a day: a purge at once would remove messages before anybody could read them.
    let days = 1..=36_500;
    let mut period = |key: &'static str, default: u32| -> Result<u32, ConfigError> {
        Ok(sources.whole_number(key, days.clone())?.unwrap_or(default))
    };
    let periods = RetentionSettings {
        raw_messages_days: period("retention.raw_messages_days", defaults.raw_messages_days)?,
        sent_mail_bodies_days: period(
            "retention.sent_mail_bodies_days",
            defaults.sent_mail_bodies_days,
        )?,
        rejected_messages_days: period(
            "retention.rejected_messages_days",
            defaults.rejected_messages_days,
        )?,
        closed_contacts_days: period(
            "retention.closed_contacts_days",
            defaults.closed_contacts_days,
        )?,
    };
    let contact = sources.parsed("retention.contact", "", parse_optional_email)?;
    Ok(RetentionConfig { periods, contact })
}

fn read_mail(sources: &mut Sources) -> Result<MailSettings, ConfigError> {
    Ok(MailSettings {
        address: sources.parsed("mail.address", "matchmaking@example.org", parse_email)?,
        name: sources.text("mail.name", "Mobility Matchmaking")?,
        secretariat: sources.email_list("mail.secretariat")?,
        reply_limit_per_hour: sources
            .whole_number("mail.reply_limit_per_hour", 1..=i64::MAX)?
            .unwrap_or(5),
        inbound: read_inbound(sources)?,
        outbound: read_outbound(sources)?,
    })
}

fn read_inbound(sources: &mut Sources) -> Result<InboundMailbox, ConfigError> {
    let source = sources.parsed("mail.inbound.source", "maildir", parse_inbound_source)?;
    let maildir = sources.text("mail.inbound.maildir", "mail/inbox")?;
    let host = sources.optional_text("mail.inbound.host")?;
    let port = sources.whole_number("mail.inbound.port", 1..=65535)?;
    let tls = sources.parsed("mail.inbound.tls", "implicit", parse_tls_mode)?;
    let username = sources.optional_text("mail.inbound.username")?;
    let password = sources.secret("mail.inbound.password")?;
    let oauth2_token_command = sources.optional_text("mail.inbound.oauth2_token_command")?;
    let folder = sources.text("mail.inbound.folder", "INBOX")?;
    let done_folder = sources.text("mail.inbound.done_folder", "Processed")?;
    match source {
        InboundSource::Maildir => Ok(InboundMailbox::Maildir {
            path: maildir.into(),
        }),
        InboundSource::Imap => {
            let condition = "mail.inbound.source is \"imap\"";
            if password.is_some() && oauth2_token_command.is_some() {
                return Err(ConfigError::BothSet {
                    first: "mail.inbound.password".to_owned(),
                    second: "mail.inbound.oauth2_token_command".to_owned(),
                    advice: "keep the password for a plain login, or the token command for OAuth2"
                        .to_owned(),
                });
            }
            Ok(InboundMailbox::Imap(ImapAccount {
                host: required(host, "mail.inbound.host", condition)?,
                port: port.unwrap_or(tls.default_imap_port()),
                tls,
                username,
                password,
                oauth2_token_command,
                folder,
                done_folder,
            }))
        }
    }
}

fn read_outbound(sources: &mut Sources) -> Result<OutboundTransport, ConfigError> {
    let transport = sources.parsed("mail.outbound.transport", "file", parse_transport)?;
    let dir = sources.text("mail.outbound.dir", "mail/outbox")?;
    let host = sources.optional_text("mail.outbound.host")?;
    let port = sources.whole_number("mail.outbound.port", 1..=65535)?;
    let tls = sources.parsed("mail.outbound.tls", "starttls", parse_tls_mode)?;
    let username = sources.optional_text("mail.outbound.username")?;
    let password = sources.secret("mail.outbound.password")?;
    let oauth2_token_command = sources.optional_text("mail.outbound.oauth2_token_command")?;
    match transport {
        Transport::File => Ok(OutboundTransport::File { dir: dir.into() }),
        Transport::Smtp => {
            let username = match (&oauth2_token_command, username) {
                (Some(_), username) => Some(required(
                    username,
                    "mail.outbound.username",
                    "mail.outbound.oauth2_token_command is set",
                )?),
                (None, username) => username,
            };
            if password.is_some() && oauth2_token_command.is_some() {
                return Err(ConfigError::BothSet {
                    first: "mail.outbound.password".to_owned(),
                    second: "mail.outbound.oauth2_token_command".to_owned(),
                    advice: "keep the password for a plain login, or the token command for OAuth2"
                        .to_owned(),
                });
            }
            Ok(OutboundTransport::Smtp(SmtpServer {
                host: required(
                    host,
                    "mail.outbound.host",
                    "mail.outbound.transport is \"smtp\"",
                )?,
                port: port.unwrap_or(tls.default_smtp_port()),
                tls,
                username,
                password,
                oauth2_token_command,
            }))
        }
    }
}

fn read_matching(sources: &mut Sources) -> Result<MatchingSettings, ConfigError> {
    let defaults = MatchingSettings::default();
    let max_introductions_per_request = sources
        .whole_number("matching.max_introductions_per_request", 1..=i64::MAX)?
        .unwrap_or(defaults.max_introductions_per_request);
    let max_introductions_per_offer = sources
        .whole_number("matching.max_introductions_per_offer", 1..=i64::MAX)?
        .unwrap_or(defaults.max_introductions_per_offer);
    let cross_border_only =
        sources.flag("matching.cross_border_only", defaults.cross_border_only)?;
    let fewer_opportunities_priority = sources.number(
        "matching.fewer_opportunities_priority",
        defaults.fewer_opportunities_priority,
        0.0..=f64::MAX,
        "a weight of 0 or more, such as 0.5",
    )?;
    let mut weight = |key, default| {
        sources.number(
            key,
            default,
            0.0..=f64::MAX,
            "a weight of 0 or more, such as 10",
        )
    };
    let weights = ScoreWeights {
        field_specificity: weight(
            "matching.field_specificity_weight",
            defaults.weights.field_specificity,
        )?,
        date_overlap: weight(
            "matching.date_overlap_weight",
            defaults.weights.date_overlap,
        )?,
        capacity: weight("matching.capacity_weight", defaults.weights.capacity)?,
        inclusion_support: weight(
            "matching.inclusion_support_weight",
            defaults.weights.inclusion_support,
        )?,
        partner_country: weight(
            "matching.partner_country_weight",
            defaults.weights.partner_country,
        )?,
    };
    if weights.total() <= 0.0 {
        return Err(ConfigError::NoScoreWeight);
    }
    Ok(MatchingSettings {
        max_introductions_per_request,
        max_introductions_per_offer,
        cross_border_only,
        fewer_opportunities_priority,
        weights,
    })
}

fn read_introductions(sources: &mut Sources) -> Result<IntroductionTiming, ConfigError> {
    let remind_after_days = sources
        .whole_number("introductions.remind_after_days", 1..=365)?
        .unwrap_or(7);
    let expire_after_days = sources
        .whole_number("introductions.expire_after_days", 1..=365)?
        .unwrap_or(21);
    if remind_after_days >= expire_after_days {
        return Err(ConfigError::ReminderAfterExpiry {
            remind_after_days,
            expire_after_days,
        });
    }
    Ok(IntroductionTiming {
        remind_after_days,
        expire_after_days,
    })
}

fn read_outreach(sources: &mut Sources) -> Result<RenewalTiming, ConfigError> {
    let defaults = RenewalTiming::default();
    Ok(RenewalTiming {
        renew_after_days: sources
            .whole_number("outreach.renew_after_days", 1..=3650)?
            .unwrap_or(defaults.renew_after_days),
        renew_before_end_days: sources
            .whole_number("outreach.renew_before_end_days", 0..=365)?
            .unwrap_or(defaults.renew_before_end_days),
        expire_listing_after_days: sources
            .whole_number("outreach.expire_listing_after_days", 1..=365)?
            .unwrap_or(defaults.expire_listing_after_days),
    })
}

fn read_targets(sources: &mut Sources) -> Result<TargetSettings, ConfigError> {
    let share = "a share from 0 to 1, such as 0.2 for 20%";
    let vet_mobility_rate = sources.number("targets.vet_mobility_rate", 0.20, 0.0..=1.0, share)?;
    let fewer_opportunities_share =
        sources.number("targets.fewer_opportunities_share", 0.20, 0.0..=1.0, share)?;
    let eu_vet_benchmark = sources.number("targets.eu_vet_benchmark", 0.12, 0.0..=1.0, share)?;
    let year = sources
        .whole_number("targets.year", 2000..=2100)?
        .unwrap_or(2030);
    let baseline_year = sources
        .whole_number("targets.baseline_year", 2000..=i64::from(year) - 1)?
        .unwrap_or(2024);
    Ok(TargetSettings {
        vet_mobility_rate,
        fewer_opportunities_share,
        eu_vet_benchmark,
        year,
        baseline_year,
    })
}

fn required(value: Option<String>, key: &str, condition: &str) -> Result<String, ConfigError> {
    value.ok_or_else(|| ConfigError::MissingValue {
        key: key.to_owned(),
        condition: condition.to_owned(),
        variable: env_variable_for(key),
    })
}

enum InboundSource {
    Maildir,
    Imap,
}

enum Transport {
    File,
    Smtp,
}

/// Why a text is not a valid value, in the words of an error message.
struct Rejection {
    problem: String,
    expected: String,
}

impl Rejection {
    fn new(problem: impl Into<String>, expected: impl Into<String>) -> Rejection {
        Rejection {
            problem: problem.into(),
            expected: expected.into(),
        }
    }

    fn into_error(self, setting: Setting, given: &str) -> ConfigError {
        ConfigError::InvalidValue {
            setting,
            problem: format!("{given:?} {}", self.problem),
            expected: self.expected,
        }
    }
}

fn parse_email(text: &str) -> Result<EmailAddress, Rejection> {
    EmailAddress::parse(text).map_err(|_| {
        Rejection::new(
            "is not an email address",
            "something like matchmaking@example.org",
        )
    })
}

/// An address, or nothing when the text is empty.
fn parse_optional_email(text: &str) -> Result<Option<EmailAddress>, Rejection> {
    if text.is_empty() {
        return Ok(None);
    }
    parse_email(text).map(Some)
}

fn parse_timezone(text: &str) -> Result<Tz, Rejection> {
    Tz::from_str(text).map_err(|_| {
        Rejection::new(
            "is not a time zone",
            "an IANA time zone name such as Europe/Brussels or Europe/Stockholm",
        )
    })
}

fn parse_schedule(text: &str) -> Result<Schedule, Rejection> {
    let field_count = text.split_whitespace().count();
    if field_count == 5 {
        return Err(Rejection::new(
            "has 5 fields, but schedules here start with a seconds field",
            format!("\"0 {}\" for the same times", text.trim()),
        ));
    }
    Schedule::from_str(text).map_err(|error| {
        // The cron crate draws a caret under the expression; its last line says why.
        let message = error.to_string();
        let reason = message.lines().last().unwrap_or_default().trim().to_owned();
        Rejection::new(
            format!("is not a cron schedule ({reason})"),
            "six fields with seconds first, \"sec min hour day-of-month month day-of-week\" \
             (a seventh, the year, is optional; days of the week as names such as Mon, or \
             1 = Sunday to 7 = Saturday), e.g. \"0 0 8 * * Mon\" for Mondays at 08:00",
        )
    })
}

fn parse_optional_schedule(text: &str) -> Result<Option<Schedule>, Rejection> {
    if text.is_empty() {
        return Ok(None);
    }
    parse_schedule(text).map(Some)
}

fn parse_socket_address(text: &str) -> Result<SocketAddr, Rejection> {
    SocketAddr::from_str(text).map_err(|_| {
        Rejection::new(
            "is not an address and port to listen on",
            "an IP address and a port such as 127.0.0.1:8080 or 0.0.0.0:8080",
        )
    })
}

fn parse_base_url(text: &str) -> Result<String, Rejection> {
    if text.starts_with("http://") || text.starts_with("https://") {
        Ok(text.to_owned())
    } else {
        Err(Rejection::new(
            "does not start with http:// or https://",
            "the public address of the web server, such as https://matchmaking.example.org",
        ))
    }
}

fn parse_inbound_source(text: &str) -> Result<InboundSource, Rejection> {
    match text.to_lowercase().as_str() {
        "maildir" => Ok(InboundSource::Maildir),
        "imap" => Ok(InboundSource::Imap),
        _ => Err(Rejection::new(
            "is not a mail source",
            "\"maildir\" or \"imap\"",
        )),
    }
}

fn parse_transport(text: &str) -> Result<Transport, Rejection> {
    match text.to_lowercase().as_str() {
        "file" => Ok(Transport::File),
        "smtp" => Ok(Transport::Smtp),
        _ => Err(Rejection::new(
            "is not a mail transport",
            "\"file\" or \"smtp\"",
        )),
    }
}

fn parse_tls_mode(text: &str) -> Result<TlsMode, Rejection> {
    match text.to_lowercase().as_str() {
        "implicit" => Ok(TlsMode::Implicit),
        "starttls" => Ok(TlsMode::StartTls),
        "none" => Ok(TlsMode::Disabled),
        _ => Err(Rejection::new(
            "is not a TLS mode",
            "\"implicit\", \"starttls\" or \"none\"",
        )),
    }
}

/// The file and the environment, from which each key is taken once, with the keys asked
/// for so far.
#[derive(Default)]
struct Sources {
    file: toml::Table,
    file_path: PathBuf,
    environment: BTreeMap<String, EnvironmentValue>,
    requested_keys: Vec<&'static str>,
}

struct EnvironmentValue {
    variable: String,
    text: String,
}

/// A value found in the file or the environment, before it is parsed into its type.
struct Given {
    setting: Setting,
    value: toml::Value,
    /// The variable's text as written, for keys that take text whatever it looks like
    /// (`MOBMATCH_SECRET=123` is text, not a number).
    environment_text: Option<String>,
}

impl Sources {
    fn new(
        file: Option<&ConfigFile>,
        variables: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Sources, ConfigError> {
        let environment = variables
            .into_iter()
            .filter(|(variable, _)| !variable.starts_with(TEST_HARNESS_ENV_PREFIX))
            .filter_map(|(variable, text)| {
                let key = variable
                    .strip_prefix(ENV_PREFIX)?
                    .split("__")
                    .map(str::to_lowercase)
                    .collect::<Vec<_>>()
                    .join(".");
                Some((key, EnvironmentValue { variable, text }))
            })
            .collect();
        let Some(file) = file else {
            return Ok(Sources {
                environment,
                ..Sources::default()
            });
        };
        let table = file
            .text
            .parse::<toml::Table>()
            .map_err(|error| ConfigError::Syntax {
                path: file.path.clone(),
                message: error.to_string().trim_end().to_owned(),
            })?;
        Ok(Sources {
            file: table,
            file_path: file.path.clone(),
            environment,
            requested_keys: Vec::new(),
        })
    }

    /// The value for `key`: from the environment when a variable sets it, else from the
    /// file.
    fn take(&mut self, key: &'static str) -> Result<Option<Given>, ConfigError> {
        self.requested_keys.push(key);
        let from_file = self.take_from_file(key)?;
        if let Some(EnvironmentValue { variable, text }) = self.environment.remove(key) {
            let value =
                toml::Value::from_str(&text).unwrap_or_else(|_| toml::Value::String(text.clone()));
            return Ok(Some(Given {
                setting: Setting {
                    key: key.to_owned(),
                    origin: Origin::Environment { variable },
                },
                value,
                environment_text: Some(text),
            }));
        }
        Ok(from_file.map(|value| Given {
            setting: Setting {
                key: key.to_owned(),
                origin: Origin::File(self.file_path.clone()),
            },
            value,
            environment_text: None,
        }))
    }

    fn take_from_file(&mut self, key: &str) -> Result<Option<toml::Value>, ConfigError> {
        let mut table = &mut self.file;
        let mut path = key.split('.').collect::<Vec<_>>();
        let leaf = path.pop().unwrap_or(key);
        let mut section = String::new();
        for part in path {
            if !section.is_empty() {
                section.push('.');
            }
            section.push_str(part);
            match table.get_mut(part) {
                None => return Ok(None),
                Some(toml::Value::Table(inner)) => table = inner,
                Some(other) => {
                    return Err(ConfigError::InvalidValue {
                        setting: Setting {
                            key: section.clone(),
                            origin: Origin::File(self.file_path.clone()),
                        },
                        problem: format!("{other} is not a section"),
                        expected: format!("a [{section}] table"),
                    });
                }
            }
        }
        Ok(table.remove(leaf))
    }

    fn text(&mut self, key: &'static str, default: &str) -> Result<String, ConfigError> {
        match self.take(key)? {
            None => Ok(default.to_owned()),
            Some(given) => given.text(&format!("text in quotes, such as {default:?}")),
        }
    }

    /// Text that may be left out; empty text counts as left out.
    fn optional_text(&mut self, key: &'static str) -> Result<Option<String>, ConfigError> {
        match self.take(key)? {
            None => Ok(None),
            Some(given) => Ok(Some(given.text("text in quotes")?).filter(|text| !text.is_empty())),
        }
    }

    fn secret(&mut self, key: &'static str) -> Result<Option<Secret>, ConfigError> {
        match self.take(key)? {
            None => Ok(None),
            Some(given) => match given.text_if_any() {
                Some(text) if text.is_empty() => Ok(None),
                Some(text) => Ok(Some(Secret(text))),
                None => Err(ConfigError::InvalidValue {
                    setting: given.setting,
                    problem: "the value given is not text".to_owned(),
                    expected: "text in quotes".to_owned(),
                }),
            },
        }
    }

    /// Text parsed by `parse`; the default goes through the same parse.
    fn parsed<T>(
        &mut self,
        key: &'static str,
        default: &str,
        parse: fn(&str) -> Result<T, Rejection>,
    ) -> Result<T, ConfigError> {
        let (setting, text) = match self.take(key)? {
            None => (
                Setting {
                    key: key.to_owned(),
                    origin: Origin::Default,
                },
                default.to_owned(),
            ),
            Some(given) => {
                let text = given.text(&format!("text in quotes, such as {default:?}"))?;
                (given.setting, text)
            }
        };
        parse(text.trim()).map_err(|rejection| rejection.into_error(setting, &text))
    }

    fn flag(&mut self, key: &'static str, default: bool) -> Result<bool, ConfigError> {
        match self.take(key)? {
            None => Ok(default),
            Some(Given {
                value: toml::Value::Boolean(flag),
                ..
            }) => Ok(flag),
            Some(given) => Err(given.reject("is not true or false", "true or false")),
        }
    }

    /// A whole number in `allowed` that fits `T`, or `None` when the key is not set.
    fn whole_number<T: TryFrom<i64>>(
        &mut self,
        key: &'static str,
        allowed: RangeInclusive<i64>,
    ) -> Result<Option<T>, ConfigError> {
        let Some(given) = self.take(key)? else {
            return Ok(None);
        };
        let expected = match allowed.end() {
            &i64::MAX => format!("a whole number of at least {}", allowed.start()),
            end => format!("a whole number from {} to {end}", allowed.start()),
        };
        match given.value {
            toml::Value::Integer(number) if allowed.contains(&number) => {
                match T::try_from(number) {
                    Ok(number) => Ok(Some(number)),
                    Err(_) => Err(given.reject("is too large", &expected)),
                }
            }
            toml::Value::Integer(_) => Err(given.reject("is out of range", &expected)),
            _ => Err(given.reject("is not a whole number", &expected)),
        }
    }

    fn number(
        &mut self,
        key: &'static str,
        default: f64,
        allowed: RangeInclusive<f64>,
        expected: &str,
    ) -> Result<f64, ConfigError> {
        let Some(given) = self.take(key)? else {
            return Ok(default);
        };
        let number = match given.value {
            toml::Value::Float(number) => number,
            // Exact for every integer a person would write here.
            toml::Value::Integer(number) => number as f64,
            _ => return Err(given.reject("is not a number", expected)),
        };
        if allowed.contains(&number) {
            Ok(number)
        } else {
            Err(given.reject("is out of range", expected))
        }
    }

    /// A TOML array of addresses, or (handy in a variable) one text with commas between.
    fn email_list(&mut self, key: &'static str) -> Result<Vec<EmailAddress>, ConfigError> {
        let expected = "a list of email addresses such as [\"secretariat@example.org\"]";
        let Some(given) = self.take(key)? else {
            return Ok(Vec::new());
        };
        let texts = match &given.value {
            toml::Value::Array(items) => items
                .iter()
                .map(|item| item.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>(),
            toml::Value::String(text) => Some(
                text.split(',')
                    .map(str::trim)
                    .filter(|address| !address.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ),
            _ => None,
        };
        let Some(texts) = texts else {
            return Err(given.reject("is not a list of email addresses", expected));
        };
        texts
            .iter()
            .map(|text| {
                parse_email(text)
                    .map_err(|rejection| rejection.into_error(given.setting.clone(), text))
            })
            .collect()
    }

    /// Refuses the first key in the file or the environment that is not in `known`, before
    /// any value is read: a misspelt key is the likelier cause of whatever else looks wrong.
    fn refuse_unknown_keys(&self, known: &KnownKeys) -> Result<(), ConfigError> {
        if let Some(key) = known.first_unknown_in(&self.file, "") {
            return Err(ConfigError::UnknownKey {
                hint: known.hint_for(&key),
                setting: Setting {
                    key,
                    origin: Origin::File(self.file_path.clone()),
                },
            });
        }
        let unknown_variable = self
            .environment
            .iter()
            .find(|(key, _)| !known.contains(key));
        if let Some((key, value)) = unknown_variable {
            return Err(ConfigError::UnknownKey {
                hint: format!(
                    "{}; in a variable's name, a double underscore separates a section from \
                     its key, as in MOBMATCH_MAIL__INBOUND__SOURCE",
                    known.hint_for(key)
                ),
                setting: Setting {
                    key: key.clone(),
                    origin: Origin::Environment {
                        variable: value.variable.clone(),
                    },
                },
            });
        }
        Ok(())
    }
}

/// Every key the configuration has, found by reading the embedded defaults: the reading
/// code is the one list of keys, so it cannot disagree with this one.
struct KnownKeys(Vec<&'static str>);

impl KnownKeys {
    fn all() -> KnownKeys {
        let mut defaults_only = Sources::default();
        read_config(&mut defaults_only).expect("the embedded defaults are valid");
        KnownKeys(defaults_only.requested_keys)
    }

    fn contains(&self, key: &str) -> bool {
        self.0.contains(&key)
    }

    fn is_section(&self, key: &str) -> bool {
        self.0.iter().any(|known| {
            known
                .strip_prefix(key)
                .is_some_and(|rest| rest.starts_with('.'))
        })
    }

    fn first_unknown_in(&self, table: &toml::Table, section: &str) -> Option<String> {
        table.iter().find_map(|(name, value)| {
            let key = join_key(section, name);
            match value {
                toml::Value::Table(inner) if self.is_section(&key) => {
                    self.first_unknown_in(inner, &key)
                }
                _ if self.contains(&key) => None,
                _ => Some(key),
            }
        })
    }

    /// The keys next to an unknown `key`, or under it when it names a section.
    fn hint_for(&self, key: &str) -> String {
        if self.is_section(key) {
            return format!(
                "{key} is a section; set its keys, which are {}",
                self.names_in(key).join(", ")
            );
        }
        let mut section = key.rsplit_once('.').map(|(parent, _)| parent);
        while let Some(parent) = section
            && !self.is_section(parent)
        {
            section = parent.rsplit_once('.').map(|(grandparent, _)| grandparent);
        }
        match section {
            Some(section) => format!(
                "the keys of [{section}] are {}",
                self.names_in(section).join(", ")
            ),
            None => format!("the top-level keys are {}", self.names_in("").join(", ")),
        }
    }

    /// The names directly under `section` ("" for the top level), keys and sections alike.
    fn names_in(&self, section: &str) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = Vec::new();
        for known in &self.0 {
            let rest = if section.is_empty() {
                Some(*known)
            } else {
                known
                    .strip_prefix(section)
                    .and_then(|rest| rest.strip_prefix('.'))
            };
            if let Some(name) = rest.and_then(|rest| rest.split('.').next())
                && !names.contains(&name)
            {
                names.push(name);
            }
        }
        names
    }
}

impl Given {
    fn text_if_any(&self) -> Option<String> {
        match &self.value {
            toml::Value::String(text) => Some(text.clone()),
            _ => self.environment_text.clone(),
        }
    }

    fn text(&self, expected: &str) -> Result<String, ConfigError> {
        self.text_if_any()
            .ok_or_else(|| self.reject("is not text", expected))
    }

    fn describe(&self) -> String {
        match &self.environment_text {
            Some(text) => format!("{text:?}"),
            None => self.value.to_string(),
        }
    }

    fn reject(&self, problem: &str, expected: &str) -> ConfigError {
        ConfigError::InvalidValue {
            setting: self.setting.clone(),
            problem: format!("{} {problem}", self.describe()),
            expected: expected.to_owned(),
        }
    }
}

fn join_key(section: &str, name: &str) -> String {
    if section.is_empty() {
        name.to_owned()
    } else {
        format!("{section}.{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(file_text: Option<&str>, variables: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let file = file_text.map(|text| ConfigFile {
            path: PathBuf::from("mobmatch.toml"),
            text: text.to_owned(),
        });
        let variables = variables
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()));
        Config::from_sources(file.as_ref(), variables)
    }

    #[test]
    fn the_database_url_flag_wins_and_is_named_when_wrong() {
        let config = load(None, &[("MOBMATCH_DATABASE_URL", "sqlite://from-env.db")]).unwrap();
        let config = config
            .with_database_url("postgres://mobmatch@db/mobmatch")
            .unwrap();
        assert_eq!(
            config.database_url.as_str(),
            "postgres://mobmatch@db/mobmatch"
        );
        let error = Config::default()
            .with_database_url("mysql://x")
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("database_url from --database-url: \"mysql://x\""),
            "{error}"
        );
    }

    fn error_message(file_text: Option<&str>, variables: &[(&str, &str)]) -> String {
        load(file_text, variables)
            .expect_err("the configuration should be refused")
            .to_string()
    }

    fn email(address: &str) -> EmailAddress {
        EmailAddress::parse(address).unwrap()
    }

    #[test]
    fn no_file_and_no_variables_give_the_embedded_defaults() {
        let config = load(None, &[]).unwrap();
        assert_eq!(config.database_url.as_str(), "sqlite://mobmatch.db");
        assert!(config.secret.is_empty());
        assert_eq!(config.timezone, Tz::Europe__Brussels);
        assert!(!config.moderation);
        assert_eq!(config.mail.address, email("matchmaking@example.org"));
        assert_eq!(config.mail.name, "Mobility Matchmaking");
        assert!(config.mail.secretariat.is_empty());
        assert_eq!(config.mail.reply_limit_per_hour, 5);
        assert_eq!(
            config.mail.inbound,
            InboundMailbox::Maildir {
                path: "mail/inbox".into()
            }
        );
        assert_eq!(
            config.mail.outbound,
            OutboundTransport::File {
                dir: "mail/outbox".into()
            }
        );
        assert_eq!(config.web.listen, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(config.web.base_url, "http://127.0.0.1:8080");
        assert_eq!(config.schedule.fetch_mail.source(), "0 * * * * *");
        assert_eq!(config.schedule.deliver_mail.source(), "*/30 * * * * *");
        assert_eq!(config.schedule.matching_round.source(), "0 0 8 * * Mon");
        assert_eq!(config.schedule.reminders.source(), "0 0 9 * * *");
        assert_eq!(config.schedule.monthly_report.source(), "0 0 7 1 * *");
        assert_eq!(
            config.matching,
            MatchingSettings {
                max_introductions_per_request: 1,
                max_introductions_per_offer: 2,
                cross_border_only: true,
                fewer_opportunities_priority: 0.5,
                weights: ScoreWeights {
                    field_specificity: 30.0,
                    date_overlap: 25.0,
                    capacity: 25.0,
                    inclusion_support: 10.0,
                    partner_country: 10.0,
                },
            }
        );
        assert_eq!(
            config.introductions,
            IntroductionTiming {
                remind_after_days: 7,
                expire_after_days: 21,
            }
        );
        assert_eq!(config.outreach, RenewalTiming::default());
        assert_eq!(
            config.targets,
            TargetSettings {
                vet_mobility_rate: 0.20,
                fewer_opportunities_share: 0.20,
                eu_vet_benchmark: 0.12,
                year: 2030,
                baseline_year: 2024,
            }
        );
        assert_eq!(config.reports.dir, PathBuf::from("reports"));
        assert_eq!(Config::default(), config);
    }

    #[test]
    fn values_in_the_file_override_the_defaults() {
        let config = load(
            Some(
                r#"
                database_url = "postgres://mobmatch@db.example.org/mobmatch"
                timezone = "Europe/Stockholm"
                moderation = true

                [mail]
                address = "Matchning@VGRegion.se"
                secretariat = ["secretariat@earlall.eu", "monitoring@earlall.eu"]

                [web]
                listen = "0.0.0.0:80"
                base_url = "https://matchmaking.earlall.eu"

                [schedule]
                matching_round = "0 30 7 * * Tue"

                [matching]
                max_introductions_per_offer = 3
                fewer_opportunities_priority = 1
                partner_country_weight = 0

                [targets]
                vet_mobility_rate = 0.25
                "#,
            ),
            &[],
        )
        .unwrap();
        assert_eq!(
            config.database_url.as_str(),
            "postgres://mobmatch@db.example.org/mobmatch"
        );
        assert_eq!(config.timezone, Tz::Europe__Stockholm);
        assert!(config.moderation);
        assert_eq!(config.mail.address, email("matchning@vgregion.se"));
        assert_eq!(
            config.mail.secretariat,
            vec![
                email("secretariat@earlall.eu"),
                email("monitoring@earlall.eu")
            ]
        );
        assert_eq!(config.web.listen, "0.0.0.0:80".parse().unwrap());
        assert_eq!(config.web.base_url, "https://matchmaking.earlall.eu");
        assert_eq!(config.schedule.matching_round.source(), "0 30 7 * * Tue");
        assert_eq!(config.matching.max_introductions_per_offer, 3);
        assert_eq!(config.matching.fewer_opportunities_priority, 1.0);
        assert_eq!(config.matching.weights.partner_country, 0.0);
        assert_eq!(config.matching.weights.field_specificity, 30.0);
        assert_eq!(config.targets.vet_mobility_rate, 0.25);
        assert_eq!(config.mail.name, "Mobility Matchmaking");
    }

    #[test]
    fn variables_override_the_file() {
        let config = load(
            Some("database_url = \"sqlite://from-file.db\"\n[web]\nlisten = \"127.0.0.1:9000\""),
            &[
                ("MOBMATCH_DATABASE_URL", "sqlite://from-environment.db"),
                ("MOBMATCH_WEB__LISTEN", "127.0.0.1:9001"),
            ],
        )
        .unwrap();
        assert_eq!(config.database_url.as_str(), "sqlite://from-environment.db");
        assert_eq!(config.web.listen, "127.0.0.1:9001".parse().unwrap());
    }

    #[test]
    fn nested_variables_reach_nested_sections() {
        let config = load(
            None,
            &[
                ("MOBMATCH_MAIL__INBOUND__SOURCE", "imap"),
                ("MOBMATCH_MAIL__INBOUND__HOST", "outlook.office365.com"),
                ("MOBMATCH_MAIL__INBOUND__USERNAME", "matchmaking@earlall.eu"),
                (
                    "MOBMATCH_MAIL__INBOUND__OAUTH2_TOKEN_COMMAND",
                    "get-token imap",
                ),
                ("MOBMATCH_MAIL__OUTBOUND__TRANSPORT", "smtp"),
                ("MOBMATCH_MAIL__OUTBOUND__HOST", "smtp.office365.com"),
                ("MOBMATCH_MAIL__OUTBOUND__PASSWORD", "hunter2"),
            ],
        )
        .unwrap();
        assert_eq!(
            config.mail.inbound,
            InboundMailbox::Imap(ImapAccount {
                host: "outlook.office365.com".to_owned(),
                port: 993,
                tls: TlsMode::Implicit,
                username: Some("matchmaking@earlall.eu".to_owned()),
                password: None,
                oauth2_token_command: Some("get-token imap".to_owned()),
                folder: "INBOX".to_owned(),
                done_folder: "Processed".to_owned(),
            })
        );
        assert_eq!(
            config.mail.outbound,
            OutboundTransport::Smtp(SmtpServer {
                host: "smtp.office365.com".to_owned(),
                port: 587,
                tls: TlsMode::StartTls,
                username: None,
                password: Some(Secret::new("hunter2")),
                oauth2_token_command: None,
            })
        );
    }

    #[test]
    fn variables_are_read_as_toml_values_when_they_parse_and_as_text_otherwise() {
        let config = load(
            None,
            &[
                ("MOBMATCH_MODERATION", "true"),
                ("MOBMATCH_MATCHING__MAX_INTRODUCTIONS_PER_REQUEST", "2"),
                ("MOBMATCH_TARGETS__EU_VET_BENCHMARK", "0.15"),
                (
                    "MOBMATCH_MAIL__SECRETARIAT",
                    r#"["secretariat@earlall.eu", "monitoring@earlall.eu"]"#,
                ),
                ("MOBMATCH_MAIL__NAME", "\"EARLALL matchmaking\""),
                ("MOBMATCH_SECRET", "12345"),
                ("MOBMATCH_SCHEDULE__REMINDERS", "0 0 10 * * Mon-Fri"),
            ],
        )
        .unwrap();
        assert!(config.moderation);
        assert_eq!(config.matching.max_introductions_per_request, 2);
        assert_eq!(config.targets.eu_vet_benchmark, 0.15);
        assert_eq!(config.mail.secretariat.len(), 2);
        assert_eq!(config.mail.name, "EARLALL matchmaking");
        assert_eq!(config.secret.expose_secret(), "12345");
        assert_eq!(config.schedule.reminders.source(), "0 0 10 * * Mon-Fri");
    }

    #[test]
    fn a_variable_may_list_addresses_separated_by_commas() {
        let config = load(
            None,
            &[(
                "MOBMATCH_MAIL__SECRETARIAT",
                "secretariat@earlall.eu, monitoring@earlall.eu",
            )],
        )
        .unwrap();
        assert_eq!(
            config.mail.secretariat,
            vec![
                email("secretariat@earlall.eu"),
                email("monitoring@earlall.eu")
            ]
        );
    }

    #[test]
    fn variables_without_the_prefix_or_for_the_test_harness_are_ignored() {
        let config = load(
            None,
            &[
                ("HOME", "/root"),
                ("DATABASE_URL", "mysql://elsewhere"),
                (
                    "MOBMATCH_TEST_POSTGRES_URL",
                    "postgres://postgres@127.0.0.1:5432/postgres",
                ),
            ],
        )
        .unwrap();
        assert_eq!(config, Config::default());
    }

    #[test]
    fn an_unknown_key_in_the_file_is_named_with_the_keys_of_its_section() {
        let message = error_message(Some("[mail]\nadress = \"a@b.org\""), &[]);
        assert_eq!(
            message,
            "unknown key mail.adress in mobmatch.toml; the keys of [mail] are address, name, \
             secretariat, reply_limit_per_hour, inbound, outbound"
        );
    }

    #[test]
    fn an_unknown_section_or_a_section_written_as_a_value_is_named() {
        let message = error_message(Some("[mial]\naddress = \"a@b.org\""), &[]);
        assert!(message.starts_with("unknown key mial in mobmatch.toml; the top-level keys are database_url, secret, timezone, moderation, mail,"), "{message}");
        let message = error_message(
            Some("[mail.inbound.imap]\nhost = \"imap.example.org\""),
            &[],
        );
        assert!(message.starts_with("unknown key mail.inbound.imap in mobmatch.toml; the keys of [mail.inbound] are source, maildir, host"), "{message}");
        let message = error_message(Some("web = \"127.0.0.1:8080\""), &[]);
        assert!(
            message.starts_with(
                "unknown key web in mobmatch.toml; web is a section; set its keys, which are listen, base_url"
            ),
            "{message}"
        );
    }

    #[test]
    fn a_misspelt_key_is_reported_before_the_errors_it_causes() {
        let message = error_message(
            Some("[mail.inbound]\nsource = \"imap\"\nhots = \"imap.example.org\""),
            &[],
        );
        assert!(
            message.starts_with("unknown key mail.inbound.hots in mobmatch.toml"),
            "{message}"
        );
    }

    #[test]
    fn an_unknown_variable_is_named_with_its_key() {
        let message = error_message(None, &[("MOBMATCH_MAIL_ADDRESS", "a@b.org")]);
        assert!(
            message.starts_with(
                "unknown key mail_address from MOBMATCH_MAIL_ADDRESS; the top-level keys are"
            ),
            "{message}"
        );
        assert!(
            message.contains("MOBMATCH_MAIL__INBOUND__SOURCE"),
            "{message}"
        );
        let message = error_message(None, &[("MOBMATCH_WEB__PORT", "80")]);
        assert!(
            message.starts_with(
                "unknown key web.port from MOBMATCH_WEB__PORT; the keys of [web] are listen, base_url"
            ),
            "{message}"
        );
    }

    #[test]
    fn a_variable_naming_a_section_is_told_to_name_a_key() {
        let message = error_message(None, &[("MOBMATCH_WEB", "127.0.0.1:80")]);
        assert!(
            message.starts_with(
                "unknown key web from MOBMATCH_WEB; web is a section; set its keys, which are listen, base_url"
            ),
            "{message}"
        );
    }

    #[test]
    fn each_invalid_value_names_its_key_what_was_given_and_what_is_expected() {
        let cases = [
            (
                "database_url = \"mysql://db\"",
                "database_url in mobmatch.toml: \"mysql://db\" is not a database URL mobmatch can use; expected sqlite://FILE",
            ),
            (
                "secret = 42",
                "secret in mobmatch.toml: the value given is not text; expected text in quotes",
            ),
            (
                "timezone = \"Brussels\"",
                "timezone in mobmatch.toml: \"Brussels\" is not a time zone; expected an IANA time zone name",
            ),
            (
                "moderation = \"yes\"",
                "moderation in mobmatch.toml: \"yes\" is not true or false; expected true or false",
            ),
            (
                "[mail]\naddress = \"nobody\"",
                "mail.address in mobmatch.toml: \"nobody\" is not an email address; expected something like matchmaking@example.org",
            ),
            (
                "[mail]\nname = 7",
                "mail.name in mobmatch.toml: 7 is not text; expected text in quotes, such as \"Mobility Matchmaking\"",
            ),
            (
                "[mail]\nsecretariat = [\"secretariat@earlall.eu\", \"bob\"]",
                "mail.secretariat in mobmatch.toml: \"bob\" is not an email address",
            ),
            (
                "[mail]\nsecretariat = 3",
                "mail.secretariat in mobmatch.toml: 3 is not a list of email addresses",
            ),
            (
                "[mail]\nreply_limit_per_hour = 0",
                "mail.reply_limit_per_hour in mobmatch.toml: 0 is out of range; expected a whole number of at least 1",
            ),
            (
                "[mail.inbound]\nsource = \"pop3\"",
                "mail.inbound.source in mobmatch.toml: \"pop3\" is not a mail source; expected \"maildir\" or \"imap\"",
            ),
            (
                "[mail.inbound]\nport = 99999",
                "mail.inbound.port in mobmatch.toml: 99999 is out of range; expected a whole number from 1 to 65535",
            ),
            (
                "[mail.inbound]\ntls = \"ssl\"",
                "mail.inbound.tls in mobmatch.toml: \"ssl\" is not a TLS mode; expected \"implicit\", \"starttls\" or \"none\"",
            ),
            (
                "[mail.outbound]\ntransport = \"sendmail\"",
                "mail.outbound.transport in mobmatch.toml: \"sendmail\" is not a mail transport; expected \"file\" or \"smtp\"",
            ),
            (
                "[web]\nlisten = \"localhost\"",
                "web.listen in mobmatch.toml: \"localhost\" is not an address and port to listen on; expected an IP address and a port",
            ),
            (
                "[web]\nbase_url = \"matchmaking.earlall.eu\"",
                "web.base_url in mobmatch.toml: \"matchmaking.earlall.eu\" does not start with http:// or https://",
            ),
            (
                "[schedule]\nreminders = \"every day\"",
                "schedule.reminders in mobmatch.toml: \"every day\" is not a cron schedule (",
            ),
            (
                "[matching]\nmax_introductions_per_offer = \"two\"",
                "matching.max_introductions_per_offer in mobmatch.toml: \"two\" is not a whole number; expected a whole number of at least 1",
            ),
            (
                "[matching]\nfewer_opportunities_priority = -1",
                "matching.fewer_opportunities_priority in mobmatch.toml: -1 is out of range; expected a weight of 0 or more",
            ),
            (
                "[matching]\ncapacity_weight = \"a lot\"",
                "matching.capacity_weight in mobmatch.toml: \"a lot\" is not a number; expected a weight of 0 or more, such as 10",
            ),
            (
                "[matching]\nfield_specificity_weight = 0\ndate_overlap_weight = 0\ncapacity_weight = 0\ninclusion_support_weight = 0\npartner_country_weight = 0",
                "the [matching] score weights are all 0; give at least one part of the score a weight above 0",
            ),
            (
                "[introductions]\nremind_after_days = 0",
                "introductions.remind_after_days in mobmatch.toml: 0 is out of range; expected a whole number from 1 to 365",
            ),
            (
                "[introductions]\nremind_after_days = 21\nexpire_after_days = 14",
                "introductions.remind_after_days (21) is not less than introductions.expire_after_days (14), so nobody would be reminded",
            ),
            (
                "[targets]\nvet_mobility_rate = 20",
                "targets.vet_mobility_rate in mobmatch.toml: 20 is out of range; expected a share from 0 to 1, such as 0.2 for 20%",
            ),
            (
                "[targets]\nbaseline_year = 2030",
                "targets.baseline_year in mobmatch.toml: 2030 is out of range; expected a whole number from 2000 to 2029",
            ),
            (
                "[reports]\ndir = false",
                "reports.dir in mobmatch.toml: false is not text",
            ),
        ];
        for (file_text, expected_start) in cases {
            let message = error_message(Some(file_text), &[]);
            assert!(
                message.starts_with(expected_start),
                "{file_text}\ngave: {message}\nwanted: {expected_start}…"
            );
        }
    }

    #[test]
    fn retention_periods_and_the_privacy_contact_are_read_and_checked() {
        let defaults = load(None, &[]).unwrap();
        assert_eq!(defaults.retention.periods, RetentionSettings::default());
        assert_eq!(defaults.retention.contact, None);
        assert_eq!(defaults.schedule.purge.source(), "0 30 3 * * *");
        assert_eq!(
            defaults.privacy_contact(),
            &email("matchmaking@example.org")
        );
        let with_secretariat = load(
            Some("[mail]\nsecretariat = [\"secretariat@earlall.example\"]"),
            &[],
        )
        .unwrap();
        assert_eq!(
            with_secretariat.privacy_contact(),
            &email("secretariat@earlall.example")
        );
        let config = load(
            Some(
                "[retention]\nraw_messages_days = 60\nclosed_contacts_days = 365\n\
                 contact = \"dpo@earlall.example\"",
            ),
            &[("MOBMATCH_RETENTION__REJECTED_MESSAGES_DAYS", "7")],
        )
        .unwrap();
        assert_eq!(config.retention.periods.raw_messages_days, 60);
        assert_eq!(config.retention.periods.closed_contacts_days, 365);
        assert_eq!(config.retention.periods.rejected_messages_days, 7);
        assert_eq!(config.retention.periods.sent_mail_bodies_days, 90);
        assert_eq!(config.privacy_contact(), &email("dpo@earlall.example"));
        assert_eq!(
            error_message(Some("[retention]\nsent_mail_bodies_days = 0"), &[]),
            "retention.sent_mail_bodies_days in mobmatch.toml: 0 is out of range; expected a whole number from 1 to 36500"
        );
        assert!(
            error_message(Some("[retention]\ncontact = \"nobody\""), &[])
                .contains("retention.contact in mobmatch.toml: \"nobody\" is not an email address")
        );
    }

    #[test]
    fn an_invalid_variable_is_named_beside_its_key() {
        assert_eq!(
            error_message(None, &[("MOBMATCH_MAIL__ADDRESS", "nobody")]),
            "mail.address from MOBMATCH_MAIL__ADDRESS: \"nobody\" is not an email address; \
             expected something like matchmaking@example.org"
        );
        assert_eq!(
            error_message(None, &[("MOBMATCH_MATCHING__CROSS_BORDER_ONLY", "yes")]),
            "matching.cross_border_only from MOBMATCH_MATCHING__CROSS_BORDER_ONLY: \"yes\" is not \
             true or false; expected true or false"
        );
    }

    #[test]
    fn a_five_field_cron_expression_is_shown_with_a_seconds_field_added() {
        assert_eq!(
            error_message(Some("[schedule]\nmatching_round = \"0 8 * * Mon\""), &[]),
            "schedule.matching_round in mobmatch.toml: \"0 8 * * Mon\" has 5 fields, but schedules \
             here start with a seconds field; expected \"0 0 8 * * Mon\" for the same times"
        );
        let message = error_message(Some("[schedule]\nfetch_mail = \"0 * * * * * * *\""), &[]);
        assert!(
            message.contains("expected six fields with seconds first"),
            "{message}"
        );
    }

    #[test]
    fn a_schedule_error_is_one_line_with_the_reason_and_the_format() {
        let message = error_message(Some("[schedule]\nreminders = \"0 0 9 * * 0\""), &[]);
        assert!(!message.contains('\n'), "{message}");
        assert!(
            message.starts_with(
                "schedule.reminders in mobmatch.toml: \"0 0 9 * * 0\" is not a cron schedule \
                 (Days of Week must be greater than or equal to 1"
            ),
            "{message}"
        );
        assert!(message.contains("1 = Sunday to 7 = Saturday"), "{message}");
    }

    #[test]
    fn imap_and_smtp_need_a_host_when_chosen() {
        assert_eq!(
            error_message(Some("[mail.inbound]\nsource = \"imap\""), &[]),
            "mail.inbound.host is required when mail.inbound.source is \"imap\"; set it in the \
             config file or with MOBMATCH_MAIL__INBOUND__HOST"
        );
        assert_eq!(
            error_message(None, &[("MOBMATCH_MAIL__OUTBOUND__TRANSPORT", "smtp")]),
            "mail.outbound.host is required when mail.outbound.transport is \"smtp\"; set it in \
             the config file or with MOBMATCH_MAIL__OUTBOUND__HOST"
        );
    }

    #[test]
    fn imap_and_smtp_settings_are_kept_aside_while_another_source_is_chosen() {
        let config = load(
            Some("[mail.inbound]\nhost = \"imap.example.org\"\n[mail.outbound]\nport = 2525"),
            &[],
        )
        .unwrap();
        assert_eq!(config, Config::default());
    }

    #[test]
    fn ports_default_by_tls_mode() {
        let imap_port = |tls: &str| {
            let config = load(
                None,
                &[
                    ("MOBMATCH_MAIL__INBOUND__SOURCE", "imap"),
                    ("MOBMATCH_MAIL__INBOUND__HOST", "127.0.0.1"),
                    ("MOBMATCH_MAIL__INBOUND__TLS", tls),
                ],
            )
            .unwrap();
            match config.mail.inbound {
                InboundMailbox::Imap(account) => account.port,
                InboundMailbox::Maildir { .. } => unreachable!("imap was chosen"),
            }
        };
        let smtp_port = |tls: &str| {
            let config = load(
                None,
                &[
                    ("MOBMATCH_MAIL__OUTBOUND__TRANSPORT", "smtp"),
                    ("MOBMATCH_MAIL__OUTBOUND__HOST", "127.0.0.1"),
                    ("MOBMATCH_MAIL__OUTBOUND__TLS", tls),
                ],
            )
            .unwrap();
            match config.mail.outbound {
                OutboundTransport::Smtp(server) => server.port,
                OutboundTransport::File { .. } => unreachable!("smtp was chosen"),
            }
        };
        assert_eq!(
            [
                imap_port("implicit"),
                imap_port("starttls"),
                imap_port("none")
            ],
            [993, 143, 143]
        );
        assert_eq!(
            [
                smtp_port("implicit"),
                smtp_port("starttls"),
                smtp_port("none")
            ],
            [465, 587, 25]
        );
    }

    #[test]
    fn an_imap_password_and_a_token_command_are_not_accepted_together() {
        let message = error_message(
            Some(
                "[mail.inbound]\nsource = \"imap\"\nhost = \"imap.example.org\"\n\
                 password = \"hunter2\"\noauth2_token_command = \"get-token\"",
            ),
            &[],
        );
        assert!(
            message.starts_with(
                "mail.inbound.password and mail.inbound.oauth2_token_command are both set"
            ),
            "{message}"
        );
        assert!(!message.contains("hunter2"));
    }

    #[test]
    fn an_smtp_token_command_needs_a_username_and_no_password() {
        let smtp = "[mail.outbound]\ntransport = \"smtp\"\nhost = \"smtp.office365.com\"\n\
                    oauth2_token_command = \"get-token smtp\"\n";
        let message = error_message(Some(smtp), &[]);
        assert!(
            message.contains("mail.outbound.username")
                && message.contains("mail.outbound.oauth2_token_command is set"),
            "{message}"
        );
        let with_password =
            format!("{smtp}username = \"matchmaking@earlall.eu\"\npassword = \"hunter2\"\n");
        let message = error_message(Some(&with_password), &[]);
        assert!(
            message.starts_with(
                "mail.outbound.password and mail.outbound.oauth2_token_command are both set"
            ),
            "{message}"
        );
        assert!(!message.contains("hunter2"));
        let config = load(
            Some(smtp),
            &[(
                "MOBMATCH_MAIL__OUTBOUND__USERNAME",
                "matchmaking@earlall.eu",
            )],
        )
        .unwrap();
        let OutboundTransport::Smtp(server) = config.mail.outbound else {
            panic!("smtp was chosen");
        };
        assert_eq!(
            (
                server.username.as_deref(),
                server.oauth2_token_command.as_deref()
            ),
            (Some("matchmaking@earlall.eu"), Some("get-token smtp"))
        );
    }

    #[test]
    fn secrets_and_passwords_never_print() {
        let config = load(
            Some(
                "secret = \"top-secret-key\"\n\
                 database_url = \"postgres://mobmatch:db-password@db.example.org:5432/mobmatch\"\n\
                 [mail.outbound]\ntransport = \"smtp\"\nhost = \"smtp.example.org\"\n\
                 username = \"matchmaking\"\npassword = \"smtp-password\"",
            ),
            &[],
        )
        .unwrap();
        let printed = format!("{config:?} {} {}", config.secret, config.database_url);
        for secret in ["top-secret-key", "db-password", "smtp-password"] {
            assert!(!printed.contains(secret), "{secret} printed in {printed}");
        }
        assert_eq!(
            config.database_url.to_string(),
            "postgres://mobmatch:***@db.example.org:5432/mobmatch"
        );
        assert_eq!(
            config.database_url.as_str(),
            "postgres://mobmatch:db-password@db.example.org:5432/mobmatch"
        );
        assert_eq!(config.secret.expose_secret(), "top-secret-key");
        let message = error_message(Some("secret = [\"top-secret-key\"]"), &[]);
        assert!(!message.contains("top-secret-key"), "{message}");
    }

    #[test]
    fn a_file_that_is_not_toml_is_named_with_the_place_of_the_mistake() {
        let message = error_message(Some("[mail]\naddress = matchmaking@example.org"), &[]);
        assert!(
            message.starts_with("mobmatch.toml is not valid TOML; TOML parse error at line 2"),
            "{message}"
        );
    }

    #[test]
    fn a_missing_config_file_given_explicitly_is_an_error() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("absent.toml");
        let error = Config::load(Some(&path)).unwrap_err();
        assert!(matches!(error, ConfigError::FileNotFound { .. }), "{error}");
        assert!(
            error.to_string().contains("absent.toml not found"),
            "{error}"
        );
    }

    #[test]
    fn the_rendered_example_loads_back_to_the_embedded_defaults_except_the_secret() {
        let secret = Secret::generate();
        let example = render_example_config(&secret);
        // With IMAP and SMTP chosen too, so that their defaults in the example are checked.
        let mail_servers_chosen = [
            ("MOBMATCH_MAIL__INBOUND__SOURCE", "imap"),
            ("MOBMATCH_MAIL__INBOUND__HOST", "imap.example.org"),
            ("MOBMATCH_MAIL__OUTBOUND__TRANSPORT", "smtp"),
            ("MOBMATCH_MAIL__OUTBOUND__HOST", "smtp.example.org"),
        ];
        for variables in [&[][..], &mail_servers_chosen[..]] {
            let mut from_example = load(Some(&example), variables).unwrap();
            let defaults = load(None, variables).unwrap();
            assert_eq!(from_example.secret, secret);
            from_example.secret = defaults.secret.clone();
            assert_eq!(from_example, defaults);
        }
    }

    #[test]
    fn the_example_shows_every_key() {
        let mut section = String::new();
        let mut shown = Vec::new();
        for line in EXAMPLE_CONFIG.lines() {
            if let Some(header) = line.strip_prefix('[') {
                section = header.trim_end_matches(']').to_owned();
            } else if let Some((name, _)) = line.trim_start_matches("# ").split_once(" = ")
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                shown.push(join_key(&section, name));
            }
        }
        let mut known = KnownKeys::all()
            .0
            .iter()
            .map(|key| key.to_string())
            .collect::<Vec<_>>();
        known.sort();
        shown.sort();
        assert_eq!(shown, known);
    }

    /// `deploy/mobmatch.toml`, the sample production configuration, loads with the
    /// secrets its comments say the environment gives; so does each commented
    /// alternative in it, uncommented.
    #[test]
    fn the_production_sample_loads_with_each_of_its_alternatives() {
        const SAMPLE: &str = include_str!("../deploy/mobmatch.toml");
        let secret = (
            "MOBMATCH_SECRET",
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        );
        let config = load(
            Some(SAMPLE),
            &[
                secret,
                ("MOBMATCH_MAIL__INBOUND__PASSWORD", "imap password"),
                ("MOBMATCH_MAIL__OUTBOUND__PASSWORD", "smtp password"),
            ],
        )
        .unwrap();
        assert_eq!(
            config.database_url.as_str(),
            "sqlite:///var/lib/mobmatch/mobmatch.db"
        );
        assert!(!config.secret.is_empty());
        assert!(!config.mail.secretariat.is_empty());
        assert!(config.web.base_url.starts_with("https://"));
        assert_eq!(config.reports.dir, Path::new("/var/lib/mobmatch/reports"));
        let InboundMailbox::Imap(imap) = &config.mail.inbound else {
            panic!("the sample reads mail by IMAP: {:?}", config.mail.inbound);
        };
        assert_eq!((imap.port, imap.tls), (993, TlsMode::Implicit));
        assert!(imap.password.is_some());
        let OutboundTransport::Smtp(smtp) = &config.mail.outbound else {
            panic!("the sample sends by SMTP: {:?}", config.mail.outbound);
        };
        assert_eq!((smtp.port, smtp.tls), (587, TlsMode::StartTls));
        assert!(smtp.password.is_some());

        let alternatives: Vec<&str> = SAMPLE
            .lines()
            .filter(|line| {
                line.strip_prefix("# ")
                    .and_then(|rest| rest.split_once(" = "))
                    .is_some_and(|(key, _)| {
                        key.chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                    })
            })
            .collect();
        assert_eq!(alternatives.len(), 3, "{alternatives:?}");
        // Each alternative instead of the line that sets its key, if one does.
        for alternative in alternatives {
            let uncommented = &alternative[2..];
            let key_line = uncommented.split_once(" = ").unwrap().0.to_owned() + " = ";
            let variant: String = SAMPLE
                .lines()
                .filter(|line| !line.starts_with(&key_line))
                .map(|line| {
                    if line == alternative {
                        uncommented
                    } else {
                        line
                    }
                })
                .collect::<Vec<_>>()
                .join("\n");
            load(Some(&variant), &[secret])
                .unwrap_or_else(|error| panic!("{alternative}: {error}"));
        }
    }

    #[test]
    fn writing_the_example_refuses_to_overwrite_an_existing_file() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("mobmatch.toml");
        assert_eq!(write_example_config(&path).unwrap(), WriteOutcome::Written);
        let written = fs::read_to_string(&path).unwrap();
        let config =
            Config::from_sources(Some(&ConfigFile::read(&path).unwrap()), Vec::new()).unwrap();
        assert_eq!(config.secret.expose_secret().len(), 64);
        fs::write(&path, "moderation = true\n").unwrap();
        assert_eq!(
            write_example_config(&path).unwrap(),
            WriteOutcome::AlreadyExists
        );
        assert_eq!(fs::read_to_string(&path).unwrap(), "moderation = true\n");
        assert!(written.contains(config.secret.expose_secret()));
    }

    #[test]
    fn generated_secrets_are_64_hexadecimal_digits_and_differ() {
        let first = Secret::generate();
        let second = Secret::generate();
        assert_eq!(first.expose_secret().len(), 64);
        assert!(
            first
                .expose_secret()
                .chars()
                .all(|digit| digit.is_ascii_hexdigit())
        );
        assert_ne!(first, second);
    }
}

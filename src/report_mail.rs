//! The monthly report as email to the secretariat (DESIGN.md section 9): one message per
//! `mail.secretariat` address, queued in the outbox in one transaction, with the summary
//! as HTML (showing the charts) and text, the PNG charts and `targets.xlsx`. `mobmatch
//! report --email` and the daemon's monthly job both call [`queue_report_email`].
//! [`read_report_input`] reads what every report is computed from.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::config::{MailSettings, RateDefinition, TargetSettings};
use crate::domain::EmailAddress;
use crate::report::{
    self, MobilityColumns, ReportError, ReportFiles, ReportInput, ReportMonth, chart_content_id,
};
use crate::store::{NewOutboxMessage, OutboxAttachment, Store, StoreError};

const XLSX_CONTENT_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

#[derive(Debug, thiserror::Error)]
pub enum ReportMailError {
    #[error(
        "mail.secretariat lists no address to send the report to; add them to mobmatch.toml ([mail] secretariat = [\"secretariat@example.org\"]) or set MOBMATCH_MAIL__SECRETARIAT"
    )]
    NoSecretariat,
    #[error(
        "cannot read {path} to attach it to the report email: {source}; write the report again"
    )]
    Attachment {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum ReportInputError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Report(#[from] ReportError),
}

/// Every stored mobility in report columns ([`read_mobility_columns`]), and the population.
pub async fn read_report_input(store: &Store) -> Result<ReportInput, ReportInputError> {
    let mobilities = read_mobility_columns(store).await?;
    let population = store.population().await?;
    Ok(ReportInput::from_columns(mobilities, &population)?)
}

/// Every stored mobility in report columns, read on every core: the ids are split into
/// as many ranges as there are cores, each read into columns of its own.
pub async fn read_mobility_columns(store: &Store) -> Result<MobilityColumns, StoreError> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let parts = store
        .fold_mobilities(cores, MobilityColumns::default, MobilityColumns::push)
        .await?;
    Ok(parts
        .into_iter()
        .fold(MobilityColumns::default(), MobilityColumns::append))
}

/// Reads the records and writes the report for `month` into `dir`: `report`, the demo
/// and the daemon's monthly job. Writing runs on a blocking thread, off the async
/// workers that serve the web beside it in the daemon.
pub async fn write_monthly_report(
    store: &Store,
    targets: &TargetSettings,
    month: ReportMonth,
    definition: RateDefinition,
    dir: &Path,
) -> Result<ReportFiles, ReportInputError> {
    let started = std::time::Instant::now();
    let input = read_report_input(store).await?;
    tracing::info!(
        mobilities = input.mobilities.height(),
        elapsed_ms = started.elapsed().as_millis(),
        "read the records"
    );
    let targets = targets.clone();
    let dir = dir.to_owned();
    let written = tokio::task::spawn_blocking(move || {
        report::write_report(input, month, &targets, definition, &dir)
    })
    .await;
    let files = match written {
        Ok(files) => files?,
        Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
        Err(_) => unreachable!("the runtime outlives the report it is writing"),
    };
    tracing::info!(
        files = files.written.len(),
        elapsed_ms = started.elapsed().as_millis(),
        "wrote the report"
    );
    Ok(files)
}

/// What became of the email to one secretariat address.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ReportMail {
    pub recipient: String,
    pub message_id: String,
    /// False when the same report was queued to this address before: a report is sent
    /// again only when its figures changed.
    pub queued: bool,
}

/// Fails early, before a report is written, when there is nobody to send it to.
pub fn check_secretariat(mail: &MailSettings) -> Result<(), ReportMailError> {
    if mail.secretariat.is_empty() {
        Err(ReportMailError::NoSecretariat)
    } else {
        Ok(())
    }
}

/// Queues the report in `files` to every secretariat address, all in one transaction.
/// The Message-ID is made of the month, the summary's figures and the recipient, so that
/// queuing the same report twice (a job run again after a crash) sends it once.
pub async fn queue_report_email(
    store: &Store,
    files: &ReportFiles,
    mail: &MailSettings,
    now: DateTime<Utc>,
) -> Result<Vec<ReportMail>, ReportMailError> {
    check_secretariat(mail)?;
    let attachments = report_attachments(files)?;
    let (_, our_domain) = mail
        .address
        .as_str()
        .split_once('@')
        .expect("an email address has an @");
    let figures = hex_sha256(files.summary_text.as_bytes());
    let mut transaction = store.begin().await?;
    let mut mails = Vec::new();
    for recipient in &mail.secretariat {
        let message = NewOutboxMessage {
            message_id: format!(
                "<report.{}.{}.{}@{our_domain}>",
                files.month,
                &figures[..16],
                &hex_sha256(recipient.as_str().as_bytes())[..16]
            ),
            recipients: vec![recipient.clone()],
            subject: format!("Mobility monitoring report, {}", files.month.long_label()),
            body_text: files.summary_text.clone(),
            body_html: Some(files.summary_email_html.clone()),
            headers: vec![("Auto-Submitted".to_owned(), "auto-generated".to_owned())],
            created_at: now,
        };
        let queued = match transaction
            .enqueue_outbox_with_attachments(&message, &attachments)
            .await
        {
            Ok(_) => true,
            Err(StoreError::Conflict { .. }) => false,
            Err(other) => return Err(other.into()),
        };
        mails.push(report_mail(recipient, message.message_id, queued));
    }
    transaction.commit().await?;
    Ok(mails)
}

fn report_mail(recipient: &EmailAddress, message_id: String, queued: bool) -> ReportMail {
    ReportMail {
        recipient: recipient.to_string(),
        message_id,
        queued,
    }
}

/// The charts, shown by the HTML from their Content-IDs, then the targets workbook.
fn report_attachments(files: &ReportFiles) -> Result<Vec<OutboxAttachment>, ReportMailError> {
    let mut attachments = Vec::new();
    for png in &files.chart_pngs {
        let filename = file_name(png);
        attachments.push(OutboxAttachment {
            content_id: Some(chart_content_id(&filename)),
            filename,
            content_type: "image/png".to_owned(),
            content: read(png)?,
        });
    }
    attachments.push(OutboxAttachment {
        filename: file_name(&files.targets_xlsx),
        content_type: XLSX_CONTENT_TYPE.to_owned(),
        content_id: None,
        content: read(&files.targets_xlsx)?,
    });
    Ok(attachments)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .expect("report files have names")
        .to_string_lossy()
        .into_owned()
}

fn read(path: &Path) -> Result<Vec<u8>, ReportMailError> {
    std::fs::read(path).map_err(|source| ReportMailError::Attachment {
        path: path.to_owned(),
        source,
    })
}

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

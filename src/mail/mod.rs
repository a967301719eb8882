//! Mail: the only module that knows lettre and mail-parser. Inbound, messages come from
//! files, Maildir, mbox, stdin or IMAP (`sources`, `imap`), are decoded (`decode`),
//! classified (`classify`, pure) and ingested one transaction each (`ingest`), which
//! queues our answers (`answers`, signed reply `token`s) in the outbox. Outbound,
//! `outbound` delivers the outbox to a folder or an SMTP server. `synthetic` writes
//! realistic submission emails for load tests.

mod answers;
mod classify;
mod decode;
#[cfg(test)]
mod fuzz;
mod imap;
mod ingest;
mod outbound;
mod sources;
mod synthetic;
pub mod token;

use std::path::Path;

use chrono::{DateTime, Utc};
use indicatif::ProgressBar;

pub use answers::{Answer, RenderedAnswer};
pub use classify::{
    Classification, IgnoreReason, ReplyCommand, classify, ignore_reason, reply_command,
};
pub use decode::{DecodedMessage, decode, html_as_text};
pub use imap::{ImapError, xoauth2_response};
pub use ingest::{IngestReport, Kind, MailRules, Outcome, ingest_message, merge_update};
pub use outbound::{
    DeliveryError, DeliveryReport, MAX_ATTEMPTS, Transport, TransportSetupError, attempt_outcome,
    deliver_outbox,
};
pub use sources::{MessageSource, RawMessage, list_sources, maildir_messages, split_mbox};
pub use synthetic::write_synthetic_maildir;

use crate::config::ImapAccount;
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Imap(#[from] ImapError),
    #[error("cannot read or move mail in {path}: {source}")]
    Maildir {
        path: String,
        source: std::io::Error,
    },
}

/// Ingests every message of `sources`, each in its own transaction, handing each report
/// to `report` as it is done. A message that cannot be read is reported and skipped; the
/// rest of the batch is still ingested.
pub async fn ingest_sources(
    store: &Store,
    rules: &MailRules,
    sources: &[MessageSource],
    progress: &ProgressBar,
    mut report: impl FnMut(IngestReport),
) -> Result<(), StoreError> {
    for source in sources {
        let messages = match sources::read_source(source) {
            Ok(messages) => messages,
            Err(error) => {
                tracing::error!(?source, %error, "cannot read; skipped");
                progress.inc(1);
                continue;
            }
        };
        for message in messages {
            report(
                ingest_message(store, rules, &message.source, &message.bytes, Utc::now()).await?,
            );
        }
        progress.inc(1);
    }
    Ok(())
}

/// Ingests the Maildir's `new/` messages, moving each to `cur/` with the `S` flag after
/// its commit.
pub async fn fetch_maildir(
    store: &Store,
    rules: &MailRules,
    maildir: &Path,
    mut report: impl FnMut(IngestReport),
) -> Result<(), FetchError> {
    let maildir_error = |source| FetchError::Maildir {
        path: maildir.display().to_string(),
        source,
    };
    for path in maildir_messages(maildir, false).map_err(maildir_error)? {
        let bytes = std::fs::read(&path).map_err(maildir_error)?;
        let now: DateTime<Utc> = Utc::now();
        report(ingest_message(store, rules, &path.display().to_string(), &bytes, now).await?);
        sources::mark_seen(&path).map_err(maildir_error)?;
    }
    Ok(())
}

/// Messages fetched from IMAP per round trip.
const IMAP_BATCH: usize = 50;

/// Ingests the unseen messages of the IMAP folder, moving each to the done folder (or
/// flagging it seen) after its commit.
pub async fn fetch_imap(
    store: &Store,
    rules: &MailRules,
    account: &ImapAccount,
    extra_root_certificate: Option<&Path>,
    mut report: impl FnMut(IngestReport),
) -> Result<(), FetchError> {
    let mut mailbox = imap::Mailbox::open(account, extra_root_certificate).await?;
    let unseen = mailbox.unseen().await?;
    for batch in unseen.chunks(IMAP_BATCH) {
        let fetched = mailbox.fetch(batch).await?;
        tracing::info!(count = fetched.len(), "fetched messages from IMAP");
        for message in fetched {
            let source = format!("imap:{}/{}", account.folder, message.uid);
            report(ingest_message(store, rules, &source, &message.bytes, Utc::now()).await?);
            mailbox.finish(message.uid).await?;
        }
    }
    mailbox.close().await?;
    Ok(())
}

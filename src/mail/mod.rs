//! Mail: the only module that knows lettre and mail-parser. Inbound, messages come from
//! files, Maildir, mbox, stdin or IMAP (`sources`, `imap`), are decoded (`decode`),
//! classified (`classify`, pure) and ingested in batches that share a transaction, one
//! savepoint per message (`ingest`), which
//! queues our answers (`answers`, signed reply `token`s) in the outbox. Outbound,
//! `outbound` delivers the outbox to a folder or an SMTP server. `synthetic` writes
//! submission emails as organisations send them, for load tests and the demo. `outreach` composes the emails of calls for
//! submissions and renewal requests, with their unsubscribe headers.

mod answers;
pub mod bounces;
mod classify;
mod decode;
#[cfg(test)]
mod fuzz;
mod imap;
mod ingest;
pub mod letters;
mod oauth2;
mod opt_in;
mod outbound;
pub mod outreach;
mod sources;
mod synthetic;
mod tls;
pub mod token;

use std::path::{Path, PathBuf};

use chrono::Utc;
use indicatif::ProgressBar;

pub use answers::submission_values;
pub use answers::{Answer, PrivacyNotice, RenderedAnswer};
pub use classify::{
    Classification, IgnoreReason, ReplyCommand, classify, ignore_reason, reply_command,
};
pub use decode::{DecodedMessage, decode, html_as_text};
pub use imap::{ImapError, xoauth2_response};
pub use ingest::{IngestReport, Kind, MailRules, Outcome, ingest_message, merge_update};
pub use opt_in::{OptInMail, queue_opt_in};
pub use outbound::{
    DeliveryError, DeliveryReport, MAX_ATTEMPTS, Transport, TransportSetupError, attempt_outcome,
    deliver_outbox,
};
pub use sources::{MessageSource, RawMessage, list_sources, maildir_messages, split_mbox};
pub use synthetic::{
    FilledForm, submission_email, write_submission_emails, write_synthetic_maildir,
};

use crate::config::ImapAccount;
use crate::stop::StopSignal;
use crate::store::{Store, StoreError, Tx};
use ingest::ingest_in;

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

/// Messages ingested per transaction. Each message keeps its own savepoint, so it is
/// still written whole or not at all; the batch shares one commit, the one wait for the
/// disk, which a commit per message made the bottleneck.
const INGEST_BATCH: usize = 500;

/// Messages fetched from IMAP per round trip, and committed together.
const IMAP_BATCH: usize = 50;

/// Messages ingested in one transaction, each with what to do once the batch commits
/// (move it out of the inbox, say), so that nothing leaves its mailbox before it is
/// durably stored and a run stopped before the commit leaves everything to ingest again.
struct Batch<'s, AfterCommit> {
    store: &'s Store,
    transaction: Tx<'static>,
    ingested: Vec<(IngestReport, AfterCommit)>,
}

impl<'s, AfterCommit> Batch<'s, AfterCommit> {
    async fn begin(store: &'s Store) -> Result<Self, StoreError> {
        Ok(Batch {
            store,
            transaction: store.begin().await?,
            ingested: Vec::new(),
        })
    }

    async fn ingest(
        &mut self,
        rules: &MailRules,
        source: &str,
        raw: &[u8],
        after_commit: AfterCommit,
    ) -> Result<(), StoreError> {
        let report = ingest_in(&mut self.transaction, rules, source, raw, Utc::now()).await?;
        self.ingested.push((report, after_commit));
        Ok(())
    }

    fn len(&self) -> usize {
        self.ingested.len()
    }

    /// Commits the messages so far and starts the next batch; returns what was committed.
    async fn commit(&mut self) -> Result<Vec<(IngestReport, AfterCommit)>, StoreError> {
        let committed = std::mem::replace(&mut self.transaction, self.store.begin().await?);
        committed.commit().await?;
        Ok(std::mem::take(&mut self.ingested))
    }

    /// Commits the last messages.
    async fn finish(self) -> Result<Vec<(IngestReport, AfterCommit)>, StoreError> {
        self.transaction.commit().await?;
        Ok(self.ingested)
    }
}

/// Ingests every message of `sources`, `INGEST_BATCH` to a transaction, handing each
/// report to `report` once its batch is committed. A message that cannot be read is
/// reported and skipped; the rest is still ingested.
pub async fn ingest_sources(
    store: &Store,
    rules: &MailRules,
    sources: &[MessageSource],
    progress: &ProgressBar,
    mut report: impl FnMut(IngestReport),
) -> Result<(), StoreError> {
    let mut batch = Batch::begin(store).await?;
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
            batch
                .ingest(rules, &message.source, &message.bytes, ())
                .await?;
            if batch.len() == INGEST_BATCH {
                batch
                    .commit()
                    .await?
                    .into_iter()
                    .for_each(|(done, ())| report(done));
            }
        }
        progress.inc(1);
    }
    batch
        .finish()
        .await?
        .into_iter()
        .for_each(|(done, ())| report(done));
    Ok(())
}

/// Ingests the Maildir's `new/` messages, `INGEST_BATCH` to a transaction, moving each
/// to `cur/` with the `S` flag after its batch commits. A stop ends the run after the
/// current message, with what was ingested committed.
pub async fn fetch_maildir(
    store: &Store,
    rules: &MailRules,
    maildir: &Path,
    stop: &StopSignal,
    mut report: impl FnMut(IngestReport),
) -> Result<(), FetchError> {
    let maildir_error = |source| FetchError::Maildir {
        path: maildir.display().to_string(),
        source,
    };
    let mut mark_committed_seen = |committed: Vec<(IngestReport, PathBuf)>| {
        for (done, path) in committed {
            report(done);
            sources::mark_seen(&path).map_err(maildir_error)?;
        }
        Ok::<(), FetchError>(())
    };
    let mut batch = Batch::begin(store).await?;
    for path in maildir_messages(maildir, false).map_err(maildir_error)? {
        if stop.is_stopping() {
            break;
        }
        let bytes = std::fs::read(&path).map_err(maildir_error)?;
        batch
            .ingest(rules, &path.display().to_string(), &bytes, path)
            .await?;
        if batch.len() == INGEST_BATCH {
            mark_committed_seen(batch.commit().await?)?;
        }
    }
    mark_committed_seen(batch.finish().await?)
}

/// Ingests the unseen messages of the IMAP folder, one transaction per `IMAP_BATCH`
/// fetched, moving each to the done folder (or flagging it seen) after its batch commits.
/// A stop ends the run after the current batch.
pub async fn fetch_imap(
    store: &Store,
    rules: &MailRules,
    account: &ImapAccount,
    extra_root_certificate: Option<&Path>,
    stop: &StopSignal,
    mut report: impl FnMut(IngestReport),
) -> Result<(), FetchError> {
    let mut mailbox = imap::Mailbox::open(account, extra_root_certificate).await?;
    let unseen = mailbox.unseen().await?;
    for uids in unseen.chunks(IMAP_BATCH) {
        if stop.is_stopping() {
            break;
        }
        let fetched = mailbox.fetch(uids).await?;
        tracing::info!(count = fetched.len(), "fetched messages from IMAP");
        let mut batch = Batch::begin(store).await?;
        for message in fetched {
            let source = format!("imap:{}/{}", account.folder, message.uid);
            batch
                .ingest(rules, &source, &message.bytes, message.uid)
                .await?;
        }
        for (done, uid) in batch.finish().await? {
            report(done);
            mailbox.finish(uid).await?;
        }
    }
    mailbox.close().await?;
    Ok(())
}

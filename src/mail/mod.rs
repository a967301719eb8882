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

use crate::config::{ImapAccount, InboundMailbox};
use crate::stop::StopSignal;
use crate::store::{Store, StoreError, Tx};
use ingest::{Prepared, ingest_batch, prepare};

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
const INGEST_BATCH: usize = 1000;

/// Messages fetched from IMAP per round trip, and committed together.
const IMAP_BATCH: usize = 50;

/// Messages ingested in one transaction, each with what to do once the batch commits
/// (move it out of the inbox, say), so that nothing leaves its mailbox before it is
/// durably stored and a run stopped before the commit leaves everything to ingest again.
/// Messages are decoded as they come and written together just before the commit, so
/// that the batch's lookups take a few statements for all of it (`ingest_batch`).
struct Batch<'s, AfterCommit> {
    store: &'s Store,
    rules: &'s MailRules,
    transaction: Tx<'static>,
    pending: Vec<(Prepared, AfterCommit)>,
}

impl<'s, AfterCommit> Batch<'s, AfterCommit> {
    async fn begin(store: &'s Store, rules: &'s MailRules) -> Result<Self, StoreError> {
        Ok(Batch {
            store,
            rules,
            transaction: store.begin().await?,
            pending: Vec::new(),
        })
    }

    fn ingest(&mut self, source: &str, raw: &[u8], after_commit: AfterCommit) {
        self.add(
            prepare(self.rules, source, raw.to_vec(), Utc::now()),
            after_commit,
        );
    }

    fn add(&mut self, message: Prepared, after_commit: AfterCommit) {
        self.pending.push((message, after_commit));
    }

    fn len(&self) -> usize {
        self.pending.len()
    }

    /// Writes and commits the messages so far and starts the next batch; returns what was
    /// committed.
    async fn commit(&mut self) -> Result<Vec<(IngestReport, AfterCommit)>, StoreError> {
        let next = self.store.begin().await?;
        let written = self.write().await?;
        std::mem::replace(&mut self.transaction, next)
            .commit()
            .await?;
        Ok(written)
    }

    /// Writes and commits the last messages.
    async fn finish(mut self) -> Result<Vec<(IngestReport, AfterCommit)>, StoreError> {
        let written = self.write().await?;
        self.transaction.commit().await?;
        Ok(written)
    }

    async fn write(&mut self) -> Result<Vec<(IngestReport, AfterCommit)>, StoreError> {
        let (messages, after_commit): (Vec<Prepared>, Vec<AfterCommit>) =
            std::mem::take(&mut self.pending).into_iter().unzip();
        let reports = ingest_batch(&mut self.transaction, self.rules, &messages).await?;
        Ok(reports.into_iter().zip(after_commit).collect())
    }
}

/// Ingests every message of `sources`, `INGEST_BATCH` to a transaction, handing each
/// report to `report` once its batch is committed. A message that cannot be read is
/// logged and skipped; the rest is still ingested. Reading, decoding, classifying and
/// reading forms run on a thread of their own, a batch ahead of the writing, so that the
/// two share the cores.
pub async fn ingest_sources(
    store: &Store,
    rules: &MailRules,
    sources: &[MessageSource],
    progress: &ProgressBar,
    mut report: impl FnMut(IngestReport),
) -> Result<(), StoreError> {
    let (sender, mut read) = tokio::sync::mpsc::channel(1);
    let reader = {
        let sources = sources.to_vec();
        let rules = rules.clone();
        tokio::task::spawn_blocking(move || read_sources(&rules, &sources, &sender))
    };
    let mut batch = Batch::begin(store, rules).await?;
    while let Some(ReadBatch {
        messages,
        sources_read,
    }) = read.recv().await
    {
        for message in messages {
            batch.add(message, ());
        }
        batch
            .commit()
            .await?
            .into_iter()
            .for_each(|(done, ())| report(done));
        progress.inc(sources_read);
    }
    batch.finish().await?;
    reader.await.expect("reading the sources does not panic");
    Ok(())
}

/// Messages read and prepared for one batch, and how many sources they finished.
struct ReadBatch {
    messages: Vec<Prepared>,
    sources_read: u64,
}

/// Reads and prepares the messages of `sources` in order, `INGEST_BATCH` to a
/// `ReadBatch`, until the writer stops taking them.
fn read_sources(
    rules: &MailRules,
    sources: &[MessageSource],
    batches: &tokio::sync::mpsc::Sender<ReadBatch>,
) {
    let mut messages = Vec::with_capacity(INGEST_BATCH);
    let mut sources_read = 0;
    for source in sources {
        match sources::read_source(source) {
            Ok(read) => {
                for message in read {
                    if messages.len() == INGEST_BATCH {
                        let full = ReadBatch {
                            messages: std::mem::replace(
                                &mut messages,
                                Vec::with_capacity(INGEST_BATCH),
                            ),
                            sources_read: std::mem::take(&mut sources_read),
                        };
                        if batches.blocking_send(full).is_err() {
                            return;
                        }
                    }
                    messages.push(prepare(rules, &message.source, message.bytes, Utc::now()));
                }
            }
            Err(error) => tracing::error!(?source, %error, "cannot read; skipped"),
        }
        sources_read += 1;
    }
    // The writer may have stopped on an error of its own, which it reports.
    batches
        .blocking_send(ReadBatch {
            messages,
            sources_read,
        })
        .ok();
}

/// A PEM file of a private certificate authority to trust besides the public ones, for
/// IMAP and SMTP: `SSL_CERT_FILE`, when set.
pub fn extra_root_certificate() -> Option<PathBuf> {
    std::env::var_os("SSL_CERT_FILE").map(PathBuf::from)
}

/// Fetches once from the configured mailbox (Maildir or IMAP) and ingests: `fetch`, the
/// demo and the daemon's fetch job.
pub async fn fetch_mailbox(
    store: &Store,
    rules: &MailRules,
    mailbox: &InboundMailbox,
    stop: &StopSignal,
    report: impl FnMut(IngestReport),
) -> Result<(), FetchError> {
    match mailbox {
        InboundMailbox::Maildir { path } => fetch_maildir(store, rules, path, stop, report).await,
        InboundMailbox::Imap(account) => {
            let extra_root = extra_root_certificate();
            fetch_imap(store, rules, account, extra_root.as_deref(), stop, report).await
        }
    }
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
    let mut batch = Batch::begin(store, rules).await?;
    for path in maildir_messages(maildir, false).map_err(maildir_error)? {
        if stop.is_stopping() {
            break;
        }
        let bytes = std::fs::read(&path).map_err(maildir_error)?;
        batch.ingest(&path.display().to_string(), &bytes, path);
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
        let mut batch = Batch::begin(store, rules).await?;
        for message in fetched {
            let source = format!("imap:{}/{}", account.folder, message.uid);
            batch.ingest(&source, &message.bytes, message.uid);
        }
        for (done, uid) in batch.finish().await? {
            report(done);
            mailbox.finish(uid).await?;
        }
    }
    mailbox.close().await?;
    Ok(())
}

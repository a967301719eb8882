//! Web submissions are written in batches: requests that arrive while a batch is being
//! written wait for the next one, which writes them all in one transaction, each behind
//! its own savepoint, and commits once. A commit waits for the disk (about 2 ms here), so
//! one commit per submission would cap the form at a few hundred posts a second; a batch
//! shares that wait. Every request is answered only after its batch has committed.

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, oneshot};

use super::SharedState;
use crate::domain::{Source, SubmissionDetails, SubmissionStatus};
use crate::forms::FormLanguage;
use crate::mail::{OptInMail, queue_opt_in};
use crate::store::{StoreError, Tx};

/// The most submissions written in one transaction.
const BATCH_SIZE: usize = 128;

/// Submissions waiting for their batch; the form answers "busy" beyond this.
pub(super) const QUEUE_LENGTH: usize = 1024;

/// A valid web submission, waiting to be stored with its opt-in email.
pub(super) struct PendingSubmission {
    pub details: SubmissionDetails,
    pub language: FormLanguage,
    pub received_at: DateTime<Utc>,
    /// Whether the submission and its email were stored, or why not (logged already).
    pub answer: oneshot::Sender<Result<OptInMail, ()>>,
}

/// Writes the queued submissions until every sender is gone.
pub(super) async fn write_submissions(
    state: SharedState,
    mut queue: mpsc::Receiver<PendingSubmission>,
) {
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        while batch.len() < BATCH_SIZE {
            match queue.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let _turn = state.write_turn().await;
        match write_batch(&state, &batch).await {
            Ok(outcomes) => {
                for (pending, outcome) in batch.into_iter().zip(outcomes) {
                    // A visitor who went away no longer waits for the answer.
                    let _ = pending.answer.send(outcome);
                }
            }
            Err(error) => {
                tracing::error!(%error, submissions = batch.len(), "cannot store web submissions");
                for pending in batch {
                    let _ = pending.answer.send(Err(()));
                }
            }
        }
    }
}

async fn write_batch(
    state: &SharedState,
    batch: &[PendingSubmission],
) -> Result<Vec<Result<OptInMail, ()>>, StoreError> {
    let mut transaction = state.store.begin().await?;
    let mut outcomes = Vec::with_capacity(batch.len());
    for pending in batch {
        let mut savepoint = transaction.savepoint().await?;
        match store_with_opt_in(state, &mut savepoint, pending).await {
            Ok(OptInMail::Queued) => {
                savepoint.commit().await?;
                outcomes.push(Ok(OptInMail::Queued));
            }
            // Dropping the savepoint stores nothing: a submission nobody can confirm
            // would only wait to expire.
            Ok(OptInMail::LimitReached) => outcomes.push(Ok(OptInMail::LimitReached)),
            Err(error) if error.is_constraint_violation() => {
                tracing::error!(%error, "the database refused a web submission");
                outcomes.push(Err(()));
            }
            Err(error) => return Err(error),
        }
    }
    transaction.commit().await?;
    Ok(outcomes)
}

async fn store_with_opt_in(
    state: &SharedState,
    transaction: &mut Tx<'_>,
    pending: &PendingSubmission,
) -> Result<OptInMail, StoreError> {
    let id = transaction
        .insert_submission(
            &pending.details,
            SubmissionStatus::Unconfirmed,
            Source::Web,
            pending.received_at,
        )
        .await?;
    queue_opt_in(
        transaction,
        &state.rules,
        id,
        &pending.details,
        pending.language,
        pending.received_at,
    )
    .await
}

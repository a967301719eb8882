//! The files sent with outbox messages, kept beside the outbox rows so that a message is
//! queued whole, with its attachments, in the transaction that causes it.

use super::records::{NewOutboxMessage, OutboxAttachment, OutboxMessageId};
use super::writes::Transaction;
use super::{Pool, Store, StoreError, Tx};

#[derive(sqlx::FromRow)]
struct AttachmentRow {
    filename: String,
    content_type: String,
    content_id: Option<String>,
    content: Vec<u8>,
}

impl Store {
    /// The attachments of an outbox message, in the order they were queued, without those
    /// whose bytes `forget` dropped.
    pub async fn outbox_attachments(
        &self,
        id: OutboxMessageId,
    ) -> Result<Vec<OutboxAttachment>, StoreError> {
        let rows: Vec<AttachmentRow> = on_backend!(Pool, &self.pool, |pool| {
            sqlx::query_as(
                "SELECT filename, content_type, content_id, content FROM outbox_attachments \
                 WHERE outbox_id = $1 AND content IS NOT NULL ORDER BY position",
            )
            .bind(id.get())
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|row| OutboxAttachment {
                filename: row.filename,
                content_type: row.content_type,
                content_id: row.content_id,
                content: row.content,
            })
            .collect())
    }
}

impl Tx<'_> {
    /// Queues an email with its attachments, due at once; a message with the same
    /// Message-ID already queued is a `StoreError::Conflict`.
    pub async fn enqueue_outbox_with_attachments(
        &mut self,
        message: &NewOutboxMessage,
        attachments: &[OutboxAttachment],
    ) -> Result<OutboxMessageId, StoreError> {
        let id = self.enqueue_outbox(message).await?;
        for (position, attachment) in attachments.iter().enumerate() {
            let position = i64::try_from(position).expect("fewer than 2^63 attachments");
            on_backend!(Transaction, &mut self.transaction, |transaction| {
                sqlx::query(
                    "INSERT INTO outbox_attachments \
                     (outbox_id, position, filename, content_type, content_id, content) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(id.get())
                .bind(position)
                .bind(&attachment.filename)
                .bind(&attachment.content_type)
                .bind(&attachment.content_id)
                .bind(&attachment.content)
                .execute(&mut **transaction)
                .await?;
            });
        }
        Ok(id)
    }
}

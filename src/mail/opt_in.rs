//! The double opt-in of web submissions: the email that carries the link confirming
//! one, queued in the outbox in the transaction that stores the submission.

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use super::answers::{Answer, submission_summary};
use super::ingest::MailRules;
use super::token::{self, TokenSubject};
use crate::domain::{SubmissionDetails, SubmissionId};
use crate::forms::FormLanguage;
use crate::store::{NewOutboxMessage, StoreError, Tx};

/// Whether the confirmation email was queued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptInMail {
    Queued,
    /// The contact address had `reply_limit_per_hour` emails from us in the last hour;
    /// nothing was queued, so that the web form cannot flood someone's inbox.
    LimitReached,
}

/// Queues the email asking the contact of submission `id` to confirm it at
/// `<base_url>/confirm/<token>`.
pub async fn queue_opt_in(
    transaction: &mut Tx<'_>,
    rules: &MailRules,
    id: SubmissionId,
    details: &SubmissionDetails,
    language: FormLanguage,
    now: DateTime<Utc>,
) -> Result<OptInMail, StoreError> {
    let recipient = &details.organisation.contact_email;
    let sent_lately = transaction
        .outbox_count_to_since(recipient, now - Duration::hours(1))
        .await?;
    if sent_lately >= rules.reply_limit_per_hour {
        return Ok(OptInMail::LimitReached);
    }
    let token = token::sign(TokenSubject::Submission(id), &rules.secret);
    let rendered = Answer::ConfirmLink {
        reference: id.to_string(),
        link: format!("{}/confirm/{token}", rules.base_url.trim_end_matches('/')),
        summary: submission_summary(details),
    }
    .render(language, &rules.privacy_notice);
    let (our_local, our_domain) = rules
        .our_address
        .as_str()
        .split_once('@')
        .expect("an email address has an @");
    let digest: String = Sha256::digest(token.as_bytes())
        .iter()
        .take(16)
        .map(|byte| format!("{byte:02x}"))
        .collect();
    transaction
        .enqueue_outbox(&NewOutboxMessage {
            message_id: format!("<opt-in.{digest}@{our_domain}>"),
            recipients: vec![recipient.clone()],
            subject: format!("{} [mobmatch {token}]", rendered.subject),
            body_text: rendered.text,
            body_html: Some(rendered.html),
            headers: vec![
                ("Auto-Submitted".to_owned(), "auto-generated".to_owned()),
                (
                    "Reply-To".to_owned(),
                    format!("{our_local}+{token}@{our_domain}"),
                ),
                ("Content-Language".to_owned(), language.code().to_owned()),
            ],
            created_at: now,
        })
        .await?;
    Ok(OptInMail::Queued)
}

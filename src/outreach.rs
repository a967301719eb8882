//! Outreach as the shell runs it (issue "Outreach"): calls for submissions to every known
//! contact and to the addresses of a list, and unsubscribes. An address is known here
//! only by the SHA-256 of its lower-case form (`privacy::address_sha256`), so an
//! unsubscribe outlives `forget`, which keeps the same hash.
//!
//! A call announces the next matching round and is recorded under that round's date:
//! running it again before that round writes only to recipients it has not reached yet.
//! Unsubscribed addresses get no call; introductions and answers to their own mail still
//! go out.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use cron::Schedule;
use serde::Serialize;

use crate::domain::EmailAddress;
use crate::forms::FormLanguage;
use crate::introductions::letter_language;
use crate::mail::calls::{CallLetter, CallSettings, call_letter};
use crate::mail::token::{self, TokenError, TokenSubject};
use crate::privacy::{PSEUDONYM_DOMAIN, address_sha256};
use crate::store::{OutreachAddressId, Store, StoreError, SubmissionFilter, Tx, UnsubscribeVia};

/// Someone a call writes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recipient {
    pub address: EmailAddress,
    /// Empty when unknown.
    pub name: String,
    /// Empty when unknown.
    pub organisation: String,
    pub language: FormLanguage,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallMode {
    Send,
    /// Decide everything, write nothing.
    DryRun,
}

/// What a call did: the line `mobmatch call --json` prints.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CallReport {
    pub round_date: NaiveDate,
    pub recipients: usize,
    /// Emails queued (in a dry run: that would be queued).
    pub queued: usize,
    /// Recipients this call had reached before.
    pub already_called: usize,
    pub unsubscribed: usize,
    pub dry_run: bool,
}

/// The date of the next matching round after `now`, in the configured time zone.
pub fn next_round_date(schedule: &Schedule, timezone: Tz, now: DateTime<Utc>) -> Option<NaiveDate> {
    schedule
        .after(&now.with_timezone(&timezone))
        .next()
        .map(|time| time.date_naive())
}

/// The contact of every organisation with a submission, in the language of its latest
/// submission; erased contacts are left out.
pub async fn known_contacts(store: &Store) -> Result<Vec<Recipient>, StoreError> {
    let mut submissions = store.submissions(&SubmissionFilter::default()).await?;
    submissions.reverse();
    let contacts = submissions
        .iter()
        .filter(|submission| {
            !submission
                .details
                .organisation
                .contact_email
                .as_str()
                .ends_with(&format!("@{PSEUDONYM_DOMAIN}"))
        })
        .map(|submission| {
            let organisation = &submission.details.organisation;
            Recipient {
                address: organisation.contact_email.clone(),
                name: organisation.contact_name.clone(),
                organisation: organisation.name.clone(),
                language: letter_language(submission),
            }
        });
    Ok(distinct_recipients(contacts))
}

/// Each address once, as it first appears.
pub fn distinct_recipients(recipients: impl IntoIterator<Item = Recipient>) -> Vec<Recipient> {
    let mut seen = HashSet::new();
    recipients
        .into_iter()
        .filter(|recipient| seen.insert(recipient.address.clone()))
        .collect()
}

/// Writes the call for the round of `round_date` to each recipient it has not reached
/// yet and who has not unsubscribed, in one transaction: every email queued is recorded
/// with its recipient, or none is.
pub async fn run_call(
    store: &Store,
    settings: &CallSettings,
    recipients: &[Recipient],
    round_date: NaiveDate,
    mode: CallMode,
    now: DateTime<Utc>,
) -> Result<CallReport, StoreError> {
    let mut report = CallReport {
        round_date,
        recipients: recipients.len(),
        queued: 0,
        already_called: 0,
        unsubscribed: 0,
        dry_run: mode == CallMode::DryRun,
    };
    let mut transaction = store.begin().await?;
    let call = transaction.call_for_round(round_date, now).await?;
    for recipient in recipients {
        let address = transaction
            .outreach_address(&address_sha256(&recipient.address))
            .await?;
        if address.unsubscribed_at.is_some() {
            report.unsubscribed += 1;
            continue;
        }
        let language = recipient.language;
        if !transaction
            .record_call_recipient(call, address.id, language.code(), now)
            .await?
        {
            report.already_called += 1;
            continue;
        }
        let letter = CallLetter {
            address: &recipient.address,
            address_id: address.id,
            name: &recipient.name,
            organisation: &recipient.organisation,
            language,
            round_date,
        };
        transaction
            .enqueue_outbox(&call_letter(settings, &letter, now))
            .await?;
        report.queued += 1;
    }
    if mode == CallMode::Send {
        transaction.commit().await?;
    }
    Ok(report)
}

#[derive(Debug, thiserror::Error)]
pub enum UnsubscribeError {
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error(
        "the reference \"{0}\" is not an unsubscribe link of ours; use the link in the email we sent"
    )]
    NotAnUnsubscribeToken(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unsubscribed {
    Now,
    /// The address had unsubscribed before; nothing changed.
    Already,
}

/// Unsubscribes the address that a signed unsubscribe token names: the one way for the
/// web server's one-click `POST /unsubscribe/<token>` (RFC 8058) and for a message to
/// the `mailto:` address of `List-Unsubscribe`. The token is checked here.
pub async fn unsubscribe(
    store: &Store,
    secret: &str,
    token: &str,
    via: UnsubscribeVia,
    now: DateTime<Utc>,
) -> Result<Unsubscribed, UnsubscribeError> {
    let mut transaction = store.begin().await?;
    let outcome = unsubscribe_token_in(&mut transaction, secret, token, via, now).await?;
    transaction.commit().await?;
    Ok(outcome)
}

/// [`unsubscribe`] inside the caller's transaction.
pub async fn unsubscribe_token_in(
    transaction: &mut Tx<'_>,
    secret: &str,
    token: &str,
    via: UnsubscribeVia,
    now: DateTime<Utc>,
) -> Result<Unsubscribed, UnsubscribeError> {
    let TokenSubject::Unsubscribe(id) = token::verify(token, secret)? else {
        return Err(UnsubscribeError::NotAnUnsubscribeToken(token.to_owned()));
    };
    Ok(unsubscribe_id(transaction, id, via, now).await?)
}

/// Unsubscribes `address` (an `UNSUBSCRIBE` reply) inside the caller's transaction.
pub async fn unsubscribe_address(
    transaction: &mut Tx<'_>,
    address: &EmailAddress,
    via: UnsubscribeVia,
    now: DateTime<Utc>,
) -> Result<Unsubscribed, StoreError> {
    let row = transaction
        .outreach_address(&address_sha256(address))
        .await?;
    unsubscribe_id(transaction, row.id, via, now).await
}

async fn unsubscribe_id(
    transaction: &mut Tx<'_>,
    id: OutreachAddressId,
    via: UnsubscribeVia,
    now: DateTime<Utc>,
) -> Result<Unsubscribed, StoreError> {
    Ok(if transaction.unsubscribe_address(id, via, now).await? {
        Unsubscribed::Now
    } else {
        Unsubscribed::Already
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recipient(address: &str, language: FormLanguage) -> Recipient {
        Recipient {
            address: EmailAddress::parse(address).unwrap(),
            name: String::new(),
            organisation: String::new(),
            language,
        }
    }

    #[test]
    fn each_address_is_called_once_in_the_language_it_first_comes_with() {
        let recipients = distinct_recipients([
            recipient("anna@gtg.example", FormLanguage::Sv),
            recipient("mikel@tknika.example", FormLanguage::Es),
            recipient("Anna@GTG.example", FormLanguage::En),
        ]);
        assert_eq!(
            recipients,
            [
                recipient("anna@gtg.example", FormLanguage::Sv),
                recipient("mikel@tknika.example", FormLanguage::Es),
            ]
        );
    }

    #[test]
    fn the_next_round_is_the_schedules_next_day_in_the_time_zone() {
        let schedule: Schedule = "0 0 6 1 * *".parse().unwrap();
        let timezone: Tz = "Europe/Brussels".parse().unwrap();
        let now = "2027-02-28T23:30:00Z".parse().unwrap();
        assert_eq!(
            next_round_date(&schedule, timezone, now),
            NaiveDate::from_ymd_opt(2027, 3, 1)
        );
        let just_after = "2027-03-01T05:00:01Z".parse().unwrap();
        assert_eq!(
            next_round_date(&schedule, timezone, just_after),
            NaiveDate::from_ymd_opt(2027, 4, 1)
        );
    }
}

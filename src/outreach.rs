//! Outreach as the shell runs it (issue "Outreach"): calls for submissions to every known
//! contact and to the addresses of a list, renewal of open listings (`renewal_due`, pure,
//! decides; `renew` runs it), and unsubscribes. An address is known here
//! only by the SHA-256 of its lower-case form (`privacy::address_sha256`), so an
//! unsubscribe outlives `forget`, which keeps the same hash.
//!
//! A call announces the next matching round and is recorded under that round's date:
//! running it again before that round writes only to recipients it has not reached yet.
//! Unsubscribed addresses get no call and no renewal request; introductions and answers
//! to their own mail still go out.
//!
//! An open listing is asked to renew or withdraw when nothing changed in it for
//! `renew_after_days`, or when its window ends within `renew_before_end_days` (once per
//! window); any change after the request (a `RENEW` reply, changed fields) renews it;
//! unrenewed, it expires `expire_listing_after_days` after the request and takes no more
//! part in rounds. A listing whose contact unsubscribed (or is undeliverable) is asked
//! without an email and expires the same way.
//!
//! Bounces: each recipient that a delivery status notification reports as failed counts
//! as a hard bounce (5.x.x) or a soft one (4.x.x, delayed); after
//! [`HARD_BOUNCES_UNDELIVERABLE`] hard bounces an address is undeliverable, and gets no
//! more calls or renewal requests.

use std::collections::HashSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use cron::Schedule;
use serde::Serialize;

use crate::config::Config;
use crate::domain::{EmailAddress, Submission, SubmissionStatus};
use crate::forms::FormLanguage;
use crate::introductions::{self, letter_language};
use crate::mail::MailRules;
use crate::mail::bounces::{Bounce, BounceKind};
use crate::mail::outreach::{CallLetter, CallSettings, RenewalLetter, call_letter, renewal_letter};
use crate::mail::token::{self, TokenError, TokenSubject};
use crate::privacy::{PSEUDONYM_DOMAIN, address_sha256};
use crate::store::{OutreachAddressId, Store, StoreError, SubmissionFilter, Tx, UnsubscribeVia};

/// Hard bounces after which an address is undeliverable: one may be a server's passing
/// mistake, three in a row are not.
pub const HARD_BOUNCES_UNDELIVERABLE: u32 = 3;

/// Counts the bounces that a delivery status notification reports, inside the caller's
/// transaction (the one that records the notification, once).
pub async fn record_bounces(
    transaction: &mut Tx<'_>,
    bounces: &[Bounce],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for bounce in bounces {
        transaction
            .record_bounce(
                &address_sha256(&bounce.address),
                bounce.kind == BounceKind::Hard,
                HARD_BOUNCES_UNDELIVERABLE,
                now,
            )
            .await?;
    }
    Ok(())
}

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
    /// The recipients skipped because repeated hard bounces made them undeliverable, for
    /// the secretariat to correct.
    pub undeliverable: Vec<EmailAddress>,
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

#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error(
        "schedule.matching_round never runs again, so a call has no round to announce; give it a schedule that does"
    )]
    NoNextRound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The call for the next matching round (by `schedule.matching_round`) to every known
/// contact and to the `listed` recipients, each once: `mobmatch call` and the daemon's
/// call job.
pub async fn call_for_next_round(
    store: &Store,
    config: &Config,
    listed: Vec<Recipient>,
    mode: CallMode,
    now: DateTime<Utc>,
) -> Result<CallReport, CallError> {
    let round_date = next_round_date(&config.schedule.matching_round, config.timezone, now)
        .ok_or(CallError::NoNextRound)?;
    let mut recipients = known_contacts(store).await?;
    recipients.extend(listed);
    let recipients = distinct_recipients(recipients);
    let settings = MailRules::from_config(config).calls();
    Ok(run_call(store, &settings, &recipients, round_date, mode, now).await?)
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
        undeliverable: Vec::new(),
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
        if address.undeliverable_at.is_some() {
            report.undeliverable.push(recipient.address.clone());
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

/// `[outreach]`: when open listings are asked to renew, and when they expire unrenewed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RenewalTiming {
    pub renew_after_days: u32,
    /// 0: a window about to end is no reason to ask.
    pub renew_before_end_days: u32,
    pub expire_listing_after_days: u32,
}

impl Default for RenewalTiming {
    fn default() -> RenewalTiming {
        RenewalTiming {
            renew_after_days: 90,
            renew_before_end_days: 14,
            expire_listing_after_days: 30,
        }
    }
}

/// What an open listing needs now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RenewalDue {
    /// Ask its contact to renew or withdraw it.
    Ask,
    /// It was asked and nothing changed since: it expires.
    Expire,
}

/// What an open listing needs at `now` (`today` in the configured time zone): its last
/// change, the last day of its window, and when it was last asked to renew. A change
/// after the request renews it.
pub fn renewal_due(
    updated_at: DateTime<Utc>,
    window_end: NaiveDate,
    renewal_requested_at: Option<DateTime<Utc>>,
    timing: &RenewalTiming,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Option<RenewalDue> {
    let days = |count: u32| Duration::days(i64::from(count));
    if let Some(asked) = renewal_requested_at.filter(|asked| *asked >= updated_at) {
        return (now >= asked + days(timing.expire_listing_after_days))
            .then_some(RenewalDue::Expire);
    }
    let stale = now >= updated_at + days(timing.renew_after_days);
    let ending_from = window_end - days(timing.renew_before_end_days);
    let ending = timing.renew_before_end_days > 0
        && today >= ending_from
        && renewal_requested_at.is_none_or(|asked| asked.date_naive() < ending_from);
    (stale || ending).then_some(RenewalDue::Ask)
}

/// What `mobmatch renew` did: the line `--json` prints.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RenewReport {
    /// Renewal requests emailed.
    pub asked: usize,
    /// Listings asked without an email, because their contact unsubscribed or is
    /// undeliverable.
    pub asked_without_email: usize,
    pub expired: usize,
}

/// The daily job of renewal: asks each open listing that is due to renew or withdraw, and
/// expires the ones asked that nobody renewed (declining their introductions that still
/// wait for answers, whose partners are told). One transaction per listing.
pub async fn renew(
    store: &Store,
    rules: &MailRules,
    timing: &RenewalTiming,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<RenewReport, StoreError> {
    let open = store
        .submissions(&SubmissionFilter {
            status: Some(SubmissionStatus::Open),
            ..SubmissionFilter::default()
        })
        .await?;
    let requests: std::collections::HashMap<_, _> =
        store.renewal_requests().await?.into_iter().collect();
    let settings = rules.calls();
    let mut report = RenewReport::default();
    for submission in &open {
        let due = renewal_due(
            submission.updated_at,
            submission.details.window.end(),
            requests.get(&submission.id).copied(),
            timing,
            now,
            today,
        );
        let Some(due) = due else { continue };
        let mut transaction = store.begin().await?;
        match due {
            RenewalDue::Ask => {
                if ask_to_renew(&mut transaction, &settings, submission, timing, now).await? {
                    report.asked += 1;
                } else {
                    report.asked_without_email += 1;
                }
            }
            RenewalDue::Expire => {
                transaction
                    .set_submission_status(submission.id, SubmissionStatus::Expired, now)
                    .await?;
                introductions::decline_waiting_introductions(
                    &mut transaction,
                    &rules.letters(),
                    submission.id,
                    now,
                )
                .await?;
                report.expired += 1;
            }
        }
        transaction.commit().await?;
    }
    Ok(report)
}

/// Records the renewal request and emails it, unless the contact unsubscribed or is
/// undeliverable; true when an email was queued.
async fn ask_to_renew(
    transaction: &mut Tx<'_>,
    settings: &CallSettings,
    submission: &Submission,
    timing: &RenewalTiming,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    transaction
        .set_renewal_requested(submission.id, now)
        .await?;
    let contact = &submission.details.organisation.contact_email;
    let address = transaction
        .outreach_address(&address_sha256(contact))
        .await?;
    if address.unsubscribed_at.is_some() || address.undeliverable_at.is_some() {
        return Ok(false);
    }
    let expires_on =
        (now + Duration::days(i64::from(timing.expire_listing_after_days))).date_naive();
    let letter = RenewalLetter {
        submission,
        address_id: address.id,
        language: letter_language(submission),
        expires_on,
    };
    transaction
        .enqueue_outbox(&renewal_letter(settings, &letter, now))
        .await?;
    Ok(true)
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

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn a_listing_is_asked_after_renew_after_days_without_a_change_and_expires_unrenewed() {
        let timing = RenewalTiming::default();
        let changed = at("2027-01-01T10:00:00Z");
        let window_end = day("2027-12-31");
        let due = |asked: Option<DateTime<Utc>>, now: &str| {
            let now = at(now);
            renewal_due(changed, window_end, asked, &timing, now, now.date_naive())
        };
        // 90 days are up on 1 April at 10:00.
        assert_eq!(due(None, "2027-04-01T09:59:59Z"), None);
        assert_eq!(due(None, "2027-04-01T10:00:00Z"), Some(RenewalDue::Ask));
        let asked = Some(at("2027-04-01T10:00:00Z"));
        assert_eq!(due(asked, "2027-05-01T09:59:59Z"), None);
        assert_eq!(due(asked, "2027-05-01T10:00:00Z"), Some(RenewalDue::Expire));
        // A change after the request (RENEW, or changed fields) renews the listing.
        let renewed = at("2027-04-10T08:00:00Z");
        let after_renewal = |now: &str| {
            let now = at(now);
            renewal_due(renewed, window_end, asked, &timing, now, now.date_naive())
        };
        assert_eq!(after_renewal("2027-05-01T10:00:00Z"), None);
        assert_eq!(after_renewal("2027-07-09T08:00:00Z"), Some(RenewalDue::Ask));
    }

    #[test]
    fn a_listing_whose_window_is_about_to_end_is_asked_once() {
        let timing = RenewalTiming::default();
        let changed = at("2027-05-20T10:00:00Z");
        let window_end = day("2027-06-30");
        let due = |updated: DateTime<Utc>, asked: Option<DateTime<Utc>>, today: &str| {
            let now = at(&format!("{today}T12:00:00Z"));
            renewal_due(updated, window_end, asked, &timing, now, day(today))
        };
        assert_eq!(due(changed, None, "2027-06-15"), None);
        assert_eq!(due(changed, None, "2027-06-16"), Some(RenewalDue::Ask));
        // Renewed without moving the window: not asked again for the same window.
        let asked = Some(at("2027-06-16T12:00:00Z"));
        let renewed = at("2027-06-17T09:00:00Z");
        assert_eq!(due(renewed, asked, "2027-06-18"), None);
        let no_window_reason = RenewalTiming {
            renew_before_end_days: 0,
            ..timing
        };
        let now = at("2027-06-29T12:00:00Z");
        assert_eq!(
            renewal_due(
                changed,
                window_end,
                None,
                &no_window_reason,
                now,
                day("2027-06-29")
            ),
            None
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

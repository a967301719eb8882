//! Retention: how long each kind of personal data is kept, and which held records a purge
//! at a given instant removes or blanks.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::domain::SubmissionStatus;

/// How many days each kind of record keeps its personal data (`[retention]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetentionSettings {
    /// The raw bytes of inbound messages (and the quoted text cut from them).
    pub raw_messages_days: u32,
    /// The bodies of outbox messages that were sent.
    pub sent_mail_bodies_days: u32,
    /// Whole records of rejected and unrecognised inbound messages.
    pub rejected_messages_days: u32,
    /// Contact names and addresses of organisations whose submissions are all closed,
    /// counted from the last closing.
    pub closed_contacts_days: u32,
}

impl Default for RetentionSettings {
    fn default() -> RetentionSettings {
        RetentionSettings {
            raw_messages_days: 180,
            sent_mail_bodies_days: 90,
            rejected_messages_days: 30,
            closed_contacts_days: 730,
        }
    }
}

/// A kind of personal data with a retention time. Mobilities are no such kind: they hold
/// counts, regions, types and dates, which the monitoring keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RetainedKind {
    /// The whole record of a rejected or unrecognised inbound message.
    RejectedMessage,
    /// The raw bytes and cut-off quoted text of an inbound message; its record stays.
    RawMessage,
    /// The text and HTML body of a sent outbox message; the record of sending stays.
    SentMailBody,
    /// An organisation's contact name and address (replaced by a pseudonym) and the notes
    /// of its submissions, once all of them are closed.
    ClosedContact,
}

impl RetainedKind {
    /// In the order a purge handles them: rejected records go whole before their bytes
    /// would be counted as dropped.
    pub const ALL: [RetainedKind; 4] = [
        RetainedKind::RejectedMessage,
        RetainedKind::RawMessage,
        RetainedKind::SentMailBody,
        RetainedKind::ClosedContact,
    ];
}

impl RetentionSettings {
    pub fn days(&self, kind: RetainedKind) -> u32 {
        match kind {
            RetainedKind::RejectedMessage => self.rejected_messages_days,
            RetainedKind::RawMessage => self.raw_messages_days,
            RetainedKind::SentMailBody => self.sent_mail_bodies_days,
            RetainedKind::ClosedContact => self.closed_contacts_days,
        }
    }

    /// A record of `kind` whose retention started at or before this instant is due.
    pub fn cutoff(&self, kind: RetainedKind, now: DateTime<Utc>) -> DateTime<Utc> {
        now - Duration::days(i64::from(self.days(kind)))
    }

    /// Whether a record of `kind` whose retention started at `since` is past its time at
    /// `now`: kept for exactly the configured number of days, and not a second longer.
    pub fn is_due(&self, kind: RetainedKind, since: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        since <= self.cutoff(kind, now)
    }
}

/// A record that still holds what a retention rule removes: its row id and the instant
/// its retention period started (received, sent, or last closed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeldRecord {
    pub kind: RetainedKind,
    pub id: i64,
    pub since: DateTime<Utc>,
}

/// The records among `held` that a purge at `now` removes or blanks.
pub fn due_records(
    settings: &RetentionSettings,
    now: DateTime<Utc>,
    held: &[HeldRecord],
) -> Vec<HeldRecord> {
    held.iter()
        .filter(|record| settings.is_due(record.kind, record.since, now))
        .copied()
        .collect()
}

/// Whether a submission with this status is finished with: matched, withdrawn or expired.
pub fn is_closed(status: SubmissionStatus) -> bool {
    matches!(
        status,
        SubmissionStatus::Matched | SubmissionStatus::Withdrawn | SubmissionStatus::Expired
    )
}

/// When an organisation's contact details start their retention period: when the last
/// of its submissions closed, or `None` while any of them is unconfirmed, pending or open.
/// Each submission is given with its status and its last change; a closed submission
/// changes no more, so its last change is when it closed (a later change only delays the
/// purge). The organisation's own last change counts too, so that contact details given
/// again yesterday are not purged for a submission closed long ago, and an organisation
/// left without submissions is purged from its last change.
pub fn contact_retention_start(
    organisation_updated_at: DateTime<Utc>,
    submissions: &[(SubmissionStatus, DateTime<Utc>)],
) -> Option<DateTime<Utc>> {
    if submissions.iter().any(|(status, _)| !is_closed(*status)) {
        return None;
    }
    Some(
        submissions
            .iter()
            .map(|(_, updated_at)| *updated_at)
            .fold(organisation_updated_at, DateTime::max),
    )
}

/// What a purge did, or would do in a dry run: how many records of each kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PurgeReport {
    pub dry_run: bool,
    pub rejected_messages_deleted: u64,
    pub raw_messages_dropped: u64,
    pub sent_mail_bodies_blanked: u64,
    pub closed_contacts_erased: u64,
}

impl PurgeReport {
    pub fn add(&mut self, kind: RetainedKind, count: u64) {
        let slot = match kind {
            RetainedKind::RejectedMessage => &mut self.rejected_messages_deleted,
            RetainedKind::RawMessage => &mut self.raw_messages_dropped,
            RetainedKind::SentMailBody => &mut self.sent_mail_bodies_blanked,
            RetainedKind::ClosedContact => &mut self.closed_contacts_erased,
        };
        *slot += count;
    }

    pub fn total(&self) -> u64 {
        self.rejected_messages_deleted
            + self.raw_messages_dropped
            + self.sent_mail_bodies_blanked
            + self.closed_contacts_erased
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(year: i32, month: u32, day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(year, month, day, hour, 0, 0).unwrap()
    }

    #[test]
    fn the_defaults_are_those_of_the_issue() {
        let settings = RetentionSettings::default();
        assert_eq!(settings.days(RetainedKind::RawMessage), 180);
        assert_eq!(settings.days(RetainedKind::SentMailBody), 90);
        assert_eq!(settings.days(RetainedKind::RejectedMessage), 30);
        assert_eq!(settings.days(RetainedKind::ClosedContact), 730);
    }

    #[test]
    fn each_kind_is_due_at_its_time_and_not_a_second_before() {
        let settings = RetentionSettings::default();
        let since = at(2027, 1, 10, 9);
        let cases = [
            (RetainedKind::RejectedMessage, at(2027, 2, 9, 9)),
            (RetainedKind::SentMailBody, at(2027, 4, 10, 9)),
            (RetainedKind::RawMessage, at(2027, 7, 9, 9)),
            (RetainedKind::ClosedContact, at(2029, 1, 9, 9)),
        ];
        for (kind, due_at) in cases {
            let just_before = due_at - Duration::seconds(1);
            assert!(!settings.is_due(kind, since, just_before), "{kind:?}");
            assert!(settings.is_due(kind, since, due_at), "{kind:?}");
            let held = [HeldRecord { kind, id: 7, since }];
            assert!(due_records(&settings, just_before, &held).is_empty());
            assert_eq!(due_records(&settings, due_at, &held), held);
        }
    }

    #[test]
    fn only_the_records_past_their_time_are_due() {
        let settings = RetentionSettings {
            raw_messages_days: 10,
            sent_mail_bodies_days: 10,
            rejected_messages_days: 1,
            closed_contacts_days: 10,
        };
        let now = at(2027, 3, 1, 0);
        let held = [
            HeldRecord {
                kind: RetainedKind::RawMessage,
                id: 1,
                since: at(2027, 2, 18, 0),
            },
            HeldRecord {
                kind: RetainedKind::RawMessage,
                id: 2,
                since: at(2027, 2, 20, 0),
            },
            HeldRecord {
                kind: RetainedKind::RejectedMessage,
                id: 3,
                since: at(2027, 2, 27, 0),
            },
        ];
        let due: Vec<i64> = due_records(&settings, now, &held)
            .iter()
            .map(|record| record.id)
            .collect();
        assert_eq!(due, [1, 3]);
    }

    #[test]
    fn contact_details_wait_for_every_submission_to_close() {
        let created = at(2025, 1, 1, 0);
        let closed = at(2025, 6, 1, 0);
        let later = at(2025, 9, 1, 0);
        use SubmissionStatus::*;
        for open_status in [Unconfirmed, Pending, Open] {
            assert_eq!(
                contact_retention_start(created, &[(Withdrawn, closed), (open_status, later)]),
                None,
                "{open_status:?}"
            );
        }
        assert_eq!(
            contact_retention_start(created, &[(Withdrawn, closed), (Expired, later)]),
            Some(later),
            "from the last closing"
        );
        assert_eq!(
            contact_retention_start(later, &[(Matched, closed)]),
            Some(later),
            "details given again after the closing restart the period"
        );
        assert_eq!(
            contact_retention_start(created, &[]),
            Some(created),
            "an organisation without submissions"
        );
    }

    #[test]
    fn a_report_counts_each_kind_apart() {
        let mut report = PurgeReport::default();
        report.add(RetainedKind::RawMessage, 3);
        report.add(RetainedKind::ClosedContact, 1);
        report.add(RetainedKind::RawMessage, 2);
        assert_eq!(report.raw_messages_dropped, 5);
        assert_eq!(report.closed_contacts_erased, 1);
        assert_eq!(report.total(), 6);
    }
}

//! The store against real databases: every test runs on SQLite and on PostgreSQL.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use mobmatch::domain::{
    Country, DateWindow, Destination, DurationRange, EmailAddress, IntroductionStatus, IscedField,
    Language, MobilityDetails, MobilityStatus, MobilityType, Organisation, Population, Region,
    Role, Source, Submission, SubmissionDetails, SubmissionId, SubmissionStatus,
};
use mobmatch::store::{
    Backend, InboundError, IntroductionFilter, MobilityFilter, MobilityImport, NewInboundMessage,
    NewIntroduction, NewOutboxMessage, NewRound, OutboxStatus, PopulationWrite, Store, StoreError,
    SubmissionFilter,
};

/// The injected clock: whole seconds, which both backends keep exactly.
fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 1, day, hour, 0, 0).unwrap()
}

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

pub(crate) fn organisation(name: &str, email: &str, region: &str) -> Organisation {
    Organisation {
        name: name.to_owned(),
        contact_name: "Anna Berg".to_owned(),
        contact_email: EmailAddress::parse(email).unwrap(),
        region: Region::parse(region).unwrap(),
    }
}

/// TKNIKA in the Basque Country hosts up to four VET learners in electricity or materials.
pub(crate) fn basque_offer() -> SubmissionDetails {
    SubmissionDetails {
        role: Role::Receiving,
        organisation: organisation("TKNIKA", "mobility@tknika.example", "ES21"),
        mobility_type: MobilityType::VetLearner,
        fields: vec![
            IscedField::parse("0713").unwrap(),
            IscedField::parse("0722").unwrap(),
        ],
        participants: 4,
        fewer_opportunities: 0,
        inclusion_support: true,
        window: DateWindow::new(date("2027-03-01"), date("2027-06-30")).unwrap(),
        duration: DurationRange::new(10, 30).unwrap(),
        languages: vec![
            Language::parse("en").unwrap(),
            Language::parse("es").unwrap(),
        ],
        partner_countries: vec![Country::parse("SE").unwrap(), Country::parse("FI").unwrap()],
        notes: "Workshops in English.\nAccommodation can be arranged.".to_owned(),
    }
}

/// A school in Västsverige wants to send three learners, two with fewer opportunities.
pub(crate) fn swedish_request() -> SubmissionDetails {
    SubmissionDetails {
        role: Role::Sending,
        organisation: organisation("Göteborgs Tekniska Gymnasium", "anna@gtg.example", "SE23"),
        mobility_type: MobilityType::VetLearner,
        fields: vec![IscedField::parse("07").unwrap()],
        participants: 3,
        fewer_opportunities: 2,
        inclusion_support: false,
        window: DateWindow::new(date("2027-04-01"), date("2027-05-15")).unwrap(),
        duration: DurationRange::new(14, 14).unwrap(),
        languages: vec![Language::parse("en").unwrap()],
        partner_countries: vec![],
        notes: String::new(),
    }
}

fn mobility(start: &str, end: &str, status: MobilityStatus) -> MobilityDetails {
    MobilityDetails {
        sending_organisation: "Göteborgs Tekniska Gymnasium".to_owned(),
        sending_region: Region::parse("SE23").unwrap(),
        receiving_organisation: "TKNIKA".to_owned(),
        destination: Destination::region(Region::parse("ES21").unwrap()),
        mobility_type: MobilityType::Apprentice,
        participants: 5,
        fewer_opportunities: 1,
        dates: DateWindow::new(date(start), date(end)).unwrap(),
        status,
        introduction: None,
    }
}

fn inbound_message(message_id: &str) -> NewInboundMessage {
    NewInboundMessage {
        message_id: message_id.to_owned(),
        raw_sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".to_owned(),
        sender: Some("anna@gtg.example".to_owned()),
        subject: "Re: Offer or request".to_owned(),
        received_at: at(5, 9),
        classification: "submission".to_owned(),
        outcome: "rejected".to_owned(),
        kind: Some("submission".to_owned()),
        reference: None,
        errors: vec![InboundError {
            field: "Region".to_owned(),
            value: "Gothenburg".to_owned(),
            message: "a NUTS 2 region code such as SE23".to_owned(),
        }],
        raw: Some(b"From: anna@gtg.example\r\n\r\nRole: sending\r\n".to_vec()),
        cut_off_text: Some("On Monday, Mobility Matchmaking wrote:".to_owned()),
    }
}

fn outbox_message(message_id: &str) -> NewOutboxMessage {
    NewOutboxMessage {
        message_id: message_id.to_owned(),
        recipients: vec![
            EmailAddress::parse("anna@gtg.example").unwrap(),
            EmailAddress::parse("mobility@tknika.example").unwrap(),
        ],
        subject: "Introduction I-1: TKNIKA and Göteborgs Tekniska Gymnasium".to_owned(),
        body_text: "Hello,\n\nmeet each other.".to_owned(),
        body_html: Some("<p>Hello,</p><p>meet each other.</p>".to_owned()),
        headers: vec![("Auto-Submitted".to_owned(), "auto-generated".to_owned())],
        created_at: at(6, 8),
    }
}

fn round() -> NewRound {
    NewRound {
        started_at: at(4, 8),
        duration_ms: 1250,
        parameters: serde_json::json!({"max_introductions_per_offer": 2, "cross_border_only": true}),
        offers: 1,
        requests: 1,
        candidates: 1,
        introductions: 1,
        total_score: 87.5,
    }
}

pub(crate) async fn insert_submission(
    store: &Store,
    details: &SubmissionDetails,
    status: SubmissionStatus,
) -> SubmissionId {
    let mut tx = store.begin().await.unwrap();
    let id = tx
        .insert_submission(details, status, Source::Email, at(1, 10))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

async fn mobility_starts(store: &Store, filter: MobilityFilter) -> Vec<String> {
    store
        .mobilities(&filter)
        .await
        .unwrap()
        .into_iter()
        .map(|mobility| mobility.details.dates.start().to_string())
        .collect()
}

on_both_backends!(a_submission_reads_back_with_all_its_fields, |database| {
    let store = database.connect().await;
    let offer = insert_submission(&store, &basque_offer(), SubmissionStatus::Open).await;
    let request = insert_submission(&store, &swedish_request(), SubmissionStatus::Pending).await;

    assert_eq!(
        store.submission(offer).await.unwrap(),
        Submission {
            id: offer,
            details: basque_offer(),
            status: SubmissionStatus::Open,
            source: Source::Email,
            created_at: at(1, 10),
            updated_at: at(1, 10),
        }
    );
    assert_eq!(
        store.submission(request).await.unwrap().details,
        swedish_request()
    );
});

on_both_backends!(a_status_change_is_kept_with_its_time, |database| {
    let store = database.connect().await;
    let offer = insert_submission(&store, &basque_offer(), SubmissionStatus::Pending).await;

    let mut tx = store.begin().await.unwrap();
    tx.set_submission_status(offer, SubmissionStatus::Open, at(2, 11))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let submission = store.submission(offer).await.unwrap();
    assert_eq!(submission.status, SubmissionStatus::Open);
    assert_eq!(submission.created_at, at(1, 10));
    assert_eq!(submission.updated_at, at(2, 11));
});

on_both_backends!(a_submission_that_does_not_exist_is_not_found, |database| {
    let store = database.connect().await;
    let missing = SubmissionId::new(404);

    let error = store.submission(missing).await.unwrap_err();
    assert!(
        matches!(&error, StoreError::NotFound { what } if what == "submission S-404"),
        "{error:?}"
    );

    let mut tx = store.begin().await.unwrap();
    let error = tx
        .set_submission_status(missing, SubmissionStatus::Withdrawn, at(2, 11))
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::NotFound { .. }), "{error:?}");
});

on_both_backends!(submissions_are_listed_by_status_and_role, |database| {
    let store = database.connect().await;
    let open_offer = insert_submission(&store, &basque_offer(), SubmissionStatus::Open).await;
    let open_request = insert_submission(&store, &swedish_request(), SubmissionStatus::Open).await;
    let pending_request =
        insert_submission(&store, &swedish_request(), SubmissionStatus::Pending).await;

    let ids = |submissions: Vec<Submission>| {
        submissions
            .into_iter()
            .map(|submission| submission.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(store
            .submissions(&SubmissionFilter::default())
            .await
            .unwrap()),
        [open_offer, open_request, pending_request]
    );
    let open = SubmissionFilter {
        status: Some(SubmissionStatus::Open),
        role: None,
        ..SubmissionFilter::default()
    };
    assert_eq!(
        ids(store.submissions(&open).await.unwrap()),
        [open_offer, open_request]
    );
    let requests = SubmissionFilter {
        status: None,
        role: Some(Role::Sending),
        ..SubmissionFilter::default()
    };
    assert_eq!(
        ids(store.submissions(&requests).await.unwrap()),
        [open_request, pending_request]
    );
    let open_requests = SubmissionFilter {
        status: Some(SubmissionStatus::Open),
        role: Some(Role::Sending),
        ..SubmissionFilter::default()
    };
    assert_eq!(
        ids(store.submissions(&open_requests).await.unwrap()),
        [open_request]
    );
    let withdrawn = SubmissionFilter {
        status: Some(SubmissionStatus::Withdrawn),
        role: None,
        ..SubmissionFilter::default()
    };
    assert!(store.submissions(&withdrawn).await.unwrap().is_empty());
});

on_both_backends!(
    an_organisation_is_one_whatever_the_case_of_its_name,
    |database| {
        let store = database.connect().await;
        let mut tx = store.begin().await.unwrap();
        let first = tx
            .upsert_organisation(
                &organisation("TKNIKA", "mobility@tknika.example", "ES21"),
                at(1, 10),
            )
            .await
            .unwrap();
        let renamed = organisation(" Tknika ", "mobility@tknika.example", "ES21");
        let same = tx.upsert_organisation(&renamed, at(2, 10)).await.unwrap();
        let other_contact = tx
            .upsert_organisation(
                &organisation("TKNIKA", "director@tknika.example", "ES21"),
                at(2, 10),
            )
            .await
            .unwrap();
        let submission = tx
            .insert_submission(
                &SubmissionDetails {
                    organisation: renamed.clone(),
                    ..basque_offer()
                },
                SubmissionStatus::Open,
                Source::Web,
                at(3, 10),
            )
            .await
            .unwrap();
        tx.commit().await.unwrap();

        assert_eq!(first, same);
        assert_ne!(first, other_contact);
        assert_eq!(
            store
                .submission(submission)
                .await
                .unwrap()
                .details
                .organisation,
            renamed
        );
    }
);

on_both_backends!(a_mobility_reads_back_with_its_destination, |database| {
    let store = database.connect().await;
    let to_a_region = mobility("2027-03-01", "2027-03-14", MobilityStatus::Completed);
    let to_a_country = MobilityDetails {
        destination: Destination::country_only(Country::parse("FI").unwrap()),
        ..mobility("2027-05-01", "2027-08-31", MobilityStatus::Planned)
    };

    let mut tx = store.begin().await.unwrap();
    let first = tx
        .insert_mobility(&to_a_region, Source::Email, at(1, 10))
        .await
        .unwrap();
    let second = tx
        .insert_mobility(&to_a_country, Source::Web, at(1, 11))
        .await
        .unwrap();
    let again = tx
        .insert_mobility(&to_a_region, Source::Email, at(1, 12))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    assert_ne!(
        again, first,
        "without an import key, the same mobility may be reported twice"
    );
    let mobilities = store.mobilities(&MobilityFilter::default()).await.unwrap();
    assert_eq!(mobilities.len(), 3);
    assert_eq!(
        (mobilities[0].id, &mobilities[0].details),
        (first, &to_a_region)
    );
    assert_eq!(mobilities[0].source, Source::Email);
    assert_eq!(mobilities[0].created_at, at(1, 10));
    assert_eq!(mobilities[2].id, second, "listed by start date");
    assert_eq!(mobilities[2].details, to_a_country);
    assert_eq!(
        mobilities[2].details.erasmus_activity_code(),
        Some("LM-LONG-VET")
    );
});

on_both_backends!(
    an_imported_row_is_stored_once_and_updated_when_it_changes,
    |database| {
        let store = database.connect().await;
        let planned = mobility("2027-03-01", "2027-03-14", MobilityStatus::Planned);
        let completed = MobilityDetails {
            status: MobilityStatus::Completed,
            ..planned.clone()
        };

        let mut tx = store.begin().await.unwrap();
        let first = tx
            .import_mobility(&planned, "key-7", at(1, 10))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let mut tx = store.begin().await.unwrap();
        let again = tx
            .import_mobility(&planned, "key-7", at(2, 10))
            .await
            .unwrap();
        let changed = tx
            .import_mobility(&completed, "key-7", at(2, 11))
            .await
            .unwrap();
        let other_row = tx
            .import_mobility(&planned, "key-8", at(2, 12))
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let MobilityImport::Inserted(first_id) = first else {
            panic!("the first import inserts: {first:?}");
        };
        assert_eq!(again, MobilityImport::Unchanged(first_id));
        assert_eq!(changed, MobilityImport::Updated(first_id));
        assert!(matches!(other_row, MobilityImport::Inserted(id) if id != first_id));
        let stored = store.mobilities(&MobilityFilter::default()).await.unwrap();
        assert_eq!(stored.len(), 2);
        let updated = stored
            .iter()
            .find(|mobility| mobility.id == first_id)
            .unwrap();
        assert_eq!(updated.details, completed);
        assert_eq!(
            (updated.created_at, updated.updated_at),
            (at(1, 10), at(2, 11))
        );
        assert_eq!(updated.source, Source::Import);
    }
);

on_both_backends!(
    mobilities_are_listed_by_status_and_year_of_start,
    |database| {
        let store = database.connect().await;
        let mut tx = store.begin().await.unwrap();
        for details in [
            mobility("2026-12-31", "2027-01-10", MobilityStatus::Completed),
            mobility("2027-01-01", "2027-01-10", MobilityStatus::Completed),
            mobility("2027-12-31", "2028-01-10", MobilityStatus::Planned),
            mobility("2028-01-01", "2028-01-10", MobilityStatus::Cancelled),
        ] {
            tx.insert_mobility(&details, Source::Web, at(1, 10))
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();

        let started_in_2027 = MobilityFilter {
            status: None,
            year: Some(2027),
        };
        let completed = MobilityFilter {
            status: Some(MobilityStatus::Completed),
            year: None,
        };
        let completed_in_2027 = MobilityFilter {
            year: Some(2027),
            ..completed
        };
        let started_in_1999 = MobilityFilter {
            status: None,
            year: Some(1999),
        };
        assert_eq!(
            mobility_starts(&store, started_in_2027).await,
            ["2027-01-01", "2027-12-31"]
        );
        assert_eq!(
            mobility_starts(&store, completed).await,
            ["2026-12-31", "2027-01-01"]
        );
        assert_eq!(
            mobility_starts(&store, completed_in_2027).await,
            ["2027-01-01"]
        );
        assert!(mobility_starts(&store, started_in_1999).await.is_empty());
    }
);

on_both_backends!(a_population_figure_is_inserted_then_replaced, |database| {
    let store = database.connect().await;
    let basque_2026 = Population {
        region: Region::parse("ES21").unwrap(),
        year: 2026,
        vet_learners: 41_000,
        ivet_graduates: None,
    };
    let basque_2027 = Population {
        year: 2027,
        vet_learners: 42_500,
        ivet_graduates: Some(12_000),
        ..basque_2026
    };
    let corrected_2027 = Population {
        vet_learners: 43_100,
        ivet_graduates: None,
        ..basque_2027
    };

    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.upsert_population(&basque_2027, at(1, 10)).await.unwrap(),
        PopulationWrite::Inserted
    );
    assert_eq!(
        tx.upsert_population(&basque_2026, at(1, 10)).await.unwrap(),
        PopulationWrite::Inserted
    );
    tx.commit().await.unwrap();
    assert_eq!(
        store.population().await.unwrap(),
        [basque_2026, basque_2027]
    );

    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.upsert_population(&corrected_2027, at(2, 10))
            .await
            .unwrap(),
        PopulationWrite::Replaced
    );
    tx.commit().await.unwrap();
    assert_eq!(
        store.population().await.unwrap(),
        [basque_2026, corrected_2027]
    );
});

on_both_backends!(
    a_second_inbound_message_with_the_same_message_id_is_refused,
    |database| {
        let store = database.connect().await;
        let message = inbound_message("<CAF=1234@mail.gmail.com>");

        let mut tx = store.begin().await.unwrap();
        let first = tx.insert_inbound_message(&message).await.unwrap();
        tx.commit().await.unwrap();
        let mut tx = store.begin().await.unwrap();
        let replay = NewInboundMessage {
            outcome: "accepted".to_owned(),
            ..message.clone()
        };
        let second = tx.insert_inbound_message(&replay).await.unwrap();
        let without_message_id = NewInboundMessage {
            message_id: format!("sha256:{}", message.raw_sha256),
            sender: None,
            kind: None,
            errors: vec![],
            raw: None,
            cut_off_text: None,
            ..message.clone()
        };
        let third = tx
            .insert_inbound_message(&without_message_id)
            .await
            .unwrap();
        tx.commit().await.unwrap();

        assert!(first.is_some());
        assert_eq!(second, None);
        assert!(third.is_some());
        let log = store.inbound_messages(10).await.unwrap();
        assert_eq!(log.len(), 2);
        assert_eq!(
            (log[0].id, &log[0].message),
            (third.unwrap(), &without_message_id),
            "newest first"
        );
        assert_eq!((log[1].id, &log[1].message), (first.unwrap(), &message));
        assert_eq!(store.inbound_messages(1).await.unwrap().len(), 1);
    }
);

on_both_backends!(
    queued_mail_is_listed_with_everything_needed_to_send_it,
    |database| {
        let store = database.connect().await;
        let introduction_mail = outbox_message("<i-1.host@matchmaking.example>");
        let plain_answer = NewOutboxMessage {
            body_html: None,
            headers: vec![],
            ..outbox_message("<answer-1@matchmaking.example>")
        };

        let mut tx = store.begin().await.unwrap();
        let first = tx.enqueue_outbox(&introduction_mail).await.unwrap();
        let second = tx.enqueue_outbox(&plain_answer).await.unwrap();
        tx.commit().await.unwrap();

        let queued = store.outbox(Some(OutboxStatus::Queued)).await.unwrap();
        assert_eq!(queued.len(), 2);
        assert_eq!(
            (queued[0].id, &queued[0].message),
            (first, &introduction_mail)
        );
        assert_eq!((queued[1].id, &queued[1].message), (second, &plain_answer));
        assert_eq!(queued[0].status, OutboxStatus::Queued);
        assert_eq!(queued[0].attempts, 0);
        assert_eq!(
            queued[0].next_attempt_at, introduction_mail.created_at,
            "due at once"
        );
        assert_eq!(
            (queued[0].last_answer.as_deref(), queued[0].sent_at),
            (None, None)
        );
        assert_eq!(store.outbox(None).await.unwrap().len(), 2);
        assert!(
            store
                .outbox(Some(OutboxStatus::Sent))
                .await
                .unwrap()
                .is_empty()
        );
    }
);

on_both_backends!(
    mail_with_a_message_id_already_in_the_outbox_is_a_conflict,
    |database| {
        let store = database.connect().await;
        let mut tx = store.begin().await.unwrap();
        tx.enqueue_outbox(&outbox_message("<i-1.host@matchmaking.example>"))
            .await
            .unwrap();
        let error = tx
            .enqueue_outbox(&outbox_message("<i-1.host@matchmaking.example>"))
            .await
            .unwrap_err();
        assert!(matches!(error, StoreError::Conflict { .. }), "{error:?}");
        tx.commit().await.unwrap();
        assert_eq!(store.outbox(None).await.unwrap().len(), 1);
    }
);

on_both_backends!(a_round_and_its_introductions_read_back, |database| {
    let store = database.connect().await;
    let offer = insert_submission(&store, &basque_offer(), SubmissionStatus::Open).await;
    let request = insert_submission(&store, &swedish_request(), SubmissionStatus::Open).await;

    let mut tx = store.begin().await.unwrap();
    let round_id = tx.insert_round(&round()).await.unwrap();
    let introduction = NewIntroduction {
        round: round_id,
        offer,
        request,
        score: 87.5,
        reasons: vec![
            "fields 0713 and 07 match".to_owned(),
            "the overlap covers the whole stay".to_owned(),
        ],
        status: IntroductionStatus::Introduced,
        created_at: at(4, 8),
    };
    let introduction_id = tx.insert_introduction(&introduction).await.unwrap();
    tx.commit().await.unwrap();

    let rounds = store.rounds().await.unwrap();
    assert_eq!(rounds.len(), 1);
    let stored_round = &rounds[0];
    assert_eq!(stored_round.id, round_id);
    assert_eq!(
        (
            stored_round.started_at,
            stored_round.duration_ms,
            &stored_round.parameters,
            stored_round.total_score
        ),
        (at(4, 8), 1250, &round().parameters, 87.5)
    );
    assert_eq!(
        (
            stored_round.offers,
            stored_round.requests,
            stored_round.candidates,
            stored_round.introductions
        ),
        (1, 1, 1, 1)
    );

    let introductions = store
        .introductions(&IntroductionFilter::default())
        .await
        .unwrap();
    assert_eq!(introductions.len(), 1);
    let stored = &introductions[0];
    assert_eq!(
        (stored.id, stored.round, stored.offer, stored.request),
        (introduction_id, round_id, offer, request)
    );
    assert_eq!(
        (stored.score, &stored.reasons, stored.status),
        (87.5, &introduction.reasons, IntroductionStatus::Introduced)
    );
    assert_eq!(
        (stored.host_answer, stored.sender_answer, stored.created_at),
        (None, None, at(4, 8))
    );

    let accepted = IntroductionFilter {
        status: Some(IntroductionStatus::Accepted),
    };
    assert!(store.introductions(&accepted).await.unwrap().is_empty());
    let introduced = IntroductionFilter {
        status: Some(IntroductionStatus::Introduced),
    };
    assert_eq!(store.introductions(&introduced).await.unwrap().len(), 1);
});

on_both_backends!(a_pair_is_never_introduced_twice, |database| {
    let store = database.connect().await;
    let offer = insert_submission(&store, &basque_offer(), SubmissionStatus::Open).await;
    let request = insert_submission(&store, &swedish_request(), SubmissionStatus::Open).await;
    let mut tx = store.begin().await.unwrap();
    let first_round = tx.insert_round(&round()).await.unwrap();
    let introduction = NewIntroduction {
        round: first_round,
        offer,
        request,
        score: 80.0,
        reasons: vec![],
        status: IntroductionStatus::Proposed,
        created_at: at(4, 8),
    };
    tx.insert_introduction(&introduction).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.begin().await.unwrap();
    let next_round = tx
        .insert_round(&NewRound {
            started_at: at(11, 8),
            ..round()
        })
        .await
        .unwrap();
    let error = tx
        .insert_introduction(&NewIntroduction {
            round: next_round,
            ..introduction.clone()
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&error, StoreError::Conflict { what } if what.contains("S-1") && what.contains("S-2")),
        "{error:?}"
    );
    tx.commit()
        .await
        .expect("the transaction stays usable after the conflict");

    assert_eq!(store.rounds().await.unwrap().len(), 2);
    let introductions = store
        .introductions(&IntroductionFilter::default())
        .await
        .unwrap();
    assert_eq!(introductions.len(), 1);
    assert_eq!(introductions[0].round, first_round);
});

on_both_backends!(a_rolled_back_transaction_leaves_nothing, |database| {
    let store = database.connect().await;
    let mut tx = store.begin().await.unwrap();
    tx.insert_inbound_message(&inbound_message("<rolled-back@example.org>"))
        .await
        .unwrap();
    tx.insert_submission(
        &basque_offer(),
        SubmissionStatus::Open,
        Source::Email,
        at(1, 10),
    )
    .await
    .unwrap();
    tx.enqueue_outbox(&outbox_message("<answer@matchmaking.example>"))
        .await
        .unwrap();
    drop(tx);

    assert!(store.inbound_messages(10).await.unwrap().is_empty());
    assert!(
        store
            .submissions(&SubmissionFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.outbox(None).await.unwrap().is_empty());

    let mut tx = store.begin().await.unwrap();
    let again = tx
        .insert_inbound_message(&inbound_message("<rolled-back@example.org>"))
        .await
        .unwrap();
    assert!(
        again.is_some(),
        "a message whose processing was rolled back is not a duplicate"
    );
});

on_both_backends!(connecting_again_applies_no_migration_twice, |database| {
    let store = database.connect().await;
    let offer = insert_submission(&store, &basque_offer(), SubmissionStatus::Open).await;
    store.close().await;

    let store = database.connect().await;
    let expected_backend = if database.url().starts_with("sqlite:") {
        Backend::Sqlite
    } else {
        Backend::Postgres
    };
    assert_eq!(store.backend(), expected_backend);
    assert_eq!(
        store.submission(offer).await.unwrap().details,
        basque_offer()
    );
    let again = Store::connect(database.url()).await.unwrap();
    assert_eq!(
        again
            .submissions(&SubmissionFilter::default())
            .await
            .unwrap()
            .len(),
        1
    );
});

on_both_backends!(
    a_stored_code_that_no_longer_parses_is_reported_as_corrupt_naming_its_column,
    |database| {
        let store = database.connect().await;
        let offer = insert_submission(&store, &basque_offer(), SubmissionStatus::Open).await;
        database
            .execute_behind_the_store("UPDATE submissions SET fields = '0713 1234'")
            .await;

        let error = store.submission(offer).await.unwrap_err();
        match &error {
            StoreError::Corrupt {
                table,
                column,
                value,
                ..
            } => {
                assert_eq!(
                    (*table, *column, value.as_str()),
                    ("submissions", "fields", "0713 1234")
                );
            }
            other => panic!("expected Corrupt, got {other:?}"),
        }
        let message = error.to_string();
        assert!(
            message.contains("submissions.fields") && message.contains("1234"),
            "{message}"
        );

        database
            .execute_behind_the_store("UPDATE organisations SET region = 'XX99'")
            .await;
        let error = store
            .submissions(&SubmissionFilter::default())
            .await
            .unwrap_err();
        assert!(
            matches!(
                error,
                StoreError::Corrupt {
                    table: "organisations",
                    column: "region",
                    ..
                }
            ),
            "{error:?}"
        );
    }
);

#[tokio::test]
async fn a_database_url_of_another_kind_is_refused_without_showing_its_password() {
    let error = Store::connect("mysql://mobmatch:s3cret@db.example/mobmatch")
        .await
        .unwrap_err();
    assert!(
        matches!(error, StoreError::UnsupportedUrl { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("mysql://mobmatch:***@db.example/mobmatch"),
        "{message}"
    );
    assert!(!message.contains("s3cret"), "{message}");
}

#[tokio::test]
async fn a_connection_error_names_the_database_without_its_password() {
    let database = crate::support::TestDatabase::postgres().await;
    let url = database
        .url()
        .replace("postgres://postgres@", "postgres://postgres:s3cret@")
        .replace("mobmatch_test_", "mobmatch_missing_");
    let error = Store::connect(&url).await.unwrap_err();
    assert!(matches!(error, StoreError::Connect { .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains("postgres:***@") && message.contains("mobmatch_missing_"),
        "{message}"
    );
    assert!(!format!("{error:?}").contains("s3cret"), "{error:?}");
}

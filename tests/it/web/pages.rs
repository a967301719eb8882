//! The web server through HTTP: forms, double opt-in, token pages, admin access, CSRF,
//! escaping, rate limits, headers, health and metrics.

use chrono::Duration;
use mobmatch::domain::{Source, SubmissionId, SubmissionStatus};
use mobmatch::store::{OutboxStatus, SubmissionFilter};

use super::{ADMIN_PASSWORD, TestServer, valid_offer};
use crate::support::TestDatabase;

/// Posts a valid offer through the form and returns the new submission's id.
async fn submit_offer(server: &TestServer, organisation: &str, email: &str) -> i64 {
    let mut client = server.client();
    let answer = client
        .post_form("/submit", "/submit", &valid_offer(organisation, email))
        .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert_eq!(answer.location(), "/submitted");
    let submissions = server
        .store
        .submissions(&SubmissionFilter::default())
        .await
        .unwrap();
    submissions.last().unwrap().id.get()
}

async fn status_of(server: &TestServer, id: i64) -> SubmissionStatus {
    server
        .store
        .submission(SubmissionId::new(id))
        .await
        .unwrap()
        .status
}

/// The confirmation link of the latest opt-in email in the outbox.
async fn confirmation_link(server: &TestServer) -> String {
    let outbox = server.store.outbox(None).await.unwrap();
    let message = &outbox.last().expect("an email was queued").message;
    let start = message
        .body_text
        .find("http://")
        .expect("the email has the link");
    let link = message.body_text[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    link.replacen(&format!("http://{}", server.address), "", 1)
}

on_both_backends!(
    a_web_submission_waits_for_its_emailed_confirmation,
    |database| {
        let server = TestServer::start(database).await;
        let id = submit_offer(&server, "TKNIKA", "maria@tknika.example").await;
        let submission = server
            .store
            .submission(SubmissionId::new(id))
            .await
            .unwrap();
        assert_eq!(submission.status, SubmissionStatus::Unconfirmed);
        assert_eq!(submission.source, Source::Web);
        assert_eq!(submission.details.organisation.name, "TKNIKA");
        assert_eq!(submission.details.fields.len(), 2);

        let outbox = server
            .store
            .outbox(Some(OutboxStatus::Queued))
            .await
            .unwrap();
        assert_eq!(outbox.len(), 1);
        let email = &outbox[0].message;
        assert_eq!(email.recipients[0].as_str(), "maria@tknika.example");
        let link = confirmation_link(&server).await;
        assert_eq!(link, format!("/confirm/{}", server.submission_token(id)));
        assert!(
            email.body_text.contains("Organisation: TKNIKA"),
            "{}",
            email.body_text
        );

        let mut client = server.client();
        let page = client.get(&link).await;
        assert_eq!(page.status, 200);
        assert!(
            page.body
                .contains("<form method=\"post\" action=\"/confirm/")
        );
        assert_eq!(status_of(&server, id).await, SubmissionStatus::Unconfirmed);

        let confirmed = client.post(&link, &[("csrf", &page.csrf_token())]).await;
        assert_eq!(confirmed.status, 303);
        let token = server.submission_token(id);
        assert_eq!(confirmed.location(), format!("/s/{token}?notice=confirmed"));
        assert_eq!(status_of(&server, id).await, SubmissionStatus::Open);
        let shown = client.get(confirmed.location()).await;
        assert!(
            shown.body.contains("open: taking part in matching"),
            "{}",
            shown.body
        );

        // A second press of the button changes nothing.
        let again = client.post(&link, &[("csrf", &page.csrf_token())]).await;
        assert_eq!(again.status, 303);
        assert_eq!(again.location(), format!("/s/{token}"));
        assert_eq!(status_of(&server, id).await, SubmissionStatus::Open);
    }
);

on_both_backends!(
    with_moderation_a_confirmed_submission_waits_for_the_secretariat,
    |database| {
        let server = TestServer::start_with(database, &[("MOBMATCH_MODERATION", "true")]).await;
        let id = submit_offer(&server, "TKNIKA", "maria@tknika.example").await;
        let mut client = server.client();
        let link = confirmation_link(&server).await;
        let token = client.get(&link).await.csrf_token();
        assert_eq!(client.post(&link, &[("csrf", &token)]).await.status, 303);
        assert_eq!(status_of(&server, id).await, SubmissionStatus::Pending);

        server.set_admin_password().await;
        let mut admin = logged_in_admin(&server).await;
        let approved = admin
            .post_form(
                "/admin/submissions",
                &format!("/admin/submissions/{id}"),
                &[("action", "approve")],
            )
            .await;
        assert_eq!(approved.status, 303);
        assert_eq!(status_of(&server, id).await, SubmissionStatus::Open);
    }
);

on_both_backends!(
    an_unconfirmed_submission_expires_after_seven_days,
    |database| {
        let server = TestServer::start(database).await;
        let late = submit_offer(&server, "Late school", "late@school.example").await;
        let late_link = confirmation_link(&server).await;
        let swept = submit_offer(&server, "Swept school", "swept@school.example").await;
        server.advance(Duration::days(7) + Duration::minutes(1));

        let mut client = server.client();
        let page = client.get(&late_link).await;
        assert!(
            page.body.contains("was not confirmed within 7 days"),
            "{}",
            page.body
        );
        assert!(!page.body.contains("action=\"/confirm/"));
        let token = client.get("/submit").await.csrf_token();
        let pressed = client.post(&late_link, &[("csrf", &token)]).await;
        assert_eq!(pressed.status, 303);
        assert_eq!(status_of(&server, late).await, SubmissionStatus::Expired);

        let expired = mobmatch::web::expire_unconfirmed(&server.store, server.now())
            .await
            .unwrap();
        assert_eq!(expired, 1);
        assert_eq!(status_of(&server, swept).await, SubmissionStatus::Expired);
    }
);

#[tokio::test]
async fn an_invalid_form_comes_back_422_with_every_value_kept_and_errors_beside_fields() {
    let server = TestServer::start(TestDatabase::sqlite()).await;
    let mut client = server.client();
    let mut form = valid_offer("Escola d'Art", "not an address");
    form.retain(|(key, _)| *key != "participants" && *key != "latest_end");
    form.push(("participants", "many"));
    form.push(("latest_end", "2027-02-01"));
    let answer = client.post_form("/submit", "/submit", &form).await;
    assert_eq!(answer.status, 422);
    let body = &answer.body;
    assert!(body.contains("role=\"alert\""), "{body}");
    // Values kept: text, choosers, several choices.
    assert!(
        body.contains("value=\"Escola d&#x27;Art\"") || body.contains("value=\"Escola d&#39;Art\""),
        "{body}"
    );
    assert!(body.contains("value=\"many\""));
    assert!(body.contains("<option value=\"ES21\" selected>"));
    assert!(body.contains("<option value=\"0713\" selected>"));
    assert!(body.contains("<option value=\"0715\" selected>"));
    assert!(body.contains("id=\"f-role-receiving\" value=\"receiving\" checked"));
    assert!(body.contains(">Workshops in English</textarea>"));
    // Each error sits in its field, tied to the input.
    for key in ["contact_email", "participants", "latest_end"] {
        let error_block = format!("<div class=\"error\" id=\"{key}-error\">");
        assert!(body.contains(&error_block), "{key} in {body}");
        let input = body.find(&format!("id=\"f-{key}\"")).unwrap();
        let error = body.find(&error_block).unwrap();
        let field_start = body[..error].rfind("<div class=\"field").unwrap();
        assert!(
            field_start < error && error < input,
            "{key}: the error is beside its input"
        );
        assert!(
            body[input..]
                .split('>')
                .next()
                .unwrap()
                .contains("aria-invalid=\"true\"")
        );
    }
    assert!(
        server
            .store
            .submissions(&SubmissionFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(server.store.outbox(None).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_form_post_without_the_right_csrf_token_is_forbidden() {
    let server = TestServer::start(TestDatabase::sqlite()).await;
    server.set_admin_password().await;
    let offer = valid_offer("TKNIKA", "maria@tknika.example");
    let mut client = server.client();
    let page = client.get("/submit").await;
    let token = page.csrf_token();

    let missing = client.post("/submit", &offer).await;
    assert_eq!(missing.status, 403);
    assert!(missing.body.contains("came from another site"));

    let mut wrong = vec![(
        "csrf",
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    )];
    wrong.extend_from_slice(&offer);
    assert_eq!(client.post("/submit", &wrong).await.status, 403);

    // A token read by another browser does not fit this browser's cookie.
    let mut other_browser = server.client();
    let mut stolen = vec![("csrf", token.as_str())];
    stolen.extend_from_slice(&offer);
    assert_eq!(other_browser.post("/submit", &stolen).await.status, 403);
    // Nor does a right token without its cookie.
    client.forget_cookies();
    assert_eq!(client.post("/submit", &stolen).await.status, 403);

    for path in [
        "/report",
        "/admin/login",
        "/confirm/s1-00000000000000000000",
    ] {
        assert_eq!(
            client
                .post(path, &[("password", ADMIN_PASSWORD)])
                .await
                .status,
            403,
            "{path}"
        );
    }
    assert!(
        server
            .store
            .submissions(&SubmissionFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
}

const PAYLOAD: &str = "<script>alert(\"x\")</script>'&";

fn assert_escaped(page: &str, where_: &str) {
    assert!(
        !page.contains("<script>"),
        "raw payload on {where_}:\n{page}"
    );
    assert!(
        !page.contains("alert(\"x\")"),
        "unescaped quotes on {where_}"
    );
}

#[tokio::test]
async fn markup_in_any_field_comes_back_escaped_on_every_page_that_shows_it() {
    let server = TestServer::start(TestDatabase::sqlite()).await;
    server.set_admin_password().await;
    let mut client = server.client();

    // Every field of both forms, all wrong: the 422 pages echo them.
    let keys = [
        "role",
        "organisation",
        "contact_name",
        "contact_email",
        "region",
        "mobility_type",
        "fields",
        "participants",
        "fewer_opportunities",
        "inclusion_support",
        "earliest_start",
        "latest_end",
        "duration",
        "languages",
        "partner_countries",
        "notes",
    ];
    let all_bad: Vec<(&str, &str)> = keys.iter().map(|key| (*key, PAYLOAD)).collect();
    let answer = client.post_form("/submit", "/submit", &all_bad).await;
    assert_eq!(answer.status, 422);
    assert_escaped(&answer.body, "/submit");
    assert!(answer.body.contains("&lt;script&gt;"));
    let report_keys = [
        "sending_organisation",
        "sending_region",
        "receiving_organisation",
        "receiving_region",
        "receiving_country",
        "mobility_type",
        "participants",
        "fewer_opportunities",
        "start_date",
        "end_date",
        "status",
        "introduction",
    ];
    let all_bad: Vec<(&str, &str)> = report_keys.iter().map(|key| (*key, PAYLOAD)).collect();
    let answer = client.post_form("/report", "/report", &all_bad).await;
    assert_eq!(answer.status, 422);
    assert_escaped(&answer.body, "/report");

    // Stored free text, shown on the token page and in the admin.
    let mut offer = valid_offer(PAYLOAD, "maria@tknika.example");
    for (key, value) in offer.iter_mut() {
        if *key == "contact_name" || *key == "notes" {
            *value = PAYLOAD;
        }
    }
    let answer = client.post_form("/submit", "/submit", &offer).await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let token = server.submission_token(1);
    let page = client.get(&format!("/s/{token}")).await;
    assert_escaped(&page.body, "/s/{token}");
    assert!(
        page.body.contains("<dd>&lt;script&gt;alert(&quot;x&quot;)"),
        "{}",
        page.body
    );
    let mut admin = logged_in_admin(&server).await;
    for path in [
        "/admin/submissions",
        "/admin/submissions?q=%3Cscript%3E",
        "/admin/outbox?status=all",
    ] {
        let page = admin.get(path).await;
        assert_eq!(page.status, 200, "{path}");
        assert_escaped(&page.body, path);
    }

    // A rejected email with markup, in the inbound log and its raw source.
    let raw = format!(
        "From: {PAYLOAD} <a@b.example>\r\nTo: matchmaking@example.org\r\nSubject: {PAYLOAD}\r\nMessage-ID: <xss@b.example>\r\n\r\nRole: {PAYLOAD}\r\nOrganisation: {PAYLOAD}\r\n"
    );
    mobmatch::mail::ingest_message(
        &server.store,
        &server.mail_rules(),
        "xss.eml",
        raw.as_bytes(),
        server.now(),
    )
    .await
    .unwrap();
    for path in ["/admin/inbound", "/admin/inbound/1"] {
        let page = admin.get(path).await;
        assert_eq!(page.status, 200, "{path}");
        assert_escaped(&page.body, path);
    }
}

async fn logged_in_admin(server: &TestServer) -> super::http::Client {
    let mut admin = server.client();
    let answer = admin
        .post_form(
            "/admin/login",
            "/admin/login",
            &[("password", ADMIN_PASSWORD)],
        )
        .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert_eq!(answer.location(), "/admin");
    admin
}

#[tokio::test]
async fn admin_pages_without_a_login_redirect_to_the_login_page() {
    let server = TestServer::start(TestDatabase::sqlite()).await;
    server.set_admin_password().await;
    let mut client = server.client();
    for path in [
        "/admin",
        "/admin/submissions",
        "/admin/inbound",
        "/admin/inbound/1",
        "/admin/outbox",
        "/admin/rounds",
        "/admin/introductions",
        "/admin/mobilities",
        "/admin/outreach",
    ] {
        let answer = client.get(path).await;
        assert_eq!(answer.status, 303, "{path}");
        assert_eq!(answer.location(), "/admin/login", "{path}");
    }
    let token = client.get("/admin/login").await.csrf_token();
    for path in [
        "/admin/submissions/1",
        "/admin/outbox/1/retry",
        "/admin/rounds/run",
        "/admin/rounds/preview",
    ] {
        let answer = client
            .post(path, &[("csrf", &token), ("action", "withdraw")])
            .await;
        assert_eq!(answer.status, 303, "{path}");
        assert_eq!(answer.location(), "/admin/login", "{path}");
    }
    // A forged or outdated session is no session.
    client.set_cookie("mobmatch_admin", "99999999999.00");
    assert_eq!(client.get("/admin").await.location(), "/admin/login");
    let mut admin = logged_in_admin(&server).await;
    let session = admin.cookie("mobmatch_admin").unwrap().to_owned();
    assert_eq!(admin.get("/admin").await.status, 200);
    server.advance(Duration::hours(13));
    assert_eq!(admin.get("/admin").await.status, 303);
    // Logging out ends the session in the browser.
    let mut admin = logged_in_admin(&server).await;
    let token = admin.get("/admin").await.csrf_token();
    assert_eq!(
        admin
            .post("/admin/logout", &[("csrf", &token)])
            .await
            .status,
        303
    );
    assert!(admin.cookie("mobmatch_admin").is_none());
    assert_ne!(session, "");
}

#[tokio::test]
async fn login_refuses_a_wrong_password_and_limits_attempts() {
    let server = TestServer::start(TestDatabase::sqlite()).await;
    let mut client = server.client();
    let page = client.get("/admin/login").await;
    assert!(page.body.contains("mobmatch admin-password"));
    server.set_admin_password().await;
    for _ in 0..5 {
        let answer = client
            .post_form(
                "/admin/login",
                "/admin/login",
                &[("password", "not the password")],
            )
            .await;
        assert_eq!(answer.status, 401);
        assert!(answer.body.contains("That password is not right"));
        assert!(client.cookie("mobmatch_admin").is_none());
    }
    let limited = client
        .post_form(
            "/admin/login",
            "/admin/login",
            &[("password", ADMIN_PASSWORD)],
        )
        .await;
    assert_eq!(limited.status, 429);
    server.advance(Duration::minutes(1));
    let answer = client
        .post_form(
            "/admin/login",
            "/admin/login",
            &[("password", ADMIN_PASSWORD)],
        )
        .await;
    assert_eq!(answer.status, 303);
    let cookie = answer.header("set-cookie").unwrap();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/admin"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
}

on_both_backends!(get_on_a_token_link_never_changes_a_submission, |database| {
    let server = TestServer::start(database).await;
    let id = submit_offer(&server, "TKNIKA", "maria@tknika.example").await;
    let token = server.submission_token(id);
    let before = server
        .store
        .submission(SubmissionId::new(id))
        .await
        .unwrap();
    let mut client = server.client();
    for path in [
        format!("/confirm/{token}"),
        format!("/s/{token}"),
        format!("/s/{token}?action=withdraw"),
        format!("/s/{token}?action=update&participants=9"),
        format!("/confirm/{token}?csrf=x"),
    ] {
        let answer = client.get(&path).await;
        assert_eq!(answer.status, 200, "{path}");
    }
    let after = server
        .store
        .submission(SubmissionId::new(id))
        .await
        .unwrap();
    assert_eq!(after, before);
});

on_both_backends!(
    the_token_page_edits_and_withdraws_a_submission,
    |database| {
        let server = TestServer::start(database).await;
        let id = submit_offer(&server, "TKNIKA", "maria@tknika.example").await;
        let page = format!("/s/{}", server.submission_token(id));
        let mut client = server.client();
        let shown = client.get(&page).await;
        assert!(shown.body.contains("value=\"TKNIKA\""));
        assert!(shown.body.contains("<option value=\"0715\" selected>"));

        let mut changed = valid_offer("TKNIKA", "maria@tknika.example");
        changed.retain(|(key, _)| *key != "participants");
        changed.push(("participants", "6"));
        changed.push(("action", "update"));
        let saved = client.post_form(&page, &page, &changed).await;
        assert_eq!(saved.status, 303, "{}", saved.body);
        assert_eq!(saved.location(), format!("{page}?notice=saved"));
        let stored = server
            .store
            .submission(SubmissionId::new(id))
            .await
            .unwrap();
        assert_eq!(stored.details.participants, 6);
        assert_eq!(stored.status, SubmissionStatus::Unconfirmed);

        changed.push(("participants", "7"));
        let refused = client.post_form(&page, &page, &changed).await;
        assert_eq!(refused.status, 422);
        assert!(refused.body.contains("is given twice"), "{}", refused.body);

        let withdrawn = client
            .post_form(&page, &page, &[("action", "withdraw")])
            .await;
        assert_eq!(withdrawn.status, 303);
        assert_eq!(status_of(&server, id).await, SubmissionStatus::Withdrawn);
        let closed = client.post_form("/submit", &page, &changed).await;
        assert_eq!(closed.status, 409);
        assert!(closed.body.contains("can no longer change"));
        assert_eq!(status_of(&server, id).await, SubmissionStatus::Withdrawn);
    }
);

#[tokio::test]
async fn a_link_with_a_tampered_token_is_not_valid() {
    let server = TestServer::start(TestDatabase::sqlite()).await;
    let id = submit_offer(&server, "TKNIKA", "maria@tknika.example").await;
    let token = server.submission_token(id);
    let tampered = token.replacen(&format!("s{id}-"), &format!("s{}-", id + 1), 1);
    let mut client = server.client();
    for path in [
        format!("/s/{tampered}"),
        format!("/confirm/{tampered}"),
        "/s/nonsense".to_owned(),
        format!("/s/{}", server.submission_token(99)),
    ] {
        let answer = client.get(&path).await;
        assert_eq!(answer.status, 404, "{path}");
        assert!(answer.body.contains("This link is not valid"), "{path}");
    }
}

#[tokio::test]
async fn a_mobility_report_is_recorded_from_the_form() {
    let server = TestServer::start(TestDatabase::sqlite()).await;
    let mut client = server.client();
    let report = [
        ("sending_organisation", "Västra Götalandsregionen"),
        ("sending_region", "SE23"),
        ("receiving_organisation", "TKNIKA"),
        ("receiving_region", "ES21"),
        ("receiving_country", ""),
        ("mobility_type", "staff_job_shadowing"),
        ("participants", "5"),
        ("fewer_opportunities", "1"),
        ("start_date", "2026-10-05"),
        ("end_date", "2026-10-09"),
        ("status", "completed"),
        ("introduction", ""),
    ];
    let answer = client.post_form("/report", "/report", &report).await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert_eq!(answer.location(), "/reported?reference=M-1");
    let thanks = client.get(answer.location()).await;
    assert!(thanks.body.contains("<strong>M-1</strong>"));
    let mobilities = server.store.mobilities(&Default::default()).await.unwrap();
    assert_eq!(mobilities.len(), 1);
    assert_eq!(mobilities[0].source, Source::Web);
    assert_eq!(mobilities[0].details.participants, 5);

    let mut unknown = report.to_vec();
    unknown.retain(|(key, _)| *key != "introduction");
    unknown.push(("introduction", "I-42"));
    let answer = client.post_form("/report", "/report", &unknown).await;
    assert_eq!(answer.status, 422);
    assert!(answer.body.contains("is not an introduction of ours"));
}

#[tokio::test]
async fn form_posts_are_limited_per_client_and_mails_per_address() {
    let server = TestServer::start_with(
        TestDatabase::sqlite(),
        &[
            ("MOBMATCH_WEB__PUBLIC_POSTS_PER_MINUTE", "3"),
            ("MOBMATCH_MAIL__REPLY_LIMIT_PER_HOUR", "2"),
        ],
    )
    .await;
    let mut client = server.client();
    let offer = valid_offer("TKNIKA", "maria@tknika.example");
    let token = client.get("/submit").await.csrf_token();
    let mut form = vec![("csrf", token.as_str())];
    form.extend_from_slice(&offer);
    assert_eq!(client.post("/submit", &form).await.status, 303);
    assert_eq!(client.post("/submit", &form).await.status, 303);
    let third = client.post("/submit", &form).await;
    assert_eq!(third.status, 429);
    assert!(
        third
            .body
            .contains("several emails to this contact address"),
        "{}",
        third.body
    );
    let fourth = client.post("/submit", &form).await;
    assert_eq!(fourth.status, 429);
    assert!(fourth.body.contains("Too many attempts"));
    assert_eq!(
        server
            .store
            .submissions(&SubmissionFilter::default())
            .await
            .unwrap()
            .len(),
        2
    );
    server.advance(Duration::minutes(1));
    assert_eq!(client.post("/submit", &form).await.status, 429);
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let server = TestServer::start(TestDatabase::sqlite()).await;
    let mut client = server.client();
    for path in [
        "/",
        "/submit",
        "/report",
        "/s/nonsense",
        "/no-such-page",
        "/healthz",
        "/admin/login",
    ] {
        let answer = client.get(path).await;
        let policy = answer.header("content-security-policy").unwrap_or_default();
        assert!(
            policy.contains("default-src 'none'") && !policy.contains("unsafe-inline"),
            "{path}"
        );
        assert!(policy.contains("frame-ancestors 'none'"), "{path}");
        assert_eq!(
            answer.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(answer.header("x-frame-options"), Some("DENY"), "{path}");
        assert_eq!(
            answer.header("referrer-policy"),
            Some("no-referrer"),
            "{path}"
        );
        assert!(!answer.body.contains("<script"), "{path}");
    }
    let csrf_cookie = client.get("/submit").await;
    assert!(client.cookie("mobmatch_csrf").is_some());
    assert!(
        csrf_cookie.body.contains("secretariat@earlall.example"),
        "the privacy line names whom to write to"
    );

    let mut oversized = server.client();
    let token = oversized.get("/submit").await.csrf_token();
    let notes = "x".repeat(70 * 1024);
    let answer = oversized
        .post("/submit", &[("csrf", &token), ("notes", &notes)])
        .await;
    assert_eq!(answer.status, 413);
    assert!(!answer.body.to_lowercase().contains("sqlx"));
}

#[tokio::test]
async fn health_and_metrics_report_the_database_and_the_requests() {
    let server = TestServer::start(TestDatabase::sqlite()).await;
    let mut client = server.client();
    let health = client.get("/healthz").await;
    assert_eq!(health.status, 200);
    assert_eq!(health.body, "ok\n");
    submit_offer(&server, "TKNIKA", "maria@tknika.example").await;
    client.get("/s/nonsense").await;
    let metrics = client.get("/metrics").await;
    assert_eq!(metrics.status, 200);
    assert!(
        metrics
            .header("content-type")
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    for line in [
        "mobmatch_http_requests_total{method=\"GET\",route=\"/submit\",status=\"200\"} 1",
        "mobmatch_http_requests_total{method=\"POST\",route=\"/submit\",status=\"303\"} 1",
        "mobmatch_http_requests_total{method=\"GET\",route=\"/s/{token}\",status=\"404\"} 1",
        "mobmatch_http_request_duration_seconds_count{method=\"POST\",route=\"/submit\"} 1",
        "mobmatch_outbox_messages{status=\"queued\"} 1",
        "mobmatch_rounds_total 0",
    ] {
        assert!(
            metrics.body.lines().any(|written| written == line),
            "{line} in\n{}",
            metrics.body
        );
    }
}

#[tokio::test]
async fn the_page_language_follows_the_browser_and_the_switch() {
    let server = TestServer::start(TestDatabase::sqlite()).await;
    let mut swedish = server
        .client()
        .with_accept_language("sv-SE,sv;q=0.9,en;q=0.5");
    let page = swedish.get("/submit").await;
    assert!(page.body.contains("<html lang=\"sv\">"));
    assert!(page.body.contains("Erbjud eller efterfråga en mobilitet"));
    assert!(
        page.body.contains(">Utbildningsområden <"),
        "labels from the forms' table"
    );
    let page = swedish.get("/submit?lang=de").await;
    assert!(page.body.contains("<html lang=\"de\">"));
    let page = swedish.get("/report").await;
    assert!(
        page.body.contains("<html lang=\"de\">"),
        "the switch is remembered"
    );
    let errors = swedish
        .post_form("/submit", "/submit", &[("role", "sending")])
        .await;
    assert_eq!(errors.status, 422);
    assert!(errors.body.contains("Bitte korrigieren Sie"));
}

#[tokio::test]
async fn the_admin_shows_the_inbound_log_and_retries_failed_mail() {
    let server = TestServer::start(TestDatabase::sqlite()).await;
    server.set_admin_password().await;
    let raw = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/mail/13_rejected_many_errors.eml"),
    )
    .unwrap();
    mobmatch::mail::ingest_message(
        &server.store,
        &server.mail_rules(),
        "13.eml",
        &raw,
        server.now(),
    )
    .await
    .unwrap();
    let mut admin = logged_in_admin(&server).await;
    let log = admin.get("/admin/inbound").await;
    assert_eq!(log.status, 200);
    assert!(log.body.contains("rejected"));
    assert!(log.body.contains("<a href=\"/admin/inbound/1\">"));
    let message = admin.get("/admin/inbound/1").await;
    assert!(message.body.contains("Raw source"));
    assert!(message.body.contains("Message-ID"));

    // The answer to that message fails for good; the secretariat sends it again.
    let outbox = server.store.outbox(None).await.unwrap();
    let mut transaction = server.store.begin().await.unwrap();
    transaction
        .record_delivery_attempt(
            outbox[0].id,
            &mobmatch::store::DeliveryAttempt {
                at: server.now(),
                result: mobmatch::store::DeliveryResult::Failed,
                answer: Some("550 5.1.1 mailbox unknown".to_owned()),
            },
        )
        .await
        .unwrap();
    transaction.commit().await.unwrap();
    let page = admin.get("/admin/outbox").await;
    assert!(page.body.contains("550 5.1.1 mailbox unknown"));
    let retried = admin
        .post_form(
            "/admin/outbox",
            &format!("/admin/outbox/{}/retry", outbox[0].id),
            &[],
        )
        .await;
    assert_eq!(retried.status, 303);
    assert_eq!(
        server
            .store
            .outbox(Some(OutboxStatus::Queued))
            .await
            .unwrap()
            .len(),
        1
    );
    let again = admin
        .post_form(
            "/admin/outbox?status=all",
            &format!("/admin/outbox/{}/retry", outbox[0].id),
            &[],
        )
        .await;
    assert_eq!(again.status, 400);

    let dashboard = admin.get("/admin").await;
    assert!(dashboard.body.contains("open offers"));
    let preview = admin
        .post_form("/admin/rounds", "/admin/rounds/preview", &[])
        .await;
    assert_eq!(preview.status, 200);
    assert!(preview.body.contains("Dry run: 0 introductions"));
    let run = admin
        .post_form("/admin/rounds", "/admin/rounds/run", &[])
        .await;
    assert_eq!(run.status, 303);
    assert!(admin.get("/admin/rounds").await.body.contains("R-1"));
}

#[tokio::test]
async fn the_admin_uploads_population_figures_and_writes_and_downloads_a_report() {
    let reports = tempfile::tempdir().unwrap();
    let reports_dir = reports.path().display().to_string();
    let server = TestServer::start_with(
        TestDatabase::sqlite(),
        &[("MOBMATCH_REPORTS__DIR", reports_dir.as_str())],
    )
    .await;
    server.set_admin_password().await;
    let mut admin = logged_in_admin(&server).await;

    let token = admin.get("/admin/reports").await.csrf_token();
    let csv = "region,year,vet_learners\nES21,2026,50000\nXX99,2026,10\n";
    let uploaded = admin
        .post_multipart(
            "/admin/population",
            &[("csrf", &token)],
            ("population", "population.csv", csv),
        )
        .await;
    assert_eq!(uploaded.status, 422, "{}", uploaded.body);
    assert!(
        uploaded
            .body
            .contains("2 rows read; 1 imported, 0 replaced, 1 rejected"),
        "{}",
        uploaded.body
    );
    assert!(
        uploaded.body.contains("line 3: region"),
        "{}",
        uploaded.body
    );
    assert_eq!(server.store.population().await.unwrap().len(), 1);
    let without_token = admin
        .post_multipart(
            "/admin/population",
            &[],
            ("population", "population.csv", csv),
        )
        .await;
    assert_eq!(without_token.status, 403);

    let mut reporter = server.client();
    let reported = reporter
        .post_form(
            "/report",
            "/report",
            &[
                ("sending_organisation", "TKNIKA"),
                ("sending_region", "ES21"),
                ("receiving_country", "SE"),
                ("mobility_type", "vet_learner"),
                ("participants", "6"),
                ("fewer_opportunities", "2"),
                ("start_date", "2026-10-05"),
                ("end_date", "2026-10-30"),
                ("status", "completed"),
            ],
        )
        .await;
    assert_eq!(reported.status, 303, "{}", reported.body);
    let written = admin
        .post_form(
            "/admin/reports",
            "/admin/reports/regenerate",
            &[("month", "2026-10")],
        )
        .await;
    assert_eq!(written.status, 303, "{}", written.body);
    let page = admin.get("/admin/reports").await;
    assert!(page.body.contains("<h2>2026-10</h2>"));
    assert!(
        page.body
            .contains("href=\"/admin/reports/2026-10/targets.csv\"")
    );
    assert!(page.body.contains("<img src=\"/admin/reports/2026-10/"));
    let dashboard = admin.get("/admin").await;
    assert!(dashboard.body.contains("Charts of the report of 2026-10"));
    assert!(
        dashboard
            .body
            .contains("<img src=\"/admin/reports/2026-10/")
    );
    let targets = admin.get("/admin/reports/2026-10/targets.csv").await;
    assert_eq!(targets.status, 200);
    assert!(
        targets
            .header("content-disposition")
            .unwrap()
            .starts_with("attachment")
    );
    assert!(targets.body.contains("ES21"), "{}", targets.body);
    for path in [
        "/admin/reports/2026-10/..%2F..%2Fmobmatch.db",
        "/admin/reports/2026-10/.hidden",
        "/admin/reports/2026-13/targets.csv",
        "/admin/reports/2026-10/missing.csv",
    ] {
        assert_eq!(admin.get(path).await.status, 404, "{path}");
    }
}

on_both_backends!(
    concurrent_submissions_are_each_stored_once_within_the_mail_limit,
    |database| {
        let server = TestServer::start_with(
            database,
            &[
                ("MOBMATCH_MAIL__REPLY_LIMIT_PER_HOUR", "3"),
                ("MOBMATCH_WEB__PUBLIC_POSTS_PER_MINUTE", "100"),
            ],
        )
        .await;
        let mut posts = Vec::new();
        for number in 0..24 {
            let mut client = server.client();
            // Every third submission names one shared address, the others their own.
            let email = if number % 3 == 0 {
                "shared@school.example".to_owned()
            } else {
                format!("school{number}@school.example")
            };
            posts.push(tokio::spawn(async move {
                let offer = valid_offer("Concurrent school", &email);
                client.post_form("/submit", "/submit", &offer).await.status
            }));
        }
        let mut statuses = Vec::new();
        for post in posts {
            statuses.push(post.await.unwrap());
        }
        assert_eq!(
            statuses.iter().filter(|status| **status == 303).count(),
            16 + 3,
            "{statuses:?}"
        );
        assert_eq!(statuses.iter().filter(|status| **status == 429).count(), 5);
        let stored = server
            .store
            .submissions(&SubmissionFilter::default())
            .await
            .unwrap();
        assert_eq!(stored.len(), 19);
        assert_eq!(server.store.outbox(None).await.unwrap().len(), 19);
    }
);

on_both_backends!(
    an_introduction_is_answered_on_its_page_by_post_only,
    |database| {
        use mobmatch::domain::{Answer, IntroductionStatus, Role};
        use mobmatch::mail::token::{self, TokenSubject};

        let server = TestServer::start(database).await;
        let offer = submit_offer(&server, "TKNIKA", "maria@tknika.example").await;
        let mut client = server.client();
        let link = confirmation_link(&server).await;
        let token = client.get(&link).await.csrf_token();
        client.post(&link, &[("csrf", &token)]).await;
        assert_eq!(status_of(&server, offer).await, SubmissionStatus::Open);
        crate::web::open_matching_request(&server).await;
        let round = mobmatch::round::run_round(
            &server.store,
            &server.config.matching,
            &mobmatch::introductions::IntroductionSettings::from_config(&server.config),
            server.now(),
            server.now().date_naive(),
            mobmatch::round::RoundMode::Record,
        )
        .await
        .unwrap();
        let introduction = round.stored.unwrap().introductions[0];
        let page_of = |side| {
            let token = token::sign(
                TokenSubject::Introduction {
                    id: introduction,
                    side,
                },
                "web test secret",
            );
            format!("/i/{token}")
        };
        let host_page = page_of(Role::Receiving);
        let stored = || async {
            server
                .store
                .introductions(&Default::default())
                .await
                .unwrap()
                .into_iter()
                .find(|stored| stored.id == introduction)
                .unwrap()
        };
        let before = stored().await;
        for path in [host_page.clone(), format!("{host_page}?answer=accept")] {
            let page = client.get(&path).await;
            assert_eq!(page.status, 200);
            assert!(
                page.body.contains("Västra Götalandsregionen"),
                "{}",
                page.body
            );
            assert!(page.body.contains("name=\"answer\" value=\"accept\""));
        }
        assert_eq!(stored().await, before, "GET changes nothing");

        let accepted = client
            .post_form(&host_page, &host_page, &[("answer", "accept")])
            .await;
        assert_eq!(accepted.status, 303, "{}", accepted.body);
        assert_eq!(accepted.location(), format!("{host_page}?notice=recorded"));
        let after = stored().await;
        assert_eq!(
            after.host_answer.map(|answer| answer.answer),
            Some(Answer::Accept)
        );
        assert_eq!(after.status, IntroductionStatus::Introduced);
        let page = client.get(accepted.location()).await;
        assert!(page.body.contains("your answer is recorded"));
        assert!(
            !page.body.contains("name=\"answer\""),
            "answered once, no buttons"
        );
        let again = client
            .post_form("/submit", &host_page, &[("answer", "decline")])
            .await;
        assert_eq!(again.location(), format!("{host_page}?notice=unchanged"));
        assert_eq!(
            stored().await.host_answer.map(|answer| answer.answer),
            Some(Answer::Accept)
        );

        let sender_page = page_of(Role::Sending);
        let both = client
            .post_form(&sender_page, &sender_page, &[("answer", "accept")])
            .await;
        assert_eq!(both.status, 303);
        assert_eq!(stored().await.status, IntroductionStatus::Accepted);
        assert_eq!(
            server
                .store
                .mobilities(&Default::default())
                .await
                .unwrap()
                .len(),
            1
        );

        let tampered = host_page.replacen(
            &format!("i{}h-", introduction.get()),
            &format!("i{}s-", introduction.get()),
            1,
        );
        assert_eq!(client.get(&tampered).await.status, 404);
    }
);

#[tokio::test]
async fn withdrawing_on_the_token_page_declines_the_waiting_introductions() {
    let server = TestServer::start(TestDatabase::sqlite()).await;
    let offer = submit_offer(&server, "TKNIKA", "maria@tknika.example").await;
    let mut client = server.client();
    let link = confirmation_link(&server).await;
    let token = client.get(&link).await.csrf_token();
    client.post(&link, &[("csrf", &token)]).await;
    crate::web::open_matching_request(&server).await;
    mobmatch::round::run_round(
        &server.store,
        &server.config.matching,
        &mobmatch::introductions::IntroductionSettings::from_config(&server.config),
        server.now(),
        server.now().date_naive(),
        mobmatch::round::RoundMode::Record,
    )
    .await
    .unwrap();
    let page = format!("/s/{}", server.submission_token(offer));
    let withdrawn = client
        .post_form(&page, &page, &[("action", "withdraw")])
        .await;
    assert_eq!(withdrawn.status, 303);
    let introductions = server
        .store
        .introductions(&Default::default())
        .await
        .unwrap();
    assert_eq!(introductions.len(), 1);
    assert_eq!(
        introductions[0].status,
        mobmatch::domain::IntroductionStatus::Declined
    );
}

on_both_backends!(
    the_unsubscribe_link_shows_a_page_and_only_its_one_click_post_unsubscribes,
    |database| {
        use mobmatch::domain::EmailAddress;
        use mobmatch::mail::token::{self, TokenSubject};
        use mobmatch::privacy::address_sha256;

        let server = TestServer::start(database).await;
        let address = EmailAddress::parse("mikel@tknika.example").unwrap();
        let hash = address_sha256(&address);
        let mut transaction = server.store.begin().await.unwrap();
        let row = transaction.outreach_address(&hash).await.unwrap();
        transaction.commit().await.unwrap();
        let link = format!(
            "/unsubscribe/{}",
            token::sign(TokenSubject::Unsubscribe(row.id), "web test secret")
        );

        // Mail scanners open the link: that changes nothing.
        let mut client = server.client();
        let page = client.get(&link).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(
            page.body.contains("<button type=\"submit\">Unsubscribe"),
            "{}",
            page.body
        );
        assert_eq!(server.store.unsubscribed_at(&hash).await.unwrap(), None);

        // A mail client's RFC 8058 one-click POST carries no cookie and no CSRF token.
        let mut mail_client = server.client();
        let done = mail_client
            .post(&link, &[("List-Unsubscribe", "One-Click")])
            .await;
        assert_eq!(done.status, 200, "{}", done.body);
        assert!(done.body.contains("You are unsubscribed"), "{}", done.body);
        assert!(server.store.unsubscribed_at(&hash).await.unwrap().is_some());
        let again = server
            .client()
            .post(&link, &[("List-Unsubscribe", "One-Click")])
            .await;
        assert!(
            again.body.contains("already unsubscribed"),
            "{}",
            again.body
        );

        // The secretariat sees the count, and looks the address up by its hash.
        server.set_admin_password().await;
        let mut admin = logged_in_admin(&server).await;
        let page = admin.get("/admin/outreach").await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(
            page.body.contains("<strong>1</strong> unsubscribed"),
            "{}",
            page.body
        );
        let looked_up = admin
            .get("/admin/outreach?address=Mikel%40TKNIKA.example")
            .await;
        assert!(
            looked_up.body.contains("<dt>Unsubscribed</dt><dd>20"),
            "{}",
            looked_up.body
        );
        let other = admin
            .get("/admin/outreach?address=ana%40other.example")
            .await;
        assert!(
            other.body.contains("<dt>Unsubscribed</dt><dd>no</dd>"),
            "{}",
            other.body
        );
        let malformed = admin.get("/admin/outreach?address=not-an-address").await;
        assert!(
            malformed.body.contains("role=\"alert\""),
            "{}",
            malformed.body
        );

        // An altered token, or a token of something else, is not an unsubscribe link.
        let (kept, last) = link.split_at(link.len() - 1);
        let altered = format!("{kept}{}", if last == "0" { "1" } else { "0" });
        let submission_link = format!("/unsubscribe/{}", server.submission_token(1));
        for bad in [altered, submission_link] {
            assert_eq!(server.client().get(&bad).await.status, 404, "{bad}");
            assert_eq!(
                server
                    .client()
                    .post(&bad, &[("List-Unsubscribe", "One-Click")])
                    .await
                    .status,
                404,
                "{bad}"
            );
        }
    }
);

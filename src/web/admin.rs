//! The secretariat's pages, behind a password (`mobmatch admin-password` stores its
//! argon2 hash) and a signed session cookie: dashboard, submissions (search, moderation,
//! withdrawal), rounds (dry run, run now), introductions, mobilities, the outbox (retry
//! of failed mail) and the inbound log (errors and raw source). In English: the
//! secretariat works in it.

use std::collections::BTreeMap;

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::{DateTime, Datelike, Duration, Utc};
use minijinja::value::Serde;
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};

use super::pages::{Visitor, see_other};
use super::public::submission_token;
use super::security::{SESSION_COOKIE, SESSION_HOURS, cookies, set_cookie};
use super::{SharedState, WebError};
use crate::domain::{
    EmailAddress, IntroductionStatus, Role, Submission, SubmissionId, SubmissionStatus,
};
use crate::forms::FormLanguage;
use crate::introductions;
use crate::privacy::address_sha256;
use crate::round::{RoundMode, run_round};
use crate::store::{
    InboundMessageId, IntroductionFilter, MobilityFilter, OutboxMessageId, OutboxStatus,
    StoreError, SubmissionFilter,
};

/// A password shorter than this is refused.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// The inbound log shows this many of the latest messages.
const INBOUND_LOG_LENGTH: u32 = 200;

#[derive(Debug, thiserror::Error)]
pub enum AdminPasswordError {
    #[error("the password has {0} characters; choose one of at least {MIN_PASSWORD_CHARS}")]
    TooShort(usize),
    #[error("cannot hash the password: {0}")]
    Hash(String),
}

/// The argon2id hash of `password`, in PHC format, with a fresh salt.
pub fn hash_admin_password(password: &str) -> Result<String, AdminPasswordError> {
    let length = password.chars().count();
    if length < MIN_PASSWORD_CHARS {
        return Err(AdminPasswordError::TooShort(length));
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| AdminPasswordError::Hash(error.to_string()))
}

fn password_matches(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/admin/login", get(login_page).post(login))
        .route("/admin/logout", post(logout))
        .route("/admin", get(dashboard))
        .route("/admin/submissions", get(submissions))
        .route("/admin/submissions/{id}", post(change_submission))
        .route("/admin/inbound", get(inbound_log))
        .route("/admin/inbound/{id}", get(inbound_message))
        .route("/admin/outbox", get(outbox))
        .route("/admin/outbox/{id}/retry", post(retry_outbox))
        .route("/admin/rounds", get(rounds))
        .route("/admin/rounds/preview", post(preview_round))
        .route("/admin/rounds/run", post(run_round_now))
        .route("/admin/introductions", get(introductions))
        .route("/admin/mobilities", get(mobilities))
        .route("/admin/outreach", get(outreach))
}

/// A request from a logged-in secretariat; without a valid session the request is
/// answered with a redirect to the login page.
pub(super) struct Admin;

impl FromRequestParts<SharedState> for Admin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &SharedState) -> Result<Admin, Response> {
        let cookie = cookies(&parts.headers).remove(SESSION_COOKIE);
        let hash = state
            .store
            .admin_password_hash()
            .await
            .map_err(|error| WebError::from(error).into_response())?;
        match (cookie, hash) {
            (Some(cookie), Some(hash))
                if state.signer.session_is_valid(&cookie, &hash, state.now()) =>
            {
                Ok(Admin)
            }
            _ => Err(see_other("/admin/login")),
        }
    }
}

/// Admin pages are written in English, whatever the browser asks for.
pub(super) fn admin_page(
    state: &SharedState,
    visitor: &Visitor,
    status: StatusCode,
    template: &str,
    context: minijinja::Value,
) -> Result<Response, WebError> {
    visitor.page_in(
        state,
        FormLanguage::En,
        status,
        template,
        context! { admin => true, ..context },
    )
}

async fn login_page(
    State(state): State<SharedState>,
    visitor: Visitor,
) -> Result<Response, WebError> {
    let password_set = state.store.admin_password_hash().await?.is_some();
    admin_page(
        &state,
        &visitor,
        StatusCode::OK,
        "admin/login.html",
        context! { password_set, failed => false },
    )
}

async fn login(
    State(state): State<SharedState>,
    visitor: Visitor,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    visitor.check_csrf(&state, &pairs)?;
    if !state.login_attempts.allow(visitor.client, state.now()) {
        return Err(WebError::TooManyRequests(FormLanguage::En));
    }
    let password = pairs
        .iter()
        .find(|(key, _)| key == "password")
        .map(|(_, value)| value.clone())
        .unwrap_or_default();
    let Some(hash) = state.store.admin_password_hash().await? else {
        return admin_page(
            &state,
            &visitor,
            StatusCode::UNAUTHORIZED,
            "admin/login.html",
            context! { password_set => false, failed => false },
        );
    };
    let verified_hash = hash.clone();
    // Argon2 takes tens of milliseconds of CPU by design: off the async workers.
    let matches = tokio::task::spawn_blocking(move || password_matches(&password, &verified_hash))
        .await
        .unwrap_or(false);
    if !matches {
        return admin_page(
            &state,
            &visitor,
            StatusCode::UNAUTHORIZED,
            "admin/login.html",
            context! { password_set => true, failed => true },
        );
    }
    let expires = state.now() + Duration::hours(SESSION_HOURS);
    let mut response = see_other("/admin");
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            SESSION_COOKIE,
            &state.signer.session_value(expires, &hash),
            "/admin",
            Some(SESSION_HOURS * 3600),
            state.secure_cookies,
        ),
    );
    Ok(response)
}

async fn logout(
    State(state): State<SharedState>,
    visitor: Visitor,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    visitor.check_csrf(&state, &pairs)?;
    let mut response = see_other("/admin/login");
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", "/admin", Some(0), state.secure_cookies),
    );
    Ok(response)
}

#[derive(Serialize)]
struct Count {
    name: String,
    count: usize,
}

fn counts<T>(items: &[T], name: impl Fn(&T) -> String) -> Vec<Count> {
    let mut by_name: BTreeMap<String, usize> = BTreeMap::new();
    for item in items {
        *by_name.entry(name(item)).or_default() += 1;
    }
    by_name
        .into_iter()
        .map(|(name, count)| Count { name, count })
        .collect()
}

async fn dashboard(
    _: Admin,
    State(state): State<SharedState>,
    visitor: Visitor,
) -> Result<Response, WebError> {
    let open = state
        .store
        .submissions(&SubmissionFilter {
            status: Some(SubmissionStatus::Open),
            ..SubmissionFilter::default()
        })
        .await?;
    let pending = state
        .store
        .submissions(&SubmissionFilter {
            status: Some(SubmissionStatus::Pending),
            ..SubmissionFilter::default()
        })
        .await?
        .len();
    let introductions = state
        .store
        .introductions(&IntroductionFilter::default())
        .await?;
    let year = state.now().year();
    let mobilities = state
        .store
        .mobilities(&MobilityFilter {
            year: Some(year),
            ..MobilityFilter::default()
        })
        .await?;
    let participants: u32 = mobilities
        .iter()
        .filter(|mobility| mobility.details.status == crate::domain::MobilityStatus::Completed)
        .map(|mobility| mobility.details.participants)
        .sum();
    let fewer: u32 = mobilities
        .iter()
        .filter(|mobility| mobility.details.status == crate::domain::MobilityStatus::Completed)
        .map(|mobility| mobility.details.fewer_opportunities)
        .sum();
    let failed_mail = state.store.outbox(Some(OutboxStatus::Failed)).await?.len();
    let latest_report = super::reports::report_folders(&state.reports_dir)
        .into_iter()
        .next();
    admin_page(
        &state,
        &visitor,
        StatusCode::OK,
        "admin/dashboard.html",
        context! {
            offers => open.iter().filter(|s| s.details.role == Role::Receiving).count(),
            requests => open.iter().filter(|s| s.details.role == Role::Sending).count(),
            pending,
            introductions => Value::from(Serde(counts(&introductions, |introduction| introduction.status.value().to_owned()))),
            year,
            mobilities => Value::from(Serde(counts(&mobilities, |mobility| mobility.details.status.value().to_owned()))),
            participants,
            fewer_opportunities_share => (participants > 0).then(|| format!("{:.1}", 100.0 * f64::from(fewer) / f64::from(participants))),
            fewer_opportunities_target => format!("{:.0}", 100.0 * state.fewer_opportunities_target),
            failed_mail,
            report_month => latest_report.as_ref().map(|folder| folder.month.clone()),
            charts => latest_report.map(|folder| folder.charts).unwrap_or_default(),
        },
    )
}

#[derive(Deserialize)]
struct SubmissionQuery {
    q: Option<String>,
    status: Option<String>,
}

#[derive(Serialize)]
struct SubmissionRow {
    id: i64,
    reference: String,
    token: String,
    role: &'static str,
    organisation: String,
    contact: String,
    region: &'static str,
    mobility_type: &'static str,
    participants: u32,
    window: String,
    status: &'static str,
    source: &'static str,
    pending: bool,
    closed: bool,
}

fn matches_search(submission: &Submission, query: &str) -> bool {
    let query = query.trim().to_lowercase();
    if query.is_empty() {
        return true;
    }
    let organisation = &submission.details.organisation;
    [
        submission.id.to_string(),
        organisation.name.clone(),
        organisation.contact_name.clone(),
        organisation.contact_email.to_string(),
        organisation.region.code().to_owned(),
        organisation.region.name().to_owned(),
        submission.details.notes.clone(),
    ]
    .iter()
    .any(|text| text.to_lowercase().contains(&query))
}

async fn submissions(
    _: Admin,
    State(state): State<SharedState>,
    visitor: Visitor,
    Query(query): Query<SubmissionQuery>,
) -> Result<Response, WebError> {
    let status = query
        .status
        .as_deref()
        .filter(|status| !status.is_empty())
        .and_then(|status| SubmissionStatus::from_value(status).ok());
    let search = query.q.unwrap_or_default();
    let rows: Vec<SubmissionRow> = state
        .store
        .submissions(&SubmissionFilter {
            status,
            ..SubmissionFilter::default()
        })
        .await?
        .iter()
        .rev()
        .filter(|submission| matches_search(submission, &search))
        .map(|submission| SubmissionRow {
            id: submission.id.get(),
            reference: submission.id.to_string(),
            token: submission_token(&state, submission.id),
            role: submission.details.role.value(),
            organisation: submission.details.organisation.name.clone(),
            contact: format!(
                "{} <{}>",
                submission.details.organisation.contact_name,
                submission.details.organisation.contact_email
            ),
            region: submission.details.organisation.region.code(),
            mobility_type: submission.details.mobility_type.value(),
            participants: submission.details.participants,
            window: format!(
                "{} – {}",
                submission.details.window.start(),
                submission.details.window.end()
            ),
            status: submission.status.value(),
            source: submission.source.value(),
            pending: submission.status == SubmissionStatus::Pending,
            closed: matches!(
                submission.status,
                SubmissionStatus::Withdrawn | SubmissionStatus::Expired
            ),
        })
        .collect();
    let statuses: Vec<&str> = SubmissionStatus::ALL.iter().map(|s| s.value()).collect();
    admin_page(
        &state,
        &visitor,
        StatusCode::OK,
        "admin/submissions.html",
        context! {
            rows => Value::from(Serde(&rows)),
            search,
            status => status.map(|status| status.value()).unwrap_or(""),
            statuses,
        },
    )
}

async fn change_submission(
    _: Admin,
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    visitor.check_csrf(&state, &pairs)?;
    let id = SubmissionId::new(id);
    let action = pairs
        .iter()
        .find(|(key, _)| key == "action")
        .map(|(_, value)| value.as_str());
    let _turn = state.write_turn().await;
    let mut transaction = state.store.begin().await?;
    let submission = transaction.submission(id).await?;
    let new_status = match (action, submission.status) {
        (Some("approve"), SubmissionStatus::Pending) => SubmissionStatus::Open,
        (Some("withdraw"), status)
            if !matches!(
                status,
                SubmissionStatus::Withdrawn | SubmissionStatus::Expired
            ) =>
        {
            SubmissionStatus::Withdrawn
        }
        _ => return Err(WebError::BadRequest(FormLanguage::En)),
    };
    let now = state.now();
    transaction
        .set_submission_status(id, new_status, now)
        .await?;
    if new_status == SubmissionStatus::Withdrawn {
        introductions::decline_waiting_introductions(
            &mut transaction,
            &state.rules.letters(),
            id,
            now,
        )
        .await?;
    }
    transaction.commit().await?;
    Ok(see_other("/admin/submissions"))
}

#[derive(Serialize)]
struct InboundRow {
    id: i64,
    received_at: String,
    sender: String,
    subject: String,
    classification: String,
    outcome: String,
    reference: String,
    errors: Vec<String>,
}

async fn inbound_log(
    _: Admin,
    State(state): State<SharedState>,
    visitor: Visitor,
) -> Result<Response, WebError> {
    let rows: Vec<InboundRow> = state
        .store
        .inbound_messages(INBOUND_LOG_LENGTH)
        .await?
        .into_iter()
        .map(|message| InboundRow {
            id: message.id.get(),
            received_at: message
                .message
                .received_at
                .format("%Y-%m-%d %H:%M")
                .to_string(),
            sender: message.message.sender.unwrap_or_default(),
            subject: message.message.subject,
            classification: message.message.classification,
            outcome: message.message.outcome,
            reference: message.message.reference.unwrap_or_default(),
            errors: message
                .message
                .errors
                .iter()
                .map(|error| error_line(&error.field, &error.value, &error.message))
                .collect(),
        })
        .collect();
    admin_page(
        &state,
        &visitor,
        StatusCode::OK,
        "admin/inbound.html",
        context! { rows => Value::from(Serde(&rows)) },
    )
}

fn error_line(field: &str, value: &str, message: &str) -> String {
    if value.is_empty() {
        format!("{field}: {message}")
    } else {
        format!("{field}: \u{201c}{value}\u{201d}: {message}")
    }
}

async fn inbound_message(
    _: Admin,
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let message = state
        .store
        .inbound_message(InboundMessageId::new(id))
        .await?;
    let record = message.message;
    let errors: Vec<String> = record
        .errors
        .iter()
        .map(|error| error_line(&error.field, &error.value, &error.message))
        .collect();
    admin_page(
        &state,
        &visitor,
        StatusCode::OK,
        "admin/inbound_message.html",
        context! {
            id,
            message_id => record.message_id,
            received_at => record.received_at.to_rfc3339(),
            sender => record.sender.unwrap_or_default(),
            subject => record.subject,
            classification => record.classification,
            outcome => record.outcome,
            reference => record.reference.unwrap_or_default(),
            errors,
            raw => record.raw.map(|raw| String::from_utf8_lossy(&raw).into_owned()),
            cut_off_text => record.cut_off_text,
        },
    )
}

#[derive(Deserialize)]
struct OutboxQuery {
    status: Option<String>,
}

#[derive(Serialize)]
struct OutboxRow {
    id: i64,
    created_at: String,
    recipients: String,
    subject: String,
    status: &'static str,
    attempts: u32,
    next_attempt_at: String,
    last_answer: String,
    failed: bool,
}

async fn outbox(
    _: Admin,
    State(state): State<SharedState>,
    visitor: Visitor,
    Query(query): Query<OutboxQuery>,
) -> Result<Response, WebError> {
    let status = match query.status.as_deref() {
        None => Some(OutboxStatus::Failed),
        Some("") | Some("all") => None,
        Some(status) => Some(
            OutboxStatus::from_value(status).map_err(|_| WebError::BadRequest(FormLanguage::En))?,
        ),
    };
    let rows: Vec<OutboxRow> = state
        .store
        .outbox(status)
        .await?
        .into_iter()
        .rev()
        .map(|message| OutboxRow {
            id: message.id.get(),
            created_at: message
                .message
                .created_at
                .format("%Y-%m-%d %H:%M")
                .to_string(),
            recipients: message
                .message
                .recipients
                .iter()
                .map(|recipient| recipient.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            subject: message.message.subject,
            status: message.status.value(),
            attempts: message.attempts,
            next_attempt_at: message.next_attempt_at.format("%Y-%m-%d %H:%M").to_string(),
            last_answer: message.last_answer.unwrap_or_default(),
            failed: message.status == OutboxStatus::Failed,
        })
        .collect();
    admin_page(
        &state,
        &visitor,
        StatusCode::OK,
        "admin/outbox.html",
        context! { rows => Value::from(Serde(&rows)), status => status.map(|status| status.value()).unwrap_or("all") },
    )
}

async fn retry_outbox(
    _: Admin,
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    visitor.check_csrf(&state, &pairs)?;
    let _turn = state.write_turn().await;
    let mut transaction = state.store.begin().await?;
    match transaction
        .retry_outbox_message(OutboxMessageId::new(id), state.now())
        .await
    {
        Ok(()) => transaction.commit().await?,
        Err(StoreError::Conflict { .. }) => return Err(WebError::BadRequest(FormLanguage::En)),
        Err(error) => return Err(error.into()),
    }
    Ok(see_other("/admin/outbox"))
}

#[derive(Serialize)]
struct RoundRow {
    reference: String,
    started_at: String,
    offers: u32,
    requests: u32,
    candidates: u32,
    introductions: u32,
    total_score: String,
    duration_ms: u64,
}

#[derive(Serialize)]
struct PlannedPair {
    offer: String,
    request: String,
    score: String,
    reasons: Vec<String>,
}

async fn rounds(
    _: Admin,
    State(state): State<SharedState>,
    visitor: Visitor,
) -> Result<Response, WebError> {
    rounds_page(&state, &visitor, None).await
}

async fn rounds_page(
    state: &SharedState,
    visitor: &Visitor,
    preview: Option<Vec<PlannedPair>>,
) -> Result<Response, WebError> {
    let rows: Vec<RoundRow> = state
        .store
        .rounds()
        .await?
        .into_iter()
        .map(|round| RoundRow {
            reference: round.id.to_string(),
            started_at: round.started_at.format("%Y-%m-%d %H:%M").to_string(),
            offers: round.offers,
            requests: round.requests,
            candidates: round.candidates,
            introductions: round.introductions,
            total_score: format!("{:.2}", round.total_score),
            duration_ms: round.duration_ms,
        })
        .collect();
    admin_page(
        state,
        visitor,
        StatusCode::OK,
        "admin/rounds.html",
        context! { rows => Value::from(Serde(&rows)), preview => Value::from(Serde(&preview)) },
    )
}

async fn preview_round(
    _: Admin,
    State(state): State<SharedState>,
    visitor: Visitor,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    visitor.check_csrf(&state, &pairs)?;
    let now = state.now();
    let report = run_round(
        &state.store,
        &state.matching,
        &state.introductions,
        now,
        now.date_naive(),
        RoundMode::DryRun,
    )
    .await?;
    let preview = report
        .plan
        .introductions
        .iter()
        .map(|planned| PlannedPair {
            offer: planned.offer.to_string(),
            request: planned.request.to_string(),
            score: format!("{:.2}", planned.score.points()),
            reasons: planned.reasons.clone(),
        })
        .collect();
    rounds_page(&state, &visitor, Some(preview)).await
}

async fn run_round_now(
    _: Admin,
    State(state): State<SharedState>,
    visitor: Visitor,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    visitor.check_csrf(&state, &pairs)?;
    let now = state.now();
    run_round(
        &state.store,
        &state.matching,
        &state.introductions,
        now,
        now.date_naive(),
        RoundMode::Record,
    )
    .await?;
    Ok(see_other("/admin/rounds"))
}

#[derive(Serialize)]
struct IntroductionRow {
    reference: String,
    offer: String,
    request: String,
    score: String,
    status: &'static str,
    reasons: Vec<String>,
    created_at: String,
}

async fn introductions(
    _: Admin,
    State(state): State<SharedState>,
    visitor: Visitor,
) -> Result<Response, WebError> {
    let rows: Vec<IntroductionRow> = state
        .store
        .introductions(&IntroductionFilter::default())
        .await?
        .into_iter()
        .rev()
        .map(|introduction| IntroductionRow {
            reference: introduction.id.to_string(),
            offer: introduction.offer.to_string(),
            request: introduction.request.to_string(),
            score: format!("{:.2}", introduction.score),
            status: introduction.status.value(),
            reasons: introduction.reasons.clone(),
            created_at: introduction.created_at.format("%Y-%m-%d").to_string(),
        })
        .collect();
    let statuses: Vec<&str> = IntroductionStatus::ALL.iter().map(|s| s.value()).collect();
    admin_page(
        &state,
        &visitor,
        StatusCode::OK,
        "admin/introductions.html",
        context! { rows => Value::from(Serde(&rows)), statuses },
    )
}

#[derive(Serialize)]
struct MobilityRow {
    reference: String,
    sending: String,
    receiving: String,
    mobility_type: &'static str,
    participants: u32,
    fewer_opportunities: u32,
    dates: String,
    status: &'static str,
    source: &'static str,
}

async fn mobilities(
    _: Admin,
    State(state): State<SharedState>,
    visitor: Visitor,
) -> Result<Response, WebError> {
    let rows: Vec<MobilityRow> = state
        .store
        .mobilities(&MobilityFilter::default())
        .await?
        .into_iter()
        .rev()
        .map(|mobility| {
            let details = &mobility.details;
            let receiving_place = match details.destination.nuts_region() {
                Some(region) => region.code().to_owned(),
                None => details.destination.country().code().to_owned(),
            };
            MobilityRow {
                reference: mobility.id.to_string(),
                sending: format!(
                    "{} ({})",
                    details.sending_organisation,
                    details.sending_region.code()
                ),
                receiving: format!("{} ({receiving_place})", details.receiving_organisation),
                mobility_type: details.mobility_type.value(),
                participants: details.participants,
                fewer_opportunities: details.fewer_opportunities,
                dates: format!("{} – {}", details.dates.start(), details.dates.end()),
                status: details.status.value(),
                source: mobility.source.value(),
            }
        })
        .collect();
    admin_page(
        &state,
        &visitor,
        StatusCode::OK,
        "admin/mobilities.html",
        context! { rows => Value::from(Serde(&rows)) },
    )
}

#[derive(Deserialize)]
struct AddressQuery {
    address: Option<String>,
}

/// Unsubscribed and undeliverable addresses: only their hashes are kept, so the page
/// counts them and looks one address up.
async fn outreach(
    _: Admin,
    State(state): State<SharedState>,
    visitor: Visitor,
    Query(query): Query<AddressQuery>,
) -> Result<Response, WebError> {
    let (unsubscribed, undeliverable) = state.store.outreach_counts().await?;
    let asked = query.address.filter(|address| !address.trim().is_empty());
    let lookup = match asked.as_deref().map(EmailAddress::parse) {
        None => None,
        Some(Err(error)) => Some(context! { error => error.to_string() }),
        Some(Ok(address)) => {
            let hash = address_sha256(&address);
            let at = |time: Option<DateTime<Utc>>| {
                time.map(|time| time.format("%Y-%m-%d %H:%M UTC").to_string())
            };
            Some(context! {
                address => address.as_str(),
                unsubscribed_at => at(state.store.unsubscribed_at(&hash).await?),
                undeliverable_at => at(state.store.undeliverable_at(&hash).await?),
            })
        }
    };
    admin_page(
        &state,
        &visitor,
        StatusCode::OK,
        "admin/outreach.html",
        context! { unsubscribed, undeliverable, asked, lookup },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hashed_password_verifies_and_short_ones_are_refused() {
        let hash = hash_admin_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(password_matches("correct horse battery", &hash));
        assert!(!password_matches("correct horse battery!", &hash));
        assert!(!password_matches("correct horse battery", "not a hash"));
        assert!(matches!(
            hash_admin_password("short"),
            Err(AdminPasswordError::TooShort(5))
        ));
    }
}

//! The public pages: the forms, the double opt-in, and a submission's token page. A
//! token is the signed reply token of `mail::token`, so the link in an email and the
//! address a reply goes to name the same submission.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use chrono::Duration;
use minijinja::context;
use minijinja::value::{Serde, Value};
use serde::Deserialize;

use tokio::sync::oneshot;

use super::batch::PendingSubmission;
use super::pages::{FormView, Visitor, see_other};
use super::security::CSRF_FIELD;
use super::{SharedState, UNCONFIRMED_DAYS, WebError};
use crate::domain::{Source, Submission, SubmissionId, SubmissionStatus};
use crate::forms::{FieldSet, FormKind, SubmissionContext, parse_submission};
use crate::introductions;
use crate::mail::token::{self, TokenSubject};
use crate::mail::{OptInMail, submission_values};

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/", get(index))
        .route("/submit", get(submission_form).post(submit))
        .route("/submitted", get(submitted))
        .route("/report", get(report_form).post(report))
        .route("/reported", get(reported))
        .route("/confirm/{token}", get(confirm_page).post(confirm))
        .route("/s/{token}", get(submission_page).post(change_submission))
}

type Pairs = Vec<(String, String)>;

async fn index(State(state): State<SharedState>, visitor: Visitor) -> Result<Response, WebError> {
    visitor.page(
        &state,
        StatusCode::OK,
        "index.html",
        context! { address => state.rules.our_address.as_str() },
    )
}

async fn submission_form(
    State(state): State<SharedState>,
    visitor: Visitor,
) -> Result<Response, WebError> {
    let form = FormView::new(FormKind::Submission, visitor.language, [], &[]);
    visitor.page(&state, StatusCode::OK, "submit.html", form.context())
}

async fn submit(
    State(state): State<SharedState>,
    visitor: Visitor,
    Form(pairs): Form<Pairs>,
) -> Result<Response, WebError> {
    visitor.check_csrf(&state, &pairs)?;
    visitor.check_public_post_limit(&state)?;
    let now = state.now();
    let fields = form_fields(&pairs);
    let context = SubmissionContext {
        today: now.date_naive(),
        sender: None,
    };
    let details = match parse_submission(&fields, &context) {
        Ok(details) => details,
        Err(errors) => {
            let form = FormView::new(
                FormKind::Submission,
                visitor.language,
                given(&pairs),
                &errors,
            );
            return visitor.page(
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                "submit.html",
                form.context(),
            );
        }
    };
    let (answer, answered) = oneshot::channel();
    let pending = PendingSubmission {
        details,
        language: visitor.language,
        received_at: now,
        answer,
    };
    if state.submission_queue.try_send(pending).is_err() {
        return Err(WebError::TooManyRequests(visitor.language));
    }
    match answered.await {
        Ok(Ok(OptInMail::Queued)) => Ok(see_other("/submitted")),
        Ok(Ok(OptInMail::LimitReached)) => Err(WebError::TooManyMails(visitor.language)),
        Ok(Err(())) | Err(_) => Err(WebError::Internal(
            "the submission was not stored".to_owned(),
        )),
    }
}

async fn submitted(
    State(state): State<SharedState>,
    visitor: Visitor,
) -> Result<Response, WebError> {
    visitor.page(
        &state,
        StatusCode::OK,
        "message.html",
        context! { title => "submitted_title", message => "submitted_text" },
    )
}

async fn report_form(
    State(state): State<SharedState>,
    visitor: Visitor,
) -> Result<Response, WebError> {
    let form = FormView::new(FormKind::MobilityReport, visitor.language, [], &[]);
    visitor.page(&state, StatusCode::OK, "report.html", form.context())
}

async fn report(
    State(state): State<SharedState>,
    visitor: Visitor,
    Form(pairs): Form<Pairs>,
) -> Result<Response, WebError> {
    visitor.check_csrf(&state, &pairs)?;
    visitor.check_public_post_limit(&state)?;
    let now = state.now();
    let fields = form_fields(&pairs);
    let _turn = state.write_turn().await;
    let mut transaction = state.store.begin().await?;
    match introductions::parse_reported_mobility(&mut transaction, &fields).await? {
        Ok(details) => {
            let id = transaction
                .insert_mobility(&details, Source::Web, now)
                .await?;
            transaction.commit().await?;
            Ok(see_other(&format!("/reported?reference={id}")))
        }
        Err(errors) => {
            let form = FormView::new(
                FormKind::MobilityReport,
                visitor.language,
                given(&pairs),
                &errors,
            );
            visitor.page(
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                "report.html",
                form.context(),
            )
        }
    }
}

#[derive(Deserialize)]
struct ReportedQuery {
    reference: Option<String>,
}

async fn reported(
    State(state): State<SharedState>,
    visitor: Visitor,
    Query(query): Query<ReportedQuery>,
) -> Result<Response, WebError> {
    // Only a reference's shape is shown back, never free text from the address bar.
    let reference = query
        .reference
        .and_then(|reference| crate::domain::MobilityId::parse(&reference).ok())
        .map(|id| id.to_string());
    visitor.page(
        &state,
        StatusCode::OK,
        "message.html",
        context! { title => "reported_title", message => "reported_text", reference },
    )
}

/// The submission a token link names, or a "not valid" page.
async fn submission_of_token(
    state: &SharedState,
    visitor: &Visitor,
    token: &str,
) -> Result<Submission, WebError> {
    let Ok(TokenSubject::Submission(id)) = token::verify(token, &state.rules.secret) else {
        return Err(WebError::InvalidLink(visitor.language));
    };
    match state.store.submission(id).await {
        Ok(submission) => Ok(submission),
        Err(crate::store::StoreError::NotFound { .. }) => {
            Err(WebError::InvalidLink(visitor.language))
        }
        Err(error) => Err(error.into()),
    }
}

fn is_past_confirmation(state: &SharedState, submission: &Submission) -> bool {
    submission.created_at + Duration::days(UNCONFIRMED_DAYS) <= state.now()
}

async fn confirm_page(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    let submission = submission_of_token(&state, &visitor, &token).await?;
    let expired = submission.status == SubmissionStatus::Expired
        || (submission.status == SubmissionStatus::Unconfirmed
            && is_past_confirmation(&state, &submission));
    visitor.page(
        &state,
        StatusCode::OK,
        "confirm.html",
        context! {
            token,
            reference => submission.id.to_string(),
            waiting => submission.status == SubmissionStatus::Unconfirmed && !expired,
            expired,
        },
    )
}

async fn confirm(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(token): Path<String>,
    Form(pairs): Form<Pairs>,
) -> Result<Response, WebError> {
    visitor.check_csrf(&state, &pairs)?;
    visitor.check_public_post_limit(&state)?;
    let submission = submission_of_token(&state, &visitor, &token).await?;
    let now = state.now();
    if submission.status != SubmissionStatus::Unconfirmed {
        return Ok(see_other(&format!("/s/{token}")));
    }
    let _turn = state.write_turn().await;
    let mut transaction = state.store.begin().await?;
    // Read again inside the transaction: two presses of the button confirm once.
    let current = transaction.submission(submission.id).await?;
    if current.status != SubmissionStatus::Unconfirmed {
        return Ok(see_other(&format!("/s/{token}")));
    }
    if is_past_confirmation(&state, &current) {
        transaction
            .set_submission_status(current.id, SubmissionStatus::Expired, now)
            .await?;
        transaction.commit().await?;
        return Ok(see_other(&format!("/confirm/{token}")));
    }
    let status = if state.moderation {
        SubmissionStatus::Pending
    } else {
        SubmissionStatus::Open
    };
    transaction
        .set_submission_status(current.id, status, now)
        .await?;
    transaction.commit().await?;
    Ok(see_other(&format!("/s/{token}?notice=confirmed")))
}

#[derive(Deserialize)]
struct NoticeQuery {
    notice: Option<String>,
}

async fn submission_page(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(token): Path<String>,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    let submission = submission_of_token(&state, &visitor, &token).await?;
    let stored = stored_values(&submission);
    let form = FormView::new(
        FormKind::Submission,
        visitor.language,
        stored.iter().map(|(key, value)| (*key, value.as_str())),
        &[],
    );
    let notice = match query.notice.as_deref() {
        Some("confirmed") if submission.status == SubmissionStatus::Pending => {
            Some("confirmed_pending")
        }
        Some("confirmed") => Some("confirmed_open"),
        Some("saved") => Some("saved"),
        _ => None,
    };
    submission_view(
        &state,
        &visitor,
        StatusCode::OK,
        &token,
        &submission,
        form,
        notice,
    )
}

async fn change_submission(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(token): Path<String>,
    Form(pairs): Form<Pairs>,
) -> Result<Response, WebError> {
    visitor.check_csrf(&state, &pairs)?;
    visitor.check_public_post_limit(&state)?;
    let submission = submission_of_token(&state, &visitor, &token).await?;
    let now = state.now();
    if is_closed(submission.status) {
        let form = FormView::new(FormKind::Submission, visitor.language, [], &[]);
        return submission_view(
            &state,
            &visitor,
            StatusCode::CONFLICT,
            &token,
            &submission,
            form,
            None,
        );
    }
    let action = pairs
        .iter()
        .find(|(key, _)| key == "action")
        .map(|(_, value)| value.as_str());
    match action {
        Some("withdraw") => {
            let _turn = state.write_turn().await;
            let mut transaction = state.store.begin().await?;
            transaction
                .set_submission_status(submission.id, SubmissionStatus::Withdrawn, now)
                .await?;
            // The same rule as a WITHDRAW reply: its waiting introductions are declined.
            introductions::decline_waiting_introductions(
                &mut transaction,
                &state.rules.letters(),
                submission.id,
                now,
            )
            .await?;
            transaction.commit().await?;
            Ok(see_other(&format!("/s/{token}")))
        }
        Some("update") => {
            let context = SubmissionContext {
                today: now.date_naive(),
                sender: None,
            };
            match parse_submission(&form_fields(&pairs), &context) {
                Ok(details) => {
                    let _turn = state.write_turn().await;
                    let mut transaction = state.store.begin().await?;
                    transaction
                        .update_submission(submission.id, &details, now)
                        .await?;
                    transaction.commit().await?;
                    Ok(see_other(&format!("/s/{token}?notice=saved")))
                }
                Err(errors) => {
                    let form = FormView::new(
                        FormKind::Submission,
                        visitor.language,
                        given(&pairs),
                        &errors,
                    );
                    submission_view(
                        &state,
                        &visitor,
                        StatusCode::UNPROCESSABLE_ENTITY,
                        &token,
                        &submission,
                        form,
                        None,
                    )
                }
            }
        }
        _ => Err(WebError::BadRequest(visitor.language)),
    }
}

fn submission_view(
    state: &SharedState,
    visitor: &Visitor,
    status: StatusCode,
    token: &str,
    submission: &Submission,
    form: FormView,
    notice: Option<&str>,
) -> Result<Response, WebError> {
    let summary: Vec<(&'static str, String)> = stored_values(submission)
        .into_iter()
        .filter(|(_, value)| !value.is_empty())
        .collect();
    visitor.page(
        state,
        status,
        "submission.html",
        context! {
            token,
            reference => submission.id.to_string(),
            status => submission.status.value(),
            closed => is_closed(submission.status),
            summary => Value::from(Serde(&summary)),
            notice,
            ..form.context()
        },
    )
}

/// The same rule as replies by email: a withdrawn or expired submission never changes.
fn is_closed(status: SubmissionStatus) -> bool {
    matches!(
        status,
        SubmissionStatus::Withdrawn | SubmissionStatus::Expired
    )
}

fn stored_values(submission: &Submission) -> Vec<(&'static str, String)> {
    submission_values(&submission.details)
        .into_iter()
        .map(|(key, value)| (key.key(), value))
        .collect()
}

/// The posted form's fields, for the parser (the CSRF token and the action are not
/// fields).
fn form_fields(pairs: &Pairs) -> FieldSet {
    FieldSet::from_pairs(
        pairs
            .iter()
            .filter(|(key, _)| key != CSRF_FIELD && key != "action")
            .map(|(key, value)| (key.as_str(), value.as_str())),
    )
}

fn given(pairs: &Pairs) -> impl Iterator<Item = (&str, &str)> {
    pairs
        .iter()
        .map(|(key, value)| (key.as_str(), value.as_str()))
}

/// The reference of a submission, for the admin's links to its token page.
pub fn submission_token(state: &SharedState, id: SubmissionId) -> String {
    token::sign(TokenSubject::Submission(id), &state.rules.secret)
}

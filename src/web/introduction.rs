//! The answer page of an introduction, `/i/{token}`: the token names the introduction
//! and the side (host or sender) it was sent to. GET shows the introduction and the two
//! buttons; only the POST answers, through `introductions::answer_introduction`, the
//! same shell function as email replies.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use minijinja::context;
use minijinja::value::{Serde, Value};
use serde::{Deserialize, Serialize};

use super::pages::{Visitor, see_other};
use super::{SharedState, WebError};
use crate::domain::{Answer, IntroductionId, IntroductionStatus, Role};
use crate::introductions::{AnswerOutcome, IntroductionCase, answer_introduction, load_case};
use crate::mail::token::{self, TokenSubject};

pub fn routes() -> Router<SharedState> {
    Router::new().route("/i/{token}", get(introduction_page).post(answer))
}

#[derive(Serialize)]
struct Side {
    organisation: String,
    contact: String,
    region: String,
}

fn side_of(case: &IntroductionCase, side: Role) -> Side {
    let submission = match side {
        Role::Receiving => &case.offer,
        Role::Sending => &case.request,
    };
    let organisation = &submission.details.organisation;
    Side {
        organisation: organisation.name.clone(),
        contact: format!(
            "{} <{}>",
            organisation.contact_name, organisation.contact_email
        ),
        region: format!(
            "{} ({})",
            organisation.region.name(),
            organisation.region.code()
        ),
    }
}

fn introduction_of_token(
    state: &SharedState,
    visitor: &Visitor,
    token: &str,
) -> Result<(IntroductionId, Role), WebError> {
    match token::verify(token, &state.rules.secret) {
        Ok(TokenSubject::Introduction { id, side }) => Ok((id, side)),
        _ => Err(WebError::InvalidLink(visitor.language)),
    }
}

async fn read_case(
    state: &SharedState,
    visitor: &Visitor,
    id: IntroductionId,
) -> Result<IntroductionCase, WebError> {
    let mut transaction = state.store.begin().await?;
    match load_case(&mut transaction, id).await {
        Ok(case) => Ok(case),
        Err(crate::store::StoreError::NotFound { .. }) => {
            Err(WebError::InvalidLink(visitor.language))
        }
        Err(error) => Err(error.into()),
    }
}

#[derive(Deserialize)]
struct NoticeQuery {
    notice: Option<String>,
}

async fn introduction_page(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(token): Path<String>,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    let (id, side) = introduction_of_token(&state, &visitor, &token)?;
    let case = read_case(&state, &visitor, id).await?;
    let introduction = case.introduction();
    let own_answer = match side {
        Role::Receiving => introduction.host_answer,
        Role::Sending => introduction.sender_answer,
    };
    let open = matches!(
        introduction.status,
        IntroductionStatus::Proposed | IntroductionStatus::Introduced
    ) && own_answer.is_none();
    let partner = match side {
        Role::Receiving => Role::Sending,
        Role::Sending => Role::Receiving,
    };
    let notice = match query.notice.as_deref() {
        Some("recorded") => Some("intro_recorded"),
        Some("unchanged") => Some("intro_unchanged"),
        _ => None,
    };
    visitor.page(
        &state,
        StatusCode::OK,
        "introduction.html",
        context! {
            token,
            reference => id.to_string(),
            you => Value::from(Serde(side_of(&case, side))),
            partner => Value::from(Serde(side_of(&case, partner))),
            score => format!("{:.0}", introduction.score),
            reasons => introduction.reasons.clone(),
            status => introduction.status.value(),
            own_answer => own_answer.map(|answer| answer.answer.value()),
            open,
            notice,
        },
    )
}

async fn answer(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(token): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    visitor.check_csrf(&state, &pairs)?;
    visitor.check_public_post_limit(&state)?;
    let (id, side) = introduction_of_token(&state, &visitor, &token)?;
    let answer = pairs
        .iter()
        .find(|(key, _)| key == "answer")
        .and_then(|(_, value)| Answer::from_value(value).ok())
        .ok_or(WebError::BadRequest(visitor.language))?;
    let _turn = state.write_turn().await;
    let mut transaction = state.store.begin().await?;
    let report = match answer_introduction(
        &mut transaction,
        &state.rules.letters(),
        id,
        side,
        answer,
        state.now(),
    )
    .await
    {
        Ok(report) => report,
        Err(crate::store::StoreError::NotFound { .. }) => {
            return Err(WebError::InvalidLink(visitor.language));
        }
        Err(error) => return Err(error.into()),
    };
    transaction.commit().await?;
    let notice = match report.outcome {
        AnswerOutcome::Recorded(_) => "recorded",
        AnswerOutcome::Unchanged => "unchanged",
    };
    Ok(see_other(&format!("/i/{token}?notice={notice}")))
}

//! The unsubscribe link of calls and renewal requests, `/unsubscribe/{token}`: GET shows
//! a page with one button (mail scanners open every link, so a GET changes nothing); the
//! POST unsubscribes through `outreach::unsubscribe`, the same shell function as the
//! emailed `UNSUBSCRIBE`. Mail clients send the POST themselves for RFC 8058 one-click
//! unsubscribe, with no cookie, so it carries no CSRF token: the signed token is the
//! credential, and all it can do is stop our calls to the address it names.

use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use minijinja::context;

use super::pages::Visitor;
use super::{SharedState, WebError};
use crate::mail::token::{self, TokenSubject};
use crate::outreach::{UnsubscribeError, Unsubscribed, unsubscribe};
use crate::store::UnsubscribeVia;

pub fn routes() -> Router<SharedState> {
    Router::new().route(
        "/unsubscribe/{token}",
        get(unsubscribe_page).post(unsubscribe_now),
    )
}

async fn unsubscribe_page(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    if !matches!(
        token::verify(&token, &state.rules.secret),
        Ok(TokenSubject::Unsubscribe(_))
    ) {
        return Err(WebError::InvalidLink(visitor.language));
    }
    visitor.page(
        &state,
        StatusCode::OK,
        "unsubscribe.html",
        context! { token, done => false, already => false },
    )
}

async fn unsubscribe_now(
    State(state): State<SharedState>,
    visitor: Visitor,
    Path(token): Path<String>,
    Form(_): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    visitor.check_public_post_limit(&state)?;
    let _turn = state.write_turn().await;
    let outcome = match unsubscribe(
        &state.store,
        &state.rules.secret,
        &token,
        UnsubscribeVia::Link,
        state.now(),
    )
    .await
    {
        Ok(outcome) => outcome,
        Err(UnsubscribeError::Store(error)) => return Err(error.into()),
        Err(UnsubscribeError::Token(_) | UnsubscribeError::NotAnUnsubscribeToken(_)) => {
            return Err(WebError::InvalidLink(visitor.language));
        }
    };
    visitor.page(
        &state,
        StatusCode::OK,
        "unsubscribe.html",
        context! { token, done => true, already => outcome == Unsubscribed::Already },
    )
}

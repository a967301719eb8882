//! What goes wrong while answering a request, each with its status code and a page that
//! says what to do. Database and template failures are logged with their cause and shown
//! as a plain apology: no SQL, no stack, no internals.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::pages::ErrorPage;
use crate::forms::FormLanguage;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("not found")]
    NotFound(FormLanguage),
    #[error("the link is not a valid token")]
    InvalidLink(FormLanguage),
    #[error("CSRF token missing or wrong")]
    Csrf(FormLanguage),
    #[error("rate limit reached")]
    TooManyRequests(FormLanguage),
    #[error("reply limit of the contact address reached")]
    TooManyMails(FormLanguage),
    #[error("the request could not be read")]
    BadRequest(FormLanguage),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("template: {0:#}")]
    Template(#[from] minijinja::Error),
    #[error("{0}")]
    Internal(String),
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, language, message) = match &self {
            WebError::NotFound(language) => (StatusCode::NOT_FOUND, *language, "not_found"),
            WebError::InvalidLink(language) => (StatusCode::NOT_FOUND, *language, "invalid_link"),
            WebError::Csrf(language) => (StatusCode::FORBIDDEN, *language, "forbidden"),
            WebError::TooManyRequests(language) => {
                (StatusCode::TOO_MANY_REQUESTS, *language, "too_many")
            }
            WebError::TooManyMails(language) => {
                (StatusCode::TOO_MANY_REQUESTS, *language, "too_many_mails")
            }
            WebError::BadRequest(language) => (StatusCode::BAD_REQUEST, *language, "bad_request"),
            WebError::Store(StoreError::NotFound { .. }) => {
                (StatusCode::NOT_FOUND, FormLanguage::En, "not_found")
            }
            WebError::Store(_) | WebError::Template(_) | WebError::Internal(_) => {
                tracing::error!(error = %self, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    FormLanguage::En,
                    "server_error",
                )
            }
        };
        // The page itself is written by `pages::render_error_pages`, which holds the
        // application state that every page needs.
        let mut response = status.into_response();
        response
            .extensions_mut()
            .insert(ErrorPage { language, message });
        response
    }
}

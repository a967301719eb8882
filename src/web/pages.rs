//! Rendering: the embedded templates of `templates/web/`, the visitor a page is written
//! for (language, CSRF cookie, client address), the choosers built from the reference
//! data, and the form values and errors a form page shows.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::LazyLock;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use minijinja::value::{Serde, Value};
use minijinja::{Environment, UndefinedBehavior, context};
use serde::Serialize;

use super::i18n::{choose_language, field_labels, word, words};
use super::security::{CSRF_COOKIE, CSRF_FIELD, LANGUAGE_COOKIE, cookies, new_nonce, set_cookie};
use super::{SharedState, WebError};
use crate::domain::{Country, IscedField, Language, MobilityStatus, MobilityType, Region};
use crate::forms::{FieldError, FieldKey, FormKind, FormLanguage};

macro_rules! web_templates {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../templates/web/", $name)))),*]
    };
}

const TEMPLATES: &[(&str, &str)] = web_templates!(
    "layout.html",
    "field.html",
    "error_summary.html",
    "index.html",
    "submit.html",
    "submission_fields.html",
    "report.html",
    "message.html",
    "confirm.html",
    "submission.html",
    "introduction.html",
    "unsubscribe.html",
    "admin/login.html",
    "admin/dashboard.html",
    "admin/submissions.html",
    "admin/inbound.html",
    "admin/inbound_message.html",
    "admin/outbox.html",
    "admin/rounds.html",
    "admin/introductions.html",
    "admin/mobilities.html",
    "admin/outreach.html",
    "admin/reports.html",
);

pub const STYLESHEET: &str = include_str!("../../assets/web/style.css");

static ENVIRONMENT: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut environment = Environment::new();
    environment.set_undefined_behavior(UndefinedBehavior::Strict);
    for (name, source) in TEMPLATES {
        environment
            .add_template(name, source)
            .expect("the embedded web templates parse");
    }
    environment
});

/// The words and labels of each language, built once.
static LANGUAGE_VALUES: LazyLock<Vec<(FormLanguage, Value, Value)>> = LazyLock::new(|| {
    FormLanguage::ALL
        .iter()
        .map(|language| {
            (
                *language,
                Value::from(Serde(words(*language))),
                Value::from(Serde(field_labels(*language))),
            )
        })
        .collect()
});

#[derive(Serialize)]
struct LanguageChoice {
    code: &'static str,
    name: &'static str,
}

const LANGUAGE_CHOICES: &[LanguageChoice] = &[
    LanguageChoice {
        code: "en",
        name: "English",
    },
    LanguageChoice {
        code: "es",
        name: "Español",
    },
    LanguageChoice {
        code: "sv",
        name: "Svenska",
    },
    LanguageChoice {
        code: "fr",
        name: "Français",
    },
    LanguageChoice {
        code: "de",
        name: "Deutsch",
    },
];

/// Who a page is for: their language, their CSRF cookie (made now if they have none)
/// and their address, for rate limits.
pub struct Visitor {
    pub language: FormLanguage,
    language_from_query: bool,
    csrf_nonce: String,
    csrf_nonce_is_new: bool,
    pub client: IpAddr,
}

impl FromRequestParts<SharedState> for Visitor {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &SharedState,
    ) -> Result<Visitor, Infallible> {
        let cookies = cookies(&parts.headers);
        let query_language = parts.uri.query().and_then(|query| {
            query
                .split('&')
                .find_map(|pair| pair.strip_prefix("lang="))
                .map(str::to_owned)
        });
        let accept_language = parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|value| value.to_str().ok());
        let language = choose_language(
            query_language.as_deref(),
            cookies.get(LANGUAGE_COOKIE).map(String::as_str),
            accept_language,
        );
        let language_from_query = query_language
            .as_deref()
            .and_then(super::i18n::language_of_code)
            .is_some();
        let existing_nonce = cookies
            .get(CSRF_COOKIE)
            .filter(|nonce| nonce.len() == 32 && nonce.bytes().all(|b| b.is_ascii_hexdigit()))
            .cloned();
        let csrf_nonce_is_new = existing_nonce.is_none();
        let client = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(address)| address.ip())
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        Ok(Visitor {
            language,
            language_from_query,
            csrf_nonce: existing_nonce.unwrap_or_else(new_nonce),
            csrf_nonce_is_new,
            client,
        })
    }
}

impl Visitor {
    /// Refuses a form post whose CSRF token does not fit this browser's cookie.
    pub fn check_csrf(
        &self,
        state: &SharedState,
        pairs: &[(String, String)],
    ) -> Result<(), WebError> {
        let token = pairs
            .iter()
            .find(|(key, _)| key == CSRF_FIELD)
            .map(|(_, value)| value.as_str());
        let cookie = (!self.csrf_nonce_is_new).then_some(self.csrf_nonce.as_str());
        if state.signer.csrf_token_is_valid(cookie, token) {
            Ok(())
        } else {
            Err(WebError::Csrf(self.language))
        }
    }

    /// Counts a form post against the client's limit.
    pub fn check_public_post_limit(&self, state: &SharedState) -> Result<(), WebError> {
        if state.public_posts.allow(self.client, state.now()) {
            Ok(())
        } else {
            Err(WebError::TooManyRequests(self.language))
        }
    }

    /// Renders `template` with the layout's values (language, words, CSRF token, privacy
    /// contact) beside `context`, and sets the cookies this visitor still needs.
    pub fn page(
        &self,
        state: &SharedState,
        status: StatusCode,
        template: &str,
        context: Value,
    ) -> Result<Response, WebError> {
        self.page_in(state, self.language, status, template, context)
    }

    /// `page` in a language other than the visitor's (admin pages are in English).
    pub fn page_in(
        &self,
        state: &SharedState,
        language: FormLanguage,
        status: StatusCode,
        template: &str,
        context: Value,
    ) -> Result<Response, WebError> {
        let html = render_page(
            state,
            language,
            &state.signer.csrf_token(&self.csrf_nonce),
            template,
            context,
        )?;
        let mut response = (status, Html(html)).into_response();
        self.add_cookies(state, &mut response);
        Ok(response)
    }

    fn add_cookies(&self, state: &SharedState, response: &mut Response) {
        let headers = response.headers_mut();
        if self.csrf_nonce_is_new {
            headers.append(
                header::SET_COOKIE,
                set_cookie(
                    CSRF_COOKIE,
                    &self.csrf_nonce,
                    "/",
                    None,
                    state.secure_cookies,
                ),
            );
        }
        if self.language_from_query {
            headers.append(
                header::SET_COOKIE,
                set_cookie(
                    LANGUAGE_COOKIE,
                    self.language.code(),
                    "/",
                    Some(365 * 24 * 3600),
                    state.secure_cookies,
                ),
            );
        }
    }
}

fn render_page(
    state: &SharedState,
    language: FormLanguage,
    csrf_token: &str,
    template: &str,
    context: Value,
) -> Result<String, WebError> {
    let (_, words, labels) = LANGUAGE_VALUES
        .iter()
        .find(|(candidate, _, _)| *candidate == language)
        .expect("every language has its words");
    let context = context! {
        lang => language.code(),
        t => words,
        labels => labels,
        languages => Value::from(Serde(LANGUAGE_CHOICES)),
        privacy_contact => state.privacy_contact.as_str(),
        privacy => word(language, "privacy").replace(
            "{contact_days}",
            &state.retention.closed_contacts_days.to_string(),
        ),
        csrf => csrf_token,
        ..context
    };
    Ok(ENVIRONMENT.get_template(template)?.render(context)?)
}

/// Marks an answer whose page `render_error_pages` writes.
#[derive(Clone, Copy, Debug)]
pub struct ErrorPage {
    pub language: FormLanguage,
    pub message: &'static str,
}

/// Writes the page of an error answer (see `WebError`), in the visitor's language.
pub async fn render_error_pages(
    State(state): State<SharedState>,
    request: Request,
    next: Next,
) -> Response {
    let response = next.run(request).await;
    let Some(error) = response.extensions().get::<ErrorPage>().copied() else {
        return response;
    };
    message_page(&state, response.status(), error.language, error.message)
}

/// A page with one message from the words table.
pub fn message_page(
    state: &SharedState,
    status: StatusCode,
    language: FormLanguage,
    message: &str,
) -> Response {
    let context = context! { message => message };
    match render_page(state, language, "", "message.html", context) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => {
            tracing::error!(%error, "the message page does not render");
            (status, "Something went wrong. Please try again later.\n").into_response()
        }
    }
}

pub fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    response.headers_mut().insert(
        header::LOCATION,
        HeaderValue::from_str(location).expect("our redirect targets are ASCII paths"),
    );
    response
}

/// A form as shown: every field's value as given, its errors, and the choosers.
pub struct FormView {
    values: BTreeMap<&'static str, String>,
    errors: BTreeMap<&'static str, Vec<String>>,
    summary: Vec<ErrorSummaryLine>,
    options: BTreeMap<&'static str, Value>,
}

#[derive(Serialize)]
struct ErrorSummaryLine {
    key: &'static str,
    label: &'static str,
    message: String,
}

impl FormView {
    /// The form with `given` values (as posted, or as stored) and `errors`.
    pub fn new<'a>(
        form: FormKind,
        language: FormLanguage,
        given: impl IntoIterator<Item = (&'a str, &'a str)>,
        errors: &[FieldError],
    ) -> FormView {
        let keys = form.keys();
        let mut values: BTreeMap<&'static str, String> =
            keys.iter().map(|key| (key.key(), String::new())).collect();
        for (key, value) in given {
            if let Some(slot) = values.get_mut(key) {
                let value = value.trim();
                if value.is_empty() {
                    continue;
                }
                if !slot.is_empty() {
                    slot.push_str(", ");
                }
                slot.push_str(value);
            }
        }
        let mut error_map: BTreeMap<&'static str, Vec<String>> =
            keys.iter().map(|key| (key.key(), Vec::new())).collect();
        let labels = field_labels(language);
        let mut summary = Vec::new();
        for error in errors {
            let key = if values.contains_key(error.field) {
                error.field
            } else {
                keys[0].key()
            };
            let message = if error.value.is_empty() {
                error.message_in(language)
            } else {
                format!(
                    "\u{201c}{}\u{201d}: {}",
                    error.value,
                    error.message_in(language)
                )
            };
            error_map.entry(key).or_default().push(message.clone());
            summary.push(ErrorSummaryLine {
                key,
                label: labels.get(key).copied().unwrap_or(key),
                message,
            });
        }
        let words = words(language);
        let options = keys
            .iter()
            .filter_map(|key| {
                let given = &values[key.key()];
                let options = if given.is_empty() {
                    blank_chooser(*key, form, language)
                } else {
                    chooser(*key, form, &words, given).map(Value::from_safe_string)
                };
                options.map(|options| (key.key(), options))
            })
            .collect();
        FormView {
            values,
            errors: error_map,
            summary,
            options,
        }
    }

    pub fn context(&self) -> Value {
        context! {
            values => Value::from(Serde(&self.values)),
            errors => Value::from(Serde(&self.errors)),
            error_summary => Value::from(Serde(&self.summary)),
            options => Value::from(self.options.clone()),
        }
    }
}

/// The choosers with nothing selected, built once per language and form (`true` for the
/// mobility report): most pages show them.
static BLANK_CHOOSERS: LazyLock<BTreeMap<(FormLanguage, bool, FieldKey), Value>> =
    LazyLock::new(|| {
        let mut blank = BTreeMap::new();
        for language in FormLanguage::ALL {
            let words = words(*language);
            for form in [FormKind::Submission, FormKind::MobilityReport] {
                for key in form.keys() {
                    if let Some(html) = chooser(*key, form, &words, "") {
                        let is_report = form == FormKind::MobilityReport;
                        blank.insert((*language, is_report, *key), Value::from_safe_string(html));
                    }
                }
            }
        }
        blank
    });

fn blank_chooser(key: FieldKey, form: FormKind, language: FormLanguage) -> Option<Value> {
    let is_report = form == FormKind::MobilityReport;
    BLANK_CHOOSERS.get(&(language, is_report, key)).cloned()
}

/// The `<option>`s of a chooser, with the given values selected; `None` for fields
/// typed as text.
fn chooser(
    key: FieldKey,
    form: FormKind,
    words: &BTreeMap<&'static str, &'static str>,
    given: &str,
) -> Option<String> {
    let selected: Vec<String> = given
        .split([',', ';', ' '])
        .map(|item| item.trim().to_lowercase())
        .filter(|item| !item.is_empty())
        .collect();
    let is_selected = |code: &str| selected.iter().any(|item| item == &code.to_lowercase());
    let choose = words["choose"];
    let mut html = String::new();
    match key {
        FieldKey::Region | FieldKey::SendingRegion | FieldKey::ReceivingRegion => {
            push_option(&mut html, "", choose, false);
            let mut country = "";
            for region in Region::all() {
                let country_name = region.country().name();
                if country_name != country {
                    if !country.is_empty() {
                        html.push_str("</optgroup>");
                    }
                    html.push_str(&format!("<optgroup label=\"{}\">", escape(country_name)));
                    country = country_name;
                }
                let label = format!("{} ({})", region.name(), region.code());
                push_option(&mut html, region.code(), &label, is_selected(region.code()));
            }
            html.push_str("</optgroup>");
        }
        FieldKey::MobilityType => {
            push_option(&mut html, "", choose, false);
            for mobility_type in MobilityType::ALL {
                let value = mobility_type.value();
                push_option(&mut html, value, words[value], is_selected(value));
            }
        }
        FieldKey::InclusionSupport => {
            push_option(&mut html, "", choose, false);
            for answer in ["yes", "no"] {
                push_option(&mut html, answer, words[answer], is_selected(answer));
            }
        }
        FieldKey::Status if form == FormKind::MobilityReport => {
            push_option(&mut html, "", choose, false);
            for status in MobilityStatus::ALL {
                let value = status.value();
                push_option(&mut html, value, words[value], is_selected(value));
            }
        }
        FieldKey::Fields => {
            let mut open_group = false;
            for field in IscedField::all() {
                if field.code().len() == 2 {
                    if open_group {
                        html.push_str("</optgroup>");
                    }
                    html.push_str(&format!(
                        "<optgroup label=\"{} {}\">",
                        field.code(),
                        escape(field.name())
                    ));
                    open_group = true;
                }
                let label = format!("{} {}", field.code(), field.name());
                push_option(&mut html, field.code(), &label, is_selected(field.code()));
            }
            if open_group {
                html.push_str("</optgroup>");
            }
        }
        FieldKey::Languages => {
            let mut languages: Vec<Language> = Language::all().collect();
            languages.sort_by_key(|language| language.name());
            for language in languages {
                let label = format!("{} ({})", language.name(), language.code());
                push_option(
                    &mut html,
                    language.code(),
                    &label,
                    is_selected(language.code()),
                );
            }
        }
        FieldKey::PartnerCountries | FieldKey::ReceivingCountry => {
            if key == FieldKey::ReceivingCountry {
                push_option(&mut html, "", choose, false);
            }
            let mut countries: Vec<Country> = Country::all().collect();
            countries.sort_by_key(|country| country.name());
            for country in countries {
                let label = format!("{} ({})", country.name(), country.code());
                push_option(
                    &mut html,
                    country.code(),
                    &label,
                    is_selected(country.code()),
                );
            }
        }
        _ => return None,
    }
    Some(html)
}

fn push_option(html: &mut String, value: &str, label: &str, selected: bool) {
    html.push_str("<option value=\"");
    html.push_str(&escape(value));
    html.push('"');
    if selected {
        html.push_str(" selected");
    }
    html.push('>');
    html.push_str(&escape(label));
    html.push_str("</option>");
}

fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses() {
        for (name, _) in TEMPLATES {
            ENVIRONMENT.get_template(name).expect(name);
        }
    }

    #[test]
    fn choosers_select_the_given_codes_and_escape_their_labels() {
        let words = words(FormLanguage::En);
        let html = chooser(FieldKey::Languages, FormKind::Submission, &words, "en, ES").unwrap();
        assert!(html.contains("<option value=\"en\" selected>English (en)</option>"));
        assert!(html.contains("<option value=\"es\" selected>"));
        assert!(!html.contains("<option value=\"sv\" selected>"));
        let html = chooser(FieldKey::Region, FormKind::Submission, &words, "es21").unwrap();
        assert!(
            html.contains("<option value=\"ES21\" selected>País Vasco (ES21)</option>"),
            "{html}"
        );
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert!(chooser(FieldKey::Organisation, FormKind::Submission, &words, "").is_none());
    }
}

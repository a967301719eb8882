//! The emails of outreach, composed from plain values into outbox messages: a call for
//! submissions, and the request to renew or withdraw an open listing. Pure: the caller
//! writes them into the outbox in the transaction that records them.
//!
//! Both go out without being asked for, so they carry what RFC 2369 and RFC 8058 ask of
//! such mail: `List-Unsubscribe` with our one-click HTTPS link
//! (`<base_url>/unsubscribe/<token>`) and a `mailto:` address carrying the same signed
//! token, `List-Unsubscribe-Post`, and a visible line in the body. Replies to a call go to
//! our plain address, so that a filled-in form arrives as an ordinary submission; replies
//! to a renewal request carry the listing's reply token, like its confirmation.

use chrono::{DateTime, NaiveDate, Utc};
use minijinja::context;
use minijinja::value::{Serde, Value};

use super::answers::{PrivacyNotice, labelled, render_email, render_form, submission_summary};
use super::token::{self, TokenSubject};
use crate::domain::{EmailAddress, Submission};
use crate::forms::{FormKind, FormLanguage};
use crate::store::{NewOutboxMessage, OutreachAddressId};

/// What composing a call needs of the configuration.
#[derive(Clone, Debug)]
pub struct CallSettings {
    pub our_address: EmailAddress,
    pub secret: String,
    /// The public address of the web pages, for the unsubscribe link.
    pub base_url: String,
    pub privacy_notice: PrivacyNotice,
}

/// One recipient of a call, as the caller knows them.
#[derive(Clone, Copy, Debug)]
pub struct CallLetter<'a> {
    pub address: &'a EmailAddress,
    /// The outreach row of the address, which its unsubscribe token names.
    pub address_id: OutreachAddressId,
    /// Empty when unknown.
    pub name: &'a str,
    /// Empty when unknown.
    pub organisation: &'a str,
    pub language: FormLanguage,
    pub round_date: NaiveDate,
}

/// An open listing to ask to renew or withdraw.
#[derive(Clone, Copy, Debug)]
pub struct RenewalLetter<'a> {
    pub submission: &'a Submission,
    /// The outreach row of the contact address, which its unsubscribe token names.
    pub address_id: OutreachAddressId,
    pub language: FormLanguage,
    /// The day the listing expires if nobody answers.
    pub expires_on: NaiveDate,
}

/// The request to renew or withdraw an open listing, sent to its contact. Replies carry
/// the listing's token: `RENEW`, changed fields or `WITHDRAW`. Its Message-ID names the
/// listing and the time of the request.
pub fn renewal_letter(
    settings: &CallSettings,
    letter: &RenewalLetter<'_>,
    now: DateTime<Utc>,
) -> NewOutboxMessage {
    let submission = letter.submission;
    let organisation = &submission.details.organisation;
    let unsubscribe = Unsubscribe::new(settings, letter.address_id);
    let reply_token = token::sign(TokenSubject::Submission(submission.id), &settings.secret);
    let language = letter.language;
    let summary = labelled(&submission_summary(&submission.details), language);
    let rendered = render_email(
        "renewal.txt",
        language,
        context! {
            name => &organisation.contact_name,
            role => submission.details.role.value(),
            reference => submission.id.to_string(),
            latest_end => submission.details.window.end().to_string(),
            expires_on => letter.expires_on.to_string(),
            summary => Value::from(Serde(summary)),
            language => language.code(),
            notice => Value::from(Serde(&settings.privacy_notice)),
            unsubscribe_url => &unsubscribe.url,
        },
    );
    let (our_local, our_domain) = parts_of(&settings.our_address);
    let mut headers = vec![
        ("Auto-Submitted".to_owned(), "auto-generated".to_owned()),
        (
            "Reply-To".to_owned(),
            format!("{our_local}+{reply_token}@{our_domain}"),
        ),
        ("Content-Language".to_owned(), language.code().to_owned()),
    ];
    headers.extend(unsubscribe.headers);
    NewOutboxMessage {
        message_id: format!(
            "<renewal.s{}.{}@{our_domain}>",
            submission.id.get(),
            now.timestamp()
        ),
        recipients: vec![organisation.contact_email.clone()],
        subject: format!("{} [mobmatch {reply_token}]", rendered.subject),
        body_text: rendered.text,
        body_html: Some(rendered.html),
        headers,
        created_at: now,
    }
}

/// The unsubscribe link of an address, and the headers that carry it.
struct Unsubscribe {
    url: String,
    headers: [(String, String); 2],
}

impl Unsubscribe {
    fn new(settings: &CallSettings, address_id: OutreachAddressId) -> Unsubscribe {
        let token = token::sign(TokenSubject::Unsubscribe(address_id), &settings.secret);
        let url = unsubscribe_url(&settings.base_url, &token);
        let (our_local, our_domain) = parts_of(&settings.our_address);
        let headers = [
            (
                "List-Unsubscribe".to_owned(),
                format!("<{url}>, <mailto:{our_local}+{token}@{our_domain}?subject=unsubscribe>"),
            ),
            (
                "List-Unsubscribe-Post".to_owned(),
                "List-Unsubscribe=One-Click".to_owned(),
            ),
        ];
        Unsubscribe { url, headers }
    }
}

fn parts_of(address: &EmailAddress) -> (&str, &str) {
    address
        .as_str()
        .split_once('@')
        .expect("an email address has an @")
}

fn domain_of(address: &EmailAddress) -> &str {
    parts_of(address).1
}

/// The one-click unsubscribe link for an address's token.
pub fn unsubscribe_url(base_url: &str, token: &str) -> String {
    format!("{}/unsubscribe/{token}", base_url.trim_end_matches('/'))
}

/// The email of a call to one recipient. Its Message-ID names the round and the address's
/// row, so the outbox refuses the same call to the same address twice.
pub fn call_letter(
    settings: &CallSettings,
    letter: &CallLetter<'_>,
    now: DateTime<Utc>,
) -> NewOutboxMessage {
    let unsubscribe = Unsubscribe::new(settings, letter.address_id);
    let language = letter.language;
    let rendered = render_email(
        "call.txt",
        language,
        context! {
            language => language.code(),
            notice => Value::from(Serde(&settings.privacy_notice)),
            name => letter.name,
            organisation => letter.organisation,
            round_date => letter.round_date.to_string(),
            submission_form => render_form(language, FormKind::Submission, &[]),
            unsubscribe_url => &unsubscribe.url,
        },
    );
    let mut headers = vec![
        ("Auto-Submitted".to_owned(), "auto-generated".to_owned()),
        ("Precedence".to_owned(), "bulk".to_owned()),
        ("Reply-To".to_owned(), settings.our_address.to_string()),
        ("Content-Language".to_owned(), language.code().to_owned()),
    ];
    headers.extend(unsubscribe.headers);
    let our_domain = domain_of(&settings.our_address);
    NewOutboxMessage {
        message_id: format!(
            "<call.{}.u{}@{our_domain}>",
            letter.round_date,
            letter.address_id.get()
        ),
        recipients: vec![letter.address.clone()],
        subject: rendered.subject,
        body_text: rendered.text,
        body_html: Some(rendered.html),
        headers,
        created_at: now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> CallSettings {
        CallSettings {
            our_address: EmailAddress::parse("matchmaking@example.org").unwrap(),
            secret: "call secret".to_owned(),
            base_url: "https://match.example.org/".to_owned(),
            privacy_notice: PrivacyNotice {
                message_days: 180,
                contact_days: 730,
                contact: "secretariat@example.org".to_owned(),
            },
        }
    }

    fn header<'a>(message: &'a NewOutboxMessage, name: &str) -> &'a str {
        message
            .headers
            .iter()
            .find(|(header, _)| header == name)
            .map(|(_, value)| value.as_str())
            .unwrap_or_else(|| panic!("no {name} header"))
    }

    #[test]
    fn a_call_carries_a_signed_unsubscribe_link_in_its_headers_and_body() {
        let address = EmailAddress::parse("anna@gtg.example").unwrap();
        let letter = CallLetter {
            address: &address,
            address_id: OutreachAddressId::new(9),
            name: "Anna Berg",
            organisation: "Göteborgs Tekniska Gymnasium",
            language: FormLanguage::Sv,
            round_date: NaiveDate::from_ymd_opt(2027, 3, 1).unwrap(),
        };
        let now = "2027-02-01T09:00:00Z".parse().unwrap();
        let message = call_letter(&settings(), &letter, now);
        let token = token::sign(
            TokenSubject::Unsubscribe(OutreachAddressId::new(9)),
            "call secret",
        );
        let url = format!("https://match.example.org/unsubscribe/{token}");
        assert_eq!(
            header(&message, "List-Unsubscribe"),
            format!("<{url}>, <mailto:matchmaking+{token}@example.org?subject=unsubscribe>")
        );
        assert_eq!(
            header(&message, "List-Unsubscribe-Post"),
            "List-Unsubscribe=One-Click"
        );
        assert_eq!(header(&message, "Auto-Submitted"), "auto-generated");
        assert_eq!(header(&message, "Reply-To"), "matchmaking@example.org");
        assert_eq!(header(&message, "Content-Language"), "sv");
        assert_eq!(message.message_id, "<call.2027-03-01.u9@example.org>");
        assert!(
            message.subject.contains("2027-03-01"),
            "{}",
            message.subject
        );
        assert!(
            message.subject.starts_with("Inbjudan"),
            "{}",
            message.subject
        );
        assert!(message.body_text.contains("Hej Anna Berg"));
        assert!(
            message
                .body_text
                .contains(&format!("svara AVREGISTRERA eller öppna {url}"))
        );
        assert!(message.body_text.contains("secretariat@example.org"));
        // The HTML part shows the link as escaped text.
        assert!(
            message
                .body_html
                .unwrap()
                .contains(&url.replace('/', "&#x2f;"))
        );
    }
}

//! Our answers to inbound mail, rendered from the minijinja templates in
//! `templates/email/<lang>/` (embedded in the binary): the text part from the language's
//! template, whose first line is the subject, and the HTML part from one shared layout
//! that sets the same text in paragraphs, with the forms in monospace blocks.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use minijinja::value::Serde;
use minijinja::{Environment, UndefinedBehavior, Value, context};
use serde::Serialize;

use crate::domain::{EmailAddress, MobilityDetails, Role, SubmissionDetails};
use crate::forms::{FieldError, FieldKey, FieldSet, FormKind, FormLanguage};
use crate::privacy::RetentionSettings;

/// What an answer says.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    /// What was understood, with the reference of the record created or changed.
    Confirmation {
        kind: &'static str,
        reference: String,
        summary: Vec<(FieldKey, String)>,
    },
    /// Every error, and the form pre-filled with what was written.
    Rejection {
        errors: Vec<FieldError>,
        form: FormKind,
        values: Vec<(FieldKey, String)>,
    },
    /// The blank forms, for mail we could not read, with what went wrong if we know.
    Help {
        problem: Option<String>,
    },
    Withdrawal {
        reference: String,
    },
    /// The double opt-in of a web submission: the link that confirms it, and what was
    /// received.
    ConfirmLink {
        reference: String,
        link: String,
        summary: Vec<(FieldKey, String)>,
    },
    /// A short answer to a reply we cannot act on (a token that is altered, not ours, or
    /// sent from another address than the one we wrote to), saying what to do instead.
    ReplyProblem {
        problem: String,
    },
}

/// What the privacy notice in every answer that asks for data says: how long messages
/// and contact details are kept, and whom to write to about them. The one template
/// `templates/email/privacy_notice.txt` holds it in every language.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PrivacyNotice {
    pub message_days: u32,
    pub contact_days: u32,
    pub contact: String,
}

impl PrivacyNotice {
    pub fn new(periods: &RetentionSettings, contact: &EmailAddress) -> PrivacyNotice {
        PrivacyNotice {
            message_days: periods.raw_messages_days,
            contact_days: periods.closed_contacts_days,
            contact: contact.to_string(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderedAnswer {
    pub subject: String,
    pub text: String,
    pub html: String,
}

macro_rules! language_templates {
    ($($language:literal),*) => {
        &[$(
            language_templates!(@one $language, "confirmation.txt"),
            language_templates!(@one $language, "rejection.txt"),
            language_templates!(@one $language, "help.txt"),
            language_templates!(@one $language, "withdrawal.txt"),
            language_templates!(@one $language, "submission_form.txt"),
            language_templates!(@one $language, "report_form.txt"),
            language_templates!(@one $language, "opt_in.txt"),
            language_templates!(@one $language, "reply_problem.txt"),
            language_templates!(@one $language, "introduction.txt"),
            language_templates!(@one $language, "introduction_news.txt"),
            language_templates!(@one $language, "completion.txt"),
            language_templates!(@one $language, "call.txt"),
            language_templates!(@one $language, "renewal.txt"),
        )*]
    };
    (@one $language:literal, $file:literal) => {
        (
            concat!($language, "/", $file),
            include_str!(concat!("../../templates/email/", $language, "/", $file)),
        )
    };
}

const TEMPLATES: &[(&str, &str)] = language_templates!("en", "es", "sv", "fr", "de");
const LAYOUT: &str = include_str!("../../templates/email/answer.html");
const PRIVACY_NOTICE: &str = include_str!("../../templates/email/privacy_notice.txt");

static ENVIRONMENT: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut environment = Environment::new();
    environment.set_undefined_behavior(UndefinedBehavior::Strict);
    for (name, source) in TEMPLATES {
        environment
            .add_template(name, source)
            .expect("the embedded email templates parse");
    }
    environment
        .add_template("answer.html", LAYOUT)
        .expect("the embedded email layout parses");
    environment
        .add_template("privacy_notice.txt", PRIVACY_NOTICE)
        .expect("the embedded privacy notice parses");
    environment
});

impl Answer {
    pub fn render(&self, language: FormLanguage, notice: &PrivacyNotice) -> RenderedAnswer {
        let language_code = language.code();
        let template = |name: &str| format!("{language_code}/{name}");
        // What every answer's template sees besides its own values: the included privacy
        // notice needs the language and what to say.
        let shared = context! { language => language_code, notice => Value::from(Serde(notice)) };
        let text = match self {
            Answer::Confirmation {
                kind,
                reference,
                summary,
            } => render(
                &template("confirmation.txt"),
                context! { kind => *kind, reference, summary => Value::from(Serde(labelled(summary, language))), ..shared.clone() },
            ),
            Answer::Rejection {
                errors,
                form,
                values,
            } => {
                let errors: Vec<ErrorLine> = errors
                    .iter()
                    .map(|error| ErrorLine {
                        label: label_of_key(error.field, language),
                        value: error.value.clone(),
                        message: error.message_in(language),
                    })
                    .collect();
                let form = render_form(language, *form, values);
                render(
                    &template("rejection.txt"),
                    context! { errors => Value::from(Serde(errors)), form, ..shared.clone() },
                )
            }
            Answer::Help { problem } => render(
                &template("help.txt"),
                context! {
                    problem,
                    submission_form => render_form(language, FormKind::Submission, &[]),
                    report_form => render_form(language, FormKind::MobilityReport, &[]),
                    ..shared.clone()
                },
            ),
            Answer::Withdrawal { reference } => render(
                &template("withdrawal.txt"),
                context! { reference, ..shared },
            ),
            Answer::ReplyProblem { problem } => {
                render(&template("reply_problem.txt"), context! { problem })
            }
            Answer::ConfirmLink {
                reference,
                link,
                summary,
            } => render(
                &template("opt_in.txt"),
                context! { reference, link, summary => Value::from(Serde(labelled(summary, language))), ..shared },
            ),
        };
        split_subject_and_layout(language, &text)
    }
}

/// Renders `templates/email/<language>/<name>` with `context` into a subject (its first
/// line), a text body and the HTML layout of the same text.
pub(super) fn render_email(
    name: &str,
    language: FormLanguage,
    context: minijinja::Value,
) -> RenderedAnswer {
    let text = render(&format!("{}/{name}", language.code()), context);
    split_subject_and_layout(language, &text)
}

fn split_subject_and_layout(language: FormLanguage, text: &str) -> RenderedAnswer {
    let (subject, body) = text.split_once('\n').unwrap_or((text, ""));
    let subject = subject.trim().to_owned();
    let body = body.trim_matches('\n').to_owned() + "\n";
    let html = render(
        "answer.html",
        context! { language => language.code(), subject => subject.clone(), blocks => Value::from(Serde(html_blocks(&body))) },
    );
    RenderedAnswer {
        subject,
        text: body,
        html,
    }
}

/// The values a person wrote, by field, to pre-fill a form.
pub fn written_values(fields: &FieldSet) -> Vec<(FieldKey, String)> {
    fields
        .entries
        .iter()
        .map(|entry| (entry.key, entry.value.clone()))
        .collect()
}

/// What was understood of a submission, field by field, in normalised form.
pub fn submission_summary(details: &SubmissionDetails) -> Vec<(FieldKey, String)> {
    let mut lines = vec![
        (FieldKey::Role, details.role.value().to_owned()),
        (FieldKey::Organisation, details.organisation.name.clone()),
        (
            FieldKey::ContactName,
            details.organisation.contact_name.clone(),
        ),
        (
            FieldKey::ContactEmail,
            details.organisation.contact_email.to_string(),
        ),
        (
            FieldKey::Region,
            region_text(
                details.organisation.region.code(),
                details.organisation.region.name(),
            ),
        ),
        (
            FieldKey::MobilityType,
            details.mobility_type.value().to_owned(),
        ),
        (
            FieldKey::Fields,
            join(details.fields.iter().map(|field| field.code())),
        ),
        (FieldKey::Participants, details.participants.to_string()),
    ];
    match details.role {
        Role::Sending => lines.push((
            FieldKey::FewerOpportunities,
            details.fewer_opportunities.to_string(),
        )),
        Role::Receiving => lines.push((
            FieldKey::InclusionSupport,
            if details.inclusion_support {
                "yes"
            } else {
                "no"
            }
            .to_owned(),
        )),
    }
    lines.extend([
        (FieldKey::EarliestStart, details.window.start().to_string()),
        (FieldKey::LatestEnd, details.window.end().to_string()),
        (FieldKey::Duration, duration_text(details)),
        (
            FieldKey::Languages,
            join(details.languages.iter().map(|language| language.code())),
        ),
        (
            FieldKey::PartnerCountries,
            join(
                details
                    .partner_countries
                    .iter()
                    .map(|country| country.code()),
            ),
        ),
        (FieldKey::Notes, details.notes.clone()),
    ]);
    lines
}

/// A stored submission as form values, so that a reply can change some of them.
pub fn submission_values(details: &SubmissionDetails) -> Vec<(FieldKey, String)> {
    submission_summary(details)
        .into_iter()
        .map(|(key, value)| match key {
            FieldKey::Region => (key, details.organisation.region.code().to_owned()),
            _ => (key, value),
        })
        .collect()
}

pub fn mobility_summary(details: &MobilityDetails) -> Vec<(FieldKey, String)> {
    let mut lines = vec![
        (
            FieldKey::SendingOrganisation,
            details.sending_organisation.clone(),
        ),
        (
            FieldKey::SendingRegion,
            region_text(details.sending_region.code(), details.sending_region.name()),
        ),
        (
            FieldKey::ReceivingOrganisation,
            details.receiving_organisation.clone(),
        ),
    ];
    match details.destination.nuts_region() {
        Some(region) => lines.push((
            FieldKey::ReceivingRegion,
            region_text(region.code(), region.name()),
        )),
        None => lines.push((
            FieldKey::ReceivingCountry,
            details.destination.country().code().to_owned(),
        )),
    }
    lines.extend([
        (
            FieldKey::MobilityType,
            details.mobility_type.value().to_owned(),
        ),
        (FieldKey::Participants, details.participants.to_string()),
        (
            FieldKey::FewerOpportunities,
            details.fewer_opportunities.to_string(),
        ),
        (FieldKey::StartDate, details.dates.start().to_string()),
        (FieldKey::EndDate, details.dates.end().to_string()),
        (FieldKey::Status, details.status.value().to_owned()),
    ]);
    if let Some(introduction) = details.introduction {
        lines.push((FieldKey::Introduction, introduction.to_string()));
    }
    lines
}

#[derive(Serialize)]
pub(super) struct LabelledLine {
    label: String,
    value: String,
}

#[derive(Serialize)]
struct ErrorLine {
    label: String,
    value: String,
    message: String,
}

#[derive(Serialize)]
struct HtmlBlock {
    form: bool,
    lines: Vec<String>,
}

/// The fields of a form in their printed order; `FieldKey::ALL` lists the submission
/// form's fields first, up to `Notes`.
fn render(name: &str, context: minijinja::Value) -> String {
    ENVIRONMENT
        .get_template(name)
        .and_then(|template| template.render(context))
        .unwrap_or_else(|error| panic!("the embedded template {name} renders: {error:#}"))
}

pub(super) fn render_form(
    language: FormLanguage,
    form: FormKind,
    written: &[(FieldKey, String)],
) -> String {
    let name = match form {
        FormKind::Submission => "submission_form.txt",
        FormKind::MobilityReport => "report_form.txt",
    };
    let mut values: BTreeMap<&str, String> = form
        .keys()
        .iter()
        .map(|key| (key.key(), String::new()))
        .collect();
    for (key, value) in written {
        if let Some(slot) = values.get_mut(key.key()) {
            *slot = value.clone();
        }
    }
    let text = render(&format!("{}/{name}", language.code()), context! { values });
    text.lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
}

pub(super) fn labelled(lines: &[(FieldKey, String)], language: FormLanguage) -> Vec<LabelledLine> {
    lines
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(key, value)| LabelledLine {
            label: label(*key, language),
            value: value.clone(),
        })
        .collect()
}

pub(super) fn label(key: FieldKey, language: FormLanguage) -> String {
    key.labels(language)
        .first()
        .or_else(|| key.labels(FormLanguage::En).first())
        .map(|label| (*label).to_owned())
        .unwrap_or_else(|| key.key().to_owned())
}

fn label_of_key(key: &str, language: FormLanguage) -> String {
    FieldKey::find(key)
        .map(|key| label(key, language))
        .unwrap_or_else(|| key.to_owned())
}

fn region_text(code: &str, name: &str) -> String {
    format!("{code} ({name})")
}

fn duration_text(details: &SubmissionDetails) -> String {
    let (min, max) = (details.duration.min_days(), details.duration.max_days());
    if min == max {
        min.to_string()
    } else {
        format!("{min}-{max}")
    }
}

fn join<'a>(codes: impl Iterator<Item = &'a str>) -> String {
    codes.collect::<Vec<_>>().join(", ")
}

/// Splits a text body into paragraphs at blank lines; a paragraph of `Label: value`
/// lines is a form.
fn html_blocks(text: &str) -> Vec<HtmlBlock> {
    text.split("\n\n")
        .map(|paragraph| paragraph.trim_matches('\n'))
        .filter(|paragraph| !paragraph.is_empty())
        .map(|paragraph| {
            let lines: Vec<String> = paragraph.lines().map(str::to_owned).collect();
            let form = lines.len() > 3 && lines.iter().all(|line| line.contains(':'));
            HtmlBlock { form, lines }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ValueProblem;
    use crate::forms::FieldProblem;

    fn notice() -> PrivacyNotice {
        PrivacyNotice::new(
            &RetentionSettings::default(),
            &EmailAddress::parse("privacy@earlall.example").unwrap(),
        )
    }

    #[test]
    fn every_answer_that_asks_for_data_carries_the_privacy_notice_in_its_language() {
        let asking = [
            Answer::Confirmation {
                kind: "submission",
                reference: "S-1".to_owned(),
                summary: vec![(FieldKey::Participants, "4".to_owned())],
            },
            Answer::Confirmation {
                kind: "mobility_report",
                reference: "M-1".to_owned(),
                summary: vec![(FieldKey::Participants, "4".to_owned())],
            },
            Answer::Rejection {
                errors: Vec::new(),
                form: FormKind::MobilityReport,
                values: Vec::new(),
            },
            Answer::Help { problem: None },
        ];
        let phrases = [
            (FormLanguage::En, "for 180 days"),
            (FormLanguage::Es, "durante 180 días"),
            (FormLanguage::Sv, "i 180 dagar"),
            (FormLanguage::Fr, "pendant 180 jours"),
            (FormLanguage::De, "Nachrichten 180 Tage"),
        ];
        for (language, phrase) in phrases {
            for answer in &asking {
                let rendered = answer.render(language, &notice());
                let lines: Vec<&str> = rendered
                    .text
                    .lines()
                    .filter(|line| line.contains("privacy@earlall.example"))
                    .collect();
                assert_eq!(
                    lines.len(),
                    1,
                    "{language:?} {answer:?}:\n{}",
                    rendered.text
                );
                assert!(lines[0].contains(phrase), "{language:?}: {}", lines[0]);
                assert!(lines[0].contains("730"), "{}", lines[0]);
                assert!(rendered.html.contains("privacy@earlall.example"));
                assert!(
                    FieldSet::from_text(lines[0]).is_empty(),
                    "the notice must not read as a form field: {}",
                    lines[0]
                );
            }
        }
    }

    #[test]
    fn every_language_renders_every_answer() {
        let answers = [
            Answer::Confirmation {
                kind: "submission",
                reference: "S-1".to_owned(),
                summary: vec![(FieldKey::Participants, "4".to_owned())],
            },
            Answer::Rejection {
                errors: vec![FieldError::new(
                    "participants",
                    "many".to_owned(),
                    ValueProblem::NotAWholeNumber.into(),
                )],
                form: FormKind::Submission,
                values: vec![(FieldKey::Participants, "many".to_owned())],
            },
            Answer::Help { problem: None },
            Answer::Withdrawal {
                reference: "S-1".to_owned(),
            },
            Answer::ConfirmLink {
                reference: "S-1".to_owned(),
                link: "http://127.0.0.1:8080/confirm/s1-00".to_owned(),
                summary: vec![(FieldKey::Participants, "4".to_owned())],
            },
            Answer::ReplyProblem {
                problem: "the reply reference has been altered".to_owned(),
            },
        ];
        for language in FormLanguage::ALL {
            for answer in &answers {
                let rendered = answer.render(*language, &notice());
                assert!(!rendered.subject.is_empty(), "{language:?} {answer:?}");
                assert!(!rendered.text.starts_with('\n'));
                assert!(rendered.html.contains("<p>"), "{}", rendered.html);
            }
        }
    }

    #[test]
    fn the_blank_forms_read_back_as_their_own_fields() {
        for language in FormLanguage::ALL {
            for form in [FormKind::Submission, FormKind::MobilityReport] {
                let keys = form.keys();
                let filled: Vec<(FieldKey, String)> =
                    keys.iter().map(|key| (*key, "x".to_owned())).collect();
                let text = render_form(*language, form, &filled);
                let fields = FieldSet::from_text(&text);
                for key in keys {
                    assert!(fields.contains(*key), "{language:?} {key:?} in\n{text}");
                }
                assert_eq!(fields.language(), Some(*language), "{text}");
            }
        }
    }

    #[test]
    fn a_rejection_lists_every_error_and_keeps_what_was_written() {
        let rendered = Answer::Rejection {
            errors: vec![
                FieldError::new(
                    "participants",
                    "many".to_owned(),
                    ValueProblem::NotAWholeNumber.into(),
                ),
                FieldError::new(
                    "region",
                    String::new(),
                    FieldProblem::Missing(FieldKey::Region),
                ),
            ],
            form: FormKind::Submission,
            values: vec![(FieldKey::Organisation, "TKNIKA".to_owned())],
        }
        .render(FormLanguage::Es, &notice());
        assert!(
            rendered.text.contains(
                "- Participantes (\"many\"): no es un número entero; escriba un número de personas, por ejemplo 8"
            ),
            "{}",
            rendered.text
        );
        assert!(
            rendered.text.contains(
                "- Región: falta; escriba el código NUTS 2 de la región de la organización, por ejemplo ES21"
            ),
            "{}",
            rendered.text
        );
        assert!(rendered.text.contains("Organización: TKNIKA"));
        assert!(rendered.html.contains("<pre"));
    }
}

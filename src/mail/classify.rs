//! Classification of an inbound message (DESIGN.md section 4), as pure functions of the
//! decoded message. The one step that needs the database, "duplicate", sits between
//! [`ignore_reason`] and [`classify`]: a duplicate is not handled, whatever `classify`
//! says of it (ingestion classifies ahead, on its reading thread, and checks after).

use super::decode::DecodedMessage;
use super::token;
use crate::forms::{FieldSet, FormKind, ReplyText, split_reply};

/// Why a message is ignored: it was written by a program, and answering it could start
/// two robots answering each other forever.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IgnoreReason(pub String);

/// What a message that is not ignored and not a duplicate is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Classification {
    /// It carries a token: a reply to something we sent.
    Reply {
        token: String,
        reply: ReplyText,
    },
    Submission {
        fields: FieldSet,
        reply: ReplyText,
    },
    MobilityReport {
        fields: FieldSet,
        reply: ReplyText,
    },
    Unrecognised {
        reply: ReplyText,
    },
}

/// The first word of a reply that decides what it asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyCommand {
    Withdraw,
    Accept,
    Decline,
    /// No more calls for submissions or renewal requests to this address.
    Unsubscribe,
    /// Keep an open listing open: the answer to a renewal request.
    Renew,
}

/// Subjects that out-of-office and other automatic replies start with, in the
/// languages of the partnership (compared in lower case).
const AUTO_REPLY_SUBJECTS: &[&str] = &[
    "auto:",
    "automatic reply",
    "autoreply",
    "auto-reply",
    "out of office",
    "out of the office",
    "abwesenheitsnotiz",
    "automatische antwort",
    "respuesta automática",
    "fuera de la oficina",
    "frånvaro",
    "autosvar",
    "automatiskt svar",
    "réponse automatique",
    "absence du bureau",
    "undeliverable",
    "undelivered mail",
    "delivery status notification",
    "mail delivery failed",
    "unzustellbar",
    "non remis",
    "no se puede entregar",
];

const ROBOT_SENDERS: &[&str] = &[
    "mailer-daemon",
    "postmaster",
    "noreply",
    "no-reply",
    "no_reply",
    "donotreply",
    "do-not-reply",
];

/// Why the message must never be answered, if it must not.
pub fn ignore_reason(message: &DecodedMessage, our_address: &str) -> Option<IgnoreReason> {
    let reason = |text: String| Some(IgnoreReason(text));
    for (name, value) in &message.automation_headers {
        let value_lower = value.to_ascii_lowercase();
        let automatic = match name.as_str() {
            "auto-submitted" => value_lower != "no",
            "precedence" => ["bulk", "junk", "list", "auto_reply"].contains(&value_lower.as_str()),
            "x-autoreply"
            | "x-autorespond"
            | "x-loop"
            | "list-id"
            | "list-unsubscribe"
            | "x-failed-recipients" => true,
            // It asks us not to auto-reply; it does not make the message automatic.
            _ => false,
        };
        if automatic {
            return reason(format!("{name}: {value}"));
        }
    }
    if message.return_path.as_deref() == Some("") {
        return reason("null sender (Return-Path: <>)".to_owned());
    }
    if message.content_type == "multipart/report" {
        return reason("delivery status report (multipart/report)".to_owned());
    }
    let Some(sender) = &message.sender else {
        return reason("no sender".to_owned());
    };
    let local_part = sender
        .split('@')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if ROBOT_SENDERS
        .iter()
        .any(|robot| local_part.starts_with(robot))
    {
        return reason(format!("sent by a program ({sender})"));
    }
    if is_ours(sender, our_address) {
        return reason("sent from our own address".to_owned());
    }
    let subject = message.subject.trim().to_lowercase();
    if let Some(prefix) = AUTO_REPLY_SUBJECTS
        .iter()
        .find(|prefix| subject.starts_with(*prefix))
    {
        return reason(format!(
            "automatic reply (subject starts with \"{prefix}\")"
        ));
    }
    None
}

/// What the message is, once it is known not to be ignored or a duplicate.
pub fn classify(message: &DecodedMessage, our_address: &str) -> Classification {
    let reply = split_reply(&message.body);
    let token = message
        .recipients
        .iter()
        .find_map(|recipient| token::find_in_address(recipient, our_address))
        .or_else(|| token::find_in_subject(&message.subject));
    if let Some(token) = token {
        return Classification::Reply {
            token: token.to_owned(),
            reply,
        };
    }
    let fields = FieldSet::from_text(&reply.new_text);
    match fields.kind() {
        Some(FormKind::Submission) => Classification::Submission { fields, reply },
        Some(FormKind::MobilityReport) => Classification::MobilityReport { fields, reply },
        None => Classification::Unrecognised { reply },
    }
}

/// The command that the first word (or two) of a reply's new text gives, in any of the
/// five languages (FORMS.md).
pub fn reply_command(new_text: &str) -> Option<ReplyCommand> {
    let first_line = new_text.lines().find(|line| !line.trim().is_empty())?;
    let words: Vec<String> = first_line
        .split_whitespace()
        .take(2)
        .map(|word| {
            word.trim_matches(|c: char| !c.is_alphanumeric())
                .to_uppercase()
        })
        .collect();
    let first = words.first()?.as_str();
    let two = words.join(" ");
    match first {
        "WITHDRAW" | "RETIRAR" | "RETIRER" | "ZURÜCKZIEHEN" => Some(ReplyCommand::Withdraw),
        _ if two == "DRA TILLBAKA" => Some(ReplyCommand::Withdraw),
        "RENEW" | "RENOVAR" | "FÖRNYA" | "RENOUVELER" | "ERNEUERN" => Some(ReplyCommand::Renew),
        "UNSUBSCRIBE" | "BAJA" | "AVREGISTRERA" | "DÉSABONNER" | "DESABONNER" | "ABMELDEN" => {
            Some(ReplyCommand::Unsubscribe)
        }
        "ACCEPT" | "YES" | "ACEPTO" | "SÍ" | "SI" | "ACCEPTERA" | "JA" | "ACCEPTE" | "OUI"
        | "AKZEPTIERE" => Some(ReplyCommand::Accept),
        "DECLINE" | "NO" | "RECHAZO" | "AVBÖJ" | "NEJ" | "REFUSE" | "NON" | "ABLEHNEN" | "NEIN" => {
            Some(ReplyCommand::Decline)
        }
        _ => None,
    }
}

fn is_ours(sender: &str, our_address: &str) -> bool {
    let (Some((local, domain)), Some((our_local, our_domain))) =
        (sender.rsplit_once('@'), our_address.rsplit_once('@'))
    else {
        return false;
    };
    let base = local.split('+').next().unwrap_or(local);
    base.eq_ignore_ascii_case(our_local) && domain.eq_ignore_ascii_case(our_domain)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OURS: &str = "matchmaking@example.org";

    fn message(sender: &str, subject: &str, body: &str) -> DecodedMessage {
        DecodedMessage {
            message_id: Some("1@example.com".to_owned()),
            sender: Some(sender.to_owned()),
            subject: subject.to_owned(),
            content_type: "text/plain".to_owned(),
            body: body.to_owned(),
            ..DecodedMessage::default()
        }
    }

    fn with_header(mut message: DecodedMessage, name: &str, value: &str) -> DecodedMessage {
        message
            .automation_headers
            .push((name.to_owned(), value.to_owned()));
        message
    }

    #[test]
    fn ignores_what_programs_send() {
        let person = message("anna@school.example", "Our offer", "Role: receiving");
        let cases = [
            with_header(person.clone(), "auto-submitted", "auto-replied"),
            with_header(person.clone(), "precedence", "bulk"),
            with_header(person.clone(), "x-autoreply", "yes"),
            with_header(person.clone(), "list-id", "<vet.lists.example>"),
            DecodedMessage {
                return_path: Some(String::new()),
                ..person.clone()
            },
            DecodedMessage {
                content_type: "multipart/report".to_owned(),
                ..person.clone()
            },
            DecodedMessage {
                sender: None,
                ..person.clone()
            },
            message("MAILER-DAEMON@mx.example", "failure", ""),
            message("postmaster@school.example", "failure", ""),
            message("matchmaking@example.org", "Received", ""),
            message("matchmaking+s1-00@example.org", "Received", ""),
            message("anna@school.example", "Automatic reply: Our offer", ""),
            message("anna@school.example", "Abwesenheitsnotiz: Angebot", ""),
            message("anna@school.example", "Respuesta automática: oferta", ""),
        ];
        for case in cases {
            assert!(ignore_reason(&case, OURS).is_some(), "{case:?}");
        }
    }

    #[test]
    fn answers_people_even_when_they_ask_not_to_be_auto_answered() {
        let person = message("anna@school.example", "Our offer", "Role: receiving");
        assert_eq!(ignore_reason(&person, OURS), None);
        let suppressing = with_header(person.clone(), "x-auto-response-suppress", "All");
        assert_eq!(ignore_reason(&suppressing, OURS), None);
        let explicit_no = with_header(person, "auto-submitted", "no");
        assert_eq!(ignore_reason(&explicit_no, OURS), None);
    }

    #[test]
    fn a_token_in_the_address_or_the_subject_makes_a_reply() {
        let mut reply = message("anna@school.example", "Re: Received", "Participants: 4");
        reply.recipients = vec!["matchmaking+s4-abc@example.org".to_owned()];
        assert!(matches!(
            classify(&reply, OURS),
            Classification::Reply { token, .. } if token == "s4-abc"
        ));
        let tagged = message("anna@school.example", "Re: [mobmatch s5-abc]", "WITHDRAW");
        assert!(matches!(
            classify(&tagged, OURS),
            Classification::Reply { token, .. } if token == "s5-abc"
        ));
    }

    #[test]
    fn a_role_makes_a_submission_and_a_sending_region_a_report() {
        let submission = message("a@b.example", "offer", "Role: receiving\nOrganisation: X");
        assert!(matches!(
            classify(&submission, OURS),
            Classification::Submission { .. }
        ));
        let report = message(
            "a@b.example",
            "report",
            "Sending region: ES21\nReceiving country: SE",
        );
        assert!(matches!(
            classify(&report, OURS),
            Classification::MobilityReport { .. }
        ));
        let question = message("a@b.example", "question", "How do I take part?");
        assert!(matches!(
            classify(&question, OURS),
            Classification::Unrecognised { .. }
        ));
    }

    #[test]
    fn the_first_word_decides_a_reply_command_in_five_languages() {
        let cases = [
            ("WITHDRAW", Some(ReplyCommand::Withdraw)),
            ("withdraw please", Some(ReplyCommand::Withdraw)),
            ("Dra tillbaka, tack", Some(ReplyCommand::Withdraw)),
            ("Zurückziehen", Some(ReplyCommand::Withdraw)),
            ("\n  Sí, aceptamos", Some(ReplyCommand::Accept)),
            ("OUI", Some(ReplyCommand::Accept)),
            ("Nein.", Some(ReplyCommand::Decline)),
            ("AVBÖJ", Some(ReplyCommand::Decline)),
            ("RENEW", Some(ReplyCommand::Renew)),
            ("Renovar, gracias", Some(ReplyCommand::Renew)),
            ("förnya", Some(ReplyCommand::Renew)),
            ("Renouveler.", Some(ReplyCommand::Renew)),
            ("ERNEUERN bitte", Some(ReplyCommand::Renew)),
            ("Unsubscribe", Some(ReplyCommand::Unsubscribe)),
            ("BAJA, por favor", Some(ReplyCommand::Unsubscribe)),
            ("Avregistrera", Some(ReplyCommand::Unsubscribe)),
            ("Désabonner.", Some(ReplyCommand::Unsubscribe)),
            ("desabonner", Some(ReplyCommand::Unsubscribe)),
            ("Abmelden", Some(ReplyCommand::Unsubscribe)),
            ("Participants: 4", None),
            ("", None),
        ];
        for (text, expected) in cases {
            assert_eq!(reply_command(text), expected, "{text:?}");
        }
    }
}

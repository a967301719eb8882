//! Raw bytes to the plain facts the rest of mobmatch needs, with mail-parser: who sent
//! it, to whom, its identifiers, the headers that mark automatic mail, and the text of
//! the body (the plain-text alternative when there is one, otherwise the HTML turned
//! into text after its quoted original is cut away).

use mail_parser::decoders::html::html_to_text;
use mail_parser::{Address, HeaderValue, MessageParser, MimeHeaders, PartType};

/// A message reduced to what classification and the forms parser read. Header names in
/// `automation_headers` are lower case.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DecodedMessage {
    /// Without angle brackets.
    pub message_id: Option<String>,
    /// The From address, lower case.
    pub sender: Option<String>,
    pub subject: String,
    /// To, Cc, Delivered-To and X-Original-To addresses: where a plus-address token hides.
    pub recipients: Vec<String>,
    /// In-Reply-To and References, without angle brackets, oldest first.
    pub references: Vec<String>,
    /// The headers that tell automatic mail apart, with their raw values.
    pub automation_headers: Vec<(String, String)>,
    /// `Some("")` for the null sender `Return-Path: <>`.
    pub return_path: Option<String>,
    /// The top-level content type, such as `multipart/report`.
    pub content_type: String,
    pub body: String,
    /// The text of a `message/delivery-status` part, in a bounce report.
    pub delivery_status: Option<String>,
}

/// Headers that mark a message as written by a program (TOOLING.md, lessons from
/// Discourse, Zammad, Request Tracker and FreeScout).
const AUTOMATION_HEADERS: &[&str] = &[
    "auto-submitted",
    "precedence",
    "x-autoreply",
    "x-autorespond",
    "x-auto-response-suppress",
    "x-loop",
    "list-id",
    "list-unsubscribe",
    "x-failed-recipients",
];

/// Where mail clients start the quoted original inside an HTML reply.
const QUOTED_HTML_MARKERS: &[&str] = &[
    "<div class=\"gmail_quote",
    "<div id=\"divrplyfwdmsg\"",
    "<div id=\"appendonsend\"",
    "<blockquote type=\"cite\"",
    "<div class=\"moz-cite-prefix\"",
    "<blockquote class=\"gmail_quote\"",
];

/// Decodes any bytes; what cannot be read is left empty rather than refused, so that
/// garbage is still recorded and classified.
pub fn decode(raw: &[u8]) -> DecodedMessage {
    let Some(message) = MessageParser::default().parse(raw) else {
        return DecodedMessage {
            body: String::from_utf8_lossy(raw).into_owned(),
            ..DecodedMessage::default()
        };
    };
    let mut recipients = Vec::new();
    for address in [message.to(), message.cc()].into_iter().flatten() {
        recipients.extend(addresses(address));
    }
    for name in ["Delivered-To", "X-Original-To"] {
        for value in message.header_values(name) {
            if let Some(text) = value.as_text() {
                recipients.push(strip_angles(text).to_lowercase());
            }
        }
    }
    let mut references = id_list(message.references());
    for id in id_list(message.in_reply_to()) {
        if !references.contains(&id) {
            references.push(id);
        }
    }
    let automation_headers = message
        .headers()
        .iter()
        .filter_map(|header| {
            let name = header.name().to_ascii_lowercase();
            AUTOMATION_HEADERS.contains(&name.as_str()).then(|| {
                let value = message
                    .header_raw(header.name())
                    .unwrap_or_default()
                    .trim()
                    .to_owned();
                (name, value)
            })
        })
        .collect();
    let return_path = message
        .header_raw("Return-Path")
        .map(|value| strip_angles(value.trim()).to_lowercase());
    let content_type = message
        .content_type()
        .map(|content_type| match content_type.subtype() {
            Some(subtype) => format!("{}/{}", content_type.ctype(), subtype),
            None => content_type.ctype().to_owned(),
        })
        .unwrap_or_default()
        .to_ascii_lowercase();
    DecodedMessage {
        message_id: message.message_id().map(str::to_owned),
        sender: message
            .from()
            .and_then(|from| addresses(from).into_iter().next()),
        subject: message.subject().unwrap_or_default().to_owned(),
        recipients,
        references,
        automation_headers,
        return_path,
        content_type,
        body: body_text(&message),
        delivery_status: message
            .parts
            .iter()
            .find(|part| {
                part.content_type().is_some_and(|content_type| {
                    content_type.ctype().eq_ignore_ascii_case("message")
                        && content_type
                            .subtype()
                            .is_some_and(|subtype| subtype.eq_ignore_ascii_case("delivery-status"))
                })
            })
            .map(|part| String::from_utf8_lossy(part.contents()).into_owned()),
    }
}

/// HTML as readable text: the quoted original cut away first (mail-parser flattens
/// `<blockquote>` without a quote marker), table cells kept on one line, rows on lines.
pub fn html_as_text(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let end = QUOTED_HTML_MARKERS
        .iter()
        .filter_map(|marker| lower.find(marker))
        .min()
        .unwrap_or(html.len());
    let mut own = String::with_capacity(end);
    let mut rest = &html[..end];
    let lower_own = &lower[..end];
    let mut offset = 0;
    while let Some(position) = next_table_tag(&lower_own[offset..]) {
        let (at, tag, replacement) = position;
        own.push_str(&rest[..at]);
        own.push_str(replacement);
        rest = &rest[at + tag.len()..];
        offset += at + tag.len();
    }
    own.push_str(rest);
    let text = html_to_text(&own).replace('\u{a0}', " ");
    text.lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
}

fn next_table_tag(lower: &str) -> Option<(usize, &'static str, &'static str)> {
    [
        ("</td>", " </td>"),
        ("</th>", " </th>"),
        ("</tr>", "<br></tr>"),
        ("</div>", "<br></div>"),
        ("</li>", "<br></li>"),
    ]
    .into_iter()
    .filter_map(|(tag, replacement)| lower.find(tag).map(|at| (at, tag, replacement)))
    .min_by_key(|(at, _, _)| *at)
}

fn body_text(message: &mail_parser::Message<'_>) -> String {
    let mut parts = Vec::new();
    for part in message.text_bodies() {
        match &part.body {
            PartType::Text(text) => parts.push(text.to_string()),
            PartType::Html(html) => parts.push(html_as_text(html)),
            _ => {}
        }
    }
    if parts.is_empty() {
        for part in message.html_bodies() {
            if let PartType::Html(html) = &part.body {
                parts.push(html_as_text(html));
            }
        }
    }
    parts.join("\n")
}

fn addresses(address: &Address<'_>) -> Vec<String> {
    address
        .iter()
        .filter_map(|addr| addr.address())
        .map(|text| text.trim().to_lowercase())
        .collect()
}

fn id_list(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::Text(text) => vec![text.to_string()],
        HeaderValue::TextList(list) => list.iter().map(|id| id.to_string()).collect(),
        _ => Vec::new(),
    }
}

fn strip_angles(text: &str) -> &str {
    text.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_paragraphs_breaks_spaces_and_tables_become_lines() {
        let text = html_as_text(
            "<html><body><p>Role:&nbsp;sending</p><div>Organisation: TKNIKA<br>Region: ES21</div>\
             <table><tr><td>Participants:</td><td>12</td></tr><tr><td>Languages:</td><td>es, en</td></tr></table>\
             <div class=\"gmail_quote\">On Mon wrote:<blockquote>Role: receiving</blockquote></div></body></html>",
        );
        for line in [
            "Role: sending",
            "Organisation: TKNIKA",
            "Region: ES21",
            "Participants: 12",
            "Languages: es, en",
        ] {
            assert!(
                text.lines().any(|candidate| candidate
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
                    == line),
                "{line:?} in {text:?}"
            );
        }
        assert!(!text.contains("receiving"), "{text:?}");
        let collapsed: Vec<String> = text
            .lines()
            .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        assert!(
            collapsed.contains(&"Participants: 12".to_owned()),
            "{text:?}"
        );
    }

    #[test]
    fn a_bounce_report_keeps_its_delivery_status_text() {
        let raw = include_bytes!("../../tests/fixtures/mail/22_bounce_multipart_report.eml");
        let decoded = decode(raw);
        assert_eq!(decoded.content_type, "multipart/report");
        let status = decoded.delivery_status.expect("a delivery-status part");
        assert!(
            status.contains("Final-Recipient: rfc822; nobody@school.example"),
            "{status}"
        );
    }

    #[test]
    fn garbage_decodes_to_something() {
        let decoded = decode(b"\xff\xfe\x00garbage");
        assert_eq!(decoded.message_id, None);
    }
}

//! Submission emails as organisations send them: a filled-in form in one of the five
//! languages, sent as one of several mail clients would send it, written into a
//! Maildir's `new/`. The submissions of `crate::synth` (load tests and benchmarks) and
//! the hand-written forms of `mobmatch demo` go the same way.

use std::io;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};

use super::answers::{render_form, submission_values};
use crate::domain::SubmissionDetails;
use crate::forms::{FieldKey, FormKind, FormLanguage};

/// A submission form as an organisation fills it in: the values by key, as written, and
/// the language of the form's labels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilledForm {
    pub language: FormLanguage,
    pub values: Vec<(FieldKey, String)>,
}

impl FilledForm {
    /// The value written for `key`, empty when none was.
    pub fn value(&self, key: FieldKey) -> &str {
        self.values
            .iter()
            .find(|(written, _)| *written == key)
            .map_or("", |(_, value)| value.as_str())
    }
}

/// How a message is dressed: the habits of the clients VET-school staff use.
#[derive(Clone, Copy, Debug)]
enum ClientStyle {
    /// Plain text, 8bit, with the quoted original below `>` lines.
    Thunderbird,
    /// Text and HTML alternatives, quoted-printable, with the unquoted Outlook header block.
    Outlook,
    /// Text and HTML alternatives in base64, with `gmail_quote`.
    Gmail,
    /// Base64 plain text with "Sent from my iPhone".
    Mobile,
}

const STYLES: [ClientStyle; 4] = [
    ClientStyle::Thunderbird,
    ClientStyle::Outlook,
    ClientStyle::Gmail,
    ClientStyle::Mobile,
];

/// Writes one email per submission into `maildir/new` (through `tmp/`, as Maildir
/// delivery does), cycling through languages and client styles. Returns the count.
pub fn write_synthetic_maildir(
    maildir: &Path,
    submissions: &[SubmissionDetails],
    our_address: &str,
    now: DateTime<Utc>,
    progress: &indicatif::ProgressBar,
) -> io::Result<usize> {
    let forms = submissions
        .iter()
        .enumerate()
        .map(|(index, details)| FilledForm {
            language: FormLanguage::ALL[index % FormLanguage::ALL.len()],
            values: submission_values(details),
        });
    write_submission_emails(maildir, forms, our_address, now, progress)
}

/// Writes one email per filled-in form into `maildir/new` (through `tmp/`, as Maildir
/// delivery does), cycling through the client styles. Returns the count.
pub fn write_submission_emails(
    maildir: &Path,
    forms: impl IntoIterator<Item = FilledForm>,
    our_address: &str,
    now: DateTime<Utc>,
    progress: &indicatif::ProgressBar,
) -> io::Result<usize> {
    for folder in ["tmp", "new", "cur"] {
        std::fs::create_dir_all(maildir.join(folder))?;
    }
    let mut written = 0;
    for (index, form) in forms.into_iter().enumerate() {
        let message = submission_email(&form, index, our_address, now);
        // Padded, so that the folder's order (the order of ingestion) is the batch's.
        let name = format!("{}.M{index:06}.mobmatch-synth", now.timestamp());
        let temporary = maildir.join("tmp").join(&name);
        std::fs::write(&temporary, message)?;
        std::fs::rename(&temporary, maildir.join("new").join(&name))?;
        progress.inc(1);
        written += 1;
    }
    Ok(written)
}

/// The email the contact of `form` sends, as a reply to our call for submissions; the
/// `index`-th of a batch, which picks its mail client and makes its Message-ID unique.
pub fn submission_email(
    form: &FilledForm,
    index: usize,
    our_address: &str,
    now: DateTime<Utc>,
) -> String {
    let language = form.language;
    let style = STYLES[(index / FormLanguage::ALL.len()) % STYLES.len()];
    let filled = render_form(language, FormKind::Submission, &form.values);
    let contact_email = form.value(FieldKey::ContactEmail);
    let from = format!(
        "{} <{contact_email}>",
        encoded_word(form.value(FieldKey::ContactName)),
    );
    let date = now.to_rfc2822();
    let headers = format!(
        "From: {from}\r\nTo: {our_address}\r\nSubject: {}\r\nDate: {date}\r\nMessage-ID: <synth.{index}.{}@{}>\r\nMIME-Version: 1.0\r\n",
        encoded_word(&format!("Re: {}", subject_in(language))),
        now.timestamp(),
        contact_email.split('@').nth(1).unwrap_or("example.org"),
    );
    let quoted_form = render_form(language, FormKind::Submission, &[]);
    match style {
        ClientStyle::Thunderbird => {
            let quoted: String = quoted_form
                .lines()
                .map(|line| format!("> {line}\r\n"))
                .collect();
            format!(
                "{headers}User-Agent: Mozilla Thunderbird\r\nContent-Type: text/plain; charset=UTF-8; format=flowed\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{}\r\n\r\nOn {date}, Mobility Matchmaking wrote:\r\n{quoted}",
                crlf(&filled)
            )
        }
        ClientStyle::Outlook => {
            let text = format!(
                "{}\r\n\r\n________________________________\r\nFrom: Mobility Matchmaking <{our_address}>\r\nSent: {date}\r\nTo: {}\r\nSubject: {}\r\n\r\n{}",
                crlf(&filled),
                contact_email,
                subject_in(language),
                crlf(&quoted_form)
            );
            let html = format!(
                "<html><body><div>{}</div><div id=\"divRplyFwdMsg\"><b>From:</b> Mobility Matchmaking<br>{}</div></body></html>",
                html_lines(&filled),
                html_lines(&quoted_form)
            );
            alternative(
                &headers,
                "Microsoft Outlook 16.0",
                &quoted_printable(&text),
                &quoted_printable(&html),
                "quoted-printable",
            )
        }
        ClientStyle::Gmail => {
            let html = format!(
                "<div dir=\"ltr\">{}</div><br><div class=\"gmail_quote\"><div class=\"gmail_attr\">On {date} Mobility Matchmaking wrote:</div><blockquote class=\"gmail_quote\">{}</blockquote></div>",
                html_lines(&filled),
                html_lines(&quoted_form)
            );
            alternative(
                &headers,
                "Gmail",
                &wrapped_base64(&crlf(&filled)),
                &wrapped_base64(&html),
                "base64",
            )
        }
        ClientStyle::Mobile => format!(
            "{headers}Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}",
            wrapped_base64(&format!("{}\r\n\r\nSent from my iPhone\r\n", crlf(&filled)))
        ),
    }
}

fn alternative(headers: &str, mailer: &str, text: &str, html: &str, encoding: &str) -> String {
    let boundary = "----=_mobmatch_synth_alternative";
    format!(
        "{headers}X-Mailer: {mailer}\r\nContent-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n\
         --{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n{text}\r\n\
         --{boundary}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n{html}\r\n\
         --{boundary}--\r\n"
    )
}

fn subject_in(language: FormLanguage) -> &'static str {
    match language {
        FormLanguage::En => "Call for mobility offers and requests",
        FormLanguage::Es => "Convocatoria de ofertas y solicitudes de movilidad",
        FormLanguage::Sv => "Inbjudan: erbjudanden och förfrågningar om mobilitet",
        FormLanguage::Fr => "Appel à offres et demandes de mobilité",
        FormLanguage::De => "Aufruf: Mobilitätsangebote und -anfragen",
    }
}

fn crlf(text: &str) -> String {
    text.lines().collect::<Vec<_>>().join("\r\n")
}

fn html_lines(text: &str) -> String {
    text.lines()
        .map(|line| {
            line.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
        })
        .collect::<Vec<_>>()
        .join("<br>\r\n")
}

fn encoded_word(text: &str) -> String {
    if text.is_ascii() {
        text.to_owned()
    } else {
        format!("=?UTF-8?B?{}?=", BASE64.encode(text))
    }
}

fn wrapped_base64(text: &str) -> String {
    let encoded = BASE64.encode(text);
    encoded
        .as_bytes()
        .chunks(76)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// Quoted-printable with soft line breaks, as Outlook writes it.
fn quoted_printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for (index, line) in text.split("\r\n").enumerate() {
        if index > 0 {
            out.push_str("\r\n");
        }
        let mut width = 0;
        for byte in line.bytes() {
            let encoded = if (33..=126).contains(&byte) && byte != b'=' || byte == b' ' {
                (byte as char).to_string()
            } else {
                format!("={byte:02X}")
            };
            if width + encoded.len() > 75 {
                out.push_str("=\r\n");
                width = 0;
            }
            width += encoded.len();
            out.push_str(&encoded);
        }
    }
    out
}

//! Reply tokens: what a reply answers, signed so that nobody can forge one. A token rides
//! in the plus-address of our Reply-To (`matchmaking+s42-…@example.org`) and in a subject
//! tag (`[mobmatch s42-…]`), because some clients drop one or the other.
//!
//! Format: `<record><id>[<side>]-<signature>`, all lower case so that it survives mail
//! systems that fold the case of addresses: `s42-…` a submission, `i17h-…` the host side
//! of an introduction, `i17s-…` its sending side, `u9-…` the unsubscribe link of the
//! address with outreach row 9. The signature is the first 80 bits of
//! HMAC-SHA256 over the part before the dash, keyed with the configured secret, in hex.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::domain::{IntroductionId, Role, SubmissionId};
use crate::store::OutreachAddressId;

/// What a reply answers: a submission (updated fields or `WITHDRAW`) or one side of an
/// introduction (`ACCEPT`, `DECLINE` or a mobility report), or the unsubscribe link of
/// an address we write to unasked (any message to it, or its web link, unsubscribes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenSubject {
    Submission(SubmissionId),
    Introduction { id: IntroductionId, side: Role },
    Unsubscribe(OutreachAddressId),
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("\"{0}\" is not a reply reference of ours; reply to the message we sent you")]
    Malformed(String),
    #[error("the reply reference \"{0}\" has been altered; reply to the message we sent you")]
    BadSignature(String),
}

const SIGNATURE_BYTES: usize = 10;

/// The token for `subject`, signed with `secret`.
pub fn sign(subject: TokenSubject, secret: &str) -> String {
    let payload = payload(subject);
    format!("{payload}-{}", hex(&signature(&payload, secret)))
}

/// Reads and checks a token, in any letter case.
pub fn verify(token: &str, secret: &str) -> Result<TokenSubject, TokenError> {
    let token = token.trim().to_ascii_lowercase();
    let malformed = || TokenError::Malformed(token.clone());
    let (payload, signature_hex) = token.split_once('-').ok_or_else(malformed)?;
    let subject = parse_payload(payload).ok_or_else(malformed)?;
    let written = unhex(signature_hex)
        .filter(|written| written.len() == SIGNATURE_BYTES)
        .ok_or_else(malformed)?;
    let mut mac = keyed_mac(secret);
    mac.update(payload.as_bytes());
    // verify_truncated_left compares in constant time.
    mac.verify_truncated_left(&written)
        .map_err(|_| TokenError::BadSignature(token.clone()))?;
    Ok(subject)
}

/// The token in a subject tag `[mobmatch <token>]`, if there is one.
pub fn find_in_subject(subject: &str) -> Option<&str> {
    let lower = subject.to_ascii_lowercase();
    let start = lower.find("[mobmatch ")? + "[mobmatch ".len();
    let length = subject[start..].find(']')?;
    Some(subject[start..start + length].trim())
}

/// The token in a plus-address `local+<token>@domain` of `our_address`, if `recipient`
/// is one.
pub fn find_in_address<'a>(recipient: &'a str, our_address: &str) -> Option<&'a str> {
    let (our_local, our_domain) = our_address.split_once('@')?;
    let (local, domain) = recipient.rsplit_once('@')?;
    let (base, token) = local.split_once('+')?;
    (base.eq_ignore_ascii_case(our_local) && domain.eq_ignore_ascii_case(our_domain))
        .then_some(token)
}

impl fmt::Display for TokenSubject {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenSubject::Submission(id) => write!(formatter, "{id}"),
            TokenSubject::Introduction { id, side } => write!(formatter, "{id} ({side} side)"),
            TokenSubject::Unsubscribe(id) => write!(formatter, "the unsubscribe link {id}"),
        }
    }
}

fn payload(subject: TokenSubject) -> String {
    match subject {
        TokenSubject::Submission(id) => format!("s{}", id.get()),
        TokenSubject::Introduction { id, side } => {
            let side = match side {
                Role::Receiving => 'h',
                Role::Sending => 's',
            };
            format!("i{}{side}", id.get())
        }
        TokenSubject::Unsubscribe(id) => format!("u{}", id.get()),
    }
}

fn parse_payload(payload: &str) -> Option<TokenSubject> {
    let positive = |digits: &str| {
        (!digits.starts_with('0') && digits.bytes().all(|byte| byte.is_ascii_digit()))
            .then(|| digits.parse::<i64>().ok())
            .flatten()
            .filter(|id| *id > 0)
    };
    if let Some(digits) = payload.strip_prefix('s') {
        return positive(digits).map(|id| TokenSubject::Submission(SubmissionId::new(id)));
    }
    if let Some(digits) = payload.strip_prefix('u') {
        return positive(digits).map(|id| TokenSubject::Unsubscribe(OutreachAddressId::new(id)));
    }
    let rest = payload.strip_prefix('i')?;
    let (digits, side) = if let Some(digits) = rest.strip_suffix('h') {
        (digits, Role::Receiving)
    } else {
        (rest.strip_suffix('s')?, Role::Sending)
    };
    positive(digits).map(|id| TokenSubject::Introduction {
        id: IntroductionId::new(id),
        side,
    })
}

fn keyed_mac(secret: &str) -> Hmac<Sha256> {
    Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length")
}

fn signature(payload: &str, secret: &str) -> Vec<u8> {
    let mut mac = keyed_mac(secret);
    mac.update(payload.as_bytes());
    mac.finalize().into_bytes()[..SIGNATURE_BYTES].to_vec()
}

/// Bytes as lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Hexadecimal (either case) as bytes, if it is that.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|index| u8::from_str_radix(&text[index..index + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "correct horse battery staple";

    fn submission(id: i64) -> TokenSubject {
        TokenSubject::Submission(SubmissionId::new(id))
    }

    #[test]
    fn a_signed_token_names_what_it_answers() {
        let subjects = [
            submission(42),
            TokenSubject::Introduction {
                id: IntroductionId::new(17),
                side: Role::Receiving,
            },
            TokenSubject::Introduction {
                id: IntroductionId::new(17),
                side: Role::Sending,
            },
            TokenSubject::Unsubscribe(OutreachAddressId::new(9)),
        ];
        for subject in subjects {
            let token = sign(subject, SECRET);
            assert_eq!(verify(&token, SECRET), Ok(subject), "{token}");
            assert_eq!(verify(&token.to_uppercase(), SECRET), Ok(subject));
        }
        assert!(sign(submission(42), SECRET).starts_with("s42-"));
        assert_eq!(sign(submission(42), SECRET).len(), "s42-".len() + 20);
    }

    #[test]
    fn rejects_a_reply_with_a_tampered_token() {
        let token = sign(submission(42), SECRET);
        let other_record = token.replacen("s42", "s43", 1);
        assert!(matches!(
            verify(&other_record, SECRET),
            Err(TokenError::BadSignature(_))
        ));
        assert!(matches!(
            verify(&token, "another secret"),
            Err(TokenError::BadSignature(_))
        ));
        let shortened = &token[..token.len() - 2];
        assert!(verify(shortened, SECRET).is_err());
    }

    #[test]
    fn rejects_tokens_that_are_not_ours() {
        for text in [
            "", "s42", "x42-00", "s-1-00", "s0-00", "s042-00", "i5x-00", "s42-zz", "u0-00", "u-00",
        ] {
            assert!(
                matches!(verify(text, SECRET), Err(TokenError::Malformed(_))),
                "{text}"
            );
        }
    }

    #[test]
    fn finds_the_token_in_a_plus_address_of_ours_only() {
        let ours = "matchmaking@example.org";
        assert_eq!(
            find_in_address("Matchmaking+s42-abc@Example.org", ours),
            Some("s42-abc")
        );
        assert_eq!(find_in_address("matchmaking@example.org", ours), None);
        assert_eq!(find_in_address("someone+s42-abc@example.org", ours), None);
        assert_eq!(find_in_address("matchmaking+s42-abc@other.org", ours), None);
    }

    #[test]
    fn finds_the_token_in_a_subject_tag() {
        assert_eq!(
            find_in_subject("RE: Received: offer S-42 [mobmatch s42-abc]"),
            Some("s42-abc")
        );
        assert_eq!(
            find_in_subject("AW: [MOBMATCH s42-abc] Danke"),
            Some("s42-abc")
        );
        assert_eq!(find_in_subject("mobmatch s42-abc"), None);
    }
}

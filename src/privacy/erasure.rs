//! Erasure: who a person is in the data (their address and the contact names they gave),
//! how their mentions are found and replaced in free text, the pseudonyms that take the
//! place of their address in contact columns, and the hash that alone remains of it.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::domain::EmailAddress;

/// What replaces a mention of an erased person in free text.
pub const ERASED_TEXT: &str = "[erased]";

/// The domain of every pseudonymous address. `.invalid` is reserved (RFC 2606), so mail to
/// a pseudonym can never reach anybody.
pub const PSEUDONYM_DOMAIN: &str = "erased.invalid";

/// What replaces an erased person's address among the recipients of an outbox message.
pub const ERASED_RECIPIENT: &str = "erased@erased.invalid";

/// Contact names shorter than this are not searched for in free text: "Li" or "Jo" would
/// erase parts of unrelated words and names.
const MIN_NAME_CHARS: usize = 4;

/// The pseudonymous contact address of an organisation whose contact was erased: unique
/// per organisation, because an organisation is known by its contact address and name.
pub fn organisation_pseudonym(organisation_id: i64) -> String {
    format!("erased-{organisation_id}@{PSEUDONYM_DOMAIN}")
}

/// The SHA-256 of the address in lower case, in hexadecimal: what the erasure log keeps,
/// so that "was this address erased, and when?" can be answered without the address.
pub fn address_sha256(address: &EmailAddress) -> String {
    Sha256::digest(address.as_str().as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// A person as the data knows them: an address, and the contact names given with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    address: EmailAddress,
    names: Vec<String>,
}

impl Person {
    /// The names are trimmed; empty, too short and repeated ones are left out.
    pub fn new(address: EmailAddress, names: impl IntoIterator<Item = String>) -> Person {
        let mut kept: Vec<String> = Vec::new();
        for name in names {
            let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
            let long_enough = name.chars().count() >= MIN_NAME_CHARS;
            if long_enough && !kept.iter().any(|kept| same_text(kept, &name)) {
                kept.push(name);
            }
        }
        Person {
            address,
            names: kept,
        }
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The texts to look for: the address, then each name.
    pub fn search_texts(&self) -> Vec<&str> {
        std::iter::once(self.address.as_str())
            .chain(self.names.iter().map(String::as_str))
            .collect()
    }

    /// The text with every mention of the person replaced by [`ERASED_TEXT`], or `None`
    /// when it does not mention them. The address and the names are compared without
    /// case, and only as whole words: `joanna@school.example` is not a mention of
    /// `anna@school.example`, nor "Annabel" of "Anna".
    pub fn erase_mentions(&self, text: &str) -> Option<String> {
        let mut erased: Option<String> = None;
        if let Some(replaced) = replace_whole(text, self.address.as_str(), Boundary::Address) {
            erased = Some(replaced);
        }
        for name in &self.names {
            let current = erased.as_deref().unwrap_or(text);
            if let Some(replaced) = replace_whole(current, name, Boundary::Word) {
                erased = Some(replaced);
            }
        }
        erased
    }

    /// Whether bytes, read as text, mention the person.
    pub fn is_mentioned_in_bytes(&self, bytes: &[u8]) -> bool {
        self.erase_mentions(&String::from_utf8_lossy(bytes))
            .is_some()
    }
}

/// How much of the erasure log's record of what `forget` changed: counts only.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ErasureCounts {
    /// Organisations whose contact name and address were replaced by a pseudonym.
    pub organisations: u64,
    /// Submissions of those organisations, whose notes were blanked.
    pub submissions: u64,
    /// Introductions of those submissions (they refer to the pseudonymous organisations).
    pub introductions: u64,
    /// Mobilities recorded from those introductions or reported by the person; they keep
    /// their counts, regions, types and dates.
    pub mobilities: u64,
    /// Inbound messages from the person, deleted.
    pub messages_deleted: u64,
    /// Inbound messages about their records, whose raw bytes and quoted text were dropped.
    pub messages_stripped: u64,
    /// Outbox messages to the person, whose recipient and body were erased (and which
    /// will not be sent if they were still queued).
    pub outbox_messages: u64,
    /// Other rows that mentioned the address or a name in free text, now replaced.
    pub mentions: u64,
}

#[derive(Clone, Copy)]
enum Boundary {
    /// Letters, digits and `._%+-` continue an address; a `.` ends it unless a letter or
    /// digit follows (the end of a sentence).
    Address,
    /// Letters and digits continue a word.
    Word,
}

impl Boundary {
    fn continues_before(self, character: char) -> bool {
        match self {
            Boundary::Address => {
                character.is_alphanumeric() || matches!(character, '.' | '_' | '%' | '+' | '-')
            }
            Boundary::Word => character.is_alphanumeric(),
        }
    }

    fn continues_after(self, character: char, next: Option<char>) -> bool {
        match self {
            Boundary::Address => {
                character.is_alphanumeric()
                    || matches!(character, '_' | '-')
                    || (character == '.' && next.is_some_and(char::is_alphanumeric))
            }
            Boundary::Word => character.is_alphanumeric(),
        }
    }
}

/// Replaces every whole-word, case-insensitive occurrence of `needle` in `text`.
fn replace_whole(text: &str, needle: &str, boundary: Boundary) -> Option<String> {
    let needle: Vec<char> = needle.chars().collect();
    if needle.is_empty() {
        return None;
    }
    let characters: Vec<(usize, char)> = text.char_indices().collect();
    let mut replaced = String::with_capacity(text.len());
    let mut copied_up_to = 0;
    let mut found = false;
    let mut start = 0;
    while start + needle.len() <= characters.len() {
        let end = start + needle.len();
        let matches = needle
            .iter()
            .zip(&characters[start..end])
            .all(|(wanted, (_, character))| same_letter(*wanted, *character));
        let bounded_before = start == 0 || !boundary.continues_before(characters[start - 1].1);
        let bounded_after = characters.get(end).is_none_or(|(_, character)| {
            !boundary.continues_after(*character, characters.get(end + 1).map(|(_, next)| *next))
        });
        if matches && bounded_before && bounded_after {
            let start_byte = characters[start].0;
            let end_byte = characters.get(end).map_or(text.len(), |(byte, _)| *byte);
            replaced.push_str(&text[copied_up_to..start_byte]);
            replaced.push_str(ERASED_TEXT);
            copied_up_to = end_byte;
            found = true;
            start = end;
        } else {
            start += 1;
        }
    }
    found.then(|| {
        replaced.push_str(&text[copied_up_to..]);
        replaced
    })
}

fn same_letter(left: char, right: char) -> bool {
    left == right || left.to_lowercase().eq(right.to_lowercase())
}

fn same_text(left: &str, right: &str) -> bool {
    left.chars().count() == right.chars().count()
        && left
            .chars()
            .zip(right.chars())
            .all(|(left, right)| same_letter(left, right))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anna() -> Person {
        Person::new(
            EmailAddress::parse("anna.berg@gtg.example").unwrap(),
            [
                "Anna Berg".to_owned(),
                " anna  berg ".to_owned(),
                "Jo".to_owned(),
                "Åsa Öberg".to_owned(),
            ],
        )
    }

    #[test]
    fn names_are_kept_once_and_only_when_long_enough() {
        assert_eq!(anna().names(), ["Anna Berg", "Åsa Öberg"]);
        assert_eq!(
            anna().search_texts(),
            ["anna.berg@gtg.example", "Anna Berg", "Åsa Öberg"]
        );
    }

    #[test]
    fn mentions_are_replaced_in_any_case_and_only_as_whole_words() {
        let cases = [
            (
                "Contact: Anna Berg <Anna.Berg@GTG.example>",
                Some("Contact: [erased] <[erased]>"),
            ),
            (
                "Write to anna.berg@gtg.example.",
                Some("Write to [erased]."),
            ),
            (
                "[\"anna.berg@gtg.example\",\"x@y.example\"]",
                Some("[\"[erased]\",\"x@y.example\"]"),
            ),
            ("ÅSA ÖBERG wrote", Some("[erased] wrote")),
            ("joanna.berg@gtg.example", None),
            ("anna.berg@gtg.example.com", None),
            ("Anna Bergström", None),
            ("Hanna Berg", None),
            ("nothing here", None),
            ("", None),
        ];
        for (text, expected) in cases {
            assert_eq!(anna().erase_mentions(text).as_deref(), expected, "{text}");
        }
    }

    #[test]
    fn bytes_mention_the_person_when_their_text_does() {
        assert!(anna().is_mentioned_in_bytes(b"From: Anna Berg <anna.berg@gtg.example>\r\n"));
        assert!(anna().is_mentioned_in_bytes(b"\xff\xfeANNA BERG"));
        assert!(!anna().is_mentioned_in_bytes(b"From: someone@else.example"));
    }

    #[test]
    fn pseudonyms_are_addresses_nobody_can_receive_mail_at() {
        let pseudonym = organisation_pseudonym(42);
        assert_eq!(pseudonym, "erased-42@erased.invalid");
        assert!(EmailAddress::parse(&pseudonym).is_ok());
        assert!(EmailAddress::parse(ERASED_RECIPIENT).is_ok());
    }

    #[test]
    fn the_hash_is_the_sha256_of_the_lower_case_address() {
        let address = EmailAddress::parse("Anna.Berg@GTG.example").unwrap();
        assert_eq!(
            address_sha256(&address),
            address_sha256(&EmailAddress::parse("anna.berg@gtg.example").unwrap())
        );
        assert_eq!(address_sha256(&address).len(), 64);
    }
}

//! Finds the new part of a reply: quoted lines are dropped, and everything from the first
//! marker of a quoted original (or a signature) on is cut off and kept aside.

/// The text a person wrote, and what was cut off below it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReplyText {
    pub new_text: String,
    pub cut_off: String,
}

pub fn split_reply(body: &str) -> ReplyText {
    let lines: Vec<&str> = body.lines().collect();
    let cut_at = (0..lines.len()).find(|&index| starts_quoted_original(&lines, index));
    let (new_lines, cut_lines) = lines.split_at(cut_at.unwrap_or(lines.len()));
    let new_text = new_lines
        .iter()
        .filter(|line| !line.trim_start().starts_with('>'))
        .copied()
        .collect::<Vec<_>>()
        .join("\n");
    ReplyText {
        new_text: new_text.trim_end().to_owned(),
        cut_off: cut_lines.join("\n"),
    }
}

fn starts_quoted_original(lines: &[&str], index: usize) -> bool {
    let line = lines[index];
    is_signature_separator(line)
        || is_separator_banner(line)
        || is_attribution(line)
        || !line.trim().is_empty()
            && lines.get(index + 1).is_some_and(|next| {
                ends_with_colon(next)
                    && is_attribution(&format!("{} {}", line.trim_end(), next.trim()))
            })
        || is_header_block(lines, index)
}

/// The signature mark `-- `, and the underscore rule Outlook puts above a quoted original.
fn is_signature_separator(line: &str) -> bool {
    line == "-- " || line == "--" || (line.len() >= 10 && line.trim().chars().all(|c| c == '_'))
}

const SEPARATOR_PHRASES: &[&str] = &[
    "original message",
    "mensaje original",
    "ursprungligt meddelande",
    "message d'origine",
    "message d’origine",
    "ursprüngliche nachricht",
    "forwarded message",
    "mensaje reenviado",
    "vidarebefordrat meddelande",
    "message transféré",
    "weitergeleitete nachricht",
];

/// `-----Original Message-----`, `---------- Forwarded message ----------` and their
/// translations; also Apple Mail's "Begin forwarded message:".
fn is_separator_banner(line: &str) -> bool {
    if !line.trim_start().starts_with("---") && !ends_with_colon(line) {
        return false;
    }
    let lower = line.trim().to_lowercase();
    let dashed = lower.starts_with("---") && lower.ends_with("---");
    let phrase = lower.trim_matches(|c: char| c == '-' || c.is_whitespace());
    (dashed && SEPARATOR_PHRASES.contains(&phrase))
        || matches!(
            lower.as_str(),
            "begin forwarded message:"
                | "inicio del mensaje reenviado:"
                | "vidarebefordrat brev:"
                | "début du message réexpédié :"
                | "anfang der weitergeleiteten nachricht:"
        )
}

const ATTRIBUTION_OPENINGS: &[&str] = &["on ", "el ", "den ", "am ", "le "];
const ATTRIBUTION_VERBS: &[&str] = &[
    "wrote",
    "escribió",
    "escribio",
    "skrev",
    "schrieb",
    "a écrit",
    "a ecrit",
];

/// "On … wrote:", "El … escribió:", "Den … skrev …:", "Am … schrieb …:", "Le … a écrit :",
/// and "Name <address> wrote:" or "Name <address> schrieb am …:" without an opening.
fn is_attribution(line: &str) -> bool {
    if !ends_with_colon(line) {
        return false;
    }
    let lower = line.trim().to_lowercase();
    if lower.len() > 300 {
        return false;
    }
    let has_verb = ATTRIBUTION_VERBS.iter().any(|verb| lower.contains(verb));
    let has_opening = ATTRIBUTION_OPENINGS
        .iter()
        .any(|opening| lower.starts_with(opening));
    let names_an_address = lower.contains('@') || (lower.contains('<') && lower.contains('>'));
    has_verb && (has_opening || names_an_address)
}

/// Whether `line` ends with a colon, as attributions and some banners do: most lines
/// of a body are ruled out by this before they are lowercased.
fn ends_with_colon(line: &str) -> bool {
    line.trim_end().ends_with(':')
}

const FROM_LABELS: &[&str] = &["from", "de", "från", "von"];
const HEADER_LABELS: &[&str] = &[
    "from", "sent", "date", "to", "cc", "subject", "de", "enviado", "fecha", "para", "asunto",
    "från", "skickat", "datum", "till", "ämne", "kopia", "von", "gesendet", "an", "betreff",
    "envoyé", "à", "objet", "reply-to",
];

/// Outlook quotes the original without `>` under a block such as
/// `From: … / Sent: … / To: … / Subject: …` (also with `*bold*` labels and translated):
/// a From-like line followed by two more header-like lines.
fn is_header_block(lines: &[&str], index: usize) -> bool {
    header_label(lines[index]).is_some_and(|label| FROM_LABELS.contains(&label.as_str()))
        && lines[index + 1..]
            .iter()
            .take(2)
            .filter(|line| header_label(line).is_some())
            .count()
            == 2
}

fn header_label(line: &str) -> Option<String> {
    let (label, _) = line.split_once(':')?;
    let label = label
        .trim()
        .trim_matches(|c: char| c == '*' || c == '_')
        .trim()
        .to_lowercase();
    HEADER_LABELS.contains(&label.as_str()).then_some(label)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_text(body: &str) -> String {
        split_reply(body).new_text
    }

    #[test]
    fn quoted_lines_are_dropped_and_the_rest_kept() {
        assert_eq!(
            new_text("Role: sending\n> Role:\n> Organisation:\nParticipants: 4"),
            "Role: sending\nParticipants: 4"
        );
    }

    #[test]
    fn attribution_lines_cut_the_original_in_every_language() {
        for attribution in [
            "On Mon, 3 Mar 2027 at 10:00, Mobility Matchmaking <matchmaking@example.org> wrote:",
            "El lun, 3 mar 2027 a las 10:00, Mobility Matchmaking (<matchmaking@example.org>) escribió:",
            "Den 3 mars 2027 kl. 10:00 skrev Mobility Matchmaking <matchmaking@example.org>:",
            "Am 03.03.2027 um 10:00 schrieb Mobility Matchmaking <matchmaking@example.org>:",
            "Le lun. 3 mars 2027 à 10:00, Mobility Matchmaking <matchmaking@example.org> a écrit :",
            "Mobility Matchmaking <matchmaking@example.org> wrote:",
            "Mobility Matchmaking <matchmaking@example.org> schrieb am Mo., 3. März 2027, 10:00:",
        ] {
            let reply = split_reply(&format!(
                "Role: host\n\n{attribution}\nRole:\nOrganisation:"
            ));
            assert_eq!(reply.new_text, "Role: host", "{attribution}");
            assert!(reply.cut_off.starts_with(attribution));
        }
    }

    #[test]
    fn an_attribution_wrapped_over_two_lines_is_found() {
        let body = "Role: host\nOn Mon, 3 Mar 2027 at 10:00, Mobility Matchmaking\n<matchmaking@example.org> wrote:\nRole:";
        assert_eq!(new_text(body), "Role: host");
    }

    #[test]
    fn banners_and_signatures_cut_the_rest() {
        for marker in [
            "-----Original Message-----",
            "-----Mensaje original-----",
            "-----Ursprungligt meddelande-----",
            "-----Message d'origine-----",
            "-----Ursprüngliche Nachricht-----",
            "---------- Forwarded message ---------",
            "-- ",
            "--",
            "Begin forwarded message:",
        ] {
            assert_eq!(
                new_text(&format!("Role: host\n{marker}\nRole: sending")),
                "Role: host",
                "{marker}"
            );
        }
    }

    #[test]
    fn outlook_header_blocks_cut_the_original_in_every_language() {
        for block in [
            "From: Mobility Matchmaking <matchmaking@example.org>\nSent: Monday, March 3, 2027 10:00 AM\nTo: Anna Berg <anna@school.se>\nSubject: Offer",
            "*From:* Mobility Matchmaking <matchmaking@example.org>\n*Sent:* Monday, March 3, 2027 10:00 AM\n*To:* Anna Berg",
            "De: Mobility Matchmaking\nEnviado: lunes, 3 de marzo de 2027 10:00\nPara: Ion",
            "Från: Mobility Matchmaking\nSkickat: den 3 mars 2027 10:00\nTill: Anna",
            "Von: Mobility Matchmaking\nGesendet: Montag, 3. März 2027 10:00\nAn: Jonas",
            "De : Mobility Matchmaking\nEnvoyé : lundi 3 mars 2027 10:00\nÀ : Marie",
        ] {
            assert_eq!(
                new_text(&format!("Role: host\n\n{block}\n\nRole:")),
                "Role: host",
                "{block}"
            );
        }
    }

    #[test]
    fn a_single_from_line_in_the_text_is_not_a_header_block() {
        assert_eq!(
            new_text("Notes: from: our director\nmore notes"),
            "Notes: from: our director\nmore notes"
        );
    }
}

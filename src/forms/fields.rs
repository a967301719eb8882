//! Turns "Label: value" text, or web/CSV key–value pairs, into one `FieldSet`.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::FormLanguage;
use super::labels::FieldKey;
use crate::domain::fold_name;

/// One value as the user gave it, with the label they used (for error messages).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldEntry {
    pub key: FieldKey,
    pub value: String,
}

/// The fields found in a form, in the order given, and the form's language when its
/// labels tell it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldSet {
    pub(crate) entries: Vec<FieldEntry>,
    language: Option<FormLanguage>,
}

impl FieldSet {
    /// Reads `Label: value` lines. Lines after `Notes:` that are not field lines belong
    /// to the notes; other lines that are not field lines are ignored.
    pub fn from_text(text: &str) -> FieldSet {
        let mut entries: Vec<FieldEntry> = Vec::new();
        let mut votes: HashMap<FormLanguage, usize> = HashMap::new();
        let mut in_notes = false;
        let mut previous_was_empty_field = false;
        for line in text.lines() {
            match read_field_line(line) {
                Some((key, languages, value)) => {
                    for language in languages {
                        *votes.entry(*language).or_default() += 1;
                    }
                    in_notes = key == FieldKey::Notes;
                    previous_was_empty_field = value.is_empty() && !in_notes;
                    entries.push(FieldEntry { key, value });
                }
                None if in_notes => {
                    let notes = &mut entries
                        .last_mut()
                        .expect("in notes after a Notes field")
                        .value;
                    if !notes.is_empty() || !line.trim().is_empty() {
                        notes.push('\n');
                        notes.push_str(line.trim_end());
                    }
                }
                None if previous_was_empty_field && !line.trim().is_empty() => {
                    // A value typed on the line below its label.
                    let entry = entries.last_mut().expect("an empty field came before");
                    entry.value = clean_value(line);
                    previous_was_empty_field = false;
                }
                None => previous_was_empty_field = false,
            }
        }
        for entry in &mut entries {
            if entry.key == FieldKey::Notes {
                entry.value = entry.value.trim().to_owned();
            }
        }
        FieldSet {
            entries,
            language: most_voted(&votes),
        }
    }

    /// Reads web form inputs or CSV columns named by their keys (`role`, `fields`, …).
    /// Repeated list inputs are joined; unknown keys are left out.
    pub fn from_pairs<K: AsRef<str>, V: AsRef<str>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> FieldSet {
        let mut entries: Vec<FieldEntry> = Vec::new();
        for (key, value) in pairs {
            let Some(key) = FieldKey::find(key.as_ref()) else {
                continue;
            };
            let value = value.as_ref().trim();
            match entries.iter_mut().find(|entry| entry.key == key) {
                Some(entry) if key.is_list() && !value.is_empty() => {
                    if !entry.value.is_empty() {
                        entry.value.push_str(", ");
                    }
                    entry.value.push_str(value);
                }
                Some(_) if key.is_list() || value.is_empty() => {}
                _ => entries.push(FieldEntry {
                    key,
                    value: value.to_owned(),
                }),
            }
        }
        FieldSet {
            entries,
            language: None,
        }
    }

    /// The language of the labels, when they were written in one (English wins ties).
    pub fn language(&self) -> Option<FormLanguage> {
        self.language
    }

    pub fn contains(&self, key: FieldKey) -> bool {
        self.entries.iter().any(|entry| entry.key == key)
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl FieldKey {
    /// Finds a field by its key (`sending_region`) or by any of its labels in any
    /// language ("Sending region", "Región de envío"), as CSV headers may use either.
    pub fn find(key_or_label: &str) -> Option<FieldKey> {
        FieldKey::from_key(key_or_label).or_else(|| {
            LABEL_INDEX
                .get(&fold_label(key_or_label))
                .map(|(key, _)| *key)
        })
    }
}

fn most_voted(votes: &HashMap<FormLanguage, usize>) -> Option<FormLanguage> {
    FormLanguage::ALL
        .iter()
        .copied()
        .filter(|language| votes.get(language).copied().unwrap_or(0) > 0)
        .max_by_key(|language| (votes[language], std::cmp::Reverse(*language)))
}

/// All labels of both forms, folded, with the field and the languages that use them.
static LABEL_INDEX: LazyLock<HashMap<String, (FieldKey, Vec<FormLanguage>)>> =
    LazyLock::new(|| {
        let mut index: HashMap<String, (FieldKey, Vec<FormLanguage>)> = HashMap::new();
        for &key in FieldKey::ALL {
            for &language in FormLanguage::ALL {
                for label in key.labels(language) {
                    let entry = index
                        .entry(fold_label(label))
                        .or_insert_with(|| (key, Vec::new()));
                    assert_eq!(entry.0, key, "label {label} names two fields");
                    if !entry.1.contains(&language) {
                        entry.1.push(language);
                    }
                }
            }
            index
                .entry(key.key().to_owned())
                .or_insert_with(|| (key, Vec::new()));
        }
        index
    });

fn read_field_line(line: &str) -> Option<(FieldKey, &'static [FormLanguage], String)> {
    let (label, value) = split_label(line)?;
    let (key, languages) = LABEL_INDEX.get(&fold_label(label))?;
    Some((*key, languages.as_slice(), clean_value(value)))
}

/// Splits at the first colon outside brackets: hints may hold colons themselves
/// ("Fewer opportunities (sending: how many of the participants): 2").
fn split_label(line: &str) -> Option<(&str, &str)> {
    let mut depth = 0usize;
    for (index, character) in line.char_indices() {
        match character {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            ':' if depth == 0 => return Some((&line[..index], &line[index + 1..])),
            _ => {}
        }
    }
    None
}

/// Compares labels without case, surrounding spaces, bullets, bold marks or any part in
/// brackets: "• *Region (NUTS 2 code, e.g. ES21)*" is "region".
fn fold_label(label: &str) -> String {
    let mut without_brackets = String::with_capacity(label.len());
    let mut depth = 0usize;
    for character in label.chars() {
        match character {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            _ if depth == 0 => without_brackets.push(character),
            _ => {}
        }
    }
    let trimmed = without_brackets
        .trim_start_matches(|c: char| c.is_whitespace() || "*-•·_–".contains(c))
        .trim_end_matches(|c: char| c.is_whitespace() || "*_".contains(c));
    fold_name(trimmed)
}

fn clean_value(value: &str) -> String {
    value.trim().trim_matches(['*', '_']).trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_fold_brackets_bullets_bold_and_case() {
        assert_eq!(
            fold_label(" • *Region (NUTS 2 code, e.g. ES21)* "),
            "region"
        );
        assert_eq!(
            fold_label("- Earliest start (YYYY-MM-DD)"),
            "earliest start"
        );
        assert_eq!(fold_label("Rôle "), "role");
    }

    #[test]
    fn no_label_names_two_fields() {
        assert!(!LABEL_INDEX.is_empty());
    }
}

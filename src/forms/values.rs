//! Reads one field's value: numbers, dates, durations, lists and fixed values.

use chrono::NaiveDate;

use super::labels::{DURATION_UNITS, FixedValue, LIST_CONJUNCTIONS};
use crate::domain::{DurationRange, InvalidValue, ValueProblem, fold_name};

/// Finds a fixed value by any of its spellings, ignoring case and accents; with
/// `close_spelling`, also a spelling off by a typo or two.
pub(crate) fn fixed_value<T: Copy>(
    input: &str,
    values: &'static [FixedValue<T>],
    close_spelling: bool,
) -> Option<T> {
    let folded = fold_name(&input.replace(['_', '-'], " "));
    let spellings = || {
        values.iter().flat_map(|fixed| {
            fixed
                .spellings
                .iter()
                .map(move |spelling| (fixed.value, fold_name(&spelling.replace(['_', '-'], " "))))
        })
    };
    // Most values are spelt right: look for the exact spelling before measuring typos.
    if let Some((value, _)) = spellings().find(|(_, spelling)| *spelling == folded) {
        return Some(value);
    }
    if !close_spelling {
        return None;
    }
    let allowed = (folded.chars().count() / 6).clamp(1, 3);
    spellings()
        .map(|(value, spelling)| (edit_distance(&spelling, &folded), value))
        .min_by_key(|(distance, _)| *distance)
        .filter(|(distance, _)| *distance <= allowed)
        .map(|(_, value)| value)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, a_char) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, b_char) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(a_char != *b_char);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

/// A count of people: a whole number, optionally followed by words ("8 learners").
pub(crate) fn count(input: &str, maximum: u32) -> Result<u32, InvalidValue> {
    let mut words = input.split_whitespace();
    let number = words.next().unwrap_or_default();
    let rest_is_words = words.all(|word| word.chars().all(char::is_alphabetic));
    match number.parse::<u32>() {
        Ok(count) if rest_is_words && count <= maximum => Ok(count),
        Ok(_) if rest_is_words => Err(ValueProblem::TooManyPeople { maximum }.into()),
        _ => Err(ValueProblem::NotAWholeNumber.into()),
    }
}

/// `YYYY-MM-DD`, or day first: `D.M.YYYY`, `D/M/YYYY`, `D-M-YYYY`.
pub(crate) fn date(input: &str) -> Result<NaiveDate, InvalidValue> {
    let text = input.trim().trim_end_matches('.');
    let parsed = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .or_else(|| {
            let parts: Vec<&str> = text.split(['.', '/', '-']).map(str::trim).collect();
            match parts.as_slice() {
                [day, month, year] if year.len() == 4 => NaiveDate::from_ymd_opt(
                    year.parse().ok()?,
                    month.parse().ok()?,
                    day.parse().ok()?,
                ),
                _ => None,
            }
        });
    parsed.ok_or_else(|| ValueProblem::NotADate.into())
}

/// `N`, `N-M` or `N–M`, optionally followed by a unit (`days`, `weeks`, and their
/// translations); weeks are turned into days.
pub(crate) fn duration(input: &str) -> Result<DurationRange, InvalidValue> {
    let lower = input.trim().to_lowercase();
    let (amounts, days_per_unit) = split_unit(&lower).ok_or(ValueProblem::NotADuration)?;
    let bounds: Vec<&str> = amounts
        .split(['-', '–', '—'])
        .flat_map(|part| part.split(" to "))
        .map(str::trim)
        .collect();
    let numbers: Option<Vec<u32>> = bounds
        .iter()
        .map(|bound| bound.parse::<u32>().ok())
        .collect();
    match numbers.as_deref() {
        Some([single]) => DurationRange::new(single * days_per_unit, single * days_per_unit),
        Some([low, high]) => DurationRange::new(low * days_per_unit, high * days_per_unit),
        _ => Err(ValueProblem::NotADuration.into()),
    }
}

fn split_unit(text: &str) -> Option<(&str, u32)> {
    let amount_end = text
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_ascii_digit())
        .map(|(index, c)| index + c.len_utf8())?;
    let (amounts, unit) = text.split_at(amount_end);
    let unit = unit.trim().trim_end_matches('.');
    if unit.is_empty() {
        return Some((amounts, 1));
    }
    DURATION_UNITS
        .iter()
        .find(|(name, _)| *name == unit)
        .map(|(_, days)| (amounts, *days))
}

/// Splits a list on commas, semicolons, slashes and line breaks. With `words`, items are
/// also split on spaces when the item as a whole is not understood, and joining words
/// ("and", "y", "och", …) are skipped.
pub(crate) fn list_items<T>(
    input: &str,
    split_on_spaces: bool,
    parse: impl Fn(&str) -> Result<T, InvalidValue>,
) -> Result<Vec<T>, (String, InvalidValue)> {
    let mut items = Vec::new();
    for piece in input
        .split([',', ';', '/', '\n'])
        .map(str::trim)
        .filter(|piece| !piece.is_empty())
    {
        match parse(piece) {
            Ok(item) => items.push(item),
            Err(error) if !split_on_spaces => return Err((piece.to_owned(), error)),
            Err(error) => {
                let words: Vec<&str> = piece
                    .split_whitespace()
                    .filter(|word| !LIST_CONJUNCTIONS.contains(&word.to_lowercase().as_str()))
                    .collect();
                if piece.split_whitespace().count() < 2 {
                    return Err((piece.to_owned(), error));
                }
                for word in words {
                    items.push(parse(word).map_err(|error| (word.to_owned(), error))?);
                }
            }
        }
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::MobilityType;
    use crate::forms::labels::{MOBILITY_TYPES, YES_NO};

    #[test]
    fn close_spellings_of_mobility_types_are_understood() {
        let read = |text| fixed_value(text, MOBILITY_TYPES, true);
        assert_eq!(read("VET lerners"), Some(MobilityType::VetLearner));
        assert_eq!(read("Apprentises"), Some(MobilityType::Apprentice));
        assert_eq!(read("jobshadowing"), Some(MobilityType::StaffJobShadowing));
        assert_eq!(read("studiebesok"), Some(MobilityType::StudyVisit));
        assert_eq!(read("holiday"), None);
        assert_eq!(fixed_value("Sí", YES_NO, false), Some(true));
        assert_eq!(fixed_value("yess", YES_NO, false), None);
    }

    #[test]
    fn counts_take_a_number_and_optional_words() {
        assert_eq!(count("8", 1000), Ok(8));
        assert_eq!(count("8 learners", 1000), Ok(8));
        assert!(count("eight", 1000).is_err());
        assert!(count("8-10", 1000).is_err());
        assert!(count("-3", 1000).is_err());
        assert!(count("1001", 1000).is_err());
    }

    #[test]
    fn dates_come_iso_or_day_first() {
        let expected = NaiveDate::from_ymd_opt(2027, 3, 5).unwrap();
        for text in [
            "2027-03-05",
            "5.3.2027",
            "05/03/2027",
            "5-3-2027",
            "5.3.2027.",
            " 2027-03-05 ",
        ] {
            assert_eq!(date(text), Ok(expected), "{text}");
        }
        for bad in ["2027-02-30", "3/5/27", "March 5", "", "2027/03/05"] {
            assert!(date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations_are_days_ranges_or_weeks() {
        let range = |min, max| Ok(DurationRange::new(min, max).unwrap());
        assert_eq!(duration("10"), range(10, 10));
        assert_eq!(duration("5-14"), range(5, 14));
        assert_eq!(duration("5–14 days"), range(5, 14));
        assert_eq!(duration("5 - 14 días"), range(5, 14));
        assert_eq!(duration("2 weeks"), range(14, 14));
        assert_eq!(duration("2-3 Wochen"), range(14, 21));
        assert!(duration("a fortnight").is_err());
        assert!(duration("10 months").is_err());
        assert!(duration("14-5").is_err());
    }
}

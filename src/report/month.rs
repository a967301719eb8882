//! The month a report is about: `YYYY-MM`.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};

use crate::domain::InvalidValue;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReportMonth {
    year: i32,
    month: u32,
}

impl ReportMonth {
    pub fn new(year: i32, month: u32) -> Result<ReportMonth, InvalidValue> {
        if !(1..=12).contains(&month) || NaiveDate::from_ymd_opt(year, month, 1).is_none() {
            return Err(InvalidValue::new(format!(
                "{year}-{month:02} is not a month; write YYYY-MM, e.g. 2026-03"
            )));
        }
        Ok(ReportMonth { year, month })
    }

    /// The month of `date`.
    pub fn of(date: NaiveDate) -> ReportMonth {
        ReportMonth {
            year: date.year(),
            month: date.month(),
        }
    }

    /// The month before the one `today` is in: the default report month, since the
    /// monthly job runs on the 1st.
    pub fn before(today: NaiveDate) -> ReportMonth {
        ReportMonth::of(today).plus(-1)
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u32 {
        self.month
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("a ReportMonth is a real month")
    }

    pub fn last_day(self) -> NaiveDate {
        self.plus(1)
            .first_day()
            .pred_opt()
            .expect("a month has a day before its successor")
    }

    /// The month `months` later (earlier when negative).
    pub fn plus(self, months: i32) -> ReportMonth {
        let index = self.index() + months;
        ReportMonth {
            year: index.div_euclid(12),
            month: u32::try_from(index.rem_euclid(12)).expect("0..12 fits u32") + 1,
        }
    }

    /// The twelve months ending with this one, oldest first.
    pub fn last_twelve(self) -> Vec<ReportMonth> {
        (-11..=0).map(|offset| self.plus(offset)).collect()
    }

    /// Months counted from year 0, so that consecutive months differ by one.
    pub fn index(self) -> i32 {
        self.year * 12 + i32::try_from(self.month).expect("1..=12 fits i32") - 1
    }

    /// `Mar 2026`, for chart axes.
    pub fn short_label(self) -> String {
        self.first_day().format("%b %Y").to_string()
    }

    /// `March 2026`, for sentences.
    pub fn long_label(self) -> String {
        self.first_day().format("%B %Y").to_string()
    }
}

impl fmt::Display for ReportMonth {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}-{:02}", self.year, self.month)
    }
}

impl FromStr for ReportMonth {
    type Err = InvalidValue;

    fn from_str(text: &str) -> Result<ReportMonth, InvalidValue> {
        let invalid = || {
            InvalidValue::new(format!(
                "{text:?} is not a month; write YYYY-MM, e.g. 2026-03"
            ))
        };
        let (year, month) = text.trim().split_once('-').ok_or_else(invalid)?;
        if year.len() != 4 || month.len() != 2 {
            return Err(invalid());
        }
        let year = year.parse().map_err(|_| invalid())?;
        let month = month.parse().map_err(|_| invalid())?;
        ReportMonth::new(year, month)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn month(text: &str) -> ReportMonth {
        text.parse().unwrap()
    }

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn parses_and_prints_year_and_month() {
        assert_eq!(month("2026-03").to_string(), "2026-03");
        assert_eq!(month("2026-03").last_day(), date("2026-03-31"));
        assert_eq!(month("2028-02").last_day(), date("2028-02-29"));
    }

    #[test]
    fn refuses_what_is_not_a_month() {
        for text in ["2026-13", "2026-00", "2026-3", "26-03", "March", ""] {
            assert!(text.parse::<ReportMonth>().is_err(), "{text}");
        }
    }

    #[test]
    fn the_default_month_is_the_one_before_today_across_a_year_boundary() {
        assert_eq!(ReportMonth::before(date("2027-01-01")), month("2026-12"));
        assert_eq!(ReportMonth::before(date("2026-07-15")), month("2026-06"));
    }

    #[test]
    fn the_last_twelve_months_run_oldest_first_into_the_previous_year() {
        let months = month("2026-02").last_twelve();
        assert_eq!(months.first(), Some(&month("2025-03")));
        assert_eq!(months.last(), Some(&month("2026-02")));
        assert_eq!(months.len(), 12);
    }
}

//! Date windows and duration ranges, both counted in whole days, ends included.

use chrono::NaiveDate;
use serde::Serialize;

use super::{InvalidValue, ValueProblem};

/// From `start` to `end`, both days included: a window from D1 to D2 holds
/// D2 − D1 + 1 days.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct DateWindow {
    start: NaiveDate,
    end: NaiveDate,
}

impl DateWindow {
    pub fn new(start: NaiveDate, end: NaiveDate) -> Result<DateWindow, InvalidValue> {
        if end < start {
            return Err(ValueProblem::EndBeforeStart { start, end }.into());
        }
        Ok(DateWindow { start, end })
    }

    pub fn start(&self) -> NaiveDate {
        self.start
    }

    pub fn end(&self) -> NaiveDate {
        self.end
    }

    pub fn days(&self) -> u32 {
        let days = (self.end - self.start).num_days() + 1;
        u32::try_from(days).expect("a window's end is never before its start")
    }

    pub fn overlap(&self, other: &DateWindow) -> Option<DateWindow> {
        let start = self.start.max(other.start);
        let end = self.end.min(other.end);
        (start <= end).then_some(DateWindow { start, end })
    }
}

/// The longest mobility any form accepts: a year abroad, with some slack.
pub const MAX_DURATION_DAYS: u32 = 400;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct DurationRange {
    min_days: u32,
    max_days: u32,
}

impl DurationRange {
    pub fn new(min_days: u32, max_days: u32) -> Result<DurationRange, InvalidValue> {
        if min_days == 0 {
            return Err(ValueProblem::DurationZero.into());
        }
        if min_days > max_days {
            return Err(ValueProblem::DurationReversed { min_days, max_days }.into());
        }
        if max_days > MAX_DURATION_DAYS {
            return Err(ValueProblem::DurationTooLong {
                max_days: MAX_DURATION_DAYS,
            }
            .into());
        }
        Ok(DurationRange { min_days, max_days })
    }

    pub fn min_days(&self) -> u32 {
        self.min_days
    }

    pub fn max_days(&self) -> u32 {
        self.max_days
    }

    pub fn intersect(&self, other: &DurationRange) -> Option<DurationRange> {
        let min_days = self.min_days.max(other.min_days);
        let max_days = self.max_days.min(other.max_days);
        (min_days <= max_days).then_some(DurationRange { min_days, max_days })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn a_window_counts_both_of_its_ends() {
        let one_day = DateWindow::new(date("2027-03-01"), date("2027-03-01")).unwrap();
        assert_eq!(one_day.days(), 1);
        let march = DateWindow::new(date("2027-03-01"), date("2027-03-31")).unwrap();
        assert_eq!(march.days(), 31);
        assert!(DateWindow::new(date("2027-03-02"), date("2027-03-01")).is_err());
    }

    #[test]
    fn overlapping_windows_share_their_common_days() {
        let spring = DateWindow::new(date("2027-03-01"), date("2027-05-31")).unwrap();
        let may = DateWindow::new(date("2027-05-01"), date("2027-06-30")).unwrap();
        let overlap = spring.overlap(&may).unwrap();
        assert_eq!(
            (overlap.start(), overlap.end()),
            (date("2027-05-01"), date("2027-05-31"))
        );
        assert_eq!(overlap.days(), 31);
        let touching = DateWindow::new(date("2027-05-31"), date("2027-06-30")).unwrap();
        assert_eq!(spring.overlap(&touching).unwrap().days(), 1);
        let later = DateWindow::new(date("2027-06-01"), date("2027-06-30")).unwrap();
        assert_eq!(spring.overlap(&later), None);
    }

    #[test]
    fn duration_ranges_intersect_or_not() {
        let short = DurationRange::new(5, 14).unwrap();
        let long = DurationRange::new(14, 30).unwrap();
        assert_eq!(
            short.intersect(&long),
            Some(DurationRange::new(14, 14).unwrap())
        );
        let longer = DurationRange::new(15, 30).unwrap();
        assert_eq!(short.intersect(&longer), None);
        assert!(DurationRange::new(0, 3).is_err());
        assert!(DurationRange::new(9, 3).is_err());
        assert!(DurationRange::new(1, MAX_DURATION_DAYS + 1).is_err());
    }
}

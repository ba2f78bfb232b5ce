//! Calendar arithmetic of the demo: calendar years and months as the rule catalogue counts them
//! (clamped to the month's last day), and class times on working days.

use chrono::{Datelike, Months, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Weekday};

pub(crate) fn add_months(d: NaiveDate, months: u32) -> NaiveDate {
    d.checked_add_months(Months::new(months)).unwrap_or(d)
}

pub(crate) fn sub_months(d: NaiveDate, months: u32) -> NaiveDate {
    d.checked_sub_months(Months::new(months)).unwrap_or(d)
}

pub(crate) fn add_years(d: NaiveDate, years: u32) -> NaiveDate {
    add_months(d, 12 * years)
}

pub(crate) fn sub_years(d: NaiveDate, years: u32) -> NaiveDate {
    sub_months(d, 12 * years)
}

pub(crate) fn add_days(d: NaiveDate, days: i64) -> NaiveDate {
    d.checked_add_signed(TimeDelta::days(days)).unwrap_or(d)
}

/// `d` + `years` − 1 day: the last valid day of a certificate valid from `d`.
pub(crate) fn valid_until(from: NaiveDate, years: u32) -> NaiveDate {
    add_days(add_years(from, years), -1)
}

pub(crate) fn at(d: NaiveDate, h: u32, m: u32) -> NaiveDateTime {
    d.and_time(NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default())
}

pub(crate) fn is_working_day(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The Monday of `d`'s week.
pub(crate) fn monday_of(d: NaiveDate) -> NaiveDate {
    add_days(d, -i64::from(d.weekday().num_days_from_monday()))
}

/// The number of class days an offline class of `hours` 学时 takes at 8 a day.
pub(crate) fn offline_days(hours: u32) -> u32 {
    hours.div_ceil(8).max(1)
}

/// Moves `d` so that `days` consecutive days starting there are all working days (`days`
/// ≤ 5): back to an earlier day of the same week if possible.
pub(crate) fn align_start(d: NaiveDate, days: u32) -> NaiveDate {
    let wd = d.weekday().num_days_from_monday();
    let last_ok = 5u32.saturating_sub(days.min(5));
    if wd <= last_ok {
        d
    } else {
        add_days(monday_of(d), i64::from(last_ok))
    }
}

/// An offline class of `hours` 学时 starting on `day`: 08:30–17:30 each day at 8 学时 a
/// day; a last half day ends at 12:00; a single half day is a morning or an afternoon.
pub(crate) fn offline_span(
    day: NaiveDate,
    hours: u32,
    afternoon: bool,
) -> (NaiveDateTime, NaiveDateTime) {
    if hours <= 4 {
        return if afternoon {
            (at(day, 14, 0), at(day, 17, 30))
        } else {
            (at(day, 8, 30), at(day, 12, 0))
        };
    }
    let days = offline_days(hours);
    let last = add_days(day, i64::from(days) - 1);
    let rest = hours - 8 * (days - 1);
    let end = if rest <= 4 {
        at(last, 12, 0)
    } else {
        at(last, 17, 30)
    };
    (at(day, 8, 30), end)
}

/// An online course opened on `day` at 09:00 and finished `len_days` later at 18:00
/// (moved off a weekend).
pub(crate) fn online_span(day: NaiveDate, len_days: u32) -> (NaiveDateTime, NaiveDateTime) {
    let mut last = add_days(day, i64::from(len_days));
    while !is_working_day(last) {
        last = add_days(last, 1);
    }
    (at(day, 9, 0), at(last, 18, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn a_year_after_29_february_is_28_february() {
        assert_eq!(add_years(d(2024, 2, 29), 1), d(2025, 2, 28));
        assert_eq!(sub_years(d(2024, 2, 29), 1), d(2023, 2, 28));
        assert_eq!(valid_until(d(2023, 3, 1), 3), d(2026, 2, 28));
    }

    #[test]
    fn aligned_classes_stay_within_the_working_week() {
        for offset in 0..14 {
            let start = d(2026, 3, 1) + TimeDelta::days(offset);
            for days in 1..=5 {
                let s = align_start(start, days);
                for k in 0..days {
                    assert!(is_working_day(add_days(s, i64::from(k))), "{s} {days}");
                }
                assert_eq!(monday_of(s), monday_of(start));
            }
        }
    }

    #[test]
    fn offline_hours_fit_in_the_class_time() {
        for hours in 1..=40 {
            let (s, e) = offline_span(d(2026, 3, 2), hours, hours % 2 == 0);
            assert!(s < e);
            assert!(i64::from(hours) * 45 <= (e - s).num_minutes(), "{hours}");
        }
    }
}

//! Tip-offs (举报): categories, channels, statuses, the receipt code a reporter follows the
//! case with, and the statutory deadlines (`Params::tipoff_*`). Pure: no I/O.

use crate::Params;
use chrono::{Datelike, Duration, NaiveDate};
use rand::Rng;

macro_rules! codes {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $code:literal, $label:literal;)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[cfg_attr(feature = "sea-orm", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
        #[cfg_attr(feature = "sea-orm", sea_orm(rs_type = "String", db_type = "Text"))]
        pub enum $name { $(#[cfg_attr(feature = "sea-orm", sea_orm(string_value = $code))] $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            pub fn from_code(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.code() == s)
            }
        }
    };
}

codes! {
    /// What the reporter says happened (notice §二 and §四(三)).
    Category {
        FakeTraining => "fake_training", "培训走过场、虚假培训";
        ShortHours => "short_hours", "压缩学时、未按大纲培训";
        PassGuarantee => "pass_guarantee", "“包过班”、高价培训";
        ExamCheating => "exam_cheating", "考试作弊、违反考试纪律";
        FakeCertificate => "fake_certificate", "假证、倒卖证书";
        NoCertificate => "no_certificate", "无证上岗";
        FakeRecords => "fake_records", "培训考试档案造假";
        Other => "other", "其他";
    }
}

codes! {
    /// How the tip-off reached the district.
    Channel {
        Web => "web", "网上举报";
        Hotline => "hotline", "12350举报电话";
        Letter => "letter", "来信";
        Visit => "visit", "来访";
    }
}

codes! {
    /// Where a tip-off stands. Closed tip-offs keep their result; the reporter is told.
    Status {
        Received => "received", "已受理";
        Assigned => "assigned", "已交办";
        Closed => "closed", "已办结";
    }
}

/// Characters of a receipt code: digits and upper-case letters without 0/O, 1/I/L, 2/Z,
/// 5/S, 8/B, so that a code read over the phone is not misheard.
const RECEIPT_CHARS: &[u8] = b"34679ACDEFGHJKMNPQRTUVWXY";

/// A new receipt code, `JB` + the date + 8 random characters + a check character, e.g.
/// `JB20261124-7KQM3XTA-F`.
pub fn new_receipt_code(date: NaiveDate) -> String {
    let mut rng = rand::thread_rng();
    let body: String = (0..8)
        .map(|_| RECEIPT_CHARS[rng.gen_range(0..RECEIPT_CHARS.len())] as char)
        .collect();
    let head = format!(
        "JB{:04}{:02}{:02}-{body}",
        date.year(),
        date.month(),
        date.day()
    );
    let check = check_char(&head);
    format!("{head}-{check}")
}

fn check_char(head: &str) -> char {
    let sum: usize = head
        .bytes()
        .enumerate()
        .map(|(i, b)| (i + 1) * usize::from(b))
        .sum();
    RECEIPT_CHARS[sum % RECEIPT_CHARS.len()] as char
}

/// A receipt code as a reporter types it (spaces, lower case, full-width dashes), checked;
/// `None` when it cannot be one of ours (the check character catches most typing slips).
pub fn normalize_receipt_code(input: &str) -> Option<String> {
    let s: String = input
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '－' | '—' | '–' => '-',
            c => c.to_ascii_uppercase(),
        })
        .collect();
    let (head, check) = s.rsplit_once('-')?;
    let mut chars = check.chars();
    let (Some(c), None) = (chars.next(), chars.next()) else {
        return None;
    };
    let (date, body) = head.strip_prefix("JB")?.split_once('-')?;
    let ok = date.len() == 8
        && date.bytes().all(|b| b.is_ascii_digit())
        && body.len() == 8
        && body.bytes().all(|b| RECEIPT_CHARS.contains(&b))
        && check_char(head) == c;
    ok.then_some(s)
}

/// The deadlines of one tip-off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    /// Close by this date (inclusive), extension included.
    pub close_by: NaiveDate,
    /// Tell the reporter by this date, once closed.
    pub feedback_by: Option<NaiveDate>,
    /// Erase the reporter's identity and contact on or after this date, once closed.
    pub erase_reporter_on: Option<NaiveDate>,
}

/// Deadlines from the date of acceptance, an approved extension (days) and the date closed.
pub fn deadlines(
    p: &Params,
    accepted: NaiveDate,
    extension_days: u32,
    closed: Option<NaiveDate>,
) -> Deadlines {
    let days = |n: u32| Duration::days(i64::from(n));
    Deadlines {
        close_by: accepted + days(p.tipoff_close_days) + days(extension_days),
        feedback_by: closed.map(|c| c + days(p.tipoff_feedback_days)),
        erase_reporter_on: closed.map(|c| c + days(p.tipoff_reporter_retention_days)),
    }
}

/// Checks an extension request against the rules: once, at most the configured days.
pub fn check_extension(p: &Params, already: u32, days: u32) -> Result<(), String> {
    if already > 0 {
        return Err("该举报已延期过一次，不能再次延期".into());
    }
    if days == 0 || days > p.tipoff_extend_max_days {
        return Err(format!("延期天数应为 1 至 {} 天", p.tipoff_extend_max_days));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_receipt_code_round_trips_and_a_slip_is_caught() {
        let code = new_receipt_code(d("2026-11-24"));
        assert!(code.starts_with("JB20261124-"), "{code}");
        assert_eq!(code.len(), "JB20261124-XXXXXXXX-X".len());
        assert_eq!(
            normalize_receipt_code(&code).as_deref(),
            Some(code.as_str())
        );
        let typed = format!(" {} ", code.to_lowercase().replace('-', "－"));
        assert_eq!(
            normalize_receipt_code(&typed).as_deref(),
            Some(code.as_str())
        );
        // One character changed in the body: the check character no longer fits.
        let mut bad: Vec<char> = code.chars().collect();
        bad[12] = if bad[12] == 'A' { 'C' } else { 'A' };
        let bad: String = bad.into_iter().collect();
        assert_eq!(normalize_receipt_code(&bad), None);
        assert_eq!(normalize_receipt_code(""), None);
        assert_eq!(normalize_receipt_code("JB2026-ABC"), None);
    }

    #[test]
    fn deadlines_follow_the_parameters() {
        let p = Params::default();
        let dl = deadlines(&p, d("2026-01-01"), 0, None);
        assert_eq!(dl.close_by, d("2026-03-02"));
        assert_eq!(dl.feedback_by, None);
        let dl = deadlines(&p, d("2026-01-01"), 30, Some(d("2026-03-10")));
        assert_eq!(dl.close_by, d("2026-04-01"));
        assert_eq!(dl.feedback_by, Some(d("2026-03-20")));
        assert_eq!(dl.erase_reporter_on, Some(d("2026-09-06")));
    }

    #[test]
    fn an_extension_is_granted_once_and_within_the_limit() {
        let p = Params::default();
        assert!(check_extension(&p, 0, 30).is_ok());
        assert!(check_extension(&p, 0, 31).unwrap_err().contains("1 至 30"));
        assert!(check_extension(&p, 0, 0).is_err());
        assert!(check_extension(&p, 15, 10).unwrap_err().contains("一次"));
    }

    #[test]
    fn codes_round_trip() {
        for c in Category::ALL {
            assert_eq!(Category::from_code(c.code()), Some(*c));
        }
        for c in Channel::ALL {
            assert_eq!(Channel::from_code(c.code()), Some(*c));
        }
        for s in Status::ALL {
            assert_eq!(Status::from_code(s.code()), Some(*s));
        }
    }

    proptest! {
        #[test]
        fn no_input_panics_the_receipt_parser(s in "\\PC{0,40}") {
            let _ = normalize_receipt_code(&s);
        }

        #[test]
        fn every_new_code_is_accepted(y in 2000i32..2100, doy in 1u32..365) {
            let date = NaiveDate::from_yo_opt(y, doy).unwrap();
            let code = new_receipt_code(date);
            prop_assert_eq!(normalize_receipt_code(&code), Some(code));
        }
    }
}

//! 居民身份证号码 (GB 11643-1999) and 统一社会信用代码 (GB 32100-2015), parsed once at the
//! edge into newtypes so that every layer behind can trust them.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why an identifier was refused; the message is the Chinese reason shown to users, saying
/// what is wrong and what is expected (the column is named by whoever shows it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("应为18位，实际为{0}位")]
    Length(usize),
    /// An ID number with other than 17 digits and a digit or X.
    #[error("含有非法字符：前17位应为数字，最后一位应为数字或X")]
    Charset,
    /// A credit code with characters outside its set.
    #[error("含有非法字符：应为数字和大写字母（不用I、O、Z、S、V），第3至8位应为数字")]
    UsccCharset,
    /// Digits 7–14 of an ID number (`YYYYMMDD`) are no date of birth.
    #[error("第7至14位的出生日期{0}不存在，应为真实的出生日期，如19900101")]
    BirthDate(String),
    /// The last character is not the one the standard computes from the others.
    #[error("校验位错误（按{standard}计算应为{expected}）")]
    CheckDigit {
        expected: char,
        standard: &'static str,
    },
    /// The first six digits of an ID number are no administrative division code.
    #[error("前6位地区码{0}不是有效的行政区划代码")]
    Area(String),
}

/// The standards whose check characters [`IdError::CheckDigit`] names.
const ID_STANDARD: &str = "GB 11643";
const USCC_STANDARD: &str = "GB 32100";

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: &[u8; 11] = b"10X98765432";

/// Trims the ASCII and full-width spaces and NBSP that spreadsheets leave around cells.
pub fn trim_cell(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || c == '\u{3000}' || c == '\u{a0}')
}

/// A resident identity card number, normalised (upper-case `X`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IdNumber(String);

impl IdNumber {
    pub fn parse(raw: &str) -> Result<Self, IdError> {
        Self::checked(raw, None).map_err(|mut all| all.swap_remove(0))
    }

    /// Parses an ID number and checks its area code against `areas` too, reporting every
    /// problem at once so that a user fixes the number in one go: its length or characters
    /// (nothing else can be checked without them), else each of its area code, date of birth
    /// and check digit that is wrong, in that order.
    pub fn parse_with_areas(
        raw: &str,
        areas: &crate::areas::AreaCodes,
    ) -> Result<Self, Vec<IdError>> {
        Self::checked(raw, Some(areas))
    }

    fn checked(raw: &str, areas: Option<&crate::areas::AreaCodes>) -> Result<Self, Vec<IdError>> {
        let s = trim_cell(raw).to_ascii_uppercase();
        let n = s.chars().count();
        if n != 18 {
            return Err(vec![IdError::Length(n)]);
        }
        let b = s.as_bytes();
        if !b[..17].iter().all(u8::is_ascii_digit) || !(b[17].is_ascii_digit() || b[17] == b'X') {
            return Err(vec![IdError::Charset]);
        }
        let mut errors = Vec::new();
        if areas.is_some_and(|a| !a.contains(&s[..6])) {
            errors.push(IdError::Area(s[..6].to_string()));
        }
        let birth = || -> Option<NaiveDate> {
            let year: i32 = s[6..10].parse().ok()?;
            let month: u32 = s[10..12].parse().ok()?;
            let day: u32 = s[12..14].parse().ok()?;
            NaiveDate::from_ymd_opt(year, month, day).filter(|_| year >= 1850)
        };
        if birth().is_none() {
            errors.push(IdError::BirthDate(s[6..14].to_string()));
        }
        let expected = Self::check_char(&s[..17]).unwrap_or('0');
        if expected != b[17] as char {
            errors.push(IdError::CheckDigit {
                expected,
                standard: ID_STANDARD,
            });
        }
        if errors.is_empty() {
            Ok(Self(s))
        } else {
            Err(errors)
        }
    }

    /// The six-digit area code (GB/T 2260) the number begins with.
    pub fn area_code(&self) -> &str {
        &self.0[..6]
    }

    /// The check character for the first 17 digits, or `None` if they are not 17 digits.
    pub fn check_char(first17: &str) -> Option<char> {
        let b = first17.as_bytes();
        if b.len() != 17 || !b.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let sum: u32 = b
            .iter()
            .zip(ID_WEIGHTS)
            .map(|(d, w)| u32::from(d - b'0') * w)
            .sum();
        Some(ID_CHECK[(sum % 11) as usize] as char)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn birth_date(&self) -> NaiveDate {
        let s = &self.0;
        NaiveDate::from_ymd_opt(
            s[6..10].parse().unwrap_or(1900),
            s[10..12].parse().unwrap_or(1),
            s[12..14].parse().unwrap_or(1),
        )
        .unwrap_or_default()
    }

    /// `500***********123X`: the area's first three characters and the last four.
    pub fn masked(&self) -> String {
        crate::mask::mask_id(&self.0)
    }
}

impl fmt::Debug for IdNumber {
    // Never print a full ID number, not even in a debug log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

impl TryFrom<String> for IdNumber {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        Self::parse(&s)
    }
}

impl From<IdNumber> for String {
    fn from(v: IdNumber) -> String {
        v.0
    }
}

/// Validates a Chinese phone number: a mobile (11 digits starting 13–19) or a landline
/// with area code (`023-67824066`, `02367824066`). Returns it without spaces.
pub fn parse_phone(raw: &str) -> Result<String, &'static str> {
    let s: String = trim_cell(raw).chars().filter(|c| *c != ' ').collect();
    let digits: String = s.chars().filter(|c| *c != '-').collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) || s.matches('-').count() > 1 {
        return Err("只能包含数字和一个连字符");
    }
    let mobile = digits.len() == 11
        && digits.starts_with('1')
        && matches!(digits.as_bytes()[1], b'3'..=b'9');
    let landline = digits.starts_with('0') && (10..=12).contains(&digits.len());
    if mobile || landline {
        Ok(s)
    } else {
        Err("应为11位手机号或带区号的固定电话")
    }
}

const USCC_CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

fn uscc_value(c: u8) -> Option<u32> {
    USCC_CHARSET.iter().position(|&x| x == c).map(|p| p as u32)
}

/// A unified social credit code of an organisation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Uscc(String);

impl Uscc {
    pub fn parse(raw: &str) -> Result<Self, IdError> {
        let s = trim_cell(raw).to_ascii_uppercase();
        let n = s.chars().count();
        if n != 18 {
            return Err(IdError::Length(n));
        }
        let b = s.as_bytes();
        let shape_ok =
            b.iter().all(|&c| uscc_value(c).is_some()) && b[2..8].iter().all(u8::is_ascii_digit);
        if !shape_ok {
            return Err(IdError::UsccCharset);
        }
        let expected = Self::check_char(&s[..17]).unwrap_or('0');
        if expected != b[17] as char {
            return Err(IdError::CheckDigit {
                expected,
                standard: USCC_STANDARD,
            });
        }
        Ok(Self(s))
    }

    /// The check character for the first 17 characters, or `None` if any is outside the charset.
    pub fn check_char(first17: &str) -> Option<char> {
        let b = first17.as_bytes();
        if b.len() != 17 {
            return None;
        }
        let mut sum = 0u32;
        for (&c, w) in b.iter().zip(USCC_WEIGHTS) {
            sum += uscc_value(c)? * w;
        }
        Some(USCC_CHARSET[((31 - sum % 31) % 31) as usize] as char)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Uscc {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        Self::parse(&s)
    }
}

impl From<Uscc> for String {
    fn from(v: Uscc) -> String {
        v.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_the_example_id_number_of_the_rules() {
        assert_eq!(
            IdNumber::parse("11010519491231002X").unwrap().as_str(),
            "11010519491231002X"
        );
    }

    #[test]
    fn accepts_a_lowercase_x_and_stores_it_upper_case() {
        let id = IdNumber::parse(" 11010519491231002x\u{3000}").unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
    }

    #[test]
    fn rejects_an_id_number_with_a_wrong_check_digit() {
        assert_eq!(
            IdNumber::parse("110105194912310021"),
            Err(IdError::CheckDigit {
                expected: 'X',
                standard: "GB 11643"
            })
        );
        assert_eq!(
            IdNumber::parse("110105194912310021")
                .unwrap_err()
                .to_string(),
            "校验位错误（按GB 11643计算应为X）"
        );
    }

    #[test]
    fn rejects_an_id_number_with_an_impossible_birth_date() {
        // 2021-02-30 does not exist; the check digit is made right so only the date is wrong.
        let first = "11010520210230002";
        let id = format!("{first}{}", IdNumber::check_char(first).unwrap());
        assert_eq!(
            IdNumber::parse(&id),
            Err(IdError::BirthDate("20210230".into()))
        );
        assert_eq!(
            IdNumber::parse(&id).unwrap_err().to_string(),
            "第7至14位的出生日期20210230不存在，应为真实的出生日期，如19900101"
        );
    }

    #[test]
    fn rejects_ids_of_the_wrong_length_or_charset() {
        assert_eq!(
            IdNumber::parse("1101051949123100"),
            Err(IdError::Length(16))
        );
        assert_eq!(IdNumber::parse("1101051949123100AX"), Err(IdError::Charset));
    }

    #[test]
    fn debug_output_of_an_id_number_is_masked() {
        let id = IdNumber::parse("11010519491231002X").unwrap();
        assert_eq!(format!("{id:?}"), "IdNumber(110***********002X)");
    }

    #[test]
    fn accepts_the_example_credit_code_of_the_rules() {
        assert!(Uscc::parse("91110000600037341L").is_ok());
        assert!(Uscc::parse("91110000600037341l").is_ok());
    }

    #[test]
    fn rejects_a_credit_code_with_a_wrong_check_character_or_letter_i() {
        assert_eq!(
            Uscc::parse("91110000600037341M").unwrap_err().to_string(),
            "校验位错误（按GB 32100计算应为L）"
        );
        assert_eq!(Uscc::parse("9111000060003734IL"), Err(IdError::UsccCharset));
        assert_eq!(Uscc::parse("91AB0000600037341L"), Err(IdError::UsccCharset));
    }

    #[test]
    fn accepts_mobiles_and_landlines_and_refuses_the_rest() {
        assert_eq!(parse_phone(" 13812341234 "), Ok("13812341234".into()));
        assert!(parse_phone("023-67824066").is_ok());
        assert!(parse_phone("12812341234").is_err());
        assert!(parse_phone("138123").is_err());
        assert!(parse_phone("1381234123a").is_err());
    }

    #[test]
    fn an_id_number_s_problems_are_all_named_with_what_is_expected() {
        let areas = crate::areas::AreaCodes::builtin();
        // Area 999999 and date 1990-02-30 do not exist, and the check digit is wrong too.
        let first = "99999919900230001";
        let right = IdNumber::check_char(first).unwrap();
        let wrong = if right == '0' { '1' } else { '0' };
        let errors = IdNumber::parse_with_areas(&format!("{first}{wrong}"), areas).unwrap_err();
        assert_eq!(
            errors,
            vec![
                IdError::Area("999999".into()),
                IdError::BirthDate("19900230".into()),
                IdError::CheckDigit {
                    expected: right,
                    standard: "GB 11643"
                },
            ]
        );
        assert_eq!(
            errors[0].to_string(),
            "前6位地区码999999不是有效的行政区划代码"
        );
        // Without the area list, only the number itself is checked.
        assert!(IdNumber::parse(&format!(
            "99999919900101001{}",
            IdNumber::check_char("99999919900101001").unwrap()
        ))
        .is_ok());
        // An abolished county's code is as good as a current one.
        let old = format!(
            "50022119700101001{}",
            IdNumber::check_char("50022119700101001").unwrap()
        );
        assert_eq!(
            IdNumber::parse_with_areas(&old, areas).unwrap().area_code(),
            "500221"
        );
        assert_eq!(
            IdNumber::parse_with_areas("1101051949", areas),
            Err(vec![IdError::Length(10)])
        );
    }

    /// Area codes of the built-in list, to draw valid ID numbers from.
    fn any_area() -> impl Strategy<Value = String> {
        proptest::sample::select(vec![
            "110105", "500112", "500221", "500101", "510113", "511602", "310115", "440305",
            "652901", "542621",
        ])
        .prop_map(String::from)
    }

    fn any_date() -> impl Strategy<Value = NaiveDate> {
        (1900i32..2030, 1u32..=12, 1u32..=28)
            .prop_map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap())
    }

    proptest! {
        #[test]
        fn every_id_with_a_computed_check_digit_parses(area in 110000u32..660000, date in any_date(), seq in 0u32..1000) {
            let first = format!("{area:06}{}{seq:03}", date.format("%Y%m%d"));
            let id = format!("{first}{}", IdNumber::check_char(&first).unwrap());
            let parsed = IdNumber::parse(&id).unwrap();
            prop_assert_eq!(parsed.birth_date(), date);
        }

        #[test]
        fn changing_one_digit_of_a_valid_id_is_caught(area in 110000u32..660000, date in any_date(), seq in 0u32..1000, pos in 14usize..17, delta in 1u8..10) {
            let first = format!("{area:06}{}{seq:03}", date.format("%Y%m%d"));
            let mut id = format!("{first}{}", IdNumber::check_char(&first).unwrap()).into_bytes();
            id[pos] = b'0' + (id[pos] - b'0' + delta) % 10;
            prop_assert!(IdNumber::parse(std::str::from_utf8(&id).unwrap()).is_err());
        }

        #[test]
        fn every_id_with_a_listed_area_and_a_computed_check_digit_passes_every_check(area in any_area(), date in any_date(), seq in 0u32..1000) {
            let first = format!("{area}{}{seq:03}", date.format("%Y%m%d"));
            let id = format!("{first}{}", IdNumber::check_char(&first).unwrap());
            let areas = crate::areas::AreaCodes::builtin();
            let parsed = IdNumber::parse_with_areas(&id, areas).unwrap();
            prop_assert_eq!(parsed.as_str(), id.as_str());
        }

        #[test]
        fn changing_one_digit_names_the_check_digit_the_rest_now_needs(area in any_area(), date in any_date(), seq in 0u32..1000, pos in 0usize..17, delta in 1u8..10) {
            let first = format!("{area}{}{seq:03}", date.format("%Y%m%d"));
            let check = IdNumber::check_char(&first).unwrap();
            let mut changed = first.clone().into_bytes();
            changed[pos] = b'0' + (changed[pos] - b'0' + delta) % 10;
            let changed = String::from_utf8(changed).unwrap();
            let expected = IdNumber::check_char(&changed).unwrap();
            // The weights make every single-digit change change the check digit.
            prop_assert_ne!(expected, check);
            let errors = IdNumber::parse_with_areas(&format!("{changed}{check}"), crate::areas::AreaCodes::builtin()).unwrap_err();
            let want = IdError::CheckDigit { expected, standard: "GB 11643" };
            prop_assert!(errors.contains(&want), "{:?}", errors);
            let message = format!("校验位错误（按GB 11643计算应为{expected}）");
            prop_assert!(errors.iter().any(|e| e.to_string() == message));
        }

        #[test]
        fn every_credit_code_with_a_computed_check_char_parses(body in "[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{9}") {
            let code = format!("{body}{}", Uscc::check_char(&body).unwrap());
            prop_assert!(Uscc::parse(&code).is_ok());
        }

        #[test]
        fn parsers_never_panic_on_arbitrary_text(s in "\\PC{0,24}") {
            let _ = IdNumber::parse(&s);
            let _ = Uscc::parse(&s);
        }
    }
}

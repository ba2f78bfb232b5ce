//! 居民身份证号码 (GB 11643-1999) and 统一社会信用代码 (GB 32100-2015), parsed once at the
//! edge into newtypes so that every layer behind can trust them.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why an identifier was refused; the message is the Chinese reason shown to users.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("应为18位，实际为{0}位")]
    Length(usize),
    #[error("含有非法字符")]
    Charset,
    #[error("出生日期不存在")]
    BirthDate,
    #[error("校验位错误")]
    CheckDigit,
}

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
        let s = trim_cell(raw).to_ascii_uppercase();
        let n = s.chars().count();
        if n != 18 {
            return Err(IdError::Length(n));
        }
        let b = s.as_bytes();
        if !b[..17].iter().all(u8::is_ascii_digit) || !(b[17].is_ascii_digit() || b[17] == b'X') {
            return Err(IdError::Charset);
        }
        let year: i32 = s[6..10].parse().map_err(|_| IdError::BirthDate)?;
        let month: u32 = s[10..12].parse().map_err(|_| IdError::BirthDate)?;
        let day: u32 = s[12..14].parse().map_err(|_| IdError::BirthDate)?;
        if year < 1850 || NaiveDate::from_ymd_opt(year, month, day).is_none() {
            return Err(IdError::BirthDate);
        }
        if Self::check_char(&s[..17]) != Some(b[17] as char) {
            return Err(IdError::CheckDigit);
        }
        Ok(Self(s))
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
            return Err(IdError::Charset);
        }
        if Self::check_char(&s[..17]) != Some(b[17] as char) {
            return Err(IdError::CheckDigit);
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
            Err(IdError::CheckDigit)
        );
    }

    #[test]
    fn rejects_an_id_number_with_an_impossible_birth_date() {
        // 2021-02-30 does not exist; the check digit is made right so only the date is wrong.
        let first = "11010520210230002";
        let id = format!("{first}{}", IdNumber::check_char(first).unwrap());
        assert_eq!(IdNumber::parse(&id), Err(IdError::BirthDate));
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
        assert_eq!(Uscc::parse("91110000600037341M"), Err(IdError::CheckDigit));
        assert_eq!(Uscc::parse("9111000060003734IL"), Err(IdError::Charset));
        assert_eq!(Uscc::parse("91AB0000600037341L"), Err(IdError::Charset));
    }

    #[test]
    fn accepts_mobiles_and_landlines_and_refuses_the_rest() {
        assert_eq!(parse_phone(" 13812341234 "), Ok("13812341234".into()));
        assert!(parse_phone("023-67824066").is_ok());
        assert!(parse_phone("12812341234").is_err());
        assert!(parse_phone("138123").is_err());
        assert!(parse_phone("1381234123a").is_err());
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

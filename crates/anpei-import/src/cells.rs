//! Cell parsers for messy spreadsheets: trimming, full-width characters, the
//! date and date-time forms Chinese ledgers use, Excel serial dates (with Excel's 1900
//! leap-year bug) and numbers. They never panic, and an impossible date is an error, never
//! shifted to a neighbouring day.
//!
//! Accepted date forms: `2021-03-05`, `2021/3/5`, `2021.3.5`, `2021年3月5日` (日 or 号
//! optional), `20210305`, and an Excel serial number (`44260`, five digits, as Excel shows a
//! date cell formatted as a number). Date-times add a time after a space, a `T`, or nothing
//! after 日: `9:00`, `09:00:00`, `09:00:00.000` (fractions of a second are dropped), `9时30分`,
//! `9点`. Full-width digits and punctuation (`２０２１－０３－０５`, `９：００`) count as ASCII.

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Timelike};
use std::borrow::Cow;
use std::fmt::Write as _;

/// The years a ledger date may fall in; anything else is a typo (`0221`, `2201`).
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=2100;

/// Why a cell could not be read; the message is the Chinese reason shown to users, with what
/// is expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CellError {
    #[error("不能为空")]
    Empty,
    #[error("“{0}”不是日期，应为日期，如2022-03-31（也可写2022/3/31、2022.3.31、2022年3月31日或20220331）")]
    DateFormat(String),
    #[error("“{0}”不是日期时间，应为日期时间，如2022-03-31 09:00（也可写2022/3/31 9:00或2022年3月31日 9:00）")]
    DateTimeFormat(String),
    #[error("日期{0}不存在，应为日历上有的日期，如2022-03-31")]
    NoSuchDate(String),
    #[error("时间{0}不存在，应在0:00至23:59之间，如09:00")]
    NoSuchTime(String),
    #[error("日期{0}超出范围，年份应在1900至2100之间，如2022-03-31")]
    DateRange(String),
    #[error("“{0}”不是数字，应为数字")]
    Number(String),
}

/// Trims ASCII and full-width (U+3000) spaces, NBSP, BOM and zero-width spaces around a cell.
pub fn trim(s: &str) -> &str {
    s.trim_matches(|c: char| {
        c.is_whitespace() || matches!(c, '\u{3000}' | '\u{a0}' | '\u{feff}' | '\u{200b}')
    })
}

/// Folds full-width ASCII forms (`０`–`９`, `Ａ`–`Ｚ`, `－`, `／`, `：` …) and the full-width
/// space to ASCII, as Chinese input methods type them. Borrows when there is nothing to fold.
pub fn fold_fullwidth(s: &str) -> Cow<'_, str> {
    let folds = |c: char| matches!(c, '\u{ff01}'..='\u{ff5e}' | '\u{3000}');
    if s.is_ascii() || !s.chars().any(folds) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| match c {
                '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
                '\u{3000}' => ' ',
                _ => c,
            })
            .collect(),
    )
}

/// Parses a date cell (see the module docs for the forms). A date-time is accepted and its
/// time dropped, since Excel often writes dates as `2021/3/5 0:00`.
pub fn parse_date(s: &str) -> Result<NaiveDate, CellError> {
    parse_datetime(s).map(|(d, _)| d)
}

/// Parses a date-time cell into its date and, when the cell has one, its time of day.
pub fn parse_datetime(s: &str) -> Result<(NaiveDate, Option<NaiveTime>), CellError> {
    let t = trim(s);
    if t.is_empty() {
        return Err(CellError::Empty);
    }
    let folded = fold_fullwidth(t);
    let text = folded.as_ref();
    if let Some(serial) = text_serial(text) {
        let dt = excel_serial(serial)?;
        let time = (dt.time() != NaiveTime::MIN).then(|| dt.time());
        return Ok((dt.date(), time));
    }
    let mut c = Scanner::new(text);
    let (y, m, d) = date_part(&mut c).ok_or_else(|| CellError::DateFormat(t.to_string()))?;
    let time = if c.done() {
        None
    } else {
        Some(time_part(&mut c).ok_or_else(|| CellError::DateTimeFormat(t.to_string()))?)
    };
    let date = make_date(y, m, d)?;
    let time = match time {
        None => None,
        Some((h, mi, sec)) => Some(
            NaiveTime::from_hms_opt(h, mi, sec)
                .ok_or_else(|| CellError::NoSuchTime(shown_time(h, mi, sec)))?,
        ),
    };
    Ok((date, time))
}

/// Parses a number written as text or taken from a numeric cell (`8`, `7.5`, `１２`).
pub fn parse_number(s: &str) -> Result<f64, CellError> {
    let t = trim(s);
    if t.is_empty() {
        return Err(CellError::Empty);
    }
    let folded = fold_fullwidth(t);
    let f = folded.as_ref();
    let plausible = f
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'+' | b'-' | b'e' | b'E'))
        && f.bytes().any(|b| b.is_ascii_digit());
    match f.parse::<f64>() {
        Ok(v) if plausible && v.is_finite() => Ok(v),
        _ => Err(CellError::Number(t.to_string())),
    }
}

/// Converts an Excel serial date-time (1900 date system) to a date-time, keeping Excel's
/// 1900 leap-year bug: serial 60 is the non-existent 1900-02-29 (an error), serials below
/// it count from 1899-12-31 and those above from 1899-12-30. Rounds to the second.
pub fn excel_serial(serial: f64) -> Result<NaiveDateTime, CellError> {
    if !serial.is_finite() || !(1.0..2_958_466.0).contains(&serial) {
        return Err(CellError::DateRange(format_number_string(serial)));
    }
    let mut days = serial.floor() as i64;
    let mut secs = ((serial - serial.floor()) * 86_400.0).round() as i64;
    if secs >= 86_400 {
        days += 1;
        secs -= 86_400;
    }
    if days == 60 {
        return Err(CellError::NoSuchDate("1900-02-29".into()));
    }
    let epoch = if days < 60 {
        (1899, 12, 31)
    } else {
        (1899, 12, 30)
    };
    let base = NaiveDate::from_ymd_opt(epoch.0, epoch.1, epoch.2).unwrap_or_default();
    let dt = base.and_time(NaiveTime::MIN) + TimeDelta::days(days) + TimeDelta::seconds(secs);
    if !YEARS.contains(&dt.year()) {
        return Err(CellError::DateRange(format_date_string(dt.date())));
    }
    Ok(dt)
}

/// The Excel serial (1900 date system) of a date-time: the inverse of [`excel_serial`].
pub fn to_excel_serial(dt: NaiveDateTime) -> f64 {
    let base = NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default();
    let mut days = (dt.date() - base).num_days();
    if days < 61 {
        // Before 1900-03-01 Excel counts the phantom 1900-02-29 one day later.
        days -= 1;
    }
    days as f64 + f64::from(dt.time().num_seconds_from_midnight()) / 86_400.0
}

/// Writes a date as `2021-03-05`.
pub fn format_date(d: NaiveDate, out: &mut String) {
    let _ = write!(out, "{:04}-{:02}-{:02}", d.year(), d.month(), d.day());
}

/// Writes a date-time as `2021-03-05 09:00`, or `2021-03-05 09:00:30` when it has seconds.
pub fn format_datetime(dt: NaiveDateTime, out: &mut String) {
    format_date(dt.date(), out);
    let _ = write!(out, " {:02}:{:02}", dt.hour(), dt.minute());
    if dt.second() != 0 {
        let _ = write!(out, ":{:02}", dt.second());
    }
}

/// Writes a number in its shortest form that reads back exactly (`8`, `7.5`).
pub fn format_number(v: f64, out: &mut String) {
    let _ = write!(out, "{v}");
}

fn format_number_string(v: f64) -> String {
    let mut s = String::new();
    format_number(v, &mut s);
    s
}

fn format_date_string(d: NaiveDate) -> String {
    let mut s = String::new();
    format_date(d, &mut s);
    s
}

fn shown_time(h: u32, mi: u32, sec: u32) -> String {
    if sec == 0 {
        format!("{h:02}:{mi:02}")
    } else {
        format!("{h:02}:{mi:02}:{sec:02}")
    }
}

fn make_date(y: u32, m: u32, d: u32) -> Result<NaiveDate, CellError> {
    let shown = || format!("{y:04}-{m:02}-{d:02}");
    let year = i32::try_from(y).unwrap_or(i32::MAX);
    if !YEARS.contains(&year) {
        return Err(CellError::DateRange(shown()));
    }
    NaiveDate::from_ymd_opt(year, m, d).ok_or_else(|| CellError::NoSuchDate(shown()))
}

/// A five-digit serial as Excel shows a date cell formatted as a number (`44260`, `44260.375`).
fn text_serial(s: &str) -> Option<f64> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    (int.len() == 5 && digits(int) && digits(frac)).then(|| s.parse().ok())?
}

/// `2021-03-05`, `2021/3/5`, `2021.3.5`, `2021年3月5日`, `20210305`, then the separator before
/// a time (spaces, `T`) if anything follows.
fn date_part(c: &mut Scanner) -> Option<(u32, u32, u32)> {
    let (y, ny) = c.number()?;
    let mut after_day_sign = false;
    let ymd = match ny {
        8 => (y / 10_000, y / 100 % 100, y % 100),
        4 => {
            let sep = c.next()?;
            let sep2 = match sep {
                '-' | '/' | '.' => sep,
                '年' => '月',
                _ => return None,
            };
            let (m, nm) = c.number()?;
            if nm > 2 || !c.eat(sep2) {
                return None;
            }
            let (d, nd) = c.number()?;
            if nd > 2 {
                return None;
            }
            after_day_sign = sep == '年' && (c.eat('日') || c.eat('号'));
            (y, m, d)
        }
        _ => return None,
    };
    // A time follows after spaces or a `T`, or straight after 日.
    if c.skip_spaces() == 0 && !c.done() && !c.eat('T') && !after_day_sign {
        return None;
    }
    Some(ymd)
}

/// `9:00`, `09:00:00`, `09:00:00.5`, `9时30分`, `9点`, then only trailing spaces.
fn time_part(c: &mut Scanner) -> Option<(u32, u32, u32)> {
    let (h, nh) = c.number()?;
    if nh > 2 {
        return None;
    }
    let (mut mi, mut sec) = (0, 0);
    match c.next()? {
        ':' => {
            let (m, nm) = c.number()?;
            if nm != 2 {
                return None;
            }
            mi = m;
            if c.eat(':') {
                let (s, ns) = c.number()?;
                if ns != 2 {
                    return None;
                }
                sec = s;
                if c.eat('.') {
                    c.number()?;
                }
            }
        }
        '时' | '点' => {
            if let Some((m, nm)) = c.number() {
                if nm > 2 || !c.eat('分') {
                    return None;
                }
                mi = m;
                if let Some((s, ns)) = c.number() {
                    if ns > 2 || !c.eat('秒') {
                        return None;
                    }
                    sec = s;
                }
            }
        }
        _ => return None,
    }
    c.skip_spaces();
    c.done().then_some((h, mi, sec))
}

/// A cursor over a short cell text.
struct Scanner<'a> {
    rest: &'a str,
}

impl<'a> Scanner<'a> {
    fn new(s: &'a str) -> Self {
        Self { rest: s }
    }

    fn done(&self) -> bool {
        self.rest.is_empty()
    }

    fn peek(&self) -> Option<char> {
        self.rest.chars().next()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.rest = &self.rest[c.len_utf8()..];
        Some(c)
    }

    fn eat(&mut self, want: char) -> bool {
        if self.peek() == Some(want) {
            self.rest = &self.rest[want.len_utf8()..];
            true
        } else {
            false
        }
    }

    fn skip_spaces(&mut self) -> usize {
        let before = self.rest.len();
        self.rest = self.rest.trim_start_matches([' ', '\t']);
        before - self.rest.len()
    }

    /// A run of ASCII digits: its value (saturating) and its length; `None` if there is none.
    fn number(&mut self) -> Option<(u32, usize)> {
        let n = self.rest.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        let v = self.rest.as_bytes()[..n].iter().fold(0u32, |acc, b| {
            acc.saturating_mul(10).saturating_add(u32::from(b - b'0'))
        });
        self.rest = &self.rest[n..];
        Some((v, n))
    }
}

#[cfg(test)]
mod tests;

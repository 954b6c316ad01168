//! RFC 3339 date-times and `YYYY-MM-DD` dates as text, read and written by hand.
//!
//! The same text `time`'s `Rfc3339` and `[year]-[month]-[day]` format descriptions accept and
//! write (the tests compare them on many inputs), without their general parser and formatter:
//! those are about 60 kB of the device's wasm, for the two fixed formats used here.

use std::fmt::Write as _;

use time::{Date, Month, PrimitiveDateTime, Time, UtcOffset};

/// Reads exactly `N` ASCII digits at the start of `input`.
fn digits<const N: usize>(input: &[u8]) -> Option<(u32, &[u8])> {
    let (head, rest) = input.split_at_checked(N)?;
    let mut value = 0;
    for &b in head {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u32::from(b - b'0');
    }
    Some((value, rest))
}

/// `input` without its first byte if that is `byte`.
fn literal(input: &[u8], byte: u8) -> Option<&[u8]> {
    input.strip_prefix(&[byte])
}

/// Reads `YYYY-MM-DD` (the year with a sign if `signed` allows one); returns the date and
/// what follows.
fn date_prefix(input: &[u8], signed: bool) -> Option<(Date, &[u8])> {
    let (negative, input) = match input.first() {
        Some(b'-') if signed => (true, &input[1..]),
        Some(b'+') if signed => (false, &input[1..]),
        _ => (false, input),
    };
    let (year, input) = digits::<4>(input)?;
    let year = if negative {
        -(year as i32)
    } else {
        year as i32
    };
    let (month, input) = digits::<2>(literal(input, b'-')?)?;
    let (day, input) = digits::<2>(literal(input, b'-')?)?;
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    let date = Date::from_calendar_date(year, month, u8::try_from(day).ok()?).ok()?;
    Some((date, input))
}

/// Reads a date written `YYYY-MM-DD` (a sign before the year allowed) and nothing else.
pub fn parse_date(text: &str) -> Option<Date> {
    match date_prefix(text.as_bytes(), true)? {
        (date, []) => Some(date),
        _ => None,
    }
}

/// Writes `date` as `YYYY-MM-DD` (a year before 1 with a `-`).
pub fn format_date(date: Date) -> String {
    let mut out = String::with_capacity(10);
    write_date(&mut out, date);
    out
}

fn write_date(out: &mut String, date: Date) {
    let year = date.year();
    if year < 0 {
        out.push('-');
    }
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}",
        year.unsigned_abs(),
        u8::from(date.month()),
        date.day()
    );
}

/// Reads an RFC 3339 date-time (`2026-03-01T10:00:00.5+08:00`, `…Z`) as nanoseconds since the
/// Unix epoch. As `time` reads it: any one byte between date and time, any number of fraction
/// digits (beyond nine ignored), `z` for `Z`, and a leap second only at the end of a month (UTC),
/// read as the nanosecond before the next minute.
pub fn parse_rfc3339_nanos(text: &str) -> Option<i128> {
    let (date, input) = date_prefix(text.as_bytes(), false)?;
    // The RFC allows a separator other than `T`; `time` skips any one byte.
    let input = input.get(1..)?;
    let (hour, input) = digits::<2>(input)?;
    let (minute, input) = digits::<2>(literal(input, b':')?)?;
    let (mut second, mut input) = digits::<2>(literal(input, b':')?)?;
    let mut nanosecond = 0;
    if let Some(fraction) = literal(input, b'.') {
        let count = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
        if count == 0 {
            return None;
        }
        let mut multiplier = 100_000_000;
        for &b in &fraction[..count] {
            nanosecond += u32::from(b - b'0') * multiplier;
            multiplier /= 10;
        }
        input = &fraction[count..];
    }
    let offset = match input {
        [b'Z' | b'z'] => UtcOffset::UTC,
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let (offset_hour, rest) = digits::<2>(rest)?;
            let (offset_minute, rest) = digits::<2>(literal(rest, b':')?)?;
            if offset_hour > 23 || !rest.is_empty() {
                return None;
            }
            let (h, m) = (offset_hour as i8, i8::try_from(offset_minute).ok()?);
            if *sign == b'-' {
                UtcOffset::from_hms(-h, -m, 0).ok()?
            } else {
                UtcOffset::from_hms(h, m, 0).ok()?
            }
        }
        _ => return None,
    };
    let leap_second = second == 60;
    if leap_second {
        second = 59;
        nanosecond = 999_999_999;
    }
    let time = Time::from_hms_nano(
        u8::try_from(hour).ok()?,
        u8::try_from(minute).ok()?,
        u8::try_from(second).ok()?,
        nanosecond,
    )
    .ok()?;
    let instant = PrimitiveDateTime::new(date, time).assume_offset(offset);
    if leap_second {
        let utc = instant.to_offset(UtcOffset::UTC);
        let last_day = time::util::days_in_month(utc.month(), utc.year());
        if (utc.hour(), utc.minute(), utc.second(), utc.day()) != (23, 59, 59, last_day) {
            return None;
        }
    }
    Some(instant.unix_timestamp_nanos())
}

/// Writes the instant `nanos` (since the Unix epoch) as RFC 3339 in `offset`, as `time` does:
/// the fraction only when not zero and without trailing zeros, `Z` for UTC. `None` for a year
/// outside 0–9999 or an offset with seconds, which RFC 3339 cannot write.
pub fn format_rfc3339(nanos: i128, offset: UtcOffset) -> Option<String> {
    let instant = time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()?
        .to_offset(offset);
    if !(0..10_000).contains(&instant.year()) || offset.seconds_past_minute() != 0 {
        return None;
    }
    let mut out = String::with_capacity(32);
    write_date(&mut out, instant.date());
    let _ = write!(
        out,
        "T{:02}:{:02}:{:02}",
        instant.hour(),
        instant.minute(),
        instant.second()
    );
    let fraction = instant.nanosecond();
    if fraction != 0 {
        let mut digits = format!("{fraction:09}");
        while digits.ends_with('0') {
            digits.pop();
        }
        out.push('.');
        out.push_str(&digits);
    }
    if offset.is_utc() {
        out.push('Z');
    } else {
        let (h, m, _) = offset.as_hms();
        let sign = if offset.is_negative() { '-' } else { '+' };
        let _ = write!(out, "{sign}{:02}:{:02}", h.unsigned_abs(), m.unsigned_abs());
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::OffsetDateTime;
    use time::format_description::well_known::Rfc3339;

    const DATE: &[time::format_description::BorrowedFormatItem<'static>] =
        time::macros::format_description!("[year]-[month]-[day]");

    /// What `time` itself makes of `text`.
    fn time_rfc3339(text: &str) -> Option<i128> {
        OffsetDateTime::parse(text, &Rfc3339)
            .ok()
            .map(OffsetDateTime::unix_timestamp_nanos)
    }

    #[test]
    fn reads_rfc3339_as_time_does() {
        let cases = [
            "2026-03-01T10:00:00+08:00",
            "2026-03-01t10:00:00z",
            "2026-03-01 10:00:00Z",
            "2026-03-01T10:00:00.5+08:00",
            "2026-03-01T10:00:00.123456789-05:30",
            "2026-03-01T10:00:00.1234567891234Z",
            "2026-03-01T10:00:00.Z",
            "2026-03-01T10:00:00",
            "2026-03-01T10:00:00+24:00",
            "2026-03-01T10:00:00+23:59",
            "2026-03-01T10:00:00+08:60",
            "2026-03-01T10:00:00+0800",
            "2026-03-01T10:00:00+08:00 ",
            "2026-03-01T24:00:00Z",
            "2026-03-01T23:60:00Z",
            "2026-02-29T10:00:00Z",
            "2028-02-29T10:00:00Z",
            "2026-13-01T10:00:00Z",
            "2026-00-01T10:00:00Z",
            "2026-04-31T10:00:00Z",
            "2026-12-31T23:59:60Z",
            "2026-12-31T23:59:60.5Z",
            "2027-01-01T07:59:60+08:00",
            "2026-12-30T23:59:60Z",
            "2026-06-30T23:59:60-01:00",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999Z",
            "1969-12-31T23:59:59.999Z",
            "+2026-03-01T10:00:00Z",
            "-2026-03-01T10:00:00Z",
            "2026-3-01T10:00:00Z",
            "2026-03-01T10:00Z",
            "2026-03-01",
            "2026-03-01T",
            "2026-03-01字10:00:00Z",
            "",
            "2026-03-01T10:00:00-00:00",
        ];
        for text in cases {
            assert_eq!(parse_rfc3339_nanos(text), time_rfc3339(text), "{text:?}");
        }
    }

    #[test]
    fn reads_and_writes_dates_as_time_does() {
        for text in [
            "2026-03-01",
            "2028-02-29",
            "2026-02-29",
            "0001-01-01",
            "-0001-01-01",
            "+2026-03-01",
            "2026-3-01",
            "2026-03-01 ",
            "20260301",
            "",
        ] {
            let theirs = Date::parse(text, DATE).ok();
            assert_eq!(parse_date(text), theirs, "{text:?}");
            if let Some(date) = theirs {
                assert_eq!(format_date(date), date.format(DATE).unwrap(), "{text:?}");
            }
        }
    }

    #[test]
    fn writes_rfc3339_as_time_does() {
        let offsets = [
            UtcOffset::UTC,
            UtcOffset::from_hms(8, 0, 0).unwrap(),
            UtcOffset::from_hms(-5, -30, 0).unwrap(),
        ];
        let mut nanos: i128 = -62_167_219_200_000_000_000 - 1;
        // From before year 0 to past 9999, in uneven steps that hit every fraction length.
        let step: i128 = 777_777_777_777_777_777;
        while nanos < 253_402_300_800_000_000_000 + step {
            for offset in offsets {
                for shift in [0, 1, 100_000_000, 120_000_000, 123_000_000] {
                    let at = nanos + shift;
                    let theirs = OffsetDateTime::from_unix_timestamp_nanos(at)
                        .ok()
                        .and_then(|t| t.to_offset(offset).format(&Rfc3339).ok());
                    assert_eq!(format_rfc3339(at, offset), theirs, "{at} {offset}");
                }
            }
            nanos += step;
        }
    }

    #[test]
    fn many_instants_read_back_what_was_written() {
        let offset = UtcOffset::from_hms(8, 0, 0).unwrap();
        let mut ms: i64 = 1_700_000_000_000;
        for i in 0..2_000 {
            ms += 86_399_999 + i * 37;
            let nanos = i128::from(ms) * 1_000_000;
            let text = format_rfc3339(nanos, offset).unwrap();
            assert_eq!(parse_rfc3339_nanos(&text), Some(nanos), "{text}");
            assert_eq!(time_rfc3339(&text), Some(nanos), "{text}");
        }
    }
}

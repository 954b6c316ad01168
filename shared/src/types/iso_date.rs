//! Dates in JSON as `YYYY-MM-DD` text, the way people write them, rather than `time`'s
//! default tuple form.

use serde::{Deserialize, Deserializer, Serializer};
use time::Date;

use super::datetime_text;

/// Writes the date as `YYYY-MM-DD`.
pub fn serialize<S: Serializer>(date: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&datetime_text::format_date(*date))
}

/// Reads a `YYYY-MM-DD` date.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
    let text = std::borrow::Cow::<'de, str>::deserialize(d)?;
    datetime_text::parse_date(&text).ok_or_else(|| {
        serde::de::Error::custom(format_args!(
            "{text:?} is not a date written YYYY-MM-DD (2026-03-01)"
        ))
    })
}

/// The same for `Option<Date>`.
pub mod option {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    /// Writes the date as `YYYY-MM-DD`, or null.
    pub fn serialize<S: Serializer>(date: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
        match date {
            Some(d) => super::serialize(d, s),
            None => s.serialize_none(),
        }
    }

    /// Reads a `YYYY-MM-DD` date, or null.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
        #[derive(Deserialize)]
        struct Wrap(#[serde(with = "super")] Date);
        Ok(Option::<Wrap>::deserialize(d)?.map(|w| w.0))
    }
}

//! Dates in JSON as `YYYY-MM-DD` text, the way people write them, rather than `time`'s
//! default tuple form.

use serde::{Deserialize, Deserializer, Serializer};
use time::Date;

const FORMAT: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

/// Writes the date as `YYYY-MM-DD`.
pub fn serialize<S: Serializer>(date: &Date, s: S) -> Result<S::Ok, S::Error> {
    let text = date.format(FORMAT).map_err(serde::ser::Error::custom)?;
    s.serialize_str(&text)
}

/// Reads a `YYYY-MM-DD` date.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
    let text = std::borrow::Cow::<'de, str>::deserialize(d)?;
    Date::parse(&text, FORMAT).map_err(serde::de::Error::custom)
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

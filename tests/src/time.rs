//! Moments as the API writes them (RFC 3339), for operations and events keyed in as they happened.

use carclub_shared::Timestamp;

/// One day in milliseconds.
pub const DAY_MS: i64 = 86_400_000;

/// Now, in milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_millis() as i64
}

/// The moment `ms` as the API writes it.
pub fn ts(ms: i64) -> String {
    serde_json::to_value(Timestamp::from_millis(ms))
        .expect("a timestamp serializes")
        .as_str()
        .expect("a timestamp is a string")
        .to_owned()
}

/// The moment `days` days ago, as the API writes it.
pub fn ago(days: i64) -> String {
    ts(now_ms() - days * DAY_MS)
}

/// The milliseconds of a moment the API wrote. Panics when `v` is not one.
pub fn ms(v: &serde_json::Value) -> i64 {
    Timestamp::parse(v.as_str().expect("a time"))
        .expect("an RFC 3339 time")
        .millis()
}

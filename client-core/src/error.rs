//! What can go wrong on the device, in words a person can act on.

/// A device error.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("this device is not registered: register it with a server first")]
    NotRegistered,
    #[error("this device is already registered")]
    AlreadyRegistered,
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("a visit at {site} is in progress: end it first")]
    VisitOpen { site: String },
    #[error("no visit is in progress: start one first")]
    NoVisit,
    #[error("this device has no unused card numbers left: ask the club manager for a new block")]
    NoCards,
    #[error("this phone has not synced the member's card yet: connect to the network once")]
    NotSynced,
    #[error("no sync session is open")]
    NoSession,
    #[error("the server sent something this device cannot read: {0}")]
    Protocol(String),
    #[error("the device's local data is damaged: {0}")]
    Corrupt(String),
}

//! How the errors of `domain::club_events` are answered.

use super::ApiError;

//! Time as the service keeps it.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};

/// Now, to the millisecond: the precision both stores keep (BSON dates are milliseconds), so a
/// value read back equals the value written.
pub fn now() -> DateTime<Utc> {
    Utc::now()
        .duration_trunc(TimeDelta::milliseconds(1))
        .expect("truncating to a millisecond cannot overflow")
}

/// Any time, to the millisecond.
pub fn to_millis(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(t.timestamp_millis()).unwrap_or(t)
}

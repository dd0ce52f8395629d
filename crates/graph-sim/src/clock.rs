//! The simulator's clock: wall time plus an offset that `POST /_sim/clock/advance`
//! moves forward. Tokens, codes, containers and quota windows all read this
//! clock, so tests can jump hours ahead without sleeping.

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Default, Clone)]
pub(crate) struct SimClock {
    offset: Duration,
}

impl SimClock {
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset
    }

    /// Moves the clock forward (never backward: tokens and quotas assume time only grows).
    pub fn advance(&mut self, by: Duration) {
        if by > Duration::zero() {
            self.offset += by;
        }
    }

    pub fn offset(&self) -> Duration {
        self.offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advance_moves_forward_only() {
        let mut clock = SimClock::default();
        clock.advance(Duration::seconds(3600));
        clock.advance(Duration::seconds(-100));
        assert_eq!(clock.offset(), Duration::seconds(3600));
        assert!(clock.now() > Utc::now() + Duration::seconds(3500));
    }
}

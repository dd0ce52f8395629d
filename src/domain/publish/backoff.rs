//! How long to wait before trying again.

use std::time::Duration;

/// Retries: capped exponential backoff with full jitter (a random wait between 0 and the
/// exponential bound), so many failed posts do not retry in lockstep.
pub fn retry_delay(attempt: u32, base: Duration, cap: Duration) -> Duration {
    let bound = base.saturating_mul(1u32 << attempt.min(20)).min(cap);
    let fraction = (random_u64() % 10_001) as f64 / 10_000.0;
    // Never zero: a floor of a tenth of the base keeps a retry storm from hitting Graph at once.
    bound.mul_f64(fraction).max(base / 10)
}

/// Polling a container: start at `first`, grow by half each time, at most a minute apart
/// (Meta suggests once a minute; the first checks come sooner because images are usually quick).
pub fn poll_delay(polls: u32, first: Duration) -> Duration {
    const CAP: Duration = Duration::from_secs(60);
    first.mul_f64(1.5f64.powi(polls.min(30) as i32)).min(CAP)
}

fn random_u64() -> u64 {
    u64::from_le_bytes(crate::crypto::random_bytes::<8>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_up_to_the_cap_with_jitter() {
        let base = Duration::from_secs(2);
        let cap = Duration::from_secs(600);
        for attempt in 0..30 {
            let d = retry_delay(attempt, base, cap);
            assert!(d >= base / 10 && d <= cap, "{attempt}: {d:?}");
            assert!(d <= base * 2u32.pow(attempt.min(20)), "{attempt}: {d:?}");
        }
        let samples: std::collections::HashSet<_> =
            (0..20).map(|_| retry_delay(5, base, cap)).collect();
        assert!(samples.len() > 10, "jittered");
    }

    #[test]
    fn polling_slows_down_to_once_a_minute() {
        let first = Duration::from_secs(1);
        assert_eq!(poll_delay(0, first), first);
        assert!(poll_delay(3, first) > poll_delay(2, first));
        assert_eq!(poll_delay(50, first), Duration::from_secs(60));
    }
}

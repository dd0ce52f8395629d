//! Times of events, oldest first, counted over a trailing window by binary search: what the
//! checks run on every call read (the usage headers' last hour, the publishing quota's and the
//! container budget's rolling day), so a simulator holding thousands of posts answers as fast as
//! one holding ten.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};

#[derive(Debug, Default)]
pub(crate) struct Timeline(VecDeque<DateTime<Utc>>);

impl Timeline {
    /// Adds an event. The simulator's clock only moves forward, but wall time may step back a
    /// little between two calls: the event goes where its time belongs.
    pub fn push(&mut self, at: DateTime<Utc>) {
        let i = self.0.partition_point(|t| *t <= at);
        self.0.insert(i, at);
    }

    /// Forgets events at or before `horizon` (a window that never looks further back).
    pub fn forget_until(&mut self, horizon: DateTime<Utc>) {
        while self.0.front().is_some_and(|t| *t <= horizon) {
            self.0.pop_front();
        }
    }

    /// Events after `since` and at or before `until`, oldest first.
    pub fn between(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> impl ExactSizeIterator<Item = DateTime<Utc>> + '_ {
        let from = self.0.partition_point(|t| *t <= since);
        let to = self.0.partition_point(|t| *t <= until).max(from);
        self.0.range(from..to).copied()
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    #[test]
    fn counts_the_window_whatever_order_events_arrive_in() {
        let t0 = Utc::now();
        let at = |s: i64| t0 + Duration::seconds(s);
        let mut events = Timeline::default();
        for s in [1, 5, 3, 9, 7] {
            events.push(at(s));
        }
        let window: Vec<_> = events.between(at(3), at(8)).collect();
        assert_eq!(window, vec![at(5), at(7)]);
        events.forget_until(at(5));
        assert_eq!(events.between(at(0), at(10)).len(), 2);
    }
}

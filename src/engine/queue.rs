//! The future-event list: pops the smallest time first, and equal times in the order they
//! were scheduled (a sequence number breaks ties), so a run is exactly reproducible.
//!
//! Three places hold pending events, and a pop takes the least (time, sequence) of their
//! firsts, so where an event is kept never changes the order:
//! - a timing wheel for the near future (`wheel.rs`: one event per bucket, found by bit
//!   scans), where nearly every departure of a request-level run goes;
//! - a 4-ary heap of (time, sequence) keys for the rest (events past the wheel's window,
//!   the second event of a bucket);
//! - a lane for the one event that is always pending, the next arrival.
//!
//! `benches/event_queue.rs` measured the structures on the hold model (ns per hold at 16 /
//! 1,000 / 100,000 pending): std's binary heap 34 / 60 / 228; the 4-ary heap 30 / 54 /
//! 131; a radix heap 79 / 87 / 109; this queue 17 / 38 / 132.

use std::cmp::Ordering;

use dary_heap::QuaternaryHeap;

use super::wheel::Wheel;

use crate::time::SimTime;

/// A pending event, ordered by (time, sequence) compared as one 128-bit number, time in
/// the high half: one comparison and a borrow where the pair takes two comparisons and a
/// select (a heap pop makes about ten). Kept as two u64 so an entry stays 8-aligned (40
/// bytes, not 48).
struct Entry<E> {
    time: SimTime,
    seq: u64,
    event: E,
}

impl<E> Entry<E> {
    fn key(&self) -> u128 {
        (self.time.0 as u128) << 64 | self.seq as u128
    }
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    /// Reversed: the heap is a max-heap and we want the earliest entry on top.
    fn cmp(&self, other: &Self) -> Ordering {
        other.key().cmp(&self.key())
    }
}

/// Where a pending event waits.
#[derive(Clone, Copy)]
enum Place {
    Lane,
    Wheel,
    Heap,
}

/// Events of type `E` waiting for their time.
pub struct EventQueue<E> {
    heap: QuaternaryHeap<Entry<E>>,
    /// The near future (see `wheel.rs`); the heap holds the rest.
    wheel: Wheel<Entry<E>>,
    /// At most one event kept beside the wheel and the heap (see
    /// [`EventQueue::schedule_in_lane`]).
    lane: Option<Entry<E>>,
    /// Sequence numbers: those of `schedule_first` count up from 0, the others from 2^63,
    /// so at equal times the first kind pops first, each kind in insertion order.
    next_seq: u64,
    next_first_seq: u64,
    now: SimTime,
    /// Events after this time never happen, so they are not kept.
    end: SimTime,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            heap: QuaternaryHeap::new(),
            wheel: Wheel::default(),
            lane: None,
            next_seq: 1 << 63,
            next_first_seq: 0,
            now: SimTime::ZERO,
            end: SimTime(u64::MAX),
        }
    }
}

impl<E> EventQueue<E> {
    /// An empty queue at time zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty queue whose events after `end` are dropped when scheduled: a failure
    /// clock decades ahead costs no memory, and nothing past `end` is ever popped. The
    /// order of the events kept is unchanged.
    pub fn until(end: SimTime) -> Self {
        EventQueue {
            end,
            ..Self::default()
        }
    }

    /// The time of the last popped event.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Schedules `event` at `time`, which must not be in the past.
    pub fn schedule(&mut self, time: SimTime, event: E) {
        self.push(time, false, event);
    }

    /// Schedules `event` at `time`, before every event of the same time scheduled with
    /// [`EventQueue::schedule`] (and after those scheduled with this method earlier): for an
    /// observer, such as a time-series sample, that must see the state before anything
    /// else happens at its time, however the other events came to be scheduled.
    pub fn schedule_first(&mut self, time: SimTime, event: E) {
        self.push(time, true, event);
    }

    /// Schedules `event` at `time` like [`EventQueue::schedule`] (the same order), but in a
    /// lane that holds one event: for the one kind of event that is always pending and
    /// schedules its successor when it happens (the next arrival, one of the two events of
    /// a request that visits one service), this saves a push and a pop each. The lane must
    /// be empty.
    pub fn schedule_in_lane(&mut self, time: SimTime, event: E) {
        assert!(self.lane.is_none(), "the lane holds one event");
        debug_assert!(time >= self.now, "event scheduled in the past");
        if time > self.end {
            return;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.lane = Some(Entry { time, seq, event });
    }

    fn push(&mut self, time: SimTime, first: bool, event: E) {
        debug_assert!(
            time >= self.now,
            "event scheduled in the past: {time:?} < {:?}",
            self.now
        );
        if time > self.end {
            return;
        }
        let counter = if first {
            &mut self.next_first_seq
        } else {
            &mut self.next_seq
        };
        let seq = *counter;
        *counter += 1;
        if let Err(entry) = self
            .wheel
            .try_insert(self.now.0, time.0, Entry { time, seq, event })
        {
            self.heap.push(entry);
        }
        if self.wheel.due_for_retune() {
            let heap = &mut self.heap;
            self.wheel.retune(|entry| heap.push(entry));
        }
    }

    /// Keeps only the pending events for which `keep` holds; the order of those kept is
    /// unchanged (their sequence numbers stay). O(pending).
    pub fn retain(&mut self, mut keep: impl FnMut(SimTime, &E) -> bool) {
        self.heap.retain(|entry| keep(entry.time, &entry.event));
        self.wheel.retain(|entry| keep(entry.time, &entry.event));
        self.lane = self.lane.take().filter(|e| keep(e.time, &e.event));
    }

    /// Removes and returns the earliest event, advancing the clock to its time.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        // The least key found so far and where it waits (`None`: nothing pending yet).
        let (mut least, mut place) = match &self.lane {
            Some(e) => (e.key(), Some(Place::Lane)),
            None => (u128::MAX, None),
        };
        let bucket = self.wheel.first(self.now.0);
        if let Some(b) = bucket {
            let key = self.wheel.get(b).key();
            if place.is_none() || key < least {
                (least, place) = (key, Some(Place::Wheel));
            }
        }
        if let Some(e) = self.heap.peek()
            && (place.is_none() || e.key() < least)
        {
            place = Some(Place::Heap);
        }
        const FOUND: &str = "the place found holds the event";
        let (time, event) = match place? {
            Place::Lane => self.lane.take().map(|e| (e.time, e.event)).expect(FOUND),
            Place::Wheel => {
                let e = self.wheel.take(bucket.expect(FOUND));
                (e.time, e.event)
            }
            Place::Heap => self.heap.pop().map(|e| (e.time, e.event)).expect(FOUND),
        };
        self.now = time;
        Some((time, event))
    }

    /// Pending events.
    pub fn len(&self) -> usize {
        self.heap.len() + self.wheel.len() + self.lane.is_some() as usize
    }

    /// Whether no event is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty() && self.wheel.len() == 0 && self.lane.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever the schedule, events pop in (time, insertion order) order.
        #[test]
        fn pops_in_time_then_insertion_order(times in prop::collection::vec(0u64..50, 1..200)) {
            let mut q = EventQueue::new();
            for (i, t) in times.iter().enumerate() {
                q.schedule(SimTime(*t), i);
            }
            let mut expected: Vec<(u64, usize)> = times.iter().copied().zip(0..).collect();
            expected.sort();
            let mut popped = Vec::new();
            while let Some((t, i)) = q.pop() {
                popped.push((t.0, i));
            }
            prop_assert_eq!(popped, expected);
        }

        /// Scheduling and popping interleaved, at gaps from nanoseconds (ties, a bucket's
        /// second event) to hours (past the wheel's window), events pop in (time,
        /// insertion) order, which is the order of a sorted model of them.
        #[test]
        fn interleaved_at_every_scale_pops_in_time_then_insertion_order(
            steps in prop::collection::vec((0u64..8, 0u32..44, 0usize..3), 1..300),
        ) {
            let mut q = EventQueue::new();
            let mut model = std::collections::BTreeSet::new();
            for (i, &(base, scale, pops)) in steps.iter().enumerate() {
                let time = q.now().0 + (base << scale);
                q.schedule(SimTime(time), i);
                model.insert((time, i));
                for _ in 0..pops {
                    let expected = model.pop_first();
                    prop_assert_eq!(q.pop().map(|(t, e)| (t.0, e)), expected);
                }
                prop_assert_eq!(q.len(), model.len());
            }
            while let Some(expected) = model.pop_first() {
                prop_assert_eq!(q.pop().map(|(t, e)| (t.0, e)), Some(expected));
            }
            prop_assert!(q.is_empty());
        }

        /// A self-rescheduling event in the lane pops in exactly the order it would from
        /// the heap, interleaved with any other events.
        #[test]
        fn the_lane_keeps_the_heap_order(
            gaps in prop::collection::vec(0u64..6, 1..60),
            others in prop::collection::vec((0u64..100, any::<bool>()), 0..80),
        ) {
            prop_assert_eq!(pops(&gaps, &others, true), pops(&gaps, &others, false));
        }
    }

    /// What a queue pops, with `others` scheduled up front (`true`: with
    /// `schedule_first`) and a recurring event (`usize::MAX`) that schedules its next
    /// occurrence `gaps` later, in the lane or in the heap.
    fn pops(gaps: &[u64], others: &[(u64, bool)], lane: bool) -> Vec<(u64, usize, usize)> {
        const RECURRING: usize = usize::MAX;
        let mut q = EventQueue::until(SimTime(90));
        for (i, &(t, first)) in others.iter().enumerate() {
            if first {
                q.schedule_first(SimTime(t), i)
            } else {
                q.schedule(SimTime(t), i)
            }
        }
        let mut gaps = gaps.iter();
        let schedule_next = |q: &mut EventQueue<usize>, now: u64, gap: Option<&u64>| {
            let Some(gap) = gap else { return };
            if lane {
                q.schedule_in_lane(SimTime(now + gap), RECURRING)
            } else {
                q.schedule(SimTime(now + gap), RECURRING)
            }
        };
        schedule_next(&mut q, 0, gaps.next());
        let mut popped = Vec::new();
        while let Some((t, e)) = q.pop() {
            popped.push((t.0, e, q.len()));
            if e == RECURRING {
                schedule_next(&mut q, t.0, gaps.next());
            }
        }
        popped
    }

    #[test]
    fn interleaved_scheduling_keeps_fifo_ties() {
        let mut q = EventQueue::new();
        q.schedule(SimTime(5), 'a');
        q.schedule(SimTime(3), 'b');
        assert_eq!(q.pop(), Some((SimTime(3), 'b')));
        q.schedule(SimTime(5), 'c');
        q.schedule(SimTime(4), 'd');
        assert_eq!(q.pop(), Some((SimTime(4), 'd')));
        assert_eq!(q.pop(), Some((SimTime(5), 'a')));
        assert_eq!(q.pop(), Some((SimTime(5), 'c')));
        assert_eq!(q.pop(), None);
        assert_eq!(q.now(), SimTime(5));
    }

    #[test]
    fn first_events_pop_before_others_of_their_time_and_the_end_drops_later_ones() {
        let mut q = EventQueue::until(SimTime(10));
        q.schedule(SimTime(5), 'a');
        q.schedule_first(SimTime(5), 'b');
        q.schedule(SimTime(4), 'c');
        q.schedule_first(SimTime(5), 'd');
        q.schedule(SimTime(11), 'x');
        q.schedule_first(SimTime(11), 'y');
        assert_eq!(q.len(), 4);
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|e| e.1)).collect();
        assert_eq!(order, ['c', 'b', 'd', 'a']);
    }

    #[test]
    fn retain_keeps_the_order_of_what_it_keeps() {
        let mut q = EventQueue::new();
        for (t, e) in [(5, 'a'), (3, 'b'), (5, 'c'), (4, 'd'), (5, 'e')] {
            q.schedule(SimTime(t), e);
        }
        q.retain(|_, &e| e != 'c' && e != 'd');
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|e| e.1)).collect();
        assert_eq!(order, ['b', 'a', 'e']);
    }
}

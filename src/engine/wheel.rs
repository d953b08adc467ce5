//! A timing wheel for the near future: buckets of `2^shift` ns over a window that starts
//! at the clock's bucket, at most one entry per bucket, the first full bucket found through
//! a two-level bitmap. The event queue (`queue.rs`) keeps an event here when its bucket is
//! in the window and free, and in its heap otherwise; it pops the least of the two.
//!
//! Why: on request-level runs a heap's pop was a fifth of the time (a chain of dependent
//! loads, compares and moves down the heap), where the wheel's is two bit scans and one
//! load; its insert is a shift, a bit test and a store. The heap still holds what the wheel
//! cannot (far events, and the second event of a bucket), so the order is exact whatever
//! the bucket width, which only decides how much goes where: the wheel retunes it as it
//! goes ([`Wheel::retune`]).

/// Buckets in the wheel: 64 bitmap words of 64.
const BUCKETS: usize = 4096;
const WORDS: usize = BUCKETS / 64;
// One summary bit per word.
const _: () = assert!(WORDS <= 64);

/// The bucket width a wheel starts with: about a millisecond, a window of 4.3 s.
const START_SHIFT: u32 = 20;

/// Insertions between two looks at how many the wheel turned away.
const RETUNE_EVERY: u32 = 1 << 16;

/// The share of those insertions turned away (1/32, about 3%) above which the width moves.
const TURNED_AWAY_LIMIT: u32 = RETUNE_EVERY / 32;

/// Items of type `T`, each in the bucket of its time in ns; at most one per bucket.
pub struct Wheel<T> {
    shift: u32,
    /// The item in each bucket, by bucket number modulo [`BUCKETS`]; allocated at the first
    /// insertion, so a queue that never uses the wheel costs no memory.
    slots: Vec<Option<T>>,
    /// Bit `b % 64` of word `b / 64`: bucket `b` is full.
    words: [u64; WORDS],
    /// Bit `w`: word `w` is not zero.
    summary: u64,
    len: usize,
    /// Since the last retune: insertions tried, and those turned away because their time
    /// was past the window (`far`) or their bucket was full (`clash`).
    tried: u32,
    far: u32,
    clash: u32,
}

impl<T> Default for Wheel<T> {
    fn default() -> Self {
        Wheel {
            shift: START_SHIFT,
            slots: Vec::new(),
            words: [0; WORDS],
            summary: 0,
            len: 0,
            tried: 0,
            far: 0,
            clash: 0,
        }
    }
}

impl<T> Wheel<T> {
    /// Items held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Puts `item`, due at `time_ns`, in its bucket if the bucket is within the window that
    /// starts at `now_ns`'s bucket and is free; otherwise hands it back. The clock
    /// `now_ns` may only move to the time of the item due first (the queue's pop), and
    /// `time_ns` is not before it.
    #[inline(always)]
    pub fn try_insert(&mut self, now_ns: u64, time_ns: u64, item: T) -> Result<(), T> {
        self.tried += 1;
        let bucket = time_ns >> self.shift;
        if bucket.wrapping_sub(now_ns >> self.shift) >= BUCKETS as u64 {
            self.far += 1;
            return Err(item);
        }
        let b = bucket as usize % BUCKETS;
        let (w, bit) = (b / 64, 1u64 << (b % 64));
        if self.words[w] & bit != 0 {
            self.clash += 1;
            return Err(item);
        }
        if self.slots.is_empty() {
            self.slots = std::iter::repeat_with(|| None).take(BUCKETS).collect();
        }
        self.words[w] |= bit;
        self.summary |= 1 << w;
        self.slots[b] = Some(item);
        self.len += 1;
        Ok(())
    }

    /// The full bucket whose item is due first, searching from `now_ns`'s bucket: every
    /// item is due within one turn of the wheel from there.
    #[inline(always)]
    pub fn first(&self, now_ns: u64) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let start = (now_ns >> self.shift) as usize % BUCKETS;
        let (sw, sbit) = (start / 64, start % 64);
        let here = self.words[sw] & (u64::MAX << sbit);
        if here != 0 {
            return Some(sw * 64 + here.trailing_zeros() as usize);
        }
        // The words after the start's; else, round the wheel, from word 0 (up to the
        // start's own bits before the start, the window's last buckets).
        let after = self.summary & (u64::MAX << sw << 1);
        let w = if after != 0 { after } else { self.summary }.trailing_zeros() as usize;
        Some(w * 64 + self.words[w].trailing_zeros() as usize)
    }

    /// The item in bucket `b`, which is full.
    #[inline(always)]
    pub fn get(&self, b: usize) -> &T {
        self.slots[b].as_ref().expect("a full bucket")
    }

    /// Empties bucket `b`, which is full.
    #[inline(always)]
    pub fn take(&mut self, b: usize) -> T {
        let (w, bit) = (b / 64, 1u64 << (b % 64));
        self.words[w] &= !bit;
        if self.words[w] == 0 {
            self.summary &= !(1 << w);
        }
        self.len -= 1;
        self.slots[b].take().expect("a full bucket")
    }

    /// Keeps only the items for which `keep` holds.
    pub fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        for b in 0..self.slots.len() {
            if let Some(item) = &self.slots[b]
                && !keep(item)
            {
                self.take(b);
            }
        }
    }

    /// Whether enough insertions were tried since the last retune to judge the width.
    #[inline(always)]
    pub fn due_for_retune(&self) -> bool {
        self.tried >= RETUNE_EVERY
    }

    /// Widens the buckets when more than [`TURNED_AWAY_LIMIT`] of the insertions were
    /// past the window (and more than clashed), narrows them when more than that clashed,
    /// and then hands back every item it held (`into`), to be kept elsewhere: the wheel
    /// restarts empty at the new width. Otherwise keeps everything as it is.
    #[cold]
    pub fn retune(&mut self, mut into: impl FnMut(T)) {
        let shift = if self.far > TURNED_AWAY_LIMIT && self.far >= self.clash {
            (self.shift + 1).min(63 - BUCKETS.trailing_zeros())
        } else if self.clash > TURNED_AWAY_LIMIT {
            self.shift.saturating_sub(1)
        } else {
            self.shift
        };
        (self.tried, self.far, self.clash) = (0, 0, 0);
        if shift == self.shift {
            return;
        }
        self.shift = shift;
        for b in 0..self.slots.len() {
            if self.slots[b].is_some() {
                into(self.take(b));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn first_finds_the_earliest_bucket_across_the_wrap() {
        let mut w = Wheel::<u64> {
            shift: 0,
            ..Wheel::default()
        };
        let now = 4_000;
        // Buckets 4,010 and (4,096 + 5) mod 4,096 = 5: the later time sits in the lower
        // bucket, after the wrap.
        for t in [now + 101, now + 10] {
            w.try_insert(now, t, t).expect("in the window, free");
        }
        let b = w.first(now).expect("two items");
        assert_eq!(w.take(b), now + 10);
        let b = w.first(now + 10).expect("one item");
        assert_eq!(w.take(b), now + 101);
        assert_eq!(w.first(now + 101), None);
    }

    #[test]
    fn a_full_bucket_and_the_far_future_are_turned_away() {
        let mut w = Wheel::<u64> {
            shift: 0,
            ..Wheel::default()
        };
        assert_eq!(w.try_insert(0, 7, 1), Ok(()));
        assert_eq!(w.try_insert(0, 7, 2), Err(2));
        assert_eq!(w.try_insert(0, BUCKETS as u64, 3), Err(3));
        assert_eq!((w.tried, w.clash, w.far), (3, 1, 1));
    }

    #[test]
    fn retune_widens_for_the_far_narrows_for_clashes_and_hands_back_what_it_held() {
        let mut w = Wheel::<u64>::default();
        let (now, beyond) = (0, (BUCKETS as u64) << START_SHIFT);
        w.try_insert(now, 5, 5).expect("free");
        for _ in 1..RETUNE_EVERY {
            assert_eq!(w.try_insert(now, beyond, 9), Err(9));
        }
        assert!(w.due_for_retune());
        let mut handed = Vec::new();
        w.retune(|item| handed.push(item));
        assert_eq!((w.shift, handed, w.len()), (START_SHIFT + 1, vec![5], 0));
        // In the window, but every bucket taken twice or more: narrower.
        for i in 0..RETUNE_EVERY as u64 {
            let _ = w.try_insert(now, (i / 2 % BUCKETS as u64) << (START_SHIFT + 1), i);
        }
        w.retune(|_| {});
        assert_eq!((w.shift, w.len()), (START_SHIFT, 0));
        // Few turned away: the width stays, and so do the items.
        for i in 0..100 {
            w.try_insert(now, i << START_SHIFT, i).expect("free");
        }
        assert_eq!(w.try_insert(now, beyond, 1), Err(1));
        w.retune(|_| {});
        assert_eq!((w.shift, w.len()), (START_SHIFT, 100));
    }

    type Heap = std::collections::BinaryHeap<std::cmp::Reverse<(u64, usize)>>;

    /// Pops the item due first from the wheel or the heap beside it, as the queue does.
    fn pop(w: &mut Wheel<(u64, usize)>, heap: &mut Heap, now: u64) -> Option<(u64, usize)> {
        let bucket = w.first(now);
        match (bucket.map(|b| *w.get(b)), heap.peek()) {
            (Some(a), Some(h)) if h.0 < a => heap.pop().map(|r| r.0),
            (Some(_), _) => bucket.map(|b| w.take(b)),
            (None, _) => heap.pop().map(|r| r.0),
        }
    }

    proptest! {
        /// Driven as the event queue drives it (the clock moves to each popped time), the
        /// wheel with a heap beside it pops every item in (time, insertion) order, whatever
        /// the width, across many turns of the wheel, and through retunes.
        #[test]
        fn with_a_heap_beside_it_pops_in_time_order(
            shift in 0u32..6,
            steps in prop::collection::vec((0u64..20_000, 0usize..3), 1..400),
        ) {
            let mut w = Wheel { shift, ..Wheel::default() };
            let mut heap = Heap::new();
            let (mut now, mut popped) = (0u64, Vec::new());
            for (i, &(gap, pops)) in steps.iter().enumerate() {
                let item = (now + gap, i);
                if let Err(item) = w.try_insert(now, item.0, item) {
                    heap.push(std::cmp::Reverse(item));
                }
                if i % 50 == 49 {
                    // Widen, or (every other time) narrow, and start again empty.
                    (w.far, w.clash) = if i % 100 == 49 { (RETUNE_EVERY, 0) } else { (0, RETUNE_EVERY) };
                    w.retune(|item| heap.push(std::cmp::Reverse(item)));
                }
                for _ in 0..pops {
                    let Some(item) = pop(&mut w, &mut heap, now) else { break };
                    now = item.0;
                    popped.push(item);
                }
            }
            while let Some(item) = pop(&mut w, &mut heap, now) {
                now = item.0;
                popped.push(item);
            }
            prop_assert_eq!(popped.len(), steps.len());
            prop_assert!(popped.windows(2).all(|p| p[0] < p[1]), "{:?}", popped);
        }
    }
}

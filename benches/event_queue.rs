//! Candidate event-queue structures for the engine, measured with the classic "hold"
//! model: the queue holds `n` events; each operation pops the earliest event and pushes a
//! new one at that time plus an Exp(mean 1 ms) increment, so the size stays `n`.
//!
//! Every structure pops the smallest `(time_ns, seq)`: equal times leave in insertion
//! order. `BinaryHeap` and the quaternary heap order entries by `(time, seq)`; the radix
//! heap is monotone and keyed by `time << 64 | seq` packed into a `u128`, so the sequence
//! number breaks ties inside the key itself (no secondary FIFO needed; keys are unique
//! and a hold push is never below the last pop, which is all the radix heap requires).
//! Before timing, `main` checks on a tie-heavy workload that all of them pop the same
//! sequence.
//!
//! Increments are drawn once from `Xoshiro256PlusPlus` (fixed seed) into a table, so the
//! timings are of the queues, not of the sampler.
//!
//! Run: `cargo bench --bench event_queue -- --warm-up-time 1 --measurement-time 3`.
//!
//! Measured on the 2-core development machine (ns per hold operation, criterion median):
//!
//! | queue size | std BinaryHeap | dary_heap Quaternary | radix_heap u128 key | nines wheel + heap |
//! |-----------:|---------------:|---------------------:|--------------------:|-------------------:|
//! |         16 |             34 |                   30 |                  79 |                 17 |
//! |      1 000 |             60 |                   54 |                  87 |                 38 |
//! |    100 000 |            228 |                  131 |                 109 |                132 |
//!
//! The quaternary heap is never worse than std's binary heap; the radix heap only wins at
//! very large pending-event counts and constrains keys to be monotone. The engine's queue
//! (a timing wheel for the near future, the quaternary heap for the rest) halves the hold
//! time at the tens to thousands of pending events a request-level trial keeps, and falls
//! back to the heap's cost when the pending events spread far beyond its window.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group};
use dary_heap::QuaternaryHeap;
use radix_heap::RadixHeapMap;
use rand::SeedableRng;
use rand_distr::{Distribution, Exp};
use rand_xoshiro::Xoshiro256PlusPlus;

/// A stand-in for the engine's event enum: 16 bytes, like the real one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Payload {
    Arrival { request: u32 },
    Completion { server: u32, request: u32 },
    Failure { node: u64 },
}

const _: () = assert!(std::mem::size_of::<Payload>() == 16);

/// A queued event; ordered by `(time_ns, seq)` only.
#[derive(Clone, Copy, Debug)]
struct Entry {
    time_ns: u64,
    seq: u64,
    payload: Payload,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        (self.time_ns, self.seq) == (other.time_ns, other.seq)
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.time_ns, self.seq).cmp(&(other.time_ns, other.seq))
    }
}

/// The interface the engine needs: push at a time, pop the earliest (FIFO among equals).
trait EventQueue {
    const NAME: &'static str;
    fn new() -> Self;
    fn push(&mut self, time_ns: u64, payload: Payload);
    fn pop(&mut self) -> Option<(u64, Payload)>;
}

/// A (time, seq) heap of `Reverse<Entry>` behind the `EventQueue` trait; std's and
/// dary_heap's heaps share the push/pop API.
macro_rules! heap_queue {
    ($name:ident, $heap:ty, $label:literal) => {
        struct $name {
            heap: $heap,
            next_seq: u64,
        }

        impl EventQueue for $name {
            const NAME: &'static str = $label;
            fn new() -> Self {
                $name {
                    heap: <$heap>::new(),
                    next_seq: 0,
                }
            }
            fn push(&mut self, time_ns: u64, payload: Payload) {
                let seq = self.next_seq;
                self.next_seq += 1;
                self.heap.push(Reverse(Entry {
                    time_ns,
                    seq,
                    payload,
                }));
            }
            fn pop(&mut self) -> Option<(u64, Payload)> {
                self.heap.pop().map(|Reverse(e)| (e.time_ns, e.payload))
            }
        }
    };
}

heap_queue!(StdBinary, BinaryHeap<Reverse<Entry>>, "std_binary_heap");
heap_queue!(
    Quaternary,
    QuaternaryHeap<Reverse<Entry>>,
    "dary_quaternary_heap"
);

struct Radix {
    /// Max-heap on `Reverse(time << 64 | seq)`, i.e. a min-heap on `(time, seq)`.
    heap: RadixHeapMap<Reverse<u128>, Payload>,
    next_seq: u64,
}

impl EventQueue for Radix {
    const NAME: &'static str = "radix_heap_map";
    fn new() -> Self {
        Radix {
            heap: RadixHeapMap::new(),
            next_seq: 0,
        }
    }
    fn push(&mut self, time_ns: u64, payload: Payload) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let key = (u128::from(time_ns) << 64) | u128::from(seq);
        self.heap.push(Reverse(key), payload);
    }
    fn pop(&mut self) -> Option<(u64, Payload)> {
        self.heap
            .pop()
            .map(|(Reverse(key), payload)| ((key >> 64) as u64, payload))
    }
}

/// The engine's own queue: a timing wheel for the near future beside a quaternary heap
/// (`src/engine/wheel.rs`). Its lane for the next arrival is not used here.
struct Engine(nines::engine::EventQueue<Payload>);

impl EventQueue for Engine {
    const NAME: &'static str = "nines_wheel_and_heap";
    fn new() -> Self {
        Engine(nines::engine::EventQueue::new())
    }
    fn push(&mut self, time_ns: u64, payload: Payload) {
        self.0.schedule(nines::time::SimTime(time_ns), payload);
    }
    fn pop(&mut self) -> Option<(u64, Payload)> {
        self.0.pop().map(|(t, p)| (t.0, p))
    }
}

/// Exp(mean 1 ms) increments in nanoseconds, from a fixed seed.
fn increments(len: usize, seed: u64) -> Vec<u64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let exp = Exp::new(1.0 / 1e6).expect("positive rate");
    (0..len)
        .map(|_| {
            let x: f64 = exp.sample(&mut rng);
            x.round() as u64
        })
        .collect()
}

fn payload(i: usize) -> Payload {
    let i = i as u32;
    match i % 3 {
        0 => Payload::Arrival { request: i },
        1 => Payload::Completion {
            server: i / 3,
            request: i,
        },
        _ => Payload::Failure {
            node: u64::from(i / 3),
        },
    }
}

/// A queue of `n` events at times drawn from the increments (all >= 0).
fn filled<Q: EventQueue>(n: usize, incs: &[u64]) -> Q {
    let mut q = Q::new();
    for i in 0..n {
        q.push(incs[i % incs.len()], payload(i));
    }
    q
}

/// One hold operation: pop the earliest, push it back `inc` later.
#[inline]
fn hold<Q: EventQueue>(q: &mut Q, inc: u64) {
    let (t, p) = q.pop().expect("hold keeps the queue non-empty");
    q.push(t + inc, p);
}

const INCREMENTS: usize = 1 << 16;

fn bench_one<Q: EventQueue>(c: &mut Criterion, n: usize, incs: &[u64]) {
    let mut group = c.benchmark_group(format!("hold/{n}"));
    let mut q: Q = filled(n, incs);
    // Warm the queue into its steady-state shape before timing.
    for i in 0..(4 * n).max(10_000) {
        hold(&mut q, incs[i % INCREMENTS]);
    }
    let mut i = 0usize;
    group.bench_function(BenchmarkId::from_parameter(Q::NAME), |b| {
        b.iter(|| {
            hold(black_box(&mut q), incs[i & (INCREMENTS - 1)]);
            i = i.wrapping_add(1);
        })
    });
    group.finish();
}

fn hold_model(c: &mut Criterion) {
    let incs = increments(INCREMENTS, 0x5eed);
    for n in [16, 1_000, 100_000] {
        bench_one::<StdBinary>(c, n, &incs);
        bench_one::<Quaternary>(c, n, &incs);
        bench_one::<Radix>(c, n, &incs);
        bench_one::<Engine>(c, n, &incs);
    }
}

/// The pop order of `ops` hold operations on a queue of `n`, with increments rounded to
/// whole milliseconds so that many events share a time.
fn pop_order<Q: EventQueue>(n: usize, ops: usize) -> Vec<(u64, Payload)> {
    let incs: Vec<u64> = increments(4096, 1)
        .into_iter()
        .map(|x| x / 1_000_000 * 1_000_000)
        .collect();
    let mut q: Q = filled(n, &incs);
    let mut out = Vec::with_capacity(ops);
    for i in 0..ops {
        let (t, p) = q.pop().expect("non-empty");
        out.push((t, p));
        q.push(t + incs[i % incs.len()], p);
    }
    out
}

/// All the structures must pop in the same `(time, seq)` order, ties included.
fn check_same_order() {
    let reference = pop_order::<StdBinary>(500, 20_000);
    assert!(
        reference.windows(2).all(|w| w[0].0 <= w[1].0),
        "times must not decrease"
    );
    assert!(
        reference.windows(2).filter(|w| w[0].0 == w[1].0).count() > 1_000,
        "the check needs many ties"
    );
    assert_eq!(pop_order::<Quaternary>(500, 20_000), reference);
    assert_eq!(pop_order::<Radix>(500, 20_000), reference);
    assert_eq!(pop_order::<Engine>(500, 20_000), reference);
}

criterion_group!(benches, hold_model);

fn main() {
    check_same_order();
    benches();
    Criterion::default().configure_from_args().final_summary();
}

//! The generator's event queue: a two-level hierarchical timing wheel (Varghese & Lauck 1987). Pushes
//! and pops are O(1) amortised and touch memory almost sequentially; a binary heap of the active
//! customers (220,000 of them at 1M customers) made the whole generator 2.5 times slower.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// An item with a time in seconds and a sort key. The key (and `Ord`, which must agree with it) must
/// order by time first and be unique among the items queued together, so that the pop order never
/// depends on how ties are broken.
pub(super) trait Timed: Ord {
    type Key: Ord + Copy;
    fn time(&self) -> i64;
    fn key(&self) -> Self::Key;
}

/// Level-0 slots are 2^6 = 64 seconds wide.
const SLOT_BITS: u32 = 6;
/// Each level has 2^12 slots: level 0 spans 2^18 s (3 days), level 1 spans 2^30 s (34 years).
const WHEEL_BITS: u32 = 12;
const WHEEL: usize = 1 << WHEEL_BITS;
const MASK: u64 = WHEEL as u64 - 1;

/// A priority queue for items whose times never go below the last popped item's time.
///
/// Items live in slots by time: level 0 holds the current 3-day rotation in 64-second slots, level 1
/// the current 34-year rotation in 3-day slots, `far` the rest. When the clock enters a new rotation
/// the matching slot of the level above is redistributed. Only the current 64-second slot is sorted,
/// by key, leaving the (large) items in place.
pub(super) struct Queue<T: Timed> {
    /// Times are stored relative to this origin; no item is earlier.
    origin: i64,
    /// The current level-0 slot, counted in 64-second steps from the origin.
    now: u64,
    /// The current slot's items, in arrival order; taken as they are popped.
    current: Vec<Option<T>>,
    /// Keys and positions in `current` of the items not yet popped, latest first.
    order: Vec<(T::Key, usize)>,
    /// Items pushed into the current slot after it was sorted.
    late: BinaryHeap<Reverse<T>>,
    level0: Vec<Vec<Option<T>>>,
    level1: Vec<Vec<T>>,
    far: BinaryHeap<Reverse<T>>,
    /// Items in `level0` and `level1`.
    len0: usize,
    len1: usize,
}

impl<T: Timed> Queue<T> {
    /// An empty queue for items at `origin` or later.
    pub(super) fn new(origin: i64) -> Queue<T> {
        Queue {
            origin,
            now: 0,
            current: Vec::new(),
            order: Vec::new(),
            late: BinaryHeap::new(),
            level0: (0..WHEEL).map(|_| Vec::new()).collect(),
            level1: (0..WHEEL).map(|_| Vec::new()).collect(),
            far: BinaryHeap::new(),
            len0: 0,
            len1: 0,
        }
    }

    /// The level-0 slot of an item (items before the clock count as in the current slot).
    fn slot(&self, item: &T) -> u64 {
        ((item.time() - self.origin).max(0) as u64 >> SLOT_BITS).max(self.now)
    }

    /// Queues `item`. Its time must not be before the last popped item's time (if it is, it is
    /// treated as due now, so the output order stays valid but not exact).
    pub(super) fn push(&mut self, item: T) {
        let slot = self.slot(&item);
        if slot == self.now {
            self.late.push(Reverse(item));
        } else if slot >> WHEEL_BITS == self.now >> WHEEL_BITS {
            self.level0[(slot & MASK) as usize].push(Some(item));
            self.len0 += 1;
        } else if slot >> (2 * WHEEL_BITS) == self.now >> (2 * WHEEL_BITS) {
            self.level1[((slot >> WHEEL_BITS) & MASK) as usize].push(item);
            self.len1 += 1;
        } else {
            self.far.push(Reverse(item));
        }
    }

    /// Number of queued items.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.order.len() + self.late.len() + self.len0 + self.len1 + self.far.len()
    }

    /// Removes and returns the earliest item.
    pub(super) fn pop(&mut self) -> Option<T> {
        loop {
            let take_late = match (self.order.last(), self.late.peek()) {
                (Some((key, _)), Some(Reverse(item))) => item.key() < *key,
                (Some(_), None) => false,
                (None, Some(_)) => true,
                (None, None) => {
                    if self.advance() {
                        continue;
                    }
                    return None;
                }
            };
            if take_late {
                return self.late.pop().map(|Reverse(item)| item);
            }
            if let Some((_, index)) = self.order.pop()
                && let Some(item) = self.current[index].take()
            {
                return Some(item);
            }
        }
    }

    /// Moves the clock to the next slot holding items and makes it current. False when empty.
    fn advance(&mut self) -> bool {
        loop {
            if self.len0 == 0 && self.len1 == 0 && self.far.is_empty() {
                return false;
            }
            // Step one slot, or straight to the next rotation when this level has nothing left.
            self.now = if self.len0 > 0 {
                self.now + 1
            } else if self.len1 > 0 {
                (self.now | MASK) + 1
            } else {
                (self.now | (MASK << WHEEL_BITS | MASK)) + 1
            };
            if self.now & MASK == 0 {
                if (self.now >> WHEEL_BITS) & MASK == 0 {
                    let end = self.now + (1 << (2 * WHEEL_BITS));
                    while let Some(Reverse(item)) = self.far.peek() {
                        if self.slot(item) >= end {
                            break;
                        }
                        if let Some(Reverse(item)) = self.far.pop() {
                            self.push(item);
                        }
                    }
                }
                let index = ((self.now >> WHEEL_BITS) & MASK) as usize;
                // A level-1 slot comes round again only in 34 years: free it rather than keep its
                // capacity (which would add up to the whole history).
                let slot = std::mem::take(&mut self.level1[index]);
                self.len1 -= slot.len();
                for item in slot {
                    self.push(item); // all land in level 0 (or `late`)
                }
            }
            let index = (self.now & MASK) as usize;
            if !self.level0[index].is_empty() {
                // `current` is spent; the swap leaves its allocation in the slot for reuse.
                self.current.clear();
                std::mem::swap(&mut self.current, &mut self.level0[index]);
                self.len0 -= self.current.len();
                self.order.clear();
                self.order
                    .extend(self.current.iter().enumerate().filter_map(|(i, item)| Some((item.as_ref()?.key(), i))));
                self.order.sort_unstable_by_key(|&(key, _)| Reverse(key));
                return true;
            }
            if !self.late.is_empty() {
                return true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::rng::Rng;

    #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
    struct Item(i64, u64);

    impl Timed for Item {
        type Key = (i64, u64);
        fn time(&self) -> i64 {
            self.0
        }
        fn key(&self) -> (i64, u64) {
            (self.0, self.1)
        }
    }

    /// Pops everything, pushing follow-ups while popping, and checks against a sort of all items.
    fn check(origin: i64, initial: Vec<Item>, follow_up: impl Fn(&mut Rng, Item) -> Option<Item>) {
        let mut rng = Rng::seed_from_u64(9);
        let mut queue = Queue::new(origin);
        let mut all = initial.clone();
        for item in initial {
            queue.push(item);
        }
        let mut popped = Vec::new();
        assert_eq!(queue.len(), all.len());
        while let Some(item) = queue.pop() {
            if let Some(next) = follow_up(&mut rng, item) {
                all.push(next);
                queue.push(next);
            }
            popped.push(item);
            assert_eq!(queue.len(), all.len() - popped.len());
        }
        all.sort();
        assert_eq!(popped.len(), all.len());
        assert!(popped == all, "pop order differs from sorted order");
    }

    #[test]
    fn pops_in_order_across_all_levels() {
        let origin = 1_000_000;
        let mut rng = Rng::seed_from_u64(1);
        let mut items: Vec<Item> = (0..5000)
            .map(|i| {
                // Spread over seconds, days, decades and centuries, with many equal times.
                let span = [100, 86_400, 1 << 20, 1 << 31, 1 << 34][i % 5];
                Item(origin + rng.below(span) as i64, i as u64)
            })
            .collect();
        items.extend((0..50).map(|i| Item(origin + 500, 10_000 + i)));
        check(origin, items, |rng, item| {
            // Follow-ups at all distances: same second, same slot, later rotation, far.
            (item.1 < 20_000).then(|| {
                let gap = [0, 1, 30, 5_000, 400_000, 1 << 31][rng.below(6) as usize];
                Item(item.0 + rng.below(gap + 1) as i64, item.1 + 20_000)
            })
        });
    }

    #[test]
    fn chains_of_follow_ups_keep_order() {
        let origin = -86_400;
        let items: Vec<Item> = (0..200).map(|i| Item(origin + i * 977, i as u64)).collect();
        check(origin, items, |rng, item| {
            let gap = if rng.bernoulli(0.5) { rng.below(120) } else { rng.below(10 * 86_400) } as i64;
            (item.0 < origin + 400 * 86_400).then_some(Item(item.0 + gap, item.1 + 1000))
        });
    }

    #[test]
    fn empty_queue_and_reuse() {
        let mut queue: Queue<Item> = Queue::new(0);
        assert_eq!(queue.pop(), None);
        queue.push(Item(5, 1));
        assert_eq!(queue.pop(), Some(Item(5, 1)));
        assert_eq!(queue.pop(), None);
        queue.push(Item(1 << 33, 2));
        queue.push(Item(7, 3));
        assert_eq!(queue.pop(), Some(Item(7, 3)));
        assert_eq!(queue.pop(), Some(Item(1 << 33, 2)));
        assert_eq!(queue.pop(), None);
    }
}

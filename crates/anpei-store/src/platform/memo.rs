//! Short-lived answers kept in memory, for the reads every request repeats: who a session or
//! API token belongs to, and the total and the pages of a list. An answer is used again only while it is
//! younger than [`FRESH_FOR`] and no write has been committed through this process since it
//! was read (the store's write epoch, bumped by every commit). So within one instance a
//! change is seen at once — a sign-out, a password change, an import — and another process
//! writing the same database (a second app server, the console) is seen within
//! [`FRESH_FOR`].

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long an answer is used again at most.
pub const FRESH_FOR: Duration = Duration::from_secs(2);

/// Entries kept at most; a full memo is emptied (the next requests read again).
const MAX_ENTRIES: usize = 10_000;

/// Counts the commits of this process's writes.
#[derive(Debug, Default, Clone)]
pub struct Epoch(Arc<AtomicU64>);

impl Epoch {
    pub(crate) fn bump(&self) {
        self.0.fetch_add(1, Ordering::Release);
    }

    pub(crate) fn now(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }
}

/// A memo of answers by key (see the module docs).
#[derive(Debug)]
pub struct Memo<K, V> {
    entries: Mutex<HashMap<K, (Instant, u64, V)>>,
}

impl<K, V> Default for Memo<K, V> {
    fn default() -> Self {
        Memo {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash, V: Clone> Memo<K, V> {
    /// The answer kept for `key`, if still fresh at write epoch `epoch`.
    pub fn get(&self, key: &K, epoch: u64) -> Option<V> {
        let map = self.lock();
        let (at, e, v) = map.get(key)?;
        (*e == epoch && at.elapsed() < FRESH_FOR).then(|| v.clone())
    }

    /// Keeps `value` for `key`, read at write epoch `epoch`.
    pub fn put(&self, key: K, epoch: u64, value: V) {
        let mut map = self.lock();
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(key, (Instant::now(), epoch, value));
    }

    /// Forgets `key` (a session ended).
    pub fn forget(&self, key: &K) {
        self.lock().remove(key);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, (Instant, u64, V)>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_kept_until_a_write_or_its_age() {
        let m: Memo<&str, i32> = Memo::default();
        let e = Epoch::default();
        m.put("a", e.now(), 1);
        assert_eq!(m.get(&"a", e.now()), Some(1));
        e.bump();
        assert_eq!(m.get(&"a", e.now()), None, "a write since");
        m.put("a", e.now(), 2);
        m.forget(&"a");
        assert_eq!(m.get(&"a", e.now()), None);
        let m: Memo<u32, u32> = Memo::default();
        for k in 0..MAX_ENTRIES as u32 + 5 {
            m.put(k, 0, k);
        }
        assert!(m.lock().len() <= MAX_ENTRIES);
    }
}

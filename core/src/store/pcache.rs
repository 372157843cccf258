//! SQLite's default page cache, wrapped to skip commits' needless whole-cache scans.
//!
//! When a b-tree node splits, SQLite (`balance_nonroot`) reorders the new pages by
//! swapping their numbers through the lock-byte page's number (262,145 with 4 KiB pages),
//! which no real page ever has. The default cache then remembers that number as the
//! largest it holds, so the next commit's "drop every page past the end of the database"
//! walks its whole hash table instead of the few slots past the end. On a table with a
//! random text key that is about one insert in twenty, and each walk touches every cached
//! page: ~10% of a `create` on a 50,000-row table, growing with the database.
//!
//! The wrapper forwards every call to the default cache and keeps its own bound on the
//! page numbers held, one that ignores a page parked on the lock-byte number once it has
//! left it. A truncate that this bound shows has nothing to drop is not forwarded.

use std::ffi::{c_int, c_uint};
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::Relaxed};

use libsql::ffi;
use once_cell::sync::OnceCell;

/// SQLite's `PENDING_BYTE`: the page holding it is the lock-byte page, never used for data.
const PENDING_BYTE: u32 = 0x4000_0000;

/// The default cache's methods, kept to forward to.
struct Default(ffi::sqlite3_pcache_methods2);

// SAFETY: the methods are plain function pointers and SQLite's own `pArg` (unused by the
// default cache); SQLite calls them from any thread.
unsafe impl Send for Default {}
unsafe impl Sync for Default {}

static DEFAULT: OnceCell<Default> = OnceCell::new();

/// Truncates skipped since the process started (tests use it to see the wrapper work).
static SKIPPED: AtomicU64 = AtomicU64::new(0);

/// One page cache: the default cache's, and what the wrapper knows of its page numbers.
struct Cache {
    inner: *mut ffi::sqlite3_pcache,
    bound: Bound,
}

/// An upper bound on the page numbers a cache holds.
///
/// A cache belongs to one pager, which only one thread uses at a time; the atomics are
/// only there so that no aliasing question arises, and are all `Relaxed`.
struct Bound {
    lock_page: u32,
    /// At least the largest page number held, the lock-byte page's number excepted.
    max_key: AtomicU32,
    /// A page may sit on the lock-byte page's number: set on every way one gets there,
    /// cleared when the only page that can be there leaves it or is truncated away.
    parked: AtomicBool,
}

impl Bound {
    fn new(page_size: u32) -> Bound {
        Bound {
            lock_page: PENDING_BYTE / page_size.max(1) + 1,
            max_key: AtomicU32::new(0),
            parked: AtomicBool::new(false),
        }
    }

    /// A page `key` is in the cache (fetched or created).
    fn saw(&self, key: u32) {
        if key == self.lock_page {
            self.parked.store(true, Relaxed);
        } else if key > self.max_key.load(Relaxed) {
            self.max_key.store(key, Relaxed);
        }
    }

    fn rekeyed(&self, old_key: u32, new_key: u32) {
        if old_key == self.lock_page {
            // A cache holds one page per number: this was the one parked there.
            self.parked.store(false, Relaxed);
        }
        self.saw(new_key);
    }

    /// Whether a page numbered `limit` or more may be held.
    fn holds_from(&self, limit: u32) -> bool {
        let max = self.max_key.load(Relaxed);
        let max = if self.parked.load(Relaxed) {
            max.max(self.lock_page)
        } else {
            max
        };
        max >= limit
    }

    /// The cache dropped every page numbered `limit` or more.
    fn truncated(&self, limit: u32) {
        let below = limit.saturating_sub(1);
        if self.max_key.load(Relaxed) > below {
            self.max_key.store(below, Relaxed);
        }
        if limit <= self.lock_page {
            self.parked.store(false, Relaxed);
        }
    }
}

/// Installs the wrapper. Must run before SQLite initialises (before the first database is
/// opened); later, SQLite refuses the change and the default cache stays, unwrapped.
pub fn install() {
    let mut default = MaybeUninit::<ffi::sqlite3_pcache_methods2>::zeroed();
    // SAFETY: GETPCACHE2 writes the current methods into the struct it is given; before
    // initialisation that is the default cache, after it SQLite refuses and writes nothing.
    let got = unsafe { ffi::sqlite3_config(ffi::SQLITE_CONFIG_GETPCACHE2, default.as_mut_ptr()) };
    if got != ffi::SQLITE_OK {
        return;
    }
    // SAFETY: zeroed is a valid value of this plain C struct, and SQLite filled it in.
    let default = unsafe { default.assume_init() };
    let complete = default.xCreate.is_some()
        && default.xFetch.is_some()
        && default.xRekey.is_some()
        && default.xTruncate.is_some()
        && default.xDestroy.is_some();
    if !complete || DEFAULT.set(Default(default)).is_err() {
        return;
    }
    let wrapped = ffi::sqlite3_pcache_methods2 {
        iVersion: 1,
        pArg: default.pArg,
        xInit: default.xInit,
        xShutdown: default.xShutdown,
        xCreate: Some(create),
        xCachesize: Some(cachesize),
        xPagecount: Some(pagecount),
        xFetch: Some(fetch),
        xUnpin: Some(unpin),
        xRekey: Some(rekey),
        xTruncate: Some(truncate),
        xDestroy: Some(destroy),
        xShrink: Some(shrink),
    };
    // SAFETY: SQLite copies the struct. A refusal leaves the default cache in place.
    unsafe {
        ffi::sqlite3_config(ffi::SQLITE_CONFIG_PCACHE2, &wrapped as *const _);
    }
}

/// How many truncates the wrapper found nothing to do for.
pub fn skipped_truncates() -> u64 {
    SKIPPED.load(Relaxed)
}

fn methods() -> Option<&'static ffi::sqlite3_pcache_methods2> {
    DEFAULT.get().map(|d| &d.0)
}

/// # Safety
/// `cache` must be a pointer `create` returned and `destroy` has not freed.
unsafe fn cache<'a>(cache: *mut ffi::sqlite3_pcache) -> &'a Cache {
    &*(cache as *const Cache)
}

unsafe extern "C" fn create(
    page_size: c_int,
    extra: c_int,
    purgeable: c_int,
) -> *mut ffi::sqlite3_pcache {
    let Some(create) = methods().and_then(|m| m.xCreate) else {
        return std::ptr::null_mut();
    };
    let inner = create(page_size, extra, purgeable);
    if inner.is_null() {
        return inner;
    }
    let wrapper = Box::new(Cache {
        inner,
        bound: Bound::new(page_size.max(1) as u32),
    });
    Box::into_raw(wrapper).cast()
}

unsafe extern "C" fn cachesize(p: *mut ffi::sqlite3_pcache, pages: c_int) {
    if let Some(f) = methods().and_then(|m| m.xCachesize) {
        f(cache(p).inner, pages);
    }
}

unsafe extern "C" fn pagecount(p: *mut ffi::sqlite3_pcache) -> c_int {
    match methods().and_then(|m| m.xPagecount) {
        Some(f) => f(cache(p).inner),
        None => 0,
    }
}

unsafe extern "C" fn fetch(
    p: *mut ffi::sqlite3_pcache,
    key: c_uint,
    create_flag: c_int,
) -> *mut ffi::sqlite3_pcache_page {
    let Some(f) = methods().and_then(|m| m.xFetch) else {
        return std::ptr::null_mut();
    };
    let cache = cache(p);
    let page = f(cache.inner, key, create_flag);
    if !page.is_null() {
        cache.bound.saw(key);
    }
    page
}

unsafe extern "C" fn unpin(
    p: *mut ffi::sqlite3_pcache,
    page: *mut ffi::sqlite3_pcache_page,
    discard: c_int,
) {
    if let Some(f) = methods().and_then(|m| m.xUnpin) {
        f(cache(p).inner, page, discard);
    }
}

unsafe extern "C" fn rekey(
    p: *mut ffi::sqlite3_pcache,
    page: *mut ffi::sqlite3_pcache_page,
    old_key: c_uint,
    new_key: c_uint,
) {
    let Some(f) = methods().and_then(|m| m.xRekey) else {
        return;
    };
    let cache = cache(p);
    f(cache.inner, page, old_key, new_key);
    cache.bound.rekeyed(old_key, new_key);
}

unsafe extern "C" fn truncate(p: *mut ffi::sqlite3_pcache, limit: c_uint) {
    let cache = cache(p);
    if !cache.bound.holds_from(limit) {
        SKIPPED.fetch_add(1, Relaxed);
        return;
    }
    if let Some(f) = methods().and_then(|m| m.xTruncate) {
        f(cache.inner, limit);
    }
    cache.bound.truncated(limit);
}

unsafe extern "C" fn destroy(p: *mut ffi::sqlite3_pcache) {
    let wrapper = Box::from_raw(p as *mut Cache);
    if let Some(f) = methods().and_then(|m| m.xDestroy) {
        f(wrapper.inner);
    }
}

unsafe extern "C" fn shrink(p: *mut ffi::sqlite3_pcache) {
    if let Some(f) = methods().and_then(|m| m.xShrink) {
        f(cache(p).inner);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: u32 = PENDING_BYTE / 4096 + 1;

    #[test]
    fn a_page_swapped_through_the_lock_page_number_leaves_no_trace() {
        let b = Bound::new(4096);
        assert_eq!(b.lock_page, 262_145);
        for key in 1..=40 {
            b.saw(key);
        }
        // balance_nonroot swapping pages 12 and 30.
        b.rekeyed(12, LOCK);
        assert!(b.holds_from(41), "page 12 is parked on the lock number");
        b.rekeyed(30, 12);
        b.rekeyed(LOCK, 30);
        assert!(
            !b.holds_from(41),
            "nothing past the end: the truncate is skipped"
        );
        assert!(b.holds_from(40));
    }

    #[test]
    fn pages_past_the_end_are_always_truncated() {
        let b = Bound::new(4096);
        for key in 1..=40 {
            b.saw(key);
        }
        // A rolled-back transaction had grown the database to 40 pages from 25.
        assert!(b.holds_from(26));
        b.truncated(26);
        assert!(!b.holds_from(26));
        assert!(b.holds_from(25));
        // A page moved to a new number (auto-vacuum) counts at its new number.
        b.rekeyed(3, 90);
        assert!(b.holds_from(90));
    }

    #[test]
    fn a_page_fetched_on_the_lock_number_stays_until_truncated() {
        let b = Bound::new(1024);
        b.saw(5);
        let lock = PENDING_BYTE / 1024 + 1;
        // The pager refuses the lock page, but the cache may hold it until dropped.
        b.saw(lock);
        assert!(b.holds_from(6));
        b.truncated(6);
        assert!(!b.holds_from(6));
    }
}

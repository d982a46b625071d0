//! Heap accounting for benchmarks: a global allocator that counts live bytes and their
//! high-water mark. Include with `#[path = "support/heap.rs"] mod heap;` and declare
//! `#[global_allocator] static ALLOC: heap::CountingAlloc = heap::CountingAlloc;`.
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Forwards to the system allocator and counts.
pub struct CountingAlloc;

static HEAP_NOW: AtomicUsize = AtomicUsize::new(0);
static HEAP_PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = HEAP_NOW.fetch_add(by, Ordering::Relaxed) + by;
    HEAP_PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: forwards every call to the system allocator unchanged; only counts sizes.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        HEAP_NOW.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            if new_size > layout.size() {
                grew(new_size - layout.size());
            } else {
                HEAP_NOW.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

/// Runs `f` and returns its result with the peak heap above the starting level, in bytes.
pub fn peak_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let start = HEAP_NOW.load(Ordering::Relaxed);
    HEAP_PEAK.store(start, Ordering::Relaxed);
    let out = f();
    (out, HEAP_PEAK.load(Ordering::Relaxed).saturating_sub(start))
}

/// Runs `f` and returns its result, the heap it left behind, and the peak heap growth while
/// it ran (both relative to the live heap when it started).
pub fn usage_during<T>(f: impl FnOnce() -> T) -> (T, isize, usize) {
    let before = HEAP_NOW.load(Ordering::Relaxed);
    let (out, peak) = peak_during(f);
    let after = HEAP_NOW.load(Ordering::Relaxed);
    (out, after as isize - before as isize, peak)
}

/// Live heap bytes now.
pub fn live() -> usize {
    HEAP_NOW.load(Ordering::Relaxed)
}

/// Bytes as MiB, for printing.
pub fn mib(bytes: f64) -> String {
    format!("{:.2} MiB", bytes / (1024.0 * 1024.0))
}

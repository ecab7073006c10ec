#ifndef CMALLOCCOUNTER_H
#define CMALLOCCOUNTER_H

// Counts heap allocations made by the calling thread between start and stop, for tests that prove the hot path
// allocates nothing per query (STYLE habit 6). Linking this target into an executable replaces the C library's
// malloc family for the whole process; each call forwards to glibc's own implementation (`__libc_malloc` and
// friends), so memory is still glibc's and `malloc_usable_size`, which the Swift runtime uses, keeps working.

/// Starts counting allocations on the calling thread (resets the count to zero).
void CMallocCounter_start(void);

/// Stops counting on the calling thread and returns how many allocations (malloc, calloc, realloc, posix_memalign,
/// aligned_alloc, memalign, valloc; not free) it made since `CMallocCounter_start`.
long CMallocCounter_stop(void);

/// How many times the interposed allocator has run in this process on any thread, counting or not: lets a test
/// prove the interposition is in force before trusting a zero.
long CMallocCounter_totalCalls(void);

#endif

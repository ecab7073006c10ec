// A cache prefetch hint, which Swift has no spelling for. `static inline`, so Swift inlines it as one instruction.
#ifndef CPREFETCH_H
#define CPREFETCH_H

/// Starts loading the cache line holding `address` for reading, without waiting for it (and without faulting if
/// the address is bad: prefetches are only hints).
static inline void CPrefetch_read(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif

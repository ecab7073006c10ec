// Interposes the malloc family in the process that links this file (the test executable), forwarding every call to
// glibc's internal entry points. The executable's definitions win over libc.so's for every shared library too,
// because the dynamic linker resolves `malloc` to the first definition in load order, and the executable comes first.
// glibc-specific: `__libc_malloc` and friends are exported by glibc (GLIBC_2.2.5 on x86_64) for exactly this use.

#include "CMallocCounter.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void __libc_free(void *pointer);
extern void *__libc_memalign(size_t alignment, size_t size);

// Thread-local so that other test threads (Swift Testing runs suites in parallel) never add to a count. A
// `_Thread_local` in the executable uses the static TLS block: reading it never allocates (no `__tls_get_addr`
// lazy allocation as in a dlopen'ed library), which would recurse into malloc.
static _Thread_local int counting = 0;
static _Thread_local long count = 0;
static long totalCalls = 0;

static inline void noteAllocation(void) {
    __atomic_fetch_add(&totalCalls, 1, __ATOMIC_RELAXED);
    if (counting) {
        count += 1;
    }
}

void CMallocCounter_start(void) {
    count = 0;
    counting = 1;
}

long CMallocCounter_stop(void) {
    counting = 0;
    return count;
}

long CMallocCounter_totalCalls(void) {
    return __atomic_load_n(&totalCalls, __ATOMIC_RELAXED);
}

void *malloc(size_t size) {
    noteAllocation();
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
    noteAllocation();
    return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size) {
    noteAllocation();
    return __libc_realloc(pointer, size);
}

void free(void *pointer) {
    __libc_free(pointer);
}

void *memalign(size_t alignment, size_t size) {
    noteAllocation();
    return __libc_memalign(alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size) {
    noteAllocation();
    return __libc_memalign(alignment, size);
}

void *valloc(size_t size) {
    noteAllocation();
    return __libc_memalign(4096, size);
}

// POSIX: the alignment must be a power of two multiple of sizeof(void *); errors are returned, errno is untouched.
int posix_memalign(void **result, size_t alignment, size_t size) {
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0) {
        return EINVAL;
    }
    noteAllocation();
    void *pointer = __libc_memalign(alignment, size);
    if (pointer == NULL && size != 0) {
        return ENOMEM;
    }
    *result = pointer;
    return 0;
}

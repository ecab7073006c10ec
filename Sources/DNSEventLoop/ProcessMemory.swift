internal import CSocketShims

/// The process's heap as the kernel sees it.
public enum ProcessMemory {
    /// Hands freed heap pages back to the kernel (malloc_trim(3)). glibc keeps them in its arenas otherwise, so RSS
    /// would stay at a rebuild's peak until later allocations happen to reuse them. Costs a few milliseconds: never
    /// call it from a worker.
    public static func returnFreedPages() {
        _ = CSocketShims_mallocTrim()
    }
}

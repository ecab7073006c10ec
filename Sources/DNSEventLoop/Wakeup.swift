internal import Glibc

/// Lets any thread make a handler run on an `EventBase`'s thread (`EventBase.makeWakeup`).
///
/// An eventfd: `signal()` adds 1 to the kernel counter, which makes the descriptor readable on the base; the base
/// reads (and so resets) the counter and runs the handler once, however many signals arrived meanwhile.
/// `Sendable` without locks because its only state is an immutable descriptor and write(2) is thread-safe. The
/// descriptor closes when the last reference goes, which is never while the base still watches it.
public final class Wakeup: Sendable {
    let descriptor: Int32

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        Syscall.close(descriptor)
    }

    /// Thread-safe; never blocks.
    public func signal() {
        var one: UInt64 = 1
        // eventfd(2) takes exactly 8 bytes. EAGAIN means the counter is at its maximum, so the base will wake anyway.
        _ = try? Syscall.write(descriptor, &one, MemoryLayout<UInt64>.size)
    }

    /// Resets the counter; on the base's thread.
    func drain() {
        var count: UInt64 = 0
        _ = try? Syscall.read(descriptor, &count, MemoryLayout<UInt64>.size)
    }
}

internal import CLibevent
internal import Glibc

/// One libevent `struct event` and the Swift closure it runs.
///
/// Ownership: the `EventBase` registry holds every live `Event` strongly, and libevent holds only an unretained
/// pointer to it, so the object outlives the C event; `free()` (or the base closing) deletes the C event first and
/// then drops the registry's reference and the closure, which is also what breaks owner ↔ closure cycles.
/// Everything here runs on the base's thread.
final class Event {
    private var pointer: OpaquePointer?
    private var handler: ((Int16) -> Void)?
    private weak var base: EventBase?

    /// `flags` is a mix of `EV_READ`, `EV_WRITE`, `EV_SIGNAL`, `EV_PERSIST`; `descriptor` is -1 for a pure timer.
    /// The handler gets libevent's `what` (EV_TIMEOUT, EV_READ, ...).
    init(base: EventBase, descriptor: Int32, flags: Int32, handler: @escaping (Int16) -> Void) {
        self.base = base
        self.handler = handler
        // Unretained on purpose: the base's registry keeps `self` alive until `free()` has deleted the C event, so
        // libevent can never call back into a deallocated object (see the type's ownership note).
        let context = Unmanaged.passUnretained(self).toOpaque()
        let created = event_new(
            base.pointer, descriptor, Int16(flags),
            { _, what, context in Event.fire(context, what) },
            context)
        // event_new fails only when malloc does; Swift treats out-of-memory as fatal everywhere else too.
        guard let created else { fatalError("event_new: out of memory") }
        pointer = created
        base.register(self)
    }

    var isLive: Bool { pointer != nil }

    /// event_add: start watching, with an optional timeout (for a persistent I/O event, an idle timeout that restarts
    /// whenever the event fires). Fails when the backend rejects the descriptor (epoll on a regular file: EPERM).
    func add(timeout: Duration? = nil) throws(IOError) {
        guard let pointer else { preconditionFailure("Event.add after free") }
        let result: Int32
        if let timeout {
            var interval = timeval(timeout)
            result = event_add(pointer, &interval)
        } else {
            result = event_add(pointer, nil)
        }
        if result != 0 {
            throw IOError(function: "event_add", errno: errno)
        }
    }

    /// event_del: stop watching, keep the event for a later `add`.
    func remove() {
        guard let pointer else { return }
        event_del(pointer)
    }

    /// Deletes and frees the C event and drops the closure. Safe from inside the event's own handler (libevent 2.1
    /// does not touch the event after its callback returns) and idempotent.
    func free() {
        guard release() else { return }
        base?.unregister(self)
    }

    /// `free()` without telling the base: used by the base itself while it closes.
    @discardableResult
    func release() -> Bool {
        guard let pointer else { return false }
        event_free(pointer)
        self.pointer = nil
        handler = nil
        return true
    }

    private static func fire(_ context: UnsafeMutableRawPointer?, _ what: Int16) {
        guard let context else { preconditionFailure("libevent called back without the context we gave it") }
        // Balanced with the passUnretained in init: the registry still owns the object here.
        let event = Unmanaged<Event>.fromOpaque(context).takeUnretainedValue()
        // The handler may free this very event (a connection closing itself), dropping the registry's reference;
        // keep the object alive until the handler has returned.
        withExtendedLifetime(event) {
            event.handler?(what)
        }
    }
}

extension timeval {
    /// Rounds down to microseconds; negative durations become zero.
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        if seconds < 0 || (seconds == 0 && attoseconds < 0) {
            self.init(tv_sec: 0, tv_usec: 0)
        } else {
            self.init(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        }
    }
}

internal import CLibevent
internal import Glibc

/// One libevent `event_base`: the loop a worker thread runs.
///
/// Not thread-safe, by design: create it, register events, `dispatch()` and `close()` on one thread. Other threads
/// reach it only through a `Wakeup` (an eventfd write), never through libevent, so libevent's own locking
/// (`evthread_use_pthreads`) is not needed.
///
/// Call `close()` after `dispatch()` returns: it frees every event still registered (timers, watches, services'
/// events) and with them any closures that captured the base, then the base itself. `deinit` does the same if the
/// base is simply dropped.
public final class EventBase {
    private var basePointer: OpaquePointer?
    /// Every live `Event`, holding it strongly so libevent's unretained context pointer stays valid (see `Event`).
    private var live: [ObjectIdentifier: Event] = [:]
    /// libevent forgets an `event_base_loopbreak` made while the loop is not running; this remembers it.
    private var exitRequested = false
    /// True inside `dispatch()`: closing the base from one of its own callbacks would free it under libevent.
    private var isDispatching = false

    public init() throws(IOError) {
        guard let created = event_base_new() else {
            throw IOError(function: "event_base_new", errno: errno == 0 ? ENOMEM : errno)
        }
        basePointer = created
    }

    deinit {
        close()
    }

    var pointer: OpaquePointer {
        guard let basePointer else { preconditionFailure("EventBase used after close()") }
        return basePointer
    }

    /// The backend libevent chose, e.g. `"epoll"`.
    public var backendName: String {
        String(cString: event_base_get_method(pointer))
    }

    /// Runs callbacks until `exit()` is called, even while nothing is registered. Returns at once, and forgets the
    /// request, if `exit()` was called since the last `dispatch()`.
    public func dispatch() throws(IOError) {
        if exitRequested {
            exitRequested = false
            return
        }
        // Without EVLOOP_NO_EXIT_ON_EMPTY the loop would return as soon as no event is pending.
        isDispatching = true
        let result = event_base_loop(pointer, EVLOOP_NO_EXIT_ON_EMPTY)
        isDispatching = false
        exitRequested = false
        if result < 0 {
            throw IOError(function: "event_base_loop", errno: errno)
        }
    }

    /// Makes `dispatch()` return after the running callback. Only from this base's thread (a callback, or before
    /// `dispatch()`); from another thread, signal a `Wakeup` whose handler calls `exit()`.
    public func exit() {
        exitRequested = true
        event_base_loopbreak(pointer)
    }

    /// Frees every registered event and then the base. Idempotent; the base is unusable afterwards.
    public func close() {
        guard let basePointer else { return }
        precondition(!isDispatching, "EventBase.close() from inside dispatch(): call exit() and close after it returns")
        // Take the registry first: releasing drops closures, which may release owners that unregister.
        let events = live
        live = [:]
        for event in events.values {
            event.release()
        }
        event_base_free(basePointer)
        self.basePointer = nil
    }

    // MARK: Registration

    /// A `Wakeup` that other threads can signal to run `handler` on this base's thread. Several signals before the
    /// handler runs are coalesced into one call. The registration lasts until the base closes.
    public func makeWakeup(_ handler: @escaping () -> Void) throws(IOError) -> Wakeup {
        let wakeup = Wakeup(descriptor: try Syscall.eventfd())
        // The closure keeps the Wakeup, and so its descriptor, alive as long as the event watches it.
        let event = Event(base: self, descriptor: wakeup.descriptor, flags: EV_READ | EV_PERSIST) { _ in
            wakeup.drain()
            handler()
        }
        do {
            try event.add()
        } catch {
            event.free()
            throw error
        }
        return wakeup
    }

    /// Runs `handler` once after `delay`, or every `delay` when `repeating`. The base keeps the timer until it has
    /// fired (one-shot), it is cancelled, or the base closes; keep the result only to cancel it.
    @discardableResult
    public func schedule(after delay: Duration, repeating: Bool = false, _ handler: @escaping () -> Void) -> Timer {
        Timer(base: self, delay: delay, repeating: repeating, handler: handler)
    }

    /// Runs `handler` whenever `descriptor` is readable (level-triggered), e.g. an inotify descriptor. The caller owns
    /// the descriptor and must cancel the watch before closing it.
    public func watchReadable(descriptor: Int32, _ handler: @escaping () -> Void) throws(IOError) -> Watch {
        let event = Event(base: self, descriptor: descriptor, flags: EV_READ | EV_PERSIST) { _ in handler() }
        return try Watch(event: event)
    }

    /// Runs `handler` on this base's thread each time the process receives `signal` (SIGTERM, SIGHUP, ...).
    /// libevent delivers signals to one base per process: watch signals on one base only.
    public func watchSignal(_ signal: Int32, _ handler: @escaping () -> Void) throws(IOError) -> Watch {
        let event = Event(base: self, descriptor: signal, flags: EV_SIGNAL | EV_PERSIST) { _ in handler() }
        return try Watch(event: event)
    }

    func register(_ event: Event) {
        live[ObjectIdentifier(event)] = event
    }

    func unregister(_ event: Event) {
        live[ObjectIdentifier(event)] = nil
    }

    /// How many events are registered; for tests that check nothing leaks.
    var registeredEventCount: Int { live.count }
}

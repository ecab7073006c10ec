internal import CLibevent

/// A one-shot or repeating timer on an `EventBase` (`EventBase.schedule(after:repeating:_:)`).
///
/// The scheduled event holds this object (and so `handler`) until the timer fires for the last time, is cancelled,
/// or the base closes; dropping the `Timer` does not cancel it.
public final class Timer {
    private var event: Event?
    private let repeating: Bool
    private let handler: () -> Void

    init(base: EventBase, delay: Duration, repeating: Bool, handler: @escaping () -> Void) {
        self.repeating = repeating
        self.handler = handler
        // A descriptor of -1 makes a pure timer; EV_PERSIST re-arms it with the same interval after each run.
        let event = Event(base: base, descriptor: -1, flags: repeating ? EV_PERSIST : 0) { _ in
            self.fire()
        }
        self.event = event
        do {
            try event.add(timeout: delay)
        } catch {
            // Timers live in libevent's heap, not in epoll: adding one fails only when malloc does.
            fatalError("timer event_add failed: \(error)")
        }
    }

    /// Whether the timer will still run.
    public var isScheduled: Bool {
        event?.isLive ?? false
    }

    /// Stops the timer; it will not run again. Idempotent, and allowed from inside its own handler.
    public func cancel() {
        event?.free()
        event = nil
    }

    private func fire() {
        if !repeating {
            // Done after this run: release the event (and with it the closure that holds `self`) first, so the
            // handler may schedule a new timer or cancel this one freely.
            cancel()
        }
        handler()
    }
}

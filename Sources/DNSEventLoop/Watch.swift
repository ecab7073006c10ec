/// A registration for a readable descriptor or a signal (`EventBase.watchReadable`, `EventBase.watchSignal`).
///
/// The base keeps the registration until `cancel()` or until it closes; dropping the `Watch` does not cancel it.
public final class Watch {
    private let event: Event

    init(event: Event) throws(IOError) {
        self.event = event
        do {
            try event.add()
        } catch {
            event.free()
            throw error
        }
    }

    /// Whether the handler can still run.
    public var isActive: Bool { event.isLive }

    /// Stops watching. Idempotent, and allowed from inside the handler.
    public func cancel() {
        event.free()
    }
}

import Synchronization

/// Carries "the registry changed" from a source that starts before its receiver exists (the Kubernetes source is made
/// before the control loop); signals before `connect` are remembered and delivered then.
final class RegistryChangeSignal: Sendable {
    private struct State {
        var receiver: (@Sendable () -> Void)?
        var missed = false
    }

    private let state = Mutex(State())

    func connect(_ receiver: @escaping @Sendable () -> Void) {
        let missed = state.withLock { state in
            state.receiver = receiver
            defer { state.missed = false }
            return state.missed
        }
        if missed { receiver() }
    }

    func signal() {
        let receiver = state.withLock { state in
            if state.receiver == nil { state.missed = true }
            return state.receiver
        }
        receiver?()
    }
}

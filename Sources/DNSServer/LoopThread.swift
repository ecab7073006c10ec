import Foundation
import Synchronization

/// A thread that sets itself up (an event base, sockets), tells its starter whether that worked, and then runs its
/// loop until asked to end. `start` returns only once setup is done, so a failed setup is an error for the caller.
final class LoopThread: Sendable {
    private let finished = DispatchSemaphore(value: 0)

    /// Runs `body` on a new thread named `name`; `body` calls its argument once, with `nil` when it is ready to serve
    /// or with the error that stopped it, and then returns when its loop ends.
    func start(name: String, _ body: @escaping @Sendable (_ started: (Error?) -> Void) -> Void) throws {
        let started = DispatchSemaphore(value: 0)
        let startError = Mutex<Error?>(nil)
        let thread = Thread { [finished] in
            body { error in
                startError.withLock { $0 = error }
                started.signal()
            }
            finished.signal()
        }
        thread.name = name
        thread.start()
        started.wait()
        if let error = startError.withLock({ $0 }) {
            join()
            throw error
        }
    }

    /// Waits for the thread to end. May be called more than once, and from several threads.
    func join() {
        finished.wait()
        finished.signal()
    }
}

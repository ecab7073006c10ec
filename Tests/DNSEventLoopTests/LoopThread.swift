import DNSEventLoop
import Dispatch
import Foundation
import Synchronization

/// A test waited too long for the loop thread; the test fails instead of hanging.
struct LoopTimeout: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out waiting for \(what)" }
}

/// One value handed from one thread to another, with a bounded wait.
final class Handoff<Value: Sendable>: Sendable {
    private let value = Mutex<Value?>(nil)
    private let ready = DispatchSemaphore(value: 0)

    func put(_ newValue: Value) {
        value.withLock { $0 = newValue }
        ready.signal()
    }

    func take(_ what: String, seconds: Int = 10) throws -> Value {
        guard ready.wait(timeout: .now() + .seconds(seconds)) == .success else { throw LoopTimeout(what: what) }
        return value.withLock { $0! }
    }
}

/// Runs an `EventBase` on its own thread, as a worker does. `State` (services, handlers) is made on that thread by
/// `setup` and only ever touched there: the test reaches it through `run`, which posts a job via a `Wakeup`.
final class LoopThread<State>: Sendable {
    typealias Job = @Sendable (EventBase, State) -> Void

    private let jobs = JobQueue<Job>()
    private let wakeup: Wakeup
    private let finished = DispatchSemaphore(value: 0)
    /// The loop thread's pthread_self, for checks that something ran there.
    let thread: pthread_t

    init(_ setup: @escaping @Sendable (EventBase) throws -> State) throws {
        let started = Handoff<Result<(Wakeup, pthread_t), any Error>>()
        let jobs = self.jobs
        let finished = self.finished
        let worker = Thread {
            let base: EventBase
            let state: State
            let wakeup: Wakeup
            do {
                base = try EventBase()
                state = try setup(base)
                wakeup = try base.makeWakeup {
                    for job in jobs.takeAll() {
                        job(base, state)
                    }
                }
            } catch {
                started.put(.failure(error))
                finished.signal()
                return
            }
            started.put(.success((wakeup, pthread_self())))
            do {
                try base.dispatch()
            } catch {
                print("dispatch failed: \(error)")
            }
            // Closing the base frees every event and drops the closures holding `state`; the services in it then
            // close their sockets when `state` goes out of scope.
            base.close()
            withExtendedLifetime(state) {}
            finished.signal()
        }
        worker.start()
        let (wakeup, thread) = try started.take("the loop thread to start").get()
        self.wakeup = wakeup
        self.thread = thread
    }

    /// Runs `body` on the loop thread and returns its result.
    func run<Value: Sendable>(_ body: @escaping @Sendable (EventBase, State) throws -> Value) throws -> Value {
        let result = Handoff<Result<Value, any Error>>()
        jobs.append { base, state in result.put(Result { try body(base, state) }) }
        wakeup.signal()
        return try result.take("a job on the loop thread").get()
    }

    /// Exits the loop and waits for the thread to tear everything down.
    func stop() throws {
        jobs.append { base, _ in base.exit() }
        wakeup.signal()
        guard finished.wait(timeout: .now() + .seconds(10)) == .success else {
            throw LoopTimeout(what: "the loop thread to stop")
        }
    }

    /// Polls `condition` on the loop thread until it holds, for at most a few seconds.
    func eventually(_ condition: @escaping @Sendable (EventBase, State) -> Bool) throws -> Bool {
        for _ in 0..<1000 {
            if try run(condition) { return true }
            usleep(5000)
        }
        return false
    }
}

/// Jobs posted to a loop thread, oldest first.
final class JobQueue<Job: Sendable>: Sendable {
    private let jobs = Mutex<[Job]>([])

    func append(_ job: Job) {
        jobs.withLock { $0.append(job) }
    }

    func takeAll() -> [Job] {
        jobs.withLock { pending in
            defer { pending = [] }
            return pending
        }
    }
}

/// Starts a loop thread, runs `body`, and always stops the thread, whatever `body` does.
func withLoop<State, Result>(
    _ setup: @escaping @Sendable (EventBase) throws -> State, run body: (LoopThread<State>) throws -> Result
) throws -> Result {
    let loop = try LoopThread(setup)
    let result: Swift.Result<Result, any Error>
    do {
        result = .success(try body(loop))
    } catch {
        result = .failure(error)
    }
    try loop.stop()
    return try result.get()
}

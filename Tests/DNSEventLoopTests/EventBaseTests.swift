import Foundation
import Synchronization
import Testing

@testable import DNSEventLoop

/// Counts things from any thread.
final class Counter: Sendable {
    private let value = Mutex(0)
    func increment() { value.withLock { $0 += 1 } }
    var count: Int { value.withLock { $0 } }
}

/// These run the base on the test's own thread; a safety timer ends `dispatch()` if the behaviour under test does
/// not, so a failure is reported instead of hanging.
struct EventBaseTests {
    /// Dispatches with a safety net; returns false if the safety net had to stop the loop.
    func dispatchWithSafetyNet(_ base: EventBase) throws -> Bool {
        var rescued = false
        let safety = base.schedule(after: .seconds(10)) {
            rescued = true
            base.exit()
        }
        try base.dispatch()
        safety.cancel()
        return !rescued
    }

    @Test func exitStopsDispatch() throws {
        let base = try EventBase()
        defer { base.close() }
        var ran = false
        base.schedule(after: .milliseconds(1)) {
            ran = true
            base.exit()
        }
        #expect(try dispatchWithSafetyNet(base))
        #expect(ran)
    }

    @Test func exitBeforeDispatchIsNotLost() throws {
        let base = try EventBase()
        defer { base.close() }
        base.exit()
        #expect(try dispatchWithSafetyNet(base))
        // Only once: the next dispatch runs until the next exit.
        var ran = false
        base.schedule(after: .milliseconds(1)) {
            ran = true
            base.exit()
        }
        #expect(try dispatchWithSafetyNet(base))
        #expect(ran)
    }

    @Test func oneShotTimerFiresOnceAndIsReleased() throws {
        let base = try EventBase()
        defer { base.close() }
        let before = base.registeredEventCount
        var runs = 0
        let timer = base.schedule(after: .milliseconds(1)) { runs += 1 }
        #expect(timer.isScheduled)
        base.schedule(after: .milliseconds(50)) { base.exit() }
        #expect(try dispatchWithSafetyNet(base))
        #expect(runs == 1)
        #expect(!timer.isScheduled)
        #expect(base.registeredEventCount == before)
    }

    @Test func cancelledTimerNeverRuns() throws {
        let base = try EventBase()
        defer { base.close() }
        var ran = false
        let timer = base.schedule(after: .milliseconds(5)) { ran = true }
        timer.cancel()
        #expect(!timer.isScheduled)
        // Due well after the cancelled one: if cancel did nothing, `ran` would be set before this exits.
        base.schedule(after: .milliseconds(100)) { base.exit() }
        #expect(try dispatchWithSafetyNet(base))
        #expect(!ran)
    }

    @Test func repeatingTimerRunsUntilCancelledFromItsHandler() throws {
        let base = try EventBase()
        defer { base.close() }
        var runs = 0
        var timer: DNSEventLoop.Timer?
        timer = base.schedule(after: .milliseconds(2), repeating: true) {
            runs += 1
            if runs == 3 {
                timer?.cancel()
                // Many more periods pass before this exits; none may run.
                base.schedule(after: .milliseconds(60)) { base.exit() }
            }
        }
        #expect(try dispatchWithSafetyNet(base))
        #expect(runs == 3)
    }

    @Test func droppedTimerHandleStillFires() throws {
        let base = try EventBase()
        defer { base.close() }
        var ran = false
        do {
            _ = base.schedule(after: .milliseconds(1)) {
                ran = true
                base.exit()
            }
        }
        #expect(try dispatchWithSafetyNet(base))
        #expect(ran)
    }

    @Test func readableWatchRunsUntilCancelled() throws {
        let base = try EventBase()
        defer { base.close() }
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer {
            close(fds[0])
            close(fds[1])
        }
        var received: [UInt8] = []
        var watch: Watch?
        watch = try base.watchReadable(descriptor: fds[0]) {
            var byte: UInt8 = 0
            _ = read(fds[0], &byte, 1)
            received.append(byte)
            if received.count == 2 {
                watch?.cancel()
                // A third byte arrives after the cancel; it must not be read.
                var three: UInt8 = 3
                _ = write(fds[1], &three, 1)
                base.schedule(after: .milliseconds(30)) { base.exit() }
            }
        }
        base.schedule(after: .milliseconds(1)) {
            var bytes: [UInt8] = [1, 2]
            _ = write(fds[1], &bytes, 2)
        }
        #expect(try dispatchWithSafetyNet(base))
        #expect(received == [1, 2])
        #expect(watch?.isActive == false)
    }

    @Test func watchingARegularFileThrows() throws {
        let base = try EventBase()
        defer { base.close() }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("eventbase-\(getpid())").path
        let descriptor = open(path, O_CREAT | O_RDWR, 0o600)
        #expect(descriptor >= 0)
        defer {
            close(descriptor)
            unlink(path)
        }
        // epoll refuses regular files (EPERM); the error must surface instead of a watch that never fires.
        #expect(throws: IOError.self) {
            _ = try base.watchReadable(descriptor: descriptor) {}
        }
    }

    @Test func signalWatchRunsOnTheBase() throws {
        let base = try EventBase()
        defer { base.close() }
        var signals = 0
        let watch = try base.watchSignal(SIGUSR2) {
            signals += 1
            base.exit()
        }
        base.schedule(after: .milliseconds(1)) { kill(getpid(), SIGUSR2) }
        #expect(try dispatchWithSafetyNet(base))
        watch.cancel()
        #expect(signals == 1)
    }

    @Test func wakeupFromAnotherThreadRunsOnTheBaseThread() throws {
        let calls = Counter()
        let wrongThread = Counter()
        let arrived = DispatchSemaphore(value: 0)
        try withLoop { base in
            let loopThread = pthread_self()
            return try base.makeWakeup {
                if pthread_equal(pthread_self(), loopThread) == 0 {
                    wrongThread.increment()
                }
                calls.increment()
                arrived.signal()
            }
        } run: { loop in
            let wakeup = try loop.run { _, wakeup in wakeup }
            let sender = Thread {
                for _ in 0..<5 {
                    wakeup.signal()
                }
            }
            sender.start()
            #expect(arrived.wait(timeout: .now() + .seconds(10)) == .success)
            // Signals may coalesce, so at least one call and at most five.
            #expect(try loop.eventually { _, _ in calls.count >= 1 })
            #expect(calls.count <= 5)
            #expect(wrongThread.count == 0)
        }
    }

    @Test func closeReleasesHandlersThatCaptureTheBase() throws {
        final class Owner {}
        weak var weakOwner: Owner?
        let base = try EventBase()
        do {
            let owner = Owner()
            weakOwner = owner
            // A cycle: base → timer event → closure → owner and base.
            base.schedule(after: .seconds(3600), repeating: true) {
                withExtendedLifetime(owner) {}
                base.exit()
            }
            _ = try base.makeWakeup {
                withExtendedLifetime(owner) {}
            }
        }
        #expect(weakOwner != nil)
        #expect(base.registeredEventCount == 2)
        base.close()
        #expect(weakOwner == nil)
        #expect(base.registeredEventCount == 0)
    }
}

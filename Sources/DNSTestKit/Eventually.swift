import Foundation

/// Re-checks `condition` until it holds or `timeout` passes: for what a server or a watcher does asynchronously. The
/// result is the last check's, so a test fails with a bounded wait, never hangs.
public func eventually(
    timeout: Duration = .seconds(10), pollingEvery interval: Duration = .milliseconds(10),
    _ condition: () throws -> Bool
) rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        Thread.sleep(forTimeInterval: interval.timeInterval)
    }
    return try condition()
}

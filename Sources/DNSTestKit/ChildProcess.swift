import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Any program a test starts and must stop itself (`knotd`, `cluster-dns` inside a network namespace): its output is
/// kept, and `stop()` (or deinit) ends it with SIGTERM, then SIGKILL, so a failing test never leaves it behind.
public final class ChildProcess: Sendable {
    public enum LaunchError: Error, CustomStringConvertible {
        case notFound(String)

        public var description: String {
            switch self {
            case .notFound(let name): "\(name) is not installed (scripts/ensure-deps --test installs it)"
            }
        }
    }

    private let process: Process
    private let output = OutputBuffer()
    /// Set when the pipe reaches end of file: everything the program printed is in `output`.
    private let drained = EndOfFile()

    /// Starts `executable` (a path, or a name looked up with `which`) with `arguments`; stdout and stderr both go to
    /// `printed`.
    public init(_ executable: String, _ arguments: [String]) throws {
        guard let path = ChildProcess.which(executable) else { throw LaunchError.notFound(executable) }
        process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = pipe
        let output = self.output
        let drained = self.drained
        pipe.fileHandleForReading.readabilityHandler = { [output, drained] handle in
            let data = handle.availableData
            guard !data.isEmpty else {
                handle.readabilityHandler = nil
                drained.reach()
                return
            }
            output.append(String(decoding: data, as: UTF8.self))
        }
        try process.run()
    }

    deinit {
        stop()
    }

    /// Everything the program printed so far.
    public var printed: String { output.text }

    public var isRunning: Bool { process.isRunning }

    /// Waits until the program has printed `text`; false when it exits first or `timeout` passes.
    public func waitUntilPrinted(_ text: String, timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if printed.contains(text) { return true }
            if !process.isRunning {
                // The pipe may still hold the last lines.
                let drainDeadline = ContinuousClock.now + .seconds(1)
                while !drained.isReached, ContinuousClock.now < drainDeadline {
                    Thread.sleep(forTimeInterval: 0.005)
                }
                return printed.contains(text)
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return false
    }

    /// Sends SIGTERM, waits at most `grace`, then SIGKILL; returns the exit status (-1 when it had to be killed).
    @discardableResult
    public func stop(grace: Duration = .seconds(10)) -> Int32 {
        if process.isRunning { process.terminate() }
        let deadline = ContinuousClock.now + grace
        while process.isRunning, ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.01)
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return -1
        }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// The full path of `name`: itself when it holds a slash, else the first executable match in `PATH` and the
    /// sbin directories (`knotd` and `ip` live there, and a test runner's `PATH` may leave them out).
    public static func which(_ name: String) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories = path.split(separator: ":").map(String.init) + ["/usr/local/sbin", "/usr/sbin", "/sbin"]
        for directory in directories {
            let candidate = directory + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs a program to completion within `timeout` (it is killed after) and returns its status and everything it
    /// printed on stdout and stderr.
    public static func run(
        _ executable: String, _ arguments: [String], timeout: Duration = .seconds(20)
    ) throws -> (status: Int32, output: String) {
        let child = try ChildProcess(executable, arguments)
        let deadline = ContinuousClock.now + timeout
        while child.isRunning, ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.01)
        }
        let status = child.stop(grace: .seconds(2))
        // The pipe delivers its last bytes after the exit; a grandchild holding it open must not hang the test.
        let drainDeadline = ContinuousClock.now + .seconds(2)
        while !child.drained.isReached, ContinuousClock.now < drainDeadline {
            Thread.sleep(forTimeInterval: 0.005)
        }
        return (status, child.printed)
    }
}

/// Whether a pipe's reader has seen end of file; shared between the reader's thread and the test's.
private final class EndOfFile: Sendable {
    private let reached = Mutex(false)

    var isReached: Bool { reached.withLock { $0 } }

    func reach() {
        reached.withLock { $0 = true }
    }
}

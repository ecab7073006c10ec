import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The real `cluster-dns` binary started by a test, on an ephemeral loopback port, and stopped by it.
public final class ServerProcess: Sendable {
    public enum LaunchError: Error, CustomStringConvertible {
        case binaryMissing(String)
        case noListeningLine(String)

        public var description: String {
            switch self {
            case .binaryMissing(let path): "no cluster-dns binary at \(path): build it first (scripts/test does)"
            case .noListeningLine(let output): "the server did not say where it listens; it printed:\n\(output)"
            }
        }
    }

    private let process: Process
    private let output = OutputBuffer()
    public let port: UInt16

    /// The binary next to the test bundle: `swift build --build-tests` puts both in the same folder.
    public static var binaryPath: String {
        let bundle = Bundle.main.bundleURL
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [
            bundle, bundle.deletingLastPathComponent(), executable, executable.deletingLastPathComponent(),
        ] {
            let path = candidate.appendingPathComponent("cluster-dns").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return bundle.appendingPathComponent("cluster-dns").path
    }

    /// Runs the binary with `arguments` (add `--listen 127.0.0.1:0`) and waits until it says where it listens. The
    /// HTTP endpoints go to ephemeral loopback ports unless `arguments` names them.
    public init(arguments: [String], timeout: Duration = .seconds(30)) throws {
        var arguments = arguments
        for flag in ["--health", "--ready", "--metrics"] where !arguments.contains(flag) {
            arguments += [flag, "127.0.0.1:0"]
        }
        if !arguments.contains("--lameduck") {
            arguments += ["--lameduck", "0s"]
        }
        // Hermetic: never the machine's resolv.conf. Nothing answers on the discard port, so a forwarded name gets
        // SERVFAIL and no packet leaves loopback.
        if !arguments.contains("--upstream"), !arguments.contains("--resolv-conf") {
            arguments += ["--upstream", "127.0.0.1:9"]
        }
        let path = ServerProcess.binaryPath
        guard FileManager.default.isExecutableFile(atPath: path) else { throw LaunchError.binaryMissing(path) }
        process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = pipe
        let output = self.output
        pipe.fileHandleForReading.readabilityHandler = { [output] handle in
            let data = handle.availableData
            guard !data.isEmpty else {
                handle.readabilityHandler = nil
                return
            }
            output.append(String(decoding: data, as: UTF8.self))
        }
        try process.run()
        let deadline = ContinuousClock.now + timeout
        var found: UInt16?
        while found == nil, ContinuousClock.now < deadline, process.isRunning {
            found = ServerProcess.listeningPort(in: output.text)
            if found == nil { Thread.sleep(forTimeInterval: 0.02) }
        }
        guard let found else {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            throw LaunchError.noListeningLine(output.text)
        }
        port = found
    }

    deinit {
        stop()
    }

    /// The port of `/health`, `/ready` or `/metrics`, from the server's "serving /NAME on http://ADDR:PORT" line.
    public func httpPort(_ endpoint: String) -> UInt16? {
        let marker = "serving /\(endpoint) on http://"
        guard let range = printed.range(of: marker) else { return nil }
        let rest = printed[range.upperBound...].prefix(while: { $0 != " " && $0 != "\n" })
        guard let colon = rest.lastIndex(of: ":") else { return nil }
        return UInt16(rest[rest.index(after: colon)...])
    }

    /// Everything the server printed so far.
    public var printed: String { output.text }

    /// Sends `signal` (SIGHUP, say) and returns at once.
    public func send(signal: Int32) {
        if process.isRunning { kill(process.processIdentifier, signal) }
    }

    /// Sends SIGTERM and returns at once.
    public func sendTerminate() {
        if process.isRunning { process.terminate() }
    }

    public var isRunning: Bool { process.isRunning }

    /// Waits for the process to exit by itself; its status, or `nil` if it is still running after `timeout`.
    public func waitForExit(timeout: Duration) -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.01)
        }
        guard !process.isRunning else { return nil }
        process.waitUntilExit()
        Thread.sleep(forTimeInterval: 0.05)
        return process.terminationStatus
    }

    /// Sends SIGTERM and returns the exit status.
    @discardableResult
    public func stop() -> Int32 {
        if process.isRunning { process.terminate() }
        // A server that ignores SIGTERM fails the test, but must not hang it or outlive it.
        let deadline = ContinuousClock.now + .seconds(10)
        while process.isRunning, ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.01)
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return -1
        }
        process.waitUntilExit()
        // Let the pipe deliver the last lines.
        Thread.sleep(forTimeInterval: 0.05)
        return process.terminationStatus
    }

    static func listeningPort(in text: String) -> UInt16? {
        guard let range = text.range(of: "listening on ") else { return nil }
        let rest = text[range.upperBound...].prefix(while: { $0 != " " && $0 != "\n" })
        guard let colon = rest.lastIndex(of: ":") else { return nil }
        return UInt16(rest[rest.index(after: colon)...])
    }

    /// Runs the binary to completion (for `--help` and argument errors) and returns its status and output.
    public static func runToCompletion(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let path = binaryPath
        guard FileManager.default.isExecutableFile(atPath: path) else { throw LaunchError.binaryMissing(path) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// What a child process printed, filled from the pipe's reader thread.
final class OutputBuffer: Sendable {
    private let storage = Mutex("")

    var text: String { storage.withLock { $0 } }

    func append(_ more: String) {
        storage.withLock { $0 += more }
    }
}

/// Runs a command (such as `dig`) with a bounded time and returns its standard output.
public func runCommand(_ executable: String, _ arguments: [String], timeout: Duration = .seconds(20)) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [executable] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = Pipe()
    try process.run()
    let timer = DispatchSource.makeTimerSource()
    timer.schedule(deadline: .now() + .milliseconds(Int(timeout.components.seconds * 1000)))
    timer.setEventHandler { if process.isRunning { process.terminate() } }
    timer.resume()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    timer.cancel()
    return String(decoding: data, as: UTF8.self)
}

import DNSWire
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Knot DNS (`knotd`) as a real upstream for end-to-end tests. It is authoritative only and never recurses, so
/// nothing it is asked leaves loopback. Its configuration, zone file, database and rundir all live in one temporary
/// directory; `stop()` (or deinit) ends the process and removes the directory.
public final class KnotServer: Sendable {
    public enum LaunchError: Error, CustomStringConvertible {
        case notAnswering(port: UInt16, log: String)

        public var description: String {
            switch self {
            case .notAnswering(let port, let log): "knotd did not answer on 127.0.0.1:\(port); it printed:\n\(log)"
            }
        }
    }

    /// Tries with fresh ports when another process took the chosen one between the probe bind and knotd's bind.
    static let portAttempts = 5

    public let port: UInt16
    public let directory: TemporaryDirectory
    private let process: ChildProcess

    /// Whether `knotd` is installed (`scripts/ensure-deps --test` installs the `knot` package).
    public static var isInstalled: Bool { ChildProcess.which("knotd") != nil }

    /// Starts knotd serving `zone` (zone file text, with `$ORIGIN`) as `origin` on 127.0.0.1:`port`, or on an unused
    /// ephemeral port when `port` is nil, and returns once `ready(port)` is true. `launcher` prefixes the command
    /// (`ip netns exec NAME`). The default `ready` asks for the origin's SOA and wants an authoritative answer.
    public init(
        origin: String, zone: String, port: UInt16? = nil, launcher: [String] = [], timeout: Duration = .seconds(20),
        ready: ((UInt16) -> Bool)? = nil
    ) throws {
        let directory = try TemporaryDirectory(prefix: "knot")
        let zoneFile = try directory.write("zone.txt", zone)
        let ready =
            ready ?? { port in
                let client = DNSClient(port: port, timeout: .milliseconds(500))
                guard let reply = try? client.query(origin, .soa, edns: nil) else { return false }
                return reply.header.isAuthoritative && reply.answers.contains { $0.type == .soa }
            }
        var attempt = 0
        while true {
            attempt += 1
            let chosen = try port ?? KnotServer.unusedLoopbackPort()
            let config = try directory.write(
                "knot.conf",
                KnotServer.configuration(directory: directory.path, port: chosen, origin: origin, zoneFile: zoneFile))
            let command = launcher + ["knotd", "-c", config]
            let process: ChildProcess
            do {
                process = try ChildProcess(command[0], Array(command.dropFirst()))
            } catch {
                directory.remove()
                throw error
            }
            let deadline = ContinuousClock.now + timeout
            var answering = false
            while !answering, process.isRunning, ContinuousClock.now < deadline {
                answering = ready(chosen)
                if !answering { Thread.sleep(forTimeInterval: 0.05) }
            }
            if answering {
                self.port = chosen
                self.directory = directory
                self.process = process
                return
            }
            process.stop()
            let log = process.printed
            if port == nil, attempt < KnotServer.portAttempts, log.contains("address already in use") { continue }
            directory.remove()
            throw LaunchError.notAnswering(port: chosen, log: log)
        }
    }

    deinit {
        stop()
    }

    /// What knotd printed so far.
    public var printed: String { process.printed }

    public func stop() {
        process.stop()
        directory.remove()
    }

    /// One UDP worker is plenty for a test; the log goes to stderr so a failing test can show it.
    static func configuration(directory: String, port: UInt16, origin: String, zoneFile: String) -> String {
        """
        server:
            rundir: "\(directory)"
            listen: 127.0.0.1@\(port)
            udp-workers: 1
            tcp-workers: 1
            background-workers: 1
        database:
            storage: "\(directory)/db"
        log:
          - target: stderr
            any: info
        template:
          - id: default
            storage: "\(directory)"
            journal-content: none
            zonefile-sync: -1
        zone:
          - domain: \(origin)
            file: "\(zoneFile)"

        """
    }

    /// A port the kernel hands out for 127.0.0.1 and that is free for both UDP and TCP at this moment (knotd binds
    /// both).
    static func unusedLoopbackPort() throws -> UInt16 {
        for _ in 0..<10 {
            let udp = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            let tcp = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer {
                close(udp)
                close(tcp)
            }
            guard udp >= 0, tcp >= 0 else { throw DNSClient.ClientError.socket("socket", errno) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                    bind(udp, raw, length) == 0 && getsockname(udp, raw, &length) == 0 && bind(tcp, raw, length) == 0
                }
            }
            if bound { return UInt16(bigEndian: address.sin_port) }
        }
        throw DNSClient.ClientError.socket("bind", errno)
    }
}

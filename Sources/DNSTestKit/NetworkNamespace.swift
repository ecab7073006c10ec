import Foundation

/// A Linux network namespace of its own (`ip netns add`), with only `lo`, up: what a pod has before its CNI adds an
/// interface. Programs run inside through `launcher` (`ip netns exec NAME`), which also bind-mounts
/// `/etc/netns/NAME/resolv.conf` over `/etc/resolv.conf` for them. `remove()` deletes the namespace and that folder;
/// the caller stops the programs it started inside first.
public struct NetworkNamespace: Sendable {
    public enum SetupError: Error, CustomStringConvertible {
        /// The machine does not let this process make namespaces (no root, no CAP_SYS_ADMIN, a restricted container),
        /// or has no `ip`: the caller skips, saying why.
        case unavailable(String)
        /// The namespace exists or could be made, but setting it up failed: a real failure.
        case failed(String)

        public var description: String {
            switch self {
            case .unavailable(let reason): "network namespaces are unavailable here: \(reason)"
            case .failed(let reason): "network namespace setup failed: \(reason)"
            }
        }
    }

    public let name: String

    /// Creates `PREFIX-<random>` (unique, as tests run in parallel) and brings its loopback up.
    public static func create(prefix: String = "cdns") throws(SetupError) -> NetworkNamespace {
        guard ChildProcess.which("ip") != nil else { throw .unavailable("no ip command (install iproute2)") }
        let name = prefix + "-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        let added: (status: Int32, output: String)
        do {
            added = try ChildProcess.run("ip", ["netns", "add", name], timeout: .seconds(10))
        } catch {
            throw .unavailable("cannot run ip: \(error)")
        }
        guard added.status == 0 else {
            let output = added.output.trimmingCharacters(in: .whitespacesAndNewlines)
            for refusal in ["Permission denied", "Operation not permitted", "Read-only file system"]
            where output.contains(refusal) {
                throw .unavailable("ip netns add \(name): \(output)")
            }
            throw .failed("ip netns add \(name) exited \(added.status): \(output)")
        }
        let namespace = NetworkNamespace(name: name)
        let up = try? namespace.run(["ip", "link", "set", "lo", "up"], timeout: .seconds(10))
        guard let up, up.status == 0 else {
            namespace.remove()
            throw .failed("ip netns exec \(name) ip link set lo up: \(up?.output ?? "could not run")")
        }
        return namespace
    }

    /// The command prefix that runs a program inside the namespace. `ip` execs the program, so its process id is the
    /// program's and signals sent to it reach the program.
    public var launcher: [String] { ["ip", "netns", "exec", name] }

    /// Where `ip netns exec` finds the namespace's own `resolv.conf`.
    public var configurationDirectory: String { "/etc/netns/" + name }

    /// Writes the `resolv.conf` programs inside the namespace see.
    public func writeResolvConf(_ contents: String) throws {
        try FileManager.default.createDirectory(atPath: configurationDirectory, withIntermediateDirectories: true)
        try contents.write(toFile: configurationDirectory + "/resolv.conf", atomically: true, encoding: .utf8)
    }

    /// Runs `arguments` inside the namespace to completion within `timeout`; its status and output.
    public func run(_ arguments: [String], timeout: Duration = .seconds(20)) throws -> (status: Int32, output: String) {
        try ChildProcess.run("ip", Array(launcher.dropFirst()) + arguments, timeout: timeout)
    }

    /// Deletes the namespace and its `/etc/netns` folder; safe to call more than once.
    public func remove() {
        _ = try? ChildProcess.run("ip", ["netns", "del", name], timeout: .seconds(10))
        try? FileManager.default.removeItem(atPath: configurationDirectory)
    }
}

import DNSTestKit
import Foundation
import Glibc
import Testing

/// The `cluster-dns` binary as a user runs it: flags, errors, signals, and `dig` against it.
@Suite(.timeLimit(.minutes(2)))
struct CommandLineTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    @Test func helpExplainsEveryFlag() throws {
        let (status, output) = try ServerProcess.runToCompletion(["--help"])
        #expect(status == 0)
        for flag in [
            "--zones", "--listen", "--domain", "--ttl", "--threads", "--pods", "--log-level", "--tcp-idle-timeout",
            "--health", "--ready", "--metrics",
        ] {
            #expect(output.contains(flag), "\(flag) missing from --help")
        }
    }

    @Test(arguments: [
        (["--bogus"], "--bogus"),
        (["--zones", "/nonexistent-zones-dir"], "does not exist"),
        (["--listen", "256.1.1.1:53"], "--listen 256.1.1.1:53"),
        (["--listen", "127.0.0.1:99999"], "--listen 127.0.0.1:99999"),
        (["--pods", "sometimes"], "--pods sometimes"),
        (["--domain", "bad..name"], "--domain bad..name"),
        (["--tcp-idle-timeout", "5 minutes"], "not a duration"),
        (["--log-level", "loud"], "--log-level loud"),
        (["--metrics", "localhost:9153"], "--metrics localhost:9153"),
    ])
    func aWrongFlagEndsWithOneClearSentence(arguments: [String], mentions: String) throws {
        let (status, output) = try ServerProcess.runToCompletion(
            ["--zones", Self.repositoryRoot + "/zones"] + arguments)
        #expect(status != 0)
        let firstLine = output.split(separator: "\n").first.map(String.init) ?? ""
        #expect(firstLine.hasPrefix("Error: "), "\(output)")
        #expect(firstLine.contains(mentions), "\(output)")
        #expect(!output.contains("Fatal error"))
        #expect(!output.contains("Stack dump"))
    }

    @Test func aPortInUseEndsWithOneClearSentence() throws {
        // A socket without SO_REUSEPORT holds the port, so the server cannot share it.
        let holder = try LoopbackSocket(type: Int32(SOCK_DGRAM.rawValue))
        defer { holder.close() }
        let port = holder.port
        let (status, output) = try ServerProcess.runToCompletion([
            "--zones", Self.repositoryRoot + "/zones", "--listen", "127.0.0.1:\(port)", "--threads", "1",
        ])
        #expect(status != 0)
        #expect(output.contains("cannot listen on 127.0.0.1:\(port)"), "\(output)")
        #expect(output.split(separator: "\n").filter { $0.contains("cluster-dns:") && !$0.contains("info") }.count <= 1)
    }

    @Test func servesTheBundledZonesToDigAndStopsCleanlyOnSIGTERM() throws {
        let server = try ServerProcess(arguments: [
            "--zones", Self.repositoryRoot + "/zones", "--listen", "127.0.0.1:0", "--threads", "2",
        ])
        let port = String(server.port)
        func dig(_ arguments: [String]) throws -> String {
            try runCommand("dig", ["@127.0.0.1", "-p", port, "+time=2", "+tries=1"] + arguments)
        }
        let web = try dig(["web.default.svc.cluster.local", "+noall", "+answer"])
        #expect(web.contains("10.244.1.10"), "\(web)")
        #expect(web.contains("10.244.1.11"))
        #expect(web.contains("10.244.1.12"))
        let srv = try dig([
            "_http-port._tcp.sample-clusterip.default.svc.cluster.local", "SRV", "+tcp", "+noall", "+answer",
        ])
        #expect(
            srv.contains("SRV\t0 100 8080 sample-clusterip.default.svc.cluster.local.")
                || srv.contains("SRV 0 100 8080 sample-clusterip.default.svc.cluster.local."), "\(srv)")
        let nx = try dig(["missing.default.svc.cluster.local"])
        #expect(nx.contains("status: NXDOMAIN"), "\(nx)")
        #expect(nx.contains("flags: qr aa rd"), "\(nx)")
        let ptr = try dig(["-x", "10.96.0.20", "+short"])
        #expect(ptr == "sample-clusterip.default.svc.cluster.local.\n", "\(ptr)")
        let healthPort = try #require(server.httpPort("health"))
        #expect(try httpGet(port: healthPort, path: "/health").body == "OK")
        let metricsPort = try #require(server.httpPort("metrics"))
        #expect(try httpGet(port: metricsPort, path: "/metrics").body.contains("coredns_dns_responses_total"))
        #expect(server.stop() == 0)
        #expect(server.printed.contains("stopped"), "\(server.printed)")
    }

    /// Each line of the README's `dig` examples, replayed against the bundled zones.
    @Test func readmeExamplesAnswerExactlyAsShown() throws {
        let readme = try String(contentsOfFile: Self.repositoryRoot + "/README.md", encoding: .utf8)
        let server = try ServerProcess(arguments: [
            "--zones", Self.repositoryRoot + "/zones", "--listen", "127.0.0.1:0",
        ])
        defer { server.stop() }
        var examples: [(command: String, expected: String)] = []
        var current: (command: String, expected: String)?
        for line in readme.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("$ dig ") {
                if let current { examples.append(current) }
                current = (String(line.dropFirst(2)), "")
            } else if line.hasPrefix("```") || line.isEmpty {
                if let finished = current { examples.append(finished) }
                current = nil
            } else if current != nil {
                current!.expected += line + "\n"
            }
        }
        #expect(examples.count >= 5)
        for example in examples {
            let command = example.command.replacingOccurrences(
                of: "-p 1053", with: "-p \(server.port) +time=2 +tries=1")
            let output = try runCommand("bash", ["-c", command])
            #expect(output == example.expected, "\(example.command)")
        }
    }
}

/// SIGTERM starts the lame-duck period: `/health` fails, answers go on, then the process exits 0.
@Suite(.timeLimit(.minutes(1)))
struct LameDuckTests {
    @Test func sigtermFailsHealthKeepsAnsweringThenExitsZero() throws {
        let server = try ServerProcess(arguments: [
            "--zones", CommandLineTests.repositoryRoot + "/zones", "--listen", "127.0.0.1:0", "--threads", "1",
            "--lameduck", "2s",
        ])
        let healthPort = try #require(server.httpPort("health"))
        #expect(try httpGet(port: healthPort, path: "/health").status == 200)
        server.sendTerminate()
        var health = 0
        let deadline = ContinuousClock.now + .seconds(2)
        while ContinuousClock.now < deadline {
            health = (try? httpGet(port: healthPort, path: "/health").status) ?? 0
            if health == 503 { break }
            Thread.sleep(forTimeInterval: 0.02)
        }
        #expect(health == 503)
        let reply = try DNSClient(port: server.port).query("web.default.svc.cluster.local", .a)
        #expect(reply.answers.count == 3)
        #expect(server.isRunning)
        #expect(server.waitForExit(timeout: .seconds(10)) == 0)
        #expect(server.printed.contains("lame-duck period over"), "\(server.printed)")
    }
}

/// `--config FILE` holds flag settings; the command line wins; SIGHUP re-reads it, and an invalid one is refused.
@Suite(.timeLimit(.minutes(1)))
struct ConfigFileTests {
    @Test func configFileSettingsApplyAndSIGHUPReloadsThem() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try directory.write(
            "cluster-dns.yaml", "ttl: 42\ndomain: [cluster.local, corp.local]\nthreads: 1\nlisten: [\"127.0.0.1:1\"]\n")
        let server = try ServerProcess(arguments: [
            "--config", config, "--zones", CommandLineTests.repositoryRoot + "/zones", "--listen", "127.0.0.1:0",
        ])
        defer { server.stop() }
        let client = DNSClient(port: server.port)
        // The file's TTL and second domain apply; its listen address is replaced by the command line's.
        let corp = try client.query("sample-clusterip.default.svc.corp.local", .a)
        #expect(corp.answers.map(\.ttl) == [42])

        try directory.write("cluster-dns.yaml", "ttl: 7\n")
        server.send(signal: SIGHUP)
        var ttl: UInt32?
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            ttl = try client.query("sample-clusterip.default.svc.cluster.local", .a).answers.first?.ttl
            if ttl == 7 { break }
            Thread.sleep(forTimeInterval: 0.02)
        }
        #expect(ttl == 7)
        // corp.local was dropped from the configuration.
        #expect(try client.query("sample-clusterip.default.svc.corp.local", .a).responseCode == .servFail)

        try directory.write("cluster-dns.yaml", "ttl: many\n")
        server.send(signal: SIGHUP)
        let deadlineInvalid = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadlineInvalid, !server.printed.contains("configuration is invalid") {
            Thread.sleep(forTimeInterval: 0.02)
        }
        #expect(server.printed.contains("configuration is invalid, keeping the running one"), "\(server.printed)")
        #expect(try client.query("sample-clusterip.default.svc.cluster.local", .a).answers.first?.ttl == 7)
        #expect(server.isRunning)
    }

    @Test func aBrokenConfigFileAtStartIsOneClearError() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try directory.write("bad.yaml", "- just\n- a list\n")
        let (status, output) = try ServerProcess.runToCompletion(["--config", config])
        #expect(status != 0)
        #expect(output.hasPrefix("Error: --config \(config): must be a mapping"), "\(output)")
    }
}

/// `--log-queries`: one line per answered query, in CoreDNS's log plugin format.
@Suite(.timeLimit(.minutes(1)))
struct QueryLogTests {
    @Test func eachAnsweredQueryIsOneLineInCoreDNSFormat() throws {
        let server = try ServerProcess(arguments: [
            "--zones", CommandLineTests.repositoryRoot + "/zones", "--listen", "127.0.0.1:0", "--log-queries",
        ])
        defer { server.stop() }
        let reply = try DNSClient(port: server.port).query("web.default.svc.cluster.local", .a)
        let pattern = "\(reply.header.id) \"A IN web.default.svc.cluster.local. udp "
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline, !server.printed.contains(pattern) {
            Thread.sleep(forTimeInterval: 0.02)
        }
        let line = server.printed.split(separator: "\n").first { $0.contains(pattern) }.map(String.init) ?? ""
        #expect(line.contains("127.0.0.1:"), "\(server.printed)")
        #expect(line.contains(" false 1232\" NOERROR qr,aa,rd "), "\(line)")
        #expect(line.hasSuffix("s"))
    }

    @Test func forwardedAnswersAreLoggedWhenTheyLeave() throws {
        let server = try ServerProcess(arguments: [
            "--zones", CommandLineTests.repositoryRoot + "/zones", "--listen", "127.0.0.1:0", "--log-queries",
            "--forward-budget", "300ms", "--upstream-timeout", "100ms",
        ])
        defer { server.stop() }
        // The hermetic upstream (the discard port) never answers: SERVFAIL once the budget is spent.
        let reply = try DNSClient(port: server.port).query("outside.example.com", .a)
        #expect(reply.responseCode == .servFail)
        let pattern = "\(reply.header.id) \"A IN outside.example.com. udp "
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline, !server.printed.contains(pattern) {
            Thread.sleep(forTimeInterval: 0.02)
        }
        let line = server.printed.split(separator: "\n").first { $0.contains(pattern) }.map(String.init) ?? ""
        #expect(line.contains("\" SERVFAIL qr,rd,ra "), "\(server.printed)")
    }
}

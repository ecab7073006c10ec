import DNSAnswer
import DNSEventLoop
import DNSServer
import DNSTestKit
import Foundation
import Testing

/// A real `Server` on an ephemeral loopback port over a temporary zones directory; `stop()` ends it.
final class RunningServer {
    let zones: TemporaryDirectory
    let server: Server
    let logs = LogCapture()
    let port: UInt16

    init(
        files: [String: String], listen: String = "127.0.0.1:0", threads: Int = 2,
        answers: AnswerConfiguration = AnswerConfiguration(), tcpIdleTimeout: Duration = .seconds(10),
        forwarding: ForwardConfiguration? = nil, kubernetes: KubernetesConfiguration? = nil, readsZones: Bool = true
    ) throws {
        zones = try TemporaryDirectory()
        for (name, contents) in files {
            try zones.write(name, contents)
        }
        var configuration = ServerConfiguration(
            zonesDirectory: readsZones ? zones.path : nil, listenAddresses: [try SocketAddress(listen)],
            answers: answers,
            threads: threads, tcpIdleTimeout: tcpIdleTimeout, reloadDelay: .milliseconds(50),
            healthAddress: try SocketAddress("127.0.0.1:0"), readyAddress: try SocketAddress("127.0.0.1:0"),
            metricsAddress: try SocketAddress("127.0.0.1:0"), forwarding: forwarding)
        configuration.kubernetes = kubernetes
        server = Server(configuration: configuration, logger: logs.logger)
        do {
            try server.start()
        } catch {
            zones.remove()
            throw error
        }
        port = server.boundAddresses[0].port
    }

    func client(host: String = "127.0.0.1") -> DNSClient {
        DNSClient(host: host, port: port)
    }

    func get(_ endpoint: OperationalEndpoint, path: String? = nil) throws -> HTTPGetResult {
        let address = try #require(server.address(of: endpoint))
        return try httpGet(port: address.port, path: path ?? "/" + endpoint.rawValue)
    }

    func stop() {
        server.stop()
        zones.remove()
    }

    deinit {
        stop()
    }

    /// Re-asks until `condition` holds or `timeout` passes; for changes the server picks up asynchronously.
    func eventually(timeout: Duration = .seconds(10), _ condition: () throws -> Bool) rethrows -> Bool {
        try DNSTestKit.eventually(timeout: timeout, pollingEvery: .milliseconds(20), condition)
    }
}

enum ExampleManifests {
    static let web = """
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: default}
        spec:
          clusterIP: None
          ports: [{name: http, port: 80}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: web-1
          namespace: default
          labels: {kubernetes.io/service-name: web}
        addressType: IPv4
        ports: [{name: http, port: 80, protocol: TCP}]
        endpoints:
        - {addresses: [10.244.1.10], hostname: web-0}
        - {addresses: [10.244.1.11], hostname: web-1}
        """

    static let api = """
        apiVersion: v1
        kind: Service
        metadata: {name: api, namespace: prod}
        spec:
          clusterIP: 10.96.7.7
          ports: [{name: grpc, port: 9090}]
        """

    /// A headless service with `count` endpoints: large enough to need TCP.
    static func many(_ count: Int) -> String {
        var text = """
            apiVersion: v1
            kind: Service
            metadata: {name: many, namespace: default}
            spec: {clusterIP: None}
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata:
              name: many-1
              namespace: default
              labels: {kubernetes.io/service-name: many}
            addressType: IPv4
            endpoints:

            """
        for index in 0..<count {
            text += "- {addresses: [10.250.\(index / 200).\(index % 200 + 1)]}\n"
        }
        return text
    }
}

import DNSAnswer
import DNSRegistry
import DNSWire

/// A small cluster written as the manifests a person would apply, and a way to ask it questions in-process through
/// the real `Responder`.
enum AnswerFixture {
    static let manifests = """
        apiVersion: v1
        kind: Service
        metadata: {name: sample-clusterip, namespace: default}
        spec:
          clusterIP: 10.96.0.20
          ports:
          - {name: http-port, port: 8080, targetPort: 80, protocol: TCP}
          - {name: https-port, port: 8443, targetPort: 443}
          - {port: 9999}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: dual, namespace: default}
        spec:
          clusterIPs: [10.96.0.50, "fd00:10:96::50"]
          ports: [{name: dns, port: 53, protocol: UDP}]
        ---
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
          name: web-abc
          namespace: default
          labels: {kubernetes.io/service-name: web}
        addressType: IPv4
        ports: [{name: http, port: 8080, protocol: TCP}]
        endpoints:
        - {addresses: [10.244.1.10], hostname: web-0, conditions: {ready: true}}
        - {addresses: [10.244.1.11], hostname: web-1}
        - {addresses: [10.244.1.12], conditions: {ready: true}}
        - {addresses: [10.244.1.13], hostname: web-3, conditions: {ready: false, terminating: true}}
        - {addresses: [10.244.1.14], hostname: web-4, conditions: {ready: false}}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: idle, namespace: default}
        spec: {clusterIP: None}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: idle-abc
          namespace: default
          labels: {kubernetes.io/service-name: idle}
        addressType: IPv4
        endpoints:
        - {addresses: [10.244.3.1], conditions: {ready: false}}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: early, namespace: default}
        spec: {clusterIP: None, publishNotReadyAddresses: true}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: early-abc
          namespace: default
          labels: {kubernetes.io/service-name: early}
        addressType: IPv4
        endpoints:
        - {addresses: [10.244.4.1], conditions: {ready: false}}
        - {addresses: [10.244.4.2], conditions: {ready: false, terminating: true}}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: external-db, namespace: default}
        spec: {type: ExternalName, externalName: db.example.com}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: alias, namespace: default}
        spec: {type: ExternalName, externalName: sample-clusterip.default.svc.cluster.local}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: loop-a, namespace: default}
        spec: {type: ExternalName, externalName: loop-b.default.svc.cluster.local}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: loop-b, namespace: default}
        spec: {type: ExternalName, externalName: loop-a.default.svc.cluster.local}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: kube-dns, namespace: kube-system}
        spec:
          clusterIP: 10.96.0.10
          ports: [{name: dns, port: 53, protocol: UDP}, {name: dns-tcp, port: 53, protocol: TCP}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: web-0, namespace: default}
        status: {podIP: 10.244.1.10}
        ---
        apiVersion: v1
        kind: Namespace
        metadata: {name: empty}
        """

    /// A headless service with `count` ready endpoints, for truncation.
    static func bigHeadless(count: Int) -> String {
        var text = """
            apiVersion: v1
            kind: Service
            metadata: {name: big, namespace: default}
            spec: {clusterIP: None}
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata:
              name: big-abc
              namespace: default
              labels: {kubernetes.io/service-name: big}
            addressType: IPv4
            endpoints:

            """
        for index in 0..<count {
            text += "- {addresses: [10.245.\(index / 250).\(index % 250 + 1)]}\n"
        }
        return text
    }

    static func snapshot(_ text: String = manifests) throws -> RegistrySnapshot {
        RegistrySnapshot(objects: try ManifestParser.parse(text, path: "fixture.yaml"))
    }

    static func table(
        _ text: String = manifests, configuration: AnswerConfiguration = AnswerConfiguration(), serial: UInt32 = 42
    ) throws -> AnswerTable {
        AnswerTable.build(from: try snapshot(text), configuration: configuration, serial: serial)
    }
}

/// Runs queries through a `Responder` the way a worker does, and decodes the replies.
struct Asker {
    let responder: Responder
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65535, alignment: 8)

    init(table: AnswerTable?, zones: [Name] = ["cluster.local."]) {
        responder = Responder(zones: zones, table: table)
    }

    func raw(_ bytes: [UInt8], transport: ResponseTransport = .udp) -> [UInt8] {
        let length = bytes.withUnsafeBytes { responder.respond(to: $0, into: buffer, transport: transport) }
        return Array(buffer[0..<length])
    }

    func ask(
        _ name: String, _ type: RecordType, edns: UInt16? = 1232, transport: ResponseTransport = .udp,
        id: UInt16 = 0x1234
    ) throws -> Message {
        let query = Message.query(
            id: id, name: try Name(name), type: type, recursionDesired: true,
            edns: edns.map {
                EDNS(udpPayloadSize: $0, extendedResponseCode: 0, version: 0, dnssecOK: false, options: [])
            })
        return try Message(decoding: raw(query.encoded(), transport: transport))
    }
}

func records(_ lines: [String]) throws -> Set<ResourceRecord> {
    Set(try lines.map { try ResourceRecord(presentation: $0) })
}

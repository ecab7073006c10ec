import DNSAnswer
import DNSRegistry
import DNSWire

/// A realistic small cluster: ClusterIP services with named ports, a headless service with endpoints (hostnames and
/// not), one big enough to truncate a UDP reply, ExternalName aliases, pods.
enum AllocationFixture {
    static let manifests = """
        apiVersion: v1
        kind: Service
        metadata: {name: sample-clusterip, namespace: default}
        spec:
          clusterIP: 10.96.0.20
          ports:
          - {name: http-port, port: 8080, targetPort: 80, protocol: TCP}
          - {name: https-port, port: 8443, targetPort: 443}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: kube-dns, namespace: kube-system}
        spec:
          clusterIP: 10.96.0.10
          ports: [{name: dns, port: 53, protocol: UDP}, {name: dns-tcp, port: 53, protocol: TCP}]
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
        kind: Pod
        metadata: {name: web-0, namespace: default}
        status: {podIP: 10.244.1.10}
        ---
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

        """ + (1...60).map { "- {addresses: [10.245.0.\($0)]}\n" }.joined()

    static func table() throws -> AnswerTable {
        let snapshot = RegistrySnapshot(objects: try ManifestParser.parse(manifests, path: "allocation.yaml"))
        return AnswerTable.build(
            from: snapshot, configuration: AnswerConfiguration(podMode: .insecure), serial: 7)
    }
}

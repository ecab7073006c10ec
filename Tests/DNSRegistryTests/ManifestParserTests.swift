import DNSRegistry
import DNSWire
import Testing

/// What each kind and field of a manifest becomes.
struct ManifestParserTests {
    private func parse(_ text: String) throws -> [RegistryObject] {
        try ManifestParser.parse(text, path: "test.yaml")
    }

    private func onlyService(_ text: String) throws -> Service {
        let objects = try parse(text)
        guard objects.count == 1, case .service(let service) = objects[0] else {
            Issue.record("expected one Service, got \(objects)")
            throw CancellationError()
        }
        return service
    }

    private func slices(_ text: String) throws -> [EndpointSlice] {
        try parse(text).compactMap {
            if case .endpointSlice(let slice) = $0 { slice } else { nil }
        }
    }

    @Test func clusterIPServiceWithNamedPorts() throws {
        let service = try onlyService(
            """
            apiVersion: v1
            kind: Service
            metadata:
              name: sample-clusterip
              namespace: apps
            spec:
              type: ClusterIP
              clusterIP: 10.96.0.20
              sessionAffinity: None
              ports:
                - name: http-port
                  port: 8080
                  targetPort: 80
                - name: dns
                  protocol: UDP
                  port: 53
                - protocol: SCTP
                  port: 9999
            """)
        #expect(service.namespace == "apps")
        #expect(service.name == "sample-clusterip")
        #expect(service.kind == .clusterIP([IPAddress("10.96.0.20")!]))
        #expect(
            service.ports == [
                ServicePort(name: "http-port", transportProtocol: .tcp, port: 8080),
                ServicePort(name: "dns", transportProtocol: .udp, port: 53),
                ServicePort(name: nil, transportProtocol: .sctp, port: 9999),
            ])
        #expect(service.publishNotReadyAddresses == false)
    }

    @Test(arguments: ["NodePort", "LoadBalancer", "ClusterIP"])
    func serviceTypesWithAClusterIP(type: String) throws {
        let service = try onlyService(
            """
            apiVersion: v1
            kind: Service
            metadata: {name: sample}
            spec:
              type: \(type)
              clusterIP: 10.96.0.30
              externalTrafficPolicy: Local
              sessionAffinity: ClientIP
              ports: [{name: http, port: 80, targetPort: 8080, nodePort: 30080}]
            """)
        #expect(service.kind == .clusterIP([IPAddress("10.96.0.30")!]))
        #expect(service.ports == [ServicePort(name: "http", port: 80)])
    }

    @Test func serviceWithoutTypeOrIPIsClusterIPWithNoAddress() throws {
        let service = try onlyService("apiVersion: v1\nkind: Service\nmetadata: {name: plain}\nspec: {}\n")
        #expect(service.kind == .clusterIP([]))
        #expect(service.ports.isEmpty)
    }

    @Test func dualStackClusterIPsWinOverClusterIP() throws {
        let service = try onlyService(
            """
            apiVersion: v1
            kind: Service
            metadata: {name: dual}
            spec:
              ipFamilyPolicy: RequireDualStack
              ipFamilies: [IPv4, IPv6]
              clusterIP: 10.96.0.99
              clusterIPs: [10.96.0.50, "fd00:10:96::50"]
            """)
        #expect(service.kind == .clusterIP([IPAddress("10.96.0.50")!, IPAddress("fd00:10:96::50")!]))
    }

    @Test(arguments: ["clusterIP: None", "clusterIPs: [None]", "clusterIP: None\n  clusterIPs: [None]"])
    func headlessService(spec: String) throws {
        let service = try onlyService(
            """
            apiVersion: v1
            kind: Service
            metadata: {name: web}
            spec:
              \(spec)
              publishNotReadyAddresses: true
              ports: [{name: http, port: 80}]
            """)
        #expect(service.kind == .headless)
        #expect(service.isHeadless)
        #expect(service.publishNotReadyAddresses)
    }

    @Test(arguments: ["db.example.com", "db.example.com."])
    func externalNameService(target: String) throws {
        let service = try onlyService(
            """
            kind: Service
            apiVersion: v1
            metadata: {name: external-db, namespace: default}
            spec: {type: ExternalName, externalName: "\(target)"}
            """)
        #expect(service.kind == .externalName("db.example.com."))
    }

    @Test(arguments: [
        "metadata: {name: lonely}", "metadata: {name: lonely, namespace: \"\"}",
        "metadata:\n  name: lonely\n  namespace:",
    ])
    func objectWithoutNamespaceIsInDefault(metadata: String) throws {
        let objects = try parse("apiVersion: v1\nkind: Pod\n\(metadata)\n")
        #expect(objects == [.pod(Pod(namespace: "default", name: "lonely", ips: []))])
    }

    @Test func endpointSliceWithEveryField() throws {
        let slices = try slices(
            """
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata:
              name: web-abc12
              namespace: prod
              labels:
                kubernetes.io/service-name: web
                endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io
            addressType: IPv4
            endpoints:
              - addresses: [10.244.1.10]
                conditions: {ready: true, serving: true, terminating: false}
                hostname: web-0
                nodeName: node-a
                zone: zone-a
                targetRef: {kind: Pod, namespace: prod, name: web-0, uid: 0b9e71b8}
              - addresses: [10.244.1.11]
                conditions: {ready: false, serving: true, terminating: true}
              - addresses: [10.244.1.12]
                conditions: {}
              - addresses: [10.244.1.13]
            ports:
              - {name: http, protocol: TCP, port: 8080}
              - {name: "", port: 9090}
              - {name: dns, protocol: UDP, port: 53}
            """)
        #expect(
            slices == [
                EndpointSlice(
                    namespace: "prod", name: "web-abc12", serviceName: "web",
                    endpoints: [
                        Endpoint(
                            addresses: [IPAddress("10.244.1.10")!], ready: true, serving: true, terminating: false,
                            hostname: "web-0"),
                        Endpoint(
                            addresses: [IPAddress("10.244.1.11")!], ready: false, serving: true, terminating: true),
                        Endpoint(addresses: [IPAddress("10.244.1.12")!]),
                        Endpoint(addresses: [IPAddress("10.244.1.13")!]),
                    ],
                    ports: [
                        EndpointPort(name: "http", transportProtocol: .tcp, port: 8080),
                        EndpointPort(name: nil, transportProtocol: .tcp, port: 9090),
                        EndpointPort(name: "dns", transportProtocol: .udp, port: 53),
                    ])
            ])
    }

    /// discovery.k8s.io/v1: a missing `ready` or `serving` means true, a missing `terminating` false.
    @Test func missingConditionsTakeTheAPIDefaults() throws {
        let slices = try slices(
            """
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: s, labels: {kubernetes.io/service-name: svc}}
            addressType: IPv4
            endpoints:
              - addresses: [10.0.0.1]
                conditions: {ready: false}
              - addresses: [10.0.0.2]
                conditions: {serving: false, terminating: true}
            """)
        let endpoints = try #require(slices.first).endpoints
        #expect(endpoints.map(\.ready) == [false, true])
        #expect(endpoints.map(\.serving) == [true, false])
        #expect(endpoints.map(\.terminating) == [false, true])
    }

    @Test func ipv6EndpointSlice() throws {
        let slices = try slices(
            """
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: dual-ipv6, labels: {kubernetes.io/service-name: dual}}
            addressType: IPv6
            endpoints:
              - addresses: ["fd00:10:244::5:1"]
                hostname: dual-a
            """)
        #expect(slices.first?.endpoints.first?.addresses == [IPAddress("fd00:10:244::5:1")!])
    }

    @Test func fqdnEndpointSliceIsSkipped() throws {
        let objects = try parse(
            """
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: names, labels: {kubernetes.io/service-name: svc}}
            addressType: FQDN
            endpoints:
              - addresses: [db.example.com]
            """)
        #expect(objects.isEmpty)
    }

    @Test func endpointSliceWithoutServiceLabelBelongsToNoService() throws {
        let objects = try parse(
            """
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: orphan}
            addressType: IPv4
            endpoints: [{addresses: [10.0.0.1]}]
            """)
        #expect(objects.isEmpty)
    }

    @Test func endpointsWithoutAddressesAndPortsWithoutNumberAreLeftOut() throws {
        let slices = try slices(
            """
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: s, labels: {kubernetes.io/service-name: svc}}
            addressType: IPv4
            endpoints:
              - addresses: []
              - addresses: [10.0.0.1]
            ports:
              - {name: all}
              - {name: http, port: 80}
            """)
        #expect(slices.first?.endpoints.map(\.addresses) == [[IPAddress("10.0.0.1")!]])
        #expect(slices.first?.ports == [EndpointPort(name: "http", port: 80)])
    }

    @Test func legacyEndpointsBecomeOneSlicePerSubset() throws {
        let slices = try slices(
            """
            apiVersion: v1
            kind: Endpoints
            metadata: {name: legacy, namespace: default}
            subsets:
            - addresses:
              - {ip: 10.244.9.1, hostname: legacy-a, nodeName: node-a, targetRef: {kind: Pod, name: legacy-a}}
              notReadyAddresses:
              - {ip: 10.244.9.2, hostname: legacy-b, nodeName: node-b}
              ports: [{name: api, port: 9000, protocol: TCP}]
            - addresses:
              - ip: 10.244.9.3
              ports: [{name: metrics, port: 9090, protocol: UDP}]
            """)
        #expect(
            slices == [
                EndpointSlice(
                    namespace: "default", name: "legacy", serviceName: "legacy",
                    endpoints: [
                        Endpoint(
                            addresses: [IPAddress("10.244.9.1")!], hostname: "legacy-a"),
                        Endpoint(
                            addresses: [IPAddress("10.244.9.2")!], ready: false, serving: false,
                            hostname: "legacy-b"),
                    ],
                    ports: [EndpointPort(name: "api", port: 9000)], isLegacyEndpoints: true),
                EndpointSlice(
                    namespace: "default", name: "legacy", serviceName: "legacy",
                    endpoints: [Endpoint(addresses: [IPAddress("10.244.9.3")!])],
                    ports: [EndpointPort(name: "metrics", transportProtocol: .udp, port: 9090)],
                    isLegacyEndpoints: true),
            ])
    }

    @Test(arguments: [
        ("podIP: 10.244.1.5", ["10.244.1.5"]),
        ("podIPs: [{ip: 10.244.1.5}, {ip: \"fd00::5\"}]", ["10.244.1.5", "fd00::5"]),
        ("podIP: 10.244.1.9\n  podIPs: [{ip: 10.244.1.5}]", ["10.244.1.5"]),
        ("phase: Pending", []),
        ("podIP: \"\"", []),
    ])
    func podAddresses(status: String, expected: [String]) throws {
        let objects = try parse(
            """
            apiVersion: v1
            kind: Pod
            metadata: {name: web-0, namespace: prod}
            status:
              \(status)
            """)
        let ips = AddressList(expected.map { IPAddress($0)! })
        #expect(objects == [.pod(Pod(namespace: "prod", name: "web-0", ips: ips))])
    }

    @Test func namespaceObject() throws {
        #expect(try parse("apiVersion: v1\nkind: Namespace\nmetadata: {name: prod}\n") == [.namespace("prod")])
    }

    @Test func otherKindsAndGroupsAreIgnored() throws {
        let objects = try parse(
            """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web}
            spec: {replicas: 3}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: settings}
            data: {key: value}
            ---
            apiVersion: serving.knative.dev/v1
            kind: Service
            metadata: {name: NotAKubernetesService}
            ---
            apiVersion: v1
            kind: Node
            metadata: {name: node-a}
            ---
            metadata: {name: no-kind-at-all}
            """)
        #expect(objects.isEmpty)
    }

    @Test func multiDocumentFileKeepsFileOrder() throws {
        let objects = try parse(
            """
            # leading comment
            ---
            apiVersion: v1
            kind: Namespace
            metadata: {name: b}
            ---
            ---
            apiVersion: v1
            kind: Namespace
            metadata: {name: a}
            ...
            """)
        #expect(objects == [.namespace("b"), .namespace("a")])
    }

    @Test func laterDefinitionInOneFileWins() throws {
        let objects = try parse(
            """
            apiVersion: v1
            kind: Service
            metadata: {name: web}
            spec: {clusterIP: 10.96.0.1}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: web}
            spec: {clusterIP: 10.96.0.2}
            """)
        #expect(
            objects == [
                .service(Service(namespace: "default", name: "web", kind: .clusterIP([IPAddress("10.96.0.2")!])))
            ])
    }

    @Test func listOfMixedKinds() throws {
        let objects = try parse(
            """
            apiVersion: v1
            kind: List
            items:
            - apiVersion: v1
              kind: Service
              metadata: {name: web, namespace: prod}
              spec: {clusterIP: None}
            - apiVersion: apps/v1
              kind: Deployment
              metadata: {name: web}
            - apiVersion: v1
              kind: Namespace
              metadata: {name: prod}
            """)
        #expect(objects == [.service(Service(namespace: "prod", name: "web", kind: .headless)), .namespace("prod")])
    }

    /// The API serves typed lists whose items carry neither kind nor apiVersion.
    @Test func typedListItemsTakeTheirKindFromTheList() throws {
        let objects = try parse(
            """
            {"kind": "ServiceList", "apiVersion": "v1", "metadata": {"resourceVersion": "274"},
             "items": [{"metadata": {"name": "web", "namespace": "prod"}, "spec": {"clusterIP": "10.96.0.7"}}]}
            """)
        #expect(
            objects == [.service(Service(namespace: "prod", name: "web", kind: .clusterIP([IPAddress("10.96.0.7")!])))])
    }

    @Test func jsonDocument() throws {
        let objects = try ManifestParser.parse(
            """
            {
            \t"apiVersion": "discovery.k8s.io/v1",
            \t"kind": "EndpointSlice",
            \t"metadata": {"name": "web-1", "labels": {"kubernetes.io/service-name": "web"}},
            \t"addressType": "IPv4",
            \t"endpoints": [{"addresses": ["10.0.0.1"], "conditions": {"ready": true, "terminating": false},
            \t               "hostname": "web-0", "targetRef": {"kind": "Pod", "name": "web-0"}}],
            \t"ports": [{"name": "http", "port": 80, "protocol": "TCP"}]
            }
            """, path: "slice.json")
        #expect(
            objects == [
                .endpointSlice(
                    EndpointSlice(
                        namespace: "default", name: "web-1", serviceName: "web",
                        endpoints: [
                            Endpoint(
                                addresses: [IPAddress("10.0.0.1")!], hostname: "web-0")
                        ],
                        ports: [EndpointPort(name: "http", port: 80)]))
            ])
    }

    @Test func anchorsAndMergeKeysAreFollowed() throws {
        let objects = try parse(
            """
            apiVersion: v1
            kind: Service
            metadata: &meta {name: web, namespace: prod}
            spec:
              ports:
                - &http {name: http, port: 80}
                - <<: *http
                  name: alt
                  port: 8080
            ---
            apiVersion: v1
            kind: Namespace
            metadata:
              <<: {name: prod}
            """)
        #expect(
            objects == [
                .service(
                    Service(
                        namespace: "prod", name: "web", kind: .clusterIP([]),
                        ports: [ServicePort(name: "http", port: 80), ServicePort(name: "alt", port: 8080)])),
                .namespace("prod"),
            ])
    }

    @Test(arguments: ["", "\n\n", "# only a comment\n# and another\n", "---\n", "--- \n...\n", "---\n---\n"])
    func emptyFilesDeclareNothing(text: String) throws {
        #expect(try parse(text).isEmpty)
    }

    @Test(arguments: ["true", "True", "yes", "on"])
    func yamlBooleansAreAccepted(spelling: String) throws {
        let service = try onlyService(
            "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {publishNotReadyAddresses: \(spelling)}\n")
        #expect(service.publishNotReadyAddresses)
    }
}

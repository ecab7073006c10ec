import DNSKubernetes
import DNSRegistry
import DNSTestKit
import Logging
import Testing

@testable import DNSAnswer
@testable import DNSKubernetesClient
@testable import DNSServer

/// The API source feeds `ZoneReloader` only the namespaces its watch events touched; after each event the table must
/// be the one a build from scratch makes from all objects (manifests overlaid with the API's), and the registry's
/// per-namespace view must agree with its whole view.
@Suite(.timeLimit(.minutes(2)))
struct IncrementalAPIReloadTests {
    /// "d" only ever holds its Namespace object.
    static let namespaces = ["default", "kube-system", "a", "b", "c", "d"]

    @Test(arguments: [21, 22, 23] as [UInt64])
    func randomWatchEventsGiveTheTableOfAFullBuild(seed: UInt64) throws {
        let zones = try TemporaryDirectory(prefix: "incremental-api")
        defer { zones.remove() }
        // A manifest that the API overrides in part (the same Service) and extends in part.
        _ = try zones.write(
            "extra.yaml",
            """
            apiVersion: v1
            kind: Service
            metadata: {name: svc0, namespace: a}
            spec: {clusterIP: 10.9.9.9}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: static, namespace: b}
            spec: {type: ExternalName, externalName: svc1.a.svc.cluster.local}
            """)
        var random = SplitMix64(seed: seed)
        let configuration = AnswerConfiguration(zones: ["cluster.local."], ttl: 5)
        let client = try APIClient(
            access: ClusterAccess(server: APIServerURL(isTLS: false, host: "127.0.0.1", port: 9)))
        // Never started: the test plays the watchers.
        let source = KubernetesSource(
            client: client, settings: WatchSettings.forCluster(watchingPods: false), logger: Logger(label: "test")
        ) {}
        let reloader = ZoneReloader(
            path: zones.path, configuration: configuration, kubernetes: source, logger: Logger(label: "test"))
        _ = try source.applyListPage(Self.list("ServiceList", "v1"), of: .services, isFirst: true)
        _ = try source.applyListPage(
            Self.list("EndpointSliceList", "discovery.k8s.io/v1"), of: .endpointSlices, isFirst: true)
        _ = try source.applyListPage(Self.list("NamespaceList", "v1"), of: .namespaces, isFirst: true)

        var builds = 0
        for step in 0..<60 {
            if step > 0 {
                let (line, resource) = Self.event(random: &random)
                _ = source.apply(line: line, of: resource)
            }
            guard let table = try reloader.reload() else { continue }
            builds += 1
            let manifests = try ManifestDirectory(path: zones.path, logger: Logger(label: "test")).scan().snapshot
            let everything = source.current().namespaces.flatMap { $1.objects.objects(namespace: $0) }
            let full = AnswerTable.build(
                from: manifests.overlaid(with: everything), configuration: configuration, serial: table.serial)
            expectSameTable(table, full, step: step)
            // The per-namespace view the reloader used holds exactly the objects of the whole view.
            let byNamespace = source.objects(inNamespaces: Self.namespaces).flatMap {
                $1.objects.objects(namespace: $0)
            }
            #expect(Set(byNamespace) == Set(everything), "step \(step)")
            #expect(byNamespace.count == everything.count, "step \(step)")
        }
        #expect(builds > 10)
    }

    static func list(_ kind: String, _ apiVersion: String) -> [UInt8] {
        Array(#"{"kind":"\#(kind)","apiVersion":"\#(apiVersion)","metadata":{"resourceVersion":"1"},"items":[]}"#.utf8)
    }

    /// An ADDED, MODIFIED or DELETED event for a service or a slice of one of a few names per namespace (ClusterIP,
    /// headless with a slice, or an ExternalName into another namespace), or for a Namespace object.
    static func event(random: inout SplitMix64) -> ([UInt8], WatchedResource) {
        let type = ["ADDED", "MODIFIED", "MODIFIED", "DELETED"][Int(random.next() % 4)]
        if random.next() % 5 == 0 {
            let name = namespaces[Int(random.next() % UInt64(namespaces.count))]
            let object =
                #"{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"\#(name)","resourceVersion":"\#(random.next() % 1000)"}}"#
            return (Array(#"{"type":"\#(type)","object":\#(object)}"#.utf8), .namespaces)
        }
        let namespace = namespaces[Int(random.next() % 5)]
        let name = "svc\(random.next() % 3)"
        let metadata =
            #""metadata":{"name":"\#(name)","namespace":"\#(namespace)","resourceVersion":"\#(random.next() % 1000)"}"#
        if random.next() % 3 == 0 {
            let slice =
                #"{"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"\#(name)-x","namespace":"\#(namespace)","labels":{"kubernetes.io/service-name":"\#(name)"}},"addressType":"IPv4","ports":[{"name":"http","port":8080,"protocol":"TCP"}],"endpoints":[{"addresses":["10.2.0.\#(random.next() % 6)"],"hostname":"h\#(random.next() % 2)"}]}"#
            return (Array(#"{"type":"\#(type)","object":\#(slice)}"#.utf8), .endpointSlices)
        }
        let spec: String
        switch random.next() % 3 {
        case 0: spec = #"{"clusterIP":"10.1.0.\#(random.next() % 6)","ports":[{"name":"http","port":80}]}"#
        case 1:
            let other = namespaces[Int(random.next() % UInt64(namespaces.count))]
            spec = #"{"type":"ExternalName","externalName":"svc\#(random.next() % 3).\#(other).svc.cluster.local"}"#
        default: spec = #"{"clusterIP":"None","ports":[{"name":"http","port":80}]}"#
        }
        let service = #"{"kind":"Service","apiVersion":"v1",\#(metadata),"spec":\#(spec)}"#
        return (Array(#"{"type":"\#(type)","object":\#(service)}"#.utf8), .services)
    }
}

import DNSRegistry
import Testing

/// Every rejection names the file, the line of the offending node, and what is wrong.
struct ManifestValidationTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var text: String
        var line: Int
        var reason: String
        var testDescription: String { name }
    }

    private static let service = """
        apiVersion: v1
        kind: Service
        metadata:
          name: web
          namespace: prod
        spec:
        """

    private static let slice = """
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: web-1
          labels: {kubernetes.io/service-name: web}
        addressType: IPv4
        """

    static let cases: [Case] = [
        Case(
            name: "port out of range", text: service + "\n  ports:\n  - {name: http, port: 80}\n  - port: 70000\n",
            line: 9, reason: "spec.ports[1].port: 70000 is not a port number (1-65535)"),
        Case(
            name: "port zero", text: service + "\n  ports:\n  - port: 0\n",
            line: 8, reason: "spec.ports[0].port: 0 is not a port number (1-65535)"),
        Case(
            name: "quoted port", text: service + "\n  ports:\n  - port: \"80\"\n",
            line: 8, reason: "spec.ports[0].port: \"80\" is not a port number (1-65535)"),
        Case(
            name: "huge port", text: service + "\n  ports:\n  - port: 99999999999999999999999999\n",
            line: 8, reason: "spec.ports[0].port: 99999999999999999999999999 is not a port number (1-65535)"),
        Case(
            name: "sexagesimal port", text: service + "\n  ports:\n  - port: 1:20\n",
            line: 8, reason: "spec.ports[0].port: 1:20 is not a port number (1-65535)"),
        Case(
            name: "missing port", text: service + "\n  ports:\n  - name: http\n",
            line: 8, reason: "spec.ports[0]: port is required"),
        Case(
            name: "unknown protocol", text: service + "\n  ports:\n  - port: 80\n    protocol: HTTP\n",
            line: 9, reason: "spec.ports[0].protocol: \"HTTP\" is not a protocol (TCP, UDP or SCTP)"),
        Case(
            name: "lowercase protocol", text: service + "\n  ports:\n  - port: 80\n    protocol: tcp\n",
            line: 9, reason: "spec.ports[0].protocol: \"tcp\" is not a protocol (TCP, UDP or SCTP)"),
        Case(
            name: "port name with underscore", text: service + "\n  ports:\n  - {name: http_port, port: 80}\n",
            line: 8,
            reason: "spec.ports[0].name: \"http_port\" is not a valid port name (IANA service name: at most 15 "
                + "lowercase letters, digits and '-', with a letter, no '-' at either end and no '--')"),
        Case(
            name: "port name too long", text: service + "\n  ports:\n  - {name: a-very-long-port-name, port: 80}\n",
            line: 8, reason: "spec.ports[0].name: \"a-very-long-port-name\" is not a valid port name"),
        Case(
            name: "port name of digits only", text: service + "\n  ports:\n  - {name: \"8080\", port: 80}\n",
            line: 8, reason: "spec.ports[0].name: \"8080\" is not a valid port name"),
        Case(
            name: "port name with double hyphen", text: service + "\n  ports:\n  - {name: http--x, port: 80}\n",
            line: 8, reason: "spec.ports[0].name: \"http--x\" is not a valid port name"),
        Case(
            name: "port name with leading hyphen", text: service + "\n  ports:\n  - {name: -http, port: 80}\n",
            line: 8, reason: "spec.ports[0].name: \"-http\" is not a valid port name"),
        Case(
            name: "bad cluster IP", text: service + "\n  clusterIP: 10.96.0.300\n",
            line: 7, reason: "spec.clusterIP: \"10.96.0.300\" is not an IP address"),
        Case(
            name: "bad second cluster IP", text: service + "\n  clusterIPs:\n  - 10.96.0.3\n  - fd00::zz\n",
            line: 9, reason: "spec.clusterIPs[1]: \"fd00::zz\" is not an IP address"),
        Case(
            name: "two cluster IPs of one family", text: service + "\n  clusterIPs: [10.96.0.3, 10.96.0.4]\n",
            line: 7, reason: "spec.clusterIPs[1]: \"10.96.0.4\" is a second address of one IP family"),
        Case(
            name: "unknown service type", text: service + "\n  type: Magic\n",
            line: 7,
            reason: "spec.type: \"Magic\" is not a Service type (ClusterIP, NodePort, LoadBalancer or ExternalName)"),
        Case(
            name: "ExternalName without a name", text: service + "\n  type: ExternalName\n",
            line: 7, reason: "spec: externalName is required for a Service of type ExternalName"),
        Case(
            name: "ExternalName that isn't a DNS name",
            text: service + "\n  type: ExternalName\n  externalName: db..x\n",
            line: 8, reason: "spec.externalName: \"db..x\" is not a valid DNS name"),
        Case(
            name: "ExternalName with a space", text: service + "\n  type: ExternalName\n  externalName: my db.com\n",
            line: 8, reason: "spec.externalName: \"my db.com\" is not a valid DNS name"),
        Case(
            name: "publishNotReadyAddresses not a boolean", text: service + "\n  publishNotReadyAddresses: maybe\n",
            line: 7, reason: "spec.publishNotReadyAddresses: maybe is not true or false"),
        Case(
            name: "missing metadata", text: "apiVersion: v1\nkind: Service\nspec: {}\n",
            line: 1, reason: "metadata.name is required"),
        Case(
            name: "missing name", text: "apiVersion: v1\nkind: Pod\nmetadata:\n  namespace: prod\n",
            line: 4, reason: "metadata.name is required"),
        Case(
            name: "service name starting with a digit",
            text: "apiVersion: v1\nkind: Service\nmetadata:\n  name: 1web\n",
            line: 4, reason: "metadata.name: \"1web\" is not a valid Service name (RFC 1035 label"),
        Case(
            name: "uppercase namespace", text: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: Prod\n",
            line: 5, reason: "metadata.namespace: \"Prod\" is not a valid namespace (RFC 1123 label"),
        Case(
            name: "namespace too long",
            text:
                "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: \(String(repeating: "n", count: 64))\n",
            line: 5, reason: "metadata.namespace: \"\(String(repeating: "n", count: 64))\" is not a valid namespace"),
        Case(
            name: "namespace object with a bad name", text: "apiVersion: v1\nkind: Namespace\nmetadata: {name: a_b}\n",
            line: 3, reason: "metadata.name: \"a_b\" is not a valid name (RFC 1123 label"),
        Case(
            name: "endpoint IP of the wrong family", text: slice + "\nendpoints:\n- addresses: [\"fd00::1\"]\n",
            line: 8, reason: "endpoints[0].addresses[0]: \"fd00::1\" is not an IPv4 address"),
        Case(
            name: "endpoint IP with a leading zero", text: slice + "\nendpoints:\n- addresses:\n  - 10.0.0.01\n",
            line: 9, reason: "endpoints[0].addresses[0]: \"10.0.0.01\" is not an IP address"),
        Case(
            name: "unknown address type", text: slice.replacingOccurrences(of: "IPv4", with: "IPv5"),
            line: 6, reason: "addressType: \"IPv5\" is not an address type (IPv4, IPv6 or FQDN)"),
        Case(
            name: "missing address type", text: slice.replacingOccurrences(of: "addressType: IPv4", with: ""),
            line: 1, reason: "addressType is required (IPv4, IPv6 or FQDN)"),
        Case(
            name: "bad endpoint hostname", text: slice + "\nendpoints:\n- addresses: [10.0.0.1]\n  hostname: Web_0\n",
            line: 9, reason: "endpoints[0].hostname: \"Web_0\" is not a valid hostname (RFC 1123 label"),
        Case(
            name: "endpoint condition not a boolean",
            text: slice + "\nendpoints:\n- addresses: [10.0.0.1]\n  conditions:\n    ready: \"true\"\n",
            line: 10, reason: "endpoints[0].conditions.ready: \"true\" is not true or false"),
        Case(
            name: "endpoint port out of range", text: slice + "\nports:\n- {name: http, port: 65536}\n",
            line: 8, reason: "ports[0].port: 65536 is not a port number (1-65535)"),
        Case(
            name: "slice of an invalid service name",
            text: slice.replacingOccurrences(of: "service-name: web", with: "service-name: Web"),
            line: 5, reason: "metadata.labels[\"kubernetes.io/service-name\"]: \"Web\" is not a valid Service name"),
        Case(
            name: "legacy endpoints address",
            text: """
                apiVersion: v1
                kind: Endpoints
                metadata: {name: legacy}
                subsets:
                - notReadyAddresses:
                  - ip: 10.244.9.1
                  - ip: not-an-ip
                """,
            line: 7, reason: "subsets[0].notReadyAddresses[1].ip: \"not-an-ip\" is not an IP address"),
        Case(
            name: "legacy endpoints address without ip",
            text: """
                apiVersion: v1
                kind: Endpoints
                metadata: {name: legacy}
                subsets:
                - addresses:
                  - hostname: a
                """,
            line: 6, reason: "subsets[0].addresses[0]: ip is required"),
        Case(
            name: "pod IP", text: "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nstatus:\n  podIPs:\n  - ip: 1.2.3\n",
            line: 6, reason: "status.podIPs[0].ip: \"1.2.3\" is not an IP address"),
        Case(
            name: "string where a mapping belongs",
            text: "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: oops\n",
            line: 4, reason: "spec: expected a mapping, found the scalar oops"),
        Case(
            name: "mapping where a list belongs", text: service + "\n  ports: {port: 80}\n",
            line: 7, reason: "spec.ports: expected a list, found a mapping"),
        Case(
            name: "list where a string belongs", text: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [a, b]\n",
            line: 4, reason: "metadata.name: expected a string, found a list"),
        Case(
            name: "document that is not a mapping", text: "- just\n- a list\n",
            line: 1, reason: "a document must be a mapping (an object), found a list"),
        Case(
            name: "scalar document", text: "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\nhello\n",
            line: 5, reason: "a document must be a mapping (an object), found the scalar hello"),
        Case(
            name: "list item that is not a mapping", text: "apiVersion: v1\nkind: List\nitems:\n- 42\n",
            line: 4, reason: "items[0]: expected a mapping, found the scalar 42"),
        Case(
            name: "error in a list item",
            text: """
                apiVersion: v1
                kind: List
                items:
                - apiVersion: v1
                  kind: Service
                  metadata: {name: ok}
                - apiVersion: v1
                  kind: Service
                  metadata: {name: bad}
                  spec:
                    ports: [{port: -1}]
                """,
            line: 11, reason: "items[1].spec.ports[0].port: -1 is not a port number (1-65535)"),
        Case(
            name: "YAML syntax error", text: "apiVersion: v1\nkind: Service\nmetadata:\n  name: [web\n",
            line: 5, reason: "invalid YAML"),
        Case(
            name: "bad indentation", text: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n namespace: b\n",
            line: 5, reason: "invalid YAML"),
        Case(
            name: "tab indentation", text: "apiVersion: v1\nkind: Pod\nmetadata:\n\tname: a\n",
            line: 4, reason: "invalid YAML"),
        Case(
            name: "duplicate key", text: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  name: b\n",
            line: 4, reason: "a mapping has the key \"name\" more than once"),
        Case(
            name: "undefined alias", text: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: *nothing\n",
            line: 4, reason: "alias *nothing refers to no anchor before it"),
    ]

    @Test(arguments: cases)
    func rejectedWithLineAndReason(_ example: Case) {
        #expect {
            try ManifestParser.parse(example.text, path: "zones/app.yaml")
        } throws: { error in
            guard let error = error as? ManifestError else { return false }
            #expect(error.path == "zones/app.yaml")
            #expect(error.line == example.line, "\(error)")
            #expect(error.reason.hasPrefix(example.reason), "\(error)")
            return true
        }
    }

    /// The same problem in the third document of a file is reported at its line in the file, not in the document.
    @Test(arguments: [0, 1, 2, 5])
    func lineIsCountedFromTheStartOfTheFile(documentsBefore: Int) {
        let good = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: fine\n---\n"
        let bad =
            "# a comment\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n  - port: 70000\n"
        let text = String(repeating: good, count: documentsBefore) + bad
        #expect {
            try ManifestParser.parse(text, path: "multi.yaml")
        } throws: { error in
            guard let error = error as? ManifestError else { return false }
            return error.line == 5 * documentsBefore + 8
                && error.description
                    == "multi.yaml:\(5 * documentsBefore + 8): spec.ports[0].port: 70000 is not a port number (1-65535)"
        }
    }

    @Test func errorInJSONHasItsLine() {
        let text = """
            {
              "kind": "Service",
              "apiVersion": "v1",
              "metadata": {"name": "web"},
              "spec": {
                "ports": [
                  {"name": "http", "port": 80},
                  {"name": "https", "port": 70000}
                ]
              }
            }
            """
        #expect {
            try ManifestParser.parse(text, path: "web.json")
        } throws: { error in
            (error as? ManifestError)
                == ManifestError(
                    path: "web.json", line: 8, reason: "spec.ports[1].port: 70000 is not a port number (1-65535)")
        }
    }

    @Test func descriptionIsPathLineReason() {
        #expect(ManifestError(path: "zones/a.yaml", line: 3, reason: "r").description == "zones/a.yaml:3: r")
        #expect(
            ManifestError(path: "zones/a.yaml", line: 0, reason: "cannot be read").description
                == "zones/a.yaml: cannot be read")
    }
}

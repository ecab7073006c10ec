import Testing

@testable import DNSRegistry

/// Kubernetes' name rules (`k8s.io/apimachinery/pkg/util/validation`), checked through the manifests that use them.
struct KubernetesNamesTests {
    @Test(arguments: [
        ("web", true), ("web-0", true), ("0web", true), ("a", true), (String(repeating: "a", count: 63), true),
        ("", false), ("-web", false), ("web-", false), ("Web", false), ("web_0", false), ("web.0", false),
        (String(repeating: "a", count: 64), false), ("wéb", false),
    ])
    func dns1123Label(name: String, valid: Bool) {
        #expect(KubernetesNames.isDNS1123Label(name) == valid)
    }

    @Test(arguments: [("web", true), ("w0", true), ("0web", false), ("-web", false), ("", false)])
    func dns1035Label(name: String, valid: Bool) {
        #expect(KubernetesNames.isDNS1035Label(name) == valid)
    }

    @Test(arguments: [
        ("db.example.com", true), ("web-0", true), ("a.b", true), ("a..b", false), (".a", false), ("a.", false),
        ("A.b", false), ("a_b.c", false), (String(repeating: "a.", count: 126) + "a", true),
        (String(repeating: "a.", count: 127) + "a", false),
    ])
    func dns1123Subdomain(name: String, valid: Bool) {
        #expect(KubernetesNames.isDNS1123Subdomain(name) == valid)
    }

    @Test(arguments: [
        ("http", true), ("dns-tcp", true), ("h2c", true), ("a", true), ("x-1-2", true), ("abcdefghijklmno", true),
        ("abcdefghijklmnop", false), ("8080", false), ("-http", false), ("http-", false), ("ht--tp", false),
        ("HTTP", false), ("http_2", false), ("", false),
    ])
    func ianaServiceName(name: String, valid: Bool) {
        #expect(KubernetesNames.isIANAServiceName(name) == valid)
    }

    /// Pod and EndpointSlice names are subdomains in Kubernetes, so a dot is fine there but not in a Service name.
    @Test func podNamesMayHaveDotsButServiceNamesMayNot() throws {
        #expect(try ManifestParser.parse("kind: Pod\nmetadata: {name: a.b}\n", path: "p.yaml").count == 1)
        #expect(throws: ManifestError.self) {
            try ManifestParser.parse("kind: Service\nmetadata: {name: a.b}\n", path: "s.yaml")
        }
    }
}

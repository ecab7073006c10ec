import DNSRegistry
import Testing
import DNSTestKit

/// Nothing a manifest says may crash or hang the server: each input here must parse or be rejected with a line.
struct HostileManifestTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var text: String
        var testDescription: String { name }
    }

    /// Nested aliases that would expand to 10^levels nodes; used as a mapping key, Yams would hash them in full.
    static func billionLaughs(levels: Int, asKey: Bool) -> String {
        var text = "apiVersion: v1\nkind: Namespace\nmetadata: {name: lol}\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...levels {
            let aliases = Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ")
            text += "a\(level): &a\(level) [\(aliases)]\n"
        }
        return text + (asKey ? "k: {*a\(levels): 1}\n" : "spec: *a\(levels)\n")
    }

    private static let sliceHeader =
        "kind: EndpointSlice\nmetadata: {name: s, labels: {kubernetes.io/service-name: s}}\naddressType: IPv4\n"

    static let cases: [Case] = [
        Case(
            name: "deep flow nesting",
            text: String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)),
        Case(
            name: "deep flow mappings",
            text: String(repeating: "{a: ", count: 50_000) + "1" + String(repeating: "}", count: 50_000)),
        Case(name: "deep block nesting", text: String(repeating: "- ", count: 5_000) + "x\n"),
        Case(
            name: "nesting inside an object",
            text: "kind: Service\nmetadata: {name: s}\nspec: " + String(repeating: "[", count: 300)
                + String(repeating: "]", count: 300) + "\n"),
        Case(name: "unclosed brackets", text: String(repeating: "[", count: 10_000)),
        Case(name: "billion laughs", text: billionLaughs(levels: 9, asKey: false)),
        Case(name: "billion laughs as a key", text: billionLaughs(levels: 9, asKey: true)),
        Case(
            name: "binary garbage",
            text: String(decoding: (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) }, as: UTF8.self)),
        Case(name: "NUL bytes", text: "kind: Service\0\0\nmetadata: {name: s}\n"),
        Case(name: "control characters", text: "kind: \u{1}\u{2}\u{7f}\n"),
        Case(name: "byte order mark", text: "\u{FEFF}apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n"),
        Case(
            name: "huge port",
            text:
                "kind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 1\(String(repeating: "0", count: 5000))}]}\n"
        ),
        Case(
            name: "negative huge port",
            text: "kind: Service\nmetadata: {name: s}\nspec: {ports: [{port: -9223372036854775809}]}\n"),
        Case(name: "float port", text: "kind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 8.0e1}]}\n"),
        Case(name: "infinite port", text: "kind: Service\nmetadata: {name: s}\nspec: {ports: [{port: .inf}]}\n"),
        Case(name: "hex port", text: "kind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 0x50}]}\n"),
        Case(
            name: "huge sexagesimal",
            text: "kind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 99999999999:99999999999:99999999999}]}\n"),
        Case(name: "kind is a list", text: "kind: [Service]\nmetadata: {name: s}\n"),
        Case(name: "kind is a mapping", text: "kind: {Service: 1}\n"),
        Case(name: "metadata is a string", text: "kind: Service\nmetadata: web\n"),
        Case(name: "metadata is a list", text: "kind: Pod\nmetadata: [name, web]\n"),
        Case(name: "items is a string", text: "kind: List\nitems: nope\n"),
        Case(name: "items of lists", text: "kind: List\nitems: [[1], [2]]\n"),
        Case(
            name: "nested List",
            text: "kind: List\nitems: [{kind: List, items: [{kind: Namespace, metadata: {name: a}}]}]\n"),
        Case(name: "ports is a number", text: "kind: Service\nmetadata: {name: s}\nspec: {ports: 80}\n"),
        Case(
            name: "port is a mapping",
            text: "kind: Service\nmetadata: {name: s}\nspec: {ports: [{port: {value: 80}}]}\n"),
        Case(name: "clusterIPs is a mapping", text: "kind: Service\nmetadata: {name: s}\nspec: {clusterIPs: {a: b}}\n"),
        Case(
            name: "conditions is a list",
            text: sliceHeader + "endpoints: [{addresses: [10.0.0.1], conditions: [ready]}]\n"),
        Case(
            name: "labels is a list", text: "kind: EndpointSlice\nmetadata: {name: s, labels: [a]}\naddressType: IPv4\n"
        ),
        Case(
            name: "label values are mappings",
            text: "kind: EndpointSlice\nmetadata: {name: s, labels: {kubernetes.io/service-name: {a: b}}}\n"
                + "addressType: IPv4\n"),
        Case(
            name: "targetRef is a string",
            text: sliceHeader + "endpoints: [{addresses: [10.0.0.1], targetRef: pod}]\n"),
        Case(name: "complex keys", text: "? [a, b]\n: c\n? {x: y}\n: z\nkind: Namespace\nmetadata: {name: a}\n"),
        Case(name: "merge key of a scalar", text: "kind: Namespace\nmetadata:\n  <<: 5\n  name: a\n"),
        Case(
            name: "recursive merge keys",
            text: "kind: Namespace\nbase: &b {x: 1}\nmetadata:\n  <<: [*b, *b, *b]\n  name: a\n"),
        Case(name: "tags", text: "kind: !!str Namespace\nmetadata: !custom {name: !!binary YQ==}\n"),
        Case(
            name: "directive",
            text: "%YAML 1.1\n%TAG ! tag:example.com,2000:\n---\nkind: Namespace\nmetadata: {name: a}\n"),
        Case(name: "huge name", text: "kind: Namespace\nmetadata: {name: \(String(repeating: "a", count: 100_000))}\n"),
        Case(name: "unicode name", text: "kind: Namespace\nmetadata: {name: \"ñame-😀\"}\n"),
        Case(
            name: "many documents", text: String(repeating: "---\nkind: Namespace\nmetadata: {name: a}\n", count: 2_000)
        ),
        Case(name: "unterminated string", text: "kind: Namespace\nmetadata: {name: \"abc\n"),
        Case(name: "invalid escape", text: "kind: Namespace\nmetadata: {name: \"\\q\"}\n"),
        Case(name: "only separators", text: String(repeating: "---\n", count: 1_000)),
        Case(name: "only end markers", text: String(repeating: "...\n", count: 10)),
        Case(name: "JSON null", text: "null"),
        Case(name: "JSON number", text: "42"),
        Case(name: "JSON array of objects", text: "[{\"kind\": \"Namespace\", \"metadata\": {\"name\": \"a\"}}]"),
        Case(name: "trailing JSON garbage", text: "{\"kind\": \"Namespace\", \"metadata\": {\"name\": \"a\"}} }"),
        Case(name: "IPv6 with zone", text: "kind: Pod\nmetadata: {name: p}\nstatus: {podIP: \"fe80::1%eth0\"}\n"),
        Case(name: "IPv4 with too many parts", text: "kind: Pod\nmetadata: {name: p}\nstatus: {podIP: 1.2.3.4.5}\n"),
        Case(
            name: "ExternalName of 300 characters",
            text: "kind: Service\nmetadata: {name: s}\n"
                + "spec: {type: ExternalName, externalName: \(String(repeating: "a.", count: 150))com}\n"),
    ]

    @Test(arguments: cases)
    func parsesOrThrowsWithALine(_ example: Case) {
        do {
            _ = try ManifestParser.parse(example.text, path: "hostile.yaml")
        } catch {
            #expect(error.path == "hostile.yaml")
            #expect(error.line >= 1, "\(error)")
            #expect(!error.reason.isEmpty)
        }
    }

    @Test(arguments: [false, true])
    func aliasBombsAreRefused(asKey: Bool) {
        #expect {
            try ManifestParser.parse(Self.billionLaughs(levels: 9, asKey: asKey), path: "lol.yaml")
        } throws: { error in
            (error as? ManifestError)?.reason == "aliases expand to more than 100000 nodes"
        }
    }

    @Test func modestAliasesAreFine() throws {
        let objects = try ManifestParser.parse(Self.billionLaughs(levels: 3, asKey: true), path: "lol.yaml")
        #expect(objects == [.namespace("lol")])
    }

    @Test func nestingBeyondTheLimitIsRefusedAtItsLine() {
        let text =
            "kind: Namespace\nmetadata: {name: a}\nspec:\n  deep: " + String(repeating: "[", count: 300)
            + String(repeating: "]", count: 300) + "\n"
        #expect {
            try ManifestParser.parse(text, path: "deep.yaml")
        } throws: { error in
            (error as? ManifestError).map { $0.line == 4 && $0.reason == "nesting is deeper than 256 levels" } ?? false
        }
    }

    @Test func nestingWithinTheLimitParses() throws {
        let text =
            "kind: Namespace\nmetadata: {name: a}\nspec:\n  deep: " + String(repeating: "[", count: 200)
            + String(repeating: "]", count: 200) + "\n"
        #expect(try ManifestParser.parse(text, path: "deep.yaml") == [.namespace("a")])
    }

    /// Random bytes and random mutations of a real manifest, with a fixed seed so a failure can be replayed.
    @Test func randomMutationsNeverCrash() throws {
        let original = try Fixtures.text(Fixtures.manifests.appendingPathComponent("objects.yaml"))
        var random = SplitMix64(seed: 0x5EED)
        let alphabet = Array(" \n\t-:[]{},&*!|>'\"#%@`?0a.\u{0}".utf8)
        for _ in 0..<300 {
            var bytes = Array(original.utf8)
            for _ in 0..<(1 + Int(random.next() % 8)) {
                let position = Int(random.next() % UInt64(bytes.count))
                switch random.next() % 3 {
                case 0: bytes[position] = alphabet[Int(random.next() % UInt64(alphabet.count))]
                case 1: bytes.remove(at: position)
                default: bytes.insert(alphabet[Int(random.next() % UInt64(alphabet.count))], at: position)
                }
            }
            do {
                _ = try ManifestParser.parse(String(decoding: bytes, as: UTF8.self), path: "mutated.yaml")
            } catch {
                #expect(error.line >= 1, "\(error)")
            }
        }
    }
}


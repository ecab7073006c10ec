import Testing

@testable import DNSWire

@Suite struct NameTests {
    @Test(arguments: [
        ("web.default.svc.cluster.local.", "web.default.svc.cluster.local."),
        ("web.default.svc.cluster.local", "web.default.svc.cluster.local."),
        (".", "."),
        ("", "."),
        ("a\\.b.c.", "a\\.b.c."),
        ("\\065bc.", "Abc."),
        ("sp\\032ace.", "sp\\032ace."),
        ("quo\\\"te.", "quo\\\"te."),
        ("Mixed.CASE.", "Mixed.CASE."),
    ])
    func presentationRoundTrip(text: String, printed: String) throws {
        let name = try Name(text)
        #expect(name.description == printed)
        #expect(try Name(printed) == name)
        #expect(try Name(printed).wire == name.wire)
    }

    @Test func escapesBecomeLabelBytes() {
        #expect(Name("a\\.b.c.").labels == [Array("a.b".utf8), Array("c".utf8)])
        #expect(Name("\\000x.").labels == [[0, UInt8(ascii: "x")]])
    }

    @Test(arguments: [
        ("a..b.", NameError.emptyLabel),
        (".a.", NameError.emptyLabel),
        ("a\\", NameError.badEscape),
        ("\\256.", NameError.badEscape),
        ("\\1x.", NameError.badEscape),
        ("\\12", NameError.badEscape),
        (String(repeating: "a", count: 64) + ".", NameError.labelTooLong),
        // 4 labels of 63 need 4 × 64 + 1 = 257 octets.
        (Array(repeating: String(repeating: "a", count: 63), count: 4).joined(separator: "."), NameError.nameTooLong),
    ])
    func invalidPresentationIsRejected(text: String, error: NameError) {
        #expect(throws: error) { try Name(text) }
    }

    @Test func lengthLimitIs255OctetsInWireForm() throws {
        let label63 = String(repeating: "a", count: 63)
        // 3 × 64 + (1 + 61) + 1 = 255.
        let longest = try Name([label63, label63, label63, String(repeating: "b", count: 61)].joined(separator: "."))
        #expect(longest.wire.count == 255)
        #expect(throws: NameError.nameTooLong) {
            try Name([label63, label63, label63, String(repeating: "b", count: 62)].joined(separator: "."))
        }
        #expect(throws: NameError.nameTooLong) { try longest.prepending("c") }
        #expect(throws: NameError.nameTooLong) { try Name("x").appending(longest) }
    }

    @Test func equalityAndHashingIgnoreASCIICaseButWireKeepsIt() {
        let upper: Name = "WEB.Default.SVC.cluster.local."
        let lower: Name = "web.default.svc.cluster.local."
        #expect(upper == lower)
        #expect(Set([upper, lower]).count == 1)
        #expect(upper.description == "WEB.Default.SVC.cluster.local.")
        #expect(upper.lowercased().wire == lower.wire)
        #expect(Name("web.default.") != Name("web.defaulx."))
        #expect(Name("a.b.") != Name("ab."))
    }

    @Test(arguments: [
        ("web.default.svc.cluster.local.", "cluster.local.", true),
        ("cluster.local.", "cluster.local.", true),
        ("CLUSTER.Local.", "cluster.LOCAL.", true),
        ("xcluster.local.", "cluster.local.", false),
        ("a.xcluster.local.", "cluster.local.", false),
        ("ab.c.", "b.c.", false),
        ("local.", "cluster.local.", false),
        ("anything.at.all.", ".", true),
        (".", ".", true),
        (".", "local.", false),
    ])
    func subdomainFollowsLabelBoundaries(name: String, ancestor: String, expected: Bool) throws {
        #expect(try Name(name).isSubdomain(of: try Name(ancestor)) == expected)
    }

    @Test func labelAccessors() throws {
        let name: Name = "web.default.svc.cluster.local."
        #expect(name.labelCount == 5)
        #expect(name.firstLabel == Array("web".utf8))
        #expect(name.parent == "default.svc.cluster.local.")
        #expect(Name.root.parent == Name.root)
        #expect(Name.root.firstLabel.isEmpty)
        #expect(Name.root.labels.isEmpty)
        #expect(try name.parent.prepending("api") == "api.default.svc.cluster.local.")
        #expect(try Name("web.default").appending("svc.cluster.local.") == name)
        #expect(throws: NameError.emptyLabel) { try name.prepending("") }
        #expect(throws: NameError.labelTooLong) { try name.prepending(String(repeating: "a", count: 64)) }
        #expect(throws: NameError.emptyLabel) { try Name(labels: [[]]) }
    }
}

import DNSKubernetes
import Testing

/// Reading a list's metadata and items, and a watch event's envelope, from the bytes.
struct JSONScannerTests {
    static func scanner(_ text: String) -> JSONScanner { JSONScanner(Array(text.utf8)) }

    @Test func findsNestedStringsAndSkipsEverythingElse() {
        let json = Self.scanner(
            #" { "kind" : "ServiceList", "x": [1, {"y": "}]"}, true, null, -2.5e3], "metadata": {"continue": "a\"b\u00e9", "resourceVersion":"274"}, "items": [] } "#
        )
        #expect(json.string(at: ["kind"]) == "ServiceList")
        #expect(json.string(at: ["metadata", "continue"]) == "a\"bé")
        #expect(json.string(at: ["metadata", "resourceVersion"]) == "274")
        #expect(json.elements(at: ["items"]) == [])
        #expect(json.string(at: ["metadata", "missing"]) == nil)
        #expect(json.string(at: ["x"]) == nil)
        #expect(json.elements(at: ["x"])?.count == 5)
    }

    @Test func itemsAreCutWholeWhateverTheyHold() throws {
        let text = #"{"items":[{"a":"[{"},{"b":{"c":[1,2]}} , "s"]}"#
        let json = Self.scanner(text)
        let items = try #require(json.elements(at: ["items"]))
        #expect(items.map(json.text) == [#"{"a":"[{"}"#, #"{"b":{"c":[1,2]}}"#, #""s""#])
    }

    @Test(arguments: ["", "{", #"{"a":}"#, #"{"a" 1}"#, #"{"a":"unterminated}"#, "[1,", #"{"a":[1,2}"#, "nul"])
    func malformedJSONFindsNothing(text: String) {
        let json = Self.scanner(text)
        #expect(json.string(at: ["a"]) == nil)
        #expect(json.elements(at: ["a"]) == nil)
    }

    @Test func deepNestingIsRefusedNotRecursed() {
        let text = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(Self.scanner(#"{"a":"# + text + "}").value(at: ["a"]) == nil)
    }

    @Test func surrogatePairsDecodeToOneScalar() {
        #expect(Self.scanner(#"{"a":"\ud83d\ude00"}"#).string(at: ["a"]) == "😀")
    }
}

import DNSTestKit
import Foundation
import Testing

@testable import DNSRegistry

/// `BlockYAMLScanner` against libyaml's composer: on every text it reads, the very same documents (every entry,
/// child, byte and root) and the same problem; on every other text, it gives up.
struct BlockYAMLScannerTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var text: String

        var testDescription: String { name }
    }

    /// What a reader hands the body for `text`, and the problem it throws.
    struct Reading: Equatable {
        var documents: [YAMLDocument] = []
        var problem: String?
    }

    /// A body that refuses document `refused` (0-based), as a manifest's content problem would.
    private static func body(
        into reading: UnsafeMutablePointer<Reading>, refusing refused: Int?
    ) -> (YAMLDocument.Box) throws(ManifestIssue) -> Void {
        { (box) throws(ManifestIssue) in
            let index = reading.pointee.documents.count
            reading.pointee.documents.append(box.document)
            if index == refused { throw ManifestIssue(line: 1, reason: "the body refuses document \(index)") }
        }
    }

    static func libYAMLReading(_ text: String, refusing refused: Int? = nil) -> Reading {
        var reading = Reading()
        withUnsafeMutablePointer(to: &reading) { pointer in
            do throws(ManifestIssue) {
                try YAMLComposer.compose(text, body(into: pointer, refusing: refused))
            } catch {
                pointer.pointee.problem = "\(error.line): \(error.reason)"
            }
        }
        return reading
    }

    /// nil when the scanner gives up.
    static func scannerReading(_ text: String, refusing refused: Int? = nil) -> Reading? {
        var reading = Reading()
        var outcome = BlockYAMLScanner.Outcome.composed
        withUnsafeMutablePointer(to: &reading) { pointer in
            do throws(ManifestIssue) {
                outcome = try BlockYAMLScanner.compose(text, body(into: pointer, refusing: refused))
            } catch {
                pointer.pointee.problem = "\(error.line): \(error.reason)"
            }
        }
        return outcome == .composed ? reading : nil
    }

    /// Records a difference when the scanner reads `text` and reads it otherwise than libyaml; true when it read it.
    @discardableResult
    static func expectSameReading(_ text: String, _ origin: String) -> Bool {
        guard let fast = scannerReading(text) else { return false }
        let slow = libYAMLReading(text)
        #expect(fast == slow, "\(origin): \(firstDifference(fast, slow))\n\(text.prefix(2000))")
        if fast.documents.count > 1 {
            // The body refusing the first document: later documents are only checked, and its problem comes last.
            #expect(scannerReading(text, refusing: 0) == libYAMLReading(text, refusing: 0), "\(origin), refusing 0")
        }
        return true
    }

    static func firstDifference(_ fast: Reading, _ slow: Reading) -> String {
        if fast.problem != slow.problem {
            return "problem \(fast.problem ?? "none") vs libyaml \(slow.problem ?? "none")"
        }
        guard fast.documents.count == slow.documents.count else {
            return "\(fast.documents.count) documents vs libyaml \(slow.documents.count)"
        }
        for (number, (left, right)) in zip(fast.documents, slow.documents).enumerated() where left != right {
            for (index, (a, b)) in zip(left.entries, right.entries).enumerated() where a != b {
                return "document \(number) entry \(index): \(a) vs libyaml \(b)"
            }
            return "document \(number): entries \(left.entries.count)/\(right.entries.count), children "
                + "\(left.children) vs \(right.children), root \(left.root)/\(right.root), bytes "
                + "\(String(decoding: left.bytes, as: UTF8.self)) vs \(String(decoding: right.bytes, as: UTF8.self))"
        }
        return "none"
    }

    // MARK: - The corpus

    @Test func everyCorpusTextIsReadAsLibYAMLReadsItOrLeftToIt() throws {
        let corpus = try YAMLCorpus.all()
        var read = 0
        for text in corpus where Self.expectSameReading(text.text, text.origin) {
            read += 1
        }
        // Most of the tests' manifests are in the subset; a scanner that gave up on everything would pass above.
        #expect(corpus.count > 300)
        #expect(read * 2 > corpus.count, "read \(read) of \(corpus.count)")
    }

    /// Edits of the corpus's small texts (inserted indicators, quotes, breaks, tabs, markers, changed indentation,
    /// cut bytes, swapped lines): each is read as libyaml reads it, or left to libyaml.
    @Test func editedCorpusTextsAreReadAsLibYAMLReadsThemOrLeftToIt() throws {
        let corpus = try YAMLCorpus.all().filter { $0.text.utf8.count <= 4096 && !$0.text.isEmpty }
        let insertions = [
            " ", "  ", "\n", "- ", "-", ": ", ":", "#", " #", "'", "''", "\"", "\\", "[", "]", "{", "}", ", ", ",",
            "---\n", "...\n", "--- ", "&a ", "*a", "!t ", "|", ">", "? ", "%", "\t", "\r\n", "é", "<<", "\n  ", "\n- ",
            "{}", "[]", "a: b", "\n#", "@", "\u{2028}",
        ]
        var generator = SplitMix64(seed: 0x59414D4C)
        var edited = 0
        var read = 0
        for text in corpus {
            let bytes = Array(text.text.utf8)
            for _ in 0..<12 {
                var mutant = bytes
                for _ in 0...Int.random(in: 0...1, using: &generator) {
                    Self.edit(&mutant, insertions: insertions, using: &generator)
                }
                edited += 1
                let mutantText = String(decoding: mutant, as: UTF8.self)
                if Self.expectSameReading(mutantText, "edit of \(text.origin)") { read += 1 }
            }
        }
        // The edits must leave many texts in the subset, or this would test only the giving up.
        #expect(read * 5 > edited, "read \(read) of \(edited)")
    }

    private static func edit(_ bytes: inout [UInt8], insertions: [String], using generator: inout SplitMix64) {
        let offset = Int.random(in: 0...bytes.count, using: &generator)
        switch Int.random(in: 0..<5, using: &generator) {
        case 0, 1:
            bytes.insert(contentsOf: Array(insertions.randomElement(using: &generator)!.utf8), at: offset)
        case 2:
            bytes.removeSubrange(offset..<min(bytes.count, offset + Int.random(in: 1...4, using: &generator)))
        case 3:
            // Indent or dedent a line.
            let lineStart = bytes[..<offset].lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
            if Bool.random(using: &generator) {
                bytes.insert(contentsOf: [UInt8](repeating: UInt8(ascii: " "), count: 2), at: lineStart)
            } else if bytes.count > lineStart, bytes[lineStart] == UInt8(ascii: " ") {
                bytes.remove(at: lineStart)
            }
        default:
            // Swap two lines.
            var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            guard lines.count > 2 else { return }
            let first = Int.random(in: 0..<lines.count, using: &generator)
            let second = Int.random(in: 0..<lines.count, using: &generator)
            lines.swapAt(first, second)
            bytes = Array(lines.joined(separator: [UInt8(ascii: "\n")]))
        }
    }

    // MARK: - Generated and recorded manifests take the fast path

    /// The benchmark's clusters: if the scanner gave up on them, or were never called, start-up would be as slow as
    /// before.
    @Test func generatedBenchmarkManifestsAreReadWithoutLibYAML() throws {
        var texts: [YAMLCorpus.Text] = []
        let sample = Fixtures.testsDirectory.appendingPathComponent("Fixtures/generated-cluster")
        for url in try YAMLCorpus.files(under: sample, extensions: ["yaml"]) {
            texts.append(YAMLCorpus.Text(origin: url.lastPathComponent, text: try Fixtures.text(url)))
        }
        texts += try Self.generatedCluster(services: 300)
        #expect(texts.count >= 5)
        var services = 0
        for text in texts {
            #expect(Self.expectSameReading(text.text, text.origin), "\(text.origin) was left to libyaml")
            services += try Self.services(in: ManifestParser.parse(text.text, path: text.origin)).count
        }
        #expect(services >= 40)
    }

    /// `bench/generate.py --services N` into a temporary directory, when python3 is there.
    static func generatedCluster(services: Int) throws -> [YAMLCorpus.Text] {
        let directory = try TemporaryDirectory()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", YAMLCorpus.packageDirectory.appendingPathComponent("bench/generate.py").path, "--services",
            "\(services)", "--out", directory.path, "--no-knot",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return [] }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return [] }
        return try YAMLCorpus.files(under: directory.url.appendingPathComponent("zones"), extensions: ["yaml"]).map {
            YAMLCorpus.Text(origin: "generated \($0.lastPathComponent)", text: try Fixtures.text($0))
        }
    }

    @Test func bundledZonesAndKubectlOutputAreReadWithoutLibYAML() throws {
        var urls = try YAMLCorpus.files(under: Fixtures.zones, extensions: ["yaml"])
        urls.append(Fixtures.testsDirectory.appendingPathComponent("Fixtures/kubectl/get-services.yaml"))
        urls.append(Fixtures.manifests.appendingPathComponent("objects.yaml"))
        for url in urls {
            #expect(Self.expectSameReading(try Fixtures.text(url), url.path), "\(url.path) was left to libyaml")
        }
    }

    /// A file that leaves the subset after some documents is read once, by libyaml, from its start: what the
    /// scanner's documents gave is dropped.
    @Test func fileLeavingTheSubsetLaterIsReadOnceFromItsStart() throws {
        let text =
            try Fixtures.text(Fixtures.testsDirectory.appendingPathComponent("Fixtures/kubectl/get-services.yaml"))
            + "---\n"
            + (try Fixtures.text(
                Fixtures.testsDirectory.appendingPathComponent("Fixtures/kubectl/applied-service.yaml")))
        #expect(Self.scannerReading(text) == nil)
        let objects = try ManifestParser.parse(text, path: "mixed.yaml")
        #expect(Self.services(in: objects).map(\.name).sorted() == ["api", "kube-dns", "web"])
        #expect(objects.count == 4)  // and web's EndpointSlice
    }

    static func services(in objects: [RegistryObject]) -> [Service] {
        objects.compactMap {
            if case .service(let service) = $0 { service } else { nil }
        }
    }

    /// The scanner recurses two or three calls per level, where the composer walked libyaml's events in a loop: the
    /// deepest nesting it reads (one level below the composer's limit) must fit 1 MiB of stack even in a debug build
    /// (512 KiB does not); `ManifestDirectory.scan` parses on Dispatch's threads, which get 8 MiB here.
    @Test func deepestNestingReadFitsASmallThreadStack() {
        let levels = YAMLComposer.maxNestingDepth - 1
        var blockMappings = ""
        for level in 0..<levels { blockMappings += String(repeating: " ", count: level) + "k:\n" }
        let texts = [
            String(repeating: "- ", count: levels) + "x\n",
            String(repeating: "[", count: levels) + String(repeating: "]", count: levels) + "\n",
            blockMappings,
        ]
        for text in texts {
            final class Outcome: @unchecked Sendable {
                var value: BlockYAMLScanner.Outcome?
            }
            let outcome = Outcome()
            let done = DispatchSemaphore(value: 0)
            let thread = Thread {
                outcome.value = try? BlockYAMLScanner.compose(text) { _ in }
                done.signal()
            }
            thread.stackSize = 1024 * 1024
            thread.start()
            done.wait()
            #expect(outcome.value == .composed, "\(text.prefix(20))")
        }
    }

    // MARK: - Each construct of the subset

    static let subsetCases: [Case] = [
        Case(name: "block mapping", text: "a: 1\nb: two\n"),
        Case(name: "nested block mappings", text: "a:\n  b:\n    c: d\n  e: f\ng: h\n"),
        Case(name: "block sequence", text: "items:\n  - a\n  - b\n"),
        Case(name: "sequence at its key's indentation", text: "items:\n- a\n- b\nnext: c\n"),
        Case(
            name: "mappings in a sequence going on below their dash",
            text: "ports:\n- name: http\n  port: 80\n- name: dns\n  port: 53\n  protocol: UDP\nafter: 1\n"),
        Case(name: "sequences in a sequence on one line", text: "- - a\n  - b\n- c\n"),
        Case(name: "sequence at the key's indentation in a sequence item", text: "- key:\n  - a\n  other: b\n- c\n"),
        Case(name: "items on the lines below their dash", text: "-\n  a: 1\n-\n  - b\n-\n  c\n"),
        Case(name: "mapping below a key in a sequence item", text: "- a:\n    b: 1\n  c: 2\n- d\n"),
        Case(name: "quoted keys with escapes and spaces", text: "\"a\\\"b\": 1\n'c''d' : 2\nx: {e : f, 'g' : h}\n"),
        Case(name: "value on the line below its key", text: "a:\n  text\nb:\n  'quoted'\nc:\n  [1]\n"),
        Case(name: "empty values", text: "a:\nb:   # note\nc: x\nlist:\n-\n- \n- # c\nlast:"),
        Case(name: "empty value before a dedent", text: "a:\n  b:\nc: 1\n"),
        Case(name: "document of --- only", text: "---\n"),
        Case(name: "empty documents", text: "---\n---\na: 1\n---\n\n# c\n"),
        Case(name: "empty document ended by ...", text: "---\n# c\n...\n"),
        Case(name: "empty last document without a line break", text: "a: 1\n---"),
        Case(name: "empty last document after a comment", text: "a: 1\n---\n# c"),
        Case(name: "document markers", text: "---\na: 1\n...\n---\nb: 2\n...\n...\n--- # c\nc: 3\n"),
        Case(name: "implicit first document", text: "a: 1\n---\nb: 2\n"),
        Case(
            name: "comments",
            text: "# head\na: 1 # trailing\n  # indented\n\n# column 0\nb: 'x' # after a quote\nc: [1, 2] # flow\n"),
        Case(
            name: "plain scalars with indicators inside",
            text: "image: nginx:1.25\nurl: http://x.example/a#b\nexpr: a-b?c|d>e!f&g*h%i@j`k,[]{}\n"
                + "k:{\"port\":53,\"protocol\":\"UDP\"}: {}\nneg: -1\nflag: --port=80\ndots: ...x\n.: {}\nit's: \"ok\"\n"
        ),
        Case(name: "spaces in and around plain scalars", text: "a:    spaced   words   \nb  : c\n-d: e\n"),
        Case(
            name: "single-quoted scalars",
            text: "a: 'it''s'\n'quoted key': ''\nb: ' lead and trail '\nc: '#not a comment'\nd: 'a: b'\n"),
        Case(
            name: "double-quoted scalars",
            text: "a: \"x\\\\y\\\"z\\/w\\n\\t\"\n\"k\": \"\"\nb: \"a # b\"\nc: \"'\"\n\"with space\" : 1\n"),
        Case(
            name: "flow collections",
            text: "a: [x, 'y', \"z\", [1, [2]], {k: v}]\nb: {name: x, port: 80, nested: {deep: [true]}}\nc: []\n"
                + "d: {}\ne: [ spaced , out ]\nf: {'q': \"v\", k: [-1]}\ng: [a b, c.d/e]\n"),
        Case(
            name: "flow collections as sequence items",
            text: "- {addresses: [10.0.0.1], conditions: {ready: true}}\n- [a, b]\n- []\n"),
        Case(name: "colons inside flow scalars", text: "a: [web:1, {image: example.invalid/web:1, u: http://x/}]\n"),
        Case(name: "flow mapping as a document", text: "{kind: Namespace, metadata: {name: a}}\n"),
        Case(name: "merge key", text: "<<: {a: 1}\n'<<': x\nb: <<\n"),
        Case(name: "text beyond ASCII", text: "description: café ünïcode — ok\n名前: 値\nemoji: '🙂'\n"),
        Case(name: "indented document", text: "  a: 1\n  b:\n  - c\n"),
        Case(name: "no line break at the end", text: "a: 1\nb: c"),
        Case(name: "comments only", text: "# nothing\n\n   \n"),
        Case(name: "nothing", text: ""),
        Case(name: "duplicate key", text: "a: 1\nb: 2\na: 3\n"),
        Case(name: "duplicate keys in two mappings", text: "x: {b: 1, b: 2}\ny:\n  c: 1\n  c: 2\n"),
        Case(name: "duplicate key in a later document", text: "ok: 1\n---\nx: {b: 1, b: 2}\n---\nz: 1\n"),
        Case(name: "same text, not the same key", text: "a: 1\n'a': 2\n\"1\": x\n1: y\n"),
        Case(name: "non-mapping documents", text: "- a\n---\njust text\n---\n'quoted'\n---\n[a]\n"),
        Case(
            name: "deep nesting below the limit",
            text: String(repeating: "[", count: 200) + String(repeating: "]", count: 200)),
        Case(name: "long key below libyaml's simple key limit", text: String(repeating: "k", count: 900) + ": v\n"),
    ]

    @Test(arguments: subsetCases)
    func constructInTheSubsetIsReadAsLibYAMLReadsIt(_ subsetCase: Case) {
        #expect(Self.expectSameReading(subsetCase.text, subsetCase.name), "left to libyaml")
    }

    // MARK: - Each way out of the subset

    static let libYAMLCases: [Case] = [
        Case(name: "anchor and alias", text: "a: &x 1\nb: *x\n"),
        Case(name: "tag", text: "a: !!str 1\n"),
        Case(name: "directive", text: "%YAML 1.1\n---\na: 1\n"),
        Case(name: "literal block scalar", text: "a: |\n  x\n"),
        Case(name: "folded block scalar", text: "a: >-\n  x\n"),
        Case(name: "plain scalar over two lines", text: "a: one\n  two\n"),
        Case(name: "plain sequence item over two lines", text: "- one\n  two\n"),
        Case(name: "plain value on the next lines", text: "a:\n  one\n  two\n"),
        Case(name: "single-quoted scalar over two lines", text: "a: 'one\n  two'\n"),
        Case(name: "double-quoted scalar over two lines", text: "a: \"one\n  two\"\n"),
        Case(name: "flow collection over two lines", text: "a: [1,\n  2]\n"),
        Case(name: "JSON", text: "{\n  \"kind\": \"Namespace\"\n}\n"),
        Case(name: "JSON on one line", text: "{\"kind\":\"Namespace\"}\n"),
        Case(name: "tab in indentation", text: "a:\n\tb: 1\n"),
        Case(name: "tab in a value", text: "a: b\tc\n"),
        Case(name: "carriage returns", text: "a: 1\r\nb: 2\r\n"),
        Case(name: "byte-order mark", text: "\u{FEFF}a: 1\n"),
        Case(name: "line separator", text: "a: b\u{2028}c\n"),
        Case(name: "next line character", text: "a: b\u{85}c\n"),
        Case(name: "control character", text: "a: \u{7}\n"),
        Case(name: "complex key", text: "? a\n: b\n"),
        Case(name: "unicode escape", text: "a: \"\\u00e9\"\n"),
        Case(name: "mapping in a value", text: "a: b: c\n"),
        Case(name: "value ending in a colon", text: "a: b:\n"),
        Case(name: "sequence in a value", text: "a: - b\n"),
        Case(name: "deeper key", text: "a: 1\n b: 2\n"),
        Case(name: "key between two indentations", text: "a:\n    b: 1\n  c: 2\n"),
        Case(name: "key after a sequence", text: "- a\nb: 1\n"),
        Case(name: "dash at a mapping's indentation", text: "a: 1\n- b\n"),
        Case(name: "text after a quote", text: "a: 'x'y\n"),
        Case(name: "comment right after a quote", text: "a: 'x'#c\n"),
        Case(name: "unclosed flow sequence", text: "a: [1, 2\n"),
        Case(name: "trailing comma", text: "a: [1, 2,]\n"),
        Case(name: "pair in a flow sequence", text: "a: [b: c]\n"),
        Case(name: "flow key without a space", text: "a: {b:1}\n"),
        Case(name: "colon before a flow indicator", text: "a: [b:]\n"),
        Case(name: "empty flow value", text: "a: {k: }\n"),
        Case(name: "flow key without a value", text: "a: {k}\n"),
        Case(name: "flow collection as a key", text: "[a]: b\n"),
        Case(name: "text after a flow collection", text: "a: {b: c}: d\n"),
        Case(name: "document end before any document", text: "...\na: 1\n"),
        Case(name: "document after ... without ---", text: "a: 1\n...\nb: 2\n"),
        Case(name: "content on the --- line", text: "--- a: 1\n"),
        Case(name: "three dashes starting text", text: "---a\n"),
        Case(name: "text after a root scalar", text: "text\nb: 1\n"),
        Case(
            name: "nesting at the composer's limit",
            text: String(repeating: "[", count: 300) + String(repeating: "]", count: 300)),
        Case(name: "key beyond libyaml's simple key limit", text: String(repeating: "k", count: 1100) + ": v\n"),
        Case(name: "reserved indicator", text: "a: @b\n"),
    ]

    /// Every ASCII byte at every offset of a text longer than the eight bytes checked at a time: printable ones and
    /// the line feed pass, the other control characters and DEL do not.
    @Test func characterCheckTakesPrintableASCIIAndLineFeedsOnly() {
        for byte in UInt8(0)..<0x80 {
            let expected = (byte >= 0x20 && byte < 0x7F) || byte == UInt8(ascii: "\n")
            for offset in 0..<24 {
                var text = [UInt8](repeating: UInt8(ascii: "a"), count: 24)
                text[offset] = byte
                let accepted = text.withUnsafeBufferPointer { BlockYAMLScanner.holdsOnlyPlainCharacters($0) }
                #expect(accepted == expected, "byte \(byte) at \(offset)")
            }
        }
        for (scalar, expected) in [
            ("\u{A0}", true), ("é", true), ("\u{85}", false), ("\u{2028}", false), ("\u{FEFF}", false), ("🙂", true),
        ] {
            let text = Array("0123456789\(scalar)0123456789".utf8)
            let accepted = text.withUnsafeBufferPointer { BlockYAMLScanner.holdsOnlyPlainCharacters($0) }
            #expect(accepted == expected, "\(scalar.unicodeScalars.first!.value)")
        }
    }

    @Test(arguments: libYAMLCases)
    func constructOutsideTheSubsetIsLeftToLibYAML(_ libYAMLCase: Case) {
        #expect(Self.scannerReading(libYAMLCase.text) == nil)
    }
}

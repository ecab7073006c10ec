import Testing

@testable import DNSAnswer

struct NodeIndexTests {
    /// Both entry widths insert, find and delete alike, with probe sequences crowded by colliding hashes.
    @Test(arguments: [false, true])
    func entriesAreFoundUntilRemoved(wide: Bool) {
        let partCount = 3
        let nodesPerPart = 200
        // 3 parts fit 2 bits; 2^31 nodes would not fit the 30 left, so that shape takes 64-bit entries.
        let index = NodeIndex(
            nameCount: partCount * nodesPerPart, partCount: partCount, largestPart: wide ? 1 << 31 : 200)
        #expect((index.wide != nil) == wide)
        #expect((index.narrow != nil) == !wide)
        index.clear()
        // Few distinct hashes: long runs of neighbours, which deletion must shift back correctly.
        let nodes = UnsafeMutableBufferPointer<AnswerTable.Node>.allocate(capacity: partCount * nodesPerPart)
        let views = UnsafeMutableBufferPointer<AnswerTable.PartView>.allocate(capacity: partCount)
        defer {
            nodes.deallocate()
            views.deallocate()
        }
        var random = SystemRandomNumberGenerator()
        for part in 0..<partCount {
            var view = AnswerTable.PartView(nil)
            view.nodes = nodes.baseAddress! + part * nodesPerPart
            views[part] = view
            for node in 0..<nodesPerPart {
                let hash = UInt32.random(in: 0..<64, using: &random) &* 0x0101_0101
                view.nodes![node] = AnswerTable.Node(
                    keyStart: 0, hash: hash, answersStart: 0, keyLength: 0, authority: 0, answersCount: 0,
                    isAlias: false)
                index.insert(part: part, node: node, hash: hash)
            }
        }
        func find(_ part: Int, _ node: Int) -> AnswerTable.Location? {
            index.probe(hash: views[part].nodes![node].hash) { $0 == part && $1 == node }
        }
        #expect(index.entryCount == partCount * nodesPerPart)
        for part in 0..<partCount {
            for node in stride(from: part % 2, to: nodesPerPart, by: 2) {
                #expect(index.remove(part: part, node: node, hash: views[part].nodes![node].hash, views: views))
            }
        }
        for part in 0..<partCount {
            for node in 0..<nodesPerPart {
                let removed = node % 2 == part % 2
                #expect((find(part, node) == nil) == removed, "part \(part) node \(node)")
            }
        }
        #expect(!index.remove(part: 0, node: 0, hash: views[0].nodes![0].hash, views: views))
        index.deallocate()
    }

    /// A probe reads the node only of entries whose fingerprint (the hash's top bits) is the name's: a name missing
    /// from a crowded probe sequence reads none.
    @Test(arguments: [false, true])
    func entriesWithAnotherFingerprintAreNotRead(wide: Bool) {
        let nodeCount = 100
        let index = NodeIndex(nameCount: nodeCount, partCount: 1, largestPart: wide ? 1 << 31 : nodeCount)
        #expect((index.wide != nil) == wide)
        #expect(index.fingerprintBits >= 8)
        index.clear()
        // Every hash has the same low bits, so all share one probe sequence; their top bytes differ.
        func hash(_ node: Int) -> UInt32 { UInt32(node + 1) << 24 | 0x5A }
        for node in 0..<nodeCount {
            index.insert(part: 0, node: node, hash: hash(node))
        }
        var reads: [Int] = []
        let found = index.probe(hash: hash(70)) { _, node in
            reads.append(node)
            return node == 70
        }
        #expect(found == AnswerTable.Location(part: 0, index: 70))
        #expect(reads == [70])
        reads = []
        let missing = index.probe(hash: 0xEE00_005A) { _, node in
            reads.append(node)
            return false
        }
        #expect(missing == nil)
        #expect(reads.isEmpty)
        index.deallocate()
    }

    /// A new index keeps the previous one's layout while the parts fit it, so a change patches a copy of the old
    /// slots; parts that outgrow it get a layout of their own (and a full indexing).
    @Test func layoutIsKeptWhilePartsFit() {
        let previous = NodeIndex(nameCount: 600, partCount: 3, largestPart: 200)
        defer { previous.deallocate() }
        #expect(previous.partBits == 2 && previous.nodeBits == 8 && previous.fingerprintBits == 22)
        let grown = NodeIndex(nameCount: 600, partCount: 3, largestPart: 256, reusing: previous)
        defer { grown.deallocate() }
        #expect(grown.hasLayout(of: previous))
        let outgrown = NodeIndex(nameCount: 600, partCount: 3, largestPart: 257, reusing: previous)
        defer { outgrown.deallocate() }
        #expect(!outgrown.hasLayout(of: previous))
        #expect(outgrown.nodeBits == 9)
        let moreParts = NodeIndex(nameCount: 600, partCount: 4, largestPart: 10, reusing: previous)
        defer { moreParts.deallocate() }
        #expect(!moreParts.hasLayout(of: previous))
        #expect(moreParts.partBits == 3 && moreParts.nodeBits == 4)
    }
}

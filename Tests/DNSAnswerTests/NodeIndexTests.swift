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
}

internal import CPrefetch

/// A lookup reads places at random: the index slot, the node, the node's key and answer entries, then the answer's
/// bytes and record ends. At 10,000 services each is a cache miss, and one query's misses cannot overlap: each
/// address comes from the last load. Across a batch of queries they can. These stages let a caller start, for every
/// query of a batch, one load ahead of the lookup it will do, so the batch waits for memory about once per stage
/// instead of several times per query.
extension AnswerTable {
    /// Stage 1: starts loading the index slot where `hash`'s probe sequence begins.
    @inline(__always)
    func prefetchSlot(hash: UInt32) {
        index.prefetchFirstSlot(hash: hash)
    }

    /// Stage 2, once the slot is loaded: starts loading the node of the first entry with `hash`'s fingerprint (the
    /// one a lookup compares first), and returns where it is.
    @inline(__always)
    func prefetchNode(hash: UInt32) -> Location? {
        guard let location = index.firstCandidate(hash: hash) else { return nil }
        CPrefetch_read(views[location.part].nodes! + location.index)
        return location
    }

    /// Stage 3, once the node is loaded: starts loading its key and its first answer entry.
    @inline(__always)
    func prefetchKeyAndAnswers(_ location: Location) {
        let view = views[location.part]
        let node = view.nodes![location.index]
        if let keyBytes = view.keyBytes {
            CPrefetch_read(keyBytes + Int(node.keyStart))
        }
        if node.answersCount > 0, let answers = view.answers {
            CPrefetch_read(answers + Int(node.answersStart))
        }
    }

    /// Stage 4, once the answer entries are loaded: starts loading the bytes and record ends of the answer a query of
    /// `type` at `location` gets.
    @inline(__always)
    func prefetchAnswer(_ location: Location, type: UInt16) {
        guard let answer = answerLocation(node: location, type: type) else { return }
        let view = views[answer.part]
        let entry = view.answers![answer.index]
        if let answerBytes = view.answerBytes {
            CPrefetch_read(answerBytes + Int(entry.bytesStart))
        }
        let records = Int(entry.answerCount) + Int(entry.additionalCount)
        if records > 0, let recordEnds = view.recordEnds {
            CPrefetch_read(recordEnds + Int(entry.recordEndsStart) + records - 1)
        }
    }
}

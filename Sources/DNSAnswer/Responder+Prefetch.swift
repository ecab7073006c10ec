import DNSWire

extension Responder {
    /// The most queries one `prefetch` call looks at; a longer batch is taken in chunks.
    static let prefetchBatch = 64

    /// Starts loading what answering a batch of queries will read from the table (`AnswerTable+Prefetch`): every
    /// question's index slot, then every node, then every key and answer entry, then every answer's bytes, so the
    /// batch's cache misses overlap instead of stalling one lookup at a time. `query(i)` is the i-th query for `i` in `0..<count`, as `respond`
    /// will get it. Only reads: a query it cannot read is left to `respond`, which answers it as ever.
    public func prefetch(count: Int, query: (Int) -> UnsafeRawBufferPointer) {
        guard let table else { return }
        var start = 0
        while start < count {
            let chunk = min(count - start, Responder.prefetchBatch)
            for index in 0..<chunk {
                let question = Responder.readQuestion(query(start + index))
                prefetchQuestions[index] = question
                if let question { table.prefetchSlot(hash: question.hash) }
            }
            for index in 0..<chunk {
                prefetchLocations[index] = prefetchQuestions[index].flatMap { table.prefetchNode(hash: $0.hash) }
            }
            for index in 0..<chunk {
                if let location = prefetchLocations[index] { table.prefetchKeyAndAnswers(location) }
            }
            for index in 0..<chunk {
                if let location = prefetchLocations[index], let question = prefetchQuestions[index] {
                    table.prefetchAnswer(location, type: question.type)
                }
            }
            start += chunk
        }
    }

    /// What `prefetch` reads of a question.
    struct PrefetchedQuestion {
        /// `AnswerTable.hash` of the key `respond` looks up (the lowercased wire name).
        var hash: UInt32
        var type: UInt16
    }

    /// `query`'s question read in place; nil where the name is not one `respond` would read.
    static func readQuestion(_ query: UnsafeRawBufferPointer) -> PrefetchedQuestion? {
        var hash = AnswerTable.hashBasis
        var offset = 12
        var length = 0
        while true {
            guard offset < query.count else { return nil }
            let labelLength = Int(query[offset])
            hash = AnswerTable.hash(hash, adding: UInt8(labelLength))
            if labelLength == 0 { break }
            guard labelLength <= Name.maxLabelLength, offset + 1 + labelLength <= query.count,
                length + 1 + labelLength + 1 <= Name.maxWireLength
            else { return nil }
            for index in 1...labelLength {
                hash = AnswerTable.hash(hash, adding: asciiLowercase(query[offset + index]))
            }
            length += 1 + labelLength
            offset += 1 + labelLength
        }
        guard offset + 3 <= query.count else { return nil }
        return PrefetchedQuestion(hash: hash, type: UInt16(query[offset + 1]) << 8 | UInt16(query[offset + 2]))
    }
}

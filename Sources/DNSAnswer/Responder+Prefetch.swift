extension Responder {
    /// The most queries one `prefetch` call looks at; a longer batch is taken in chunks.
    static let prefetchBatch = 64

    /// Starts loading what answering a batch of queries will read from the table (`AnswerTable+Prefetch`): every
    /// question's index slot, then every node, then every key and answer entry, then every answer's bytes, so the
    /// batch's cache misses overlap instead of stalling one lookup at a time. `query(i)` is the i-th query for `i` in
    /// `0..<count`, as `respond` will get it. Changes nothing `respond` depends on (only its scratch key, which
    /// `respond` writes again): a query it cannot read is left to `respond`, which answers it as ever.
    public func prefetch(count: Int, query: (Int) -> UnsafeRawBufferPointer) {
        guard let table else { return }
        var start = 0
        while start < count {
            let chunk = min(count - start, Responder.prefetchBatch)
            for index in 0..<chunk {
                // `respond` parses it again into the same scratch key: a copy of a name already in cache, where
                // keeping each query's parse between the two calls would tie `respond` to batch positions.
                var question = ParsedQuery()
                let isReadable = parseQuestion(query(start + index), into: &question)
                prefetchQuestions[index] = isReadable ? question : nil
                if isReadable { table.prefetchSlot(hash: question.nameHash) }
            }
            for index in 0..<chunk {
                prefetchLocations[index] = prefetchQuestions[index].flatMap { table.prefetchNode(hash: $0.nameHash) }
            }
            for index in 0..<chunk {
                if let location = prefetchLocations[index] { table.prefetchKeyAndAnswers(location) }
            }
            for index in 0..<chunk {
                if let location = prefetchLocations[index], let question = prefetchQuestions[index] {
                    table.prefetchAnswer(location, type: question.questionType)
                }
            }
            start += chunk
        }
    }
}

extension AnswerTable {
    /// Lays compiled parts and parts of a previous table end to end in new flat buffers, shifting every offset a
    /// part holds (key starts, answer indices, byte starts, record-end indices, external targets) by where the part
    /// lands. Record ends are relative to their answer's bytes and node hashes to their key, so they are copied as
    /// they are.
    struct TableAssembly {
        struct Counts {
            var nodes = 0
            var keyBytes = 0
            var answers = 0
            var answerBytes = 0
            var recordEnds = 0

            mutating func add(_ compiler: Compiler) {
                nodes += compiler.nodes.count
                keyBytes += compiler.keyBytes.count
                answers += compiler.answers.count
                answerBytes += compiler.answerBytes.count
                recordEnds += compiler.recordEnds.count
            }

            mutating func add(_ placement: AnswerTableBuilder.Placement) {
                nodes += placement.nodes.count
                keyBytes += placement.keyBytes.count
                answers += placement.answers.count
                answerBytes += placement.answerBytes.count
                recordEnds += placement.recordEnds.count
            }
        }

        private let nodes: UnsafeMutableBufferPointer<Node>
        private let keyBytes: UnsafeMutableBufferPointer<UInt8>
        private let answers: UnsafeMutableBufferPointer<CompiledAnswer>
        private let answerBytes: UnsafeMutableBufferPointer<UInt8>
        private let recordEnds: UnsafeMutableBufferPointer<UInt32>
        private var externalTargets: [[UInt8]] = []
        private var filled = Counts()

        init(counts: Counts) {
            nodes = .allocate(capacity: max(counts.nodes, 1))
            keyBytes = .allocate(capacity: max(counts.keyBytes, 1))
            answers = .allocate(capacity: max(counts.answers, 1))
            answerBytes = .allocate(capacity: max(counts.answerBytes, 1))
            recordEnds = .allocate(capacity: max(counts.recordEnds, 1))
        }

        /// Appends a freshly compiled part (offsets from zero).
        mutating func append(_ compiler: Compiler) -> AnswerTableBuilder.Placement {
            compiler.nodes.withUnsafeBufferPointer { nodes in
                compiler.keyBytes.withUnsafeBufferPointer { keyBytes in
                    compiler.answers.withUnsafeBufferPointer { answers in
                        compiler.answerBytes.withUnsafeBufferPointer { answerBytes in
                            compiler.recordEnds.withUnsafeBufferPointer { recordEnds in
                                append(
                                    nodes: nodes, keyBytes: keyBytes, answers: answers, answerBytes: answerBytes,
                                    recordEnds: recordEnds, externalTargets: compiler.externalTargets[...],
                                    base: Counts(), targetBase: 0)
                            }
                        }
                    }
                }
            }
        }

        /// Appends the part of `table` at `placement`.
        mutating func append(
            _ placement: AnswerTableBuilder.Placement, of table: AnswerTable
        ) -> AnswerTableBuilder.Placement {
            append(
                nodes: UnsafeBufferPointer(rebasing: table.nodes[placement.nodes]),
                keyBytes: UnsafeBufferPointer(rebasing: table.keyBytes[placement.keyBytes]),
                answers: UnsafeBufferPointer(rebasing: table.answers[placement.answers]),
                answerBytes: UnsafeBufferPointer(rebasing: table.answerBytes[placement.answerBytes]),
                recordEnds: UnsafeBufferPointer(rebasing: table.recordEnds[placement.recordEnds]),
                externalTargets: table.externalTargets[placement.externalTargets],
                base: Counts(
                    nodes: placement.nodes.lowerBound, keyBytes: placement.keyBytes.lowerBound,
                    answers: placement.answers.lowerBound, answerBytes: placement.answerBytes.lowerBound,
                    recordEnds: placement.recordEnds.lowerBound),
                targetBase: placement.externalTargets.lowerBound)
        }

        /// `base`: where the source's buffers start in the table its offsets refer to.
        private mutating func append(
            nodes source: UnsafeBufferPointer<Node>, keyBytes sourceKeys: UnsafeBufferPointer<UInt8>,
            answers sourceAnswers: UnsafeBufferPointer<CompiledAnswer>, answerBytes sourceBytes: UnsafeBufferPointer<UInt8>,
            recordEnds sourceEnds: UnsafeBufferPointer<UInt32>, externalTargets sourceTargets: ArraySlice<[UInt8]>,
            base: Counts, targetBase: Int
        ) -> AnswerTableBuilder.Placement {
            let placement = AnswerTableBuilder.Placement(
                nodes: filled.nodes..<(filled.nodes + source.count),
                keyBytes: filled.keyBytes..<(filled.keyBytes + sourceKeys.count),
                answers: filled.answers..<(filled.answers + sourceAnswers.count),
                answerBytes: filled.answerBytes..<(filled.answerBytes + sourceBytes.count),
                recordEnds: filled.recordEnds..<(filled.recordEnds + sourceEnds.count),
                externalTargets: externalTargets.count..<(externalTargets.count + sourceTargets.count))
            // Wrapping arithmetic: a shift may be negative (the part moved towards the start).
            let keyShift = UInt32(truncatingIfNeeded: filled.keyBytes &- base.keyBytes)
            let answerShift = UInt32(truncatingIfNeeded: filled.answers &- base.answers)
            let fallbackShift = Int32(truncatingIfNeeded: filled.answers &- base.answers)
            for (offset, node) in source.enumerated() {
                var moved = node
                moved.keyStart = node.keyStart &+ keyShift
                moved.answersStart = node.answersStart &+ answerShift
                if node.fallbackAnswer >= 0 { moved.fallbackAnswer = node.fallbackAnswer &+ fallbackShift }
                (nodes.baseAddress! + filled.nodes + offset).initialize(to: moved)
            }
            let byteShift = UInt32(truncatingIfNeeded: filled.answerBytes &- base.answerBytes)
            let endShift = UInt32(truncatingIfNeeded: filled.recordEnds &- base.recordEnds)
            let targetShift = Int32(truncatingIfNeeded: externalTargets.count &- targetBase)
            for (offset, answer) in sourceAnswers.enumerated() {
                var moved = answer
                moved.bytesStart = answer.bytesStart &+ byteShift
                moved.recordEndsStart = answer.recordEndsStart &+ endShift
                if answer.externalTarget >= 0 { moved.externalTarget = answer.externalTarget &+ targetShift }
                (answers.baseAddress! + filled.answers + offset).initialize(to: moved)
            }
            if let from = sourceKeys.baseAddress {
                (keyBytes.baseAddress! + filled.keyBytes).initialize(from: from, count: sourceKeys.count)
            }
            if let from = sourceBytes.baseAddress {
                (answerBytes.baseAddress! + filled.answerBytes).initialize(from: from, count: sourceBytes.count)
            }
            if let from = sourceEnds.baseAddress {
                (recordEnds.baseAddress! + filled.recordEnds).initialize(from: from, count: sourceEnds.count)
            }
            externalTargets += sourceTargets
            filled.nodes += source.count
            filled.keyBytes += sourceKeys.count
            filled.answers += sourceAnswers.count
            filled.answerBytes += sourceBytes.count
            filled.recordEnds += sourceEnds.count
            return placement
        }

        /// The table; call once, when every part is in.
        func table(serial: UInt32, configuration: AnswerConfiguration, authorities: [Authority]) -> AnswerTable {
            AnswerTable(
                serial: serial, configuration: configuration, authorities: authorities,
                nodes: UnsafeMutableBufferPointer(rebasing: nodes[0..<filled.nodes]),
                keyBytes: UnsafeMutableBufferPointer(rebasing: keyBytes[0..<filled.keyBytes]),
                answers: UnsafeMutableBufferPointer(rebasing: answers[0..<filled.answers]),
                answerBytes: UnsafeMutableBufferPointer(rebasing: answerBytes[0..<filled.answerBytes]),
                recordEnds: UnsafeMutableBufferPointer(rebasing: recordEnds[0..<filled.recordEnds]),
                externalTargets: externalTargets)
        }
    }
}

import DNSWire

/// An upstream reply in wire form, prepared once so that it can be written for any client that asked the same
/// question with a copy and a few patches: ID, flags, the client's question bytes, TTLs, counts, OPT.
///
/// Holds the header, the question (name in lower case) and every record except OPT, plus where each record ends and
/// where its TTL sits. Compression pointers only point backwards (RFC 1035 §4.1.4), so the first `n` records are a
/// valid message on their own: truncating is cutting at a record end. The client's question name has the same length
/// as the stored one (it is the same name up to ASCII case), so copying it over keeps every pointer into it valid.
public struct CompiledReply: Sendable {
    /// The size of an OPT record without options: root owner, TYPE, CLASS, TTL, RDLENGTH (RFC 6891 §6.1.2).
    static let optLength = 11

    let bytes: [UInt8]
    let questionEnd: Int
    /// Offset of each record's TTL field, in message order.
    let ttlOffsets: [Int]
    /// Offset just after each record, in message order.
    let recordEnds: [Int]
    let answerCount: Int
    let authorityCount: Int
    /// QR, OPCODE, AA, TC, RA, AD and RCODE of the upstream's reply; RD and CD are the client's.
    let flags: UInt16
    let extendedResponseCode: UInt8

    /// Prepares `reply`, which must hold exactly one question (callers validate it first).
    public init(_ reply: Message) {
        precondition(reply.questions.count == 1, "a reply to compile has exactly one question")
        var header = reply.header
        header.id = 0
        header.questionCount = 1
        header.answerCount = UInt16(reply.answers.count)
        header.authorityCount = UInt16(reply.authorities.count)
        header.additionalCount = UInt16(reply.additionals.count)
        var writer = WireWriter()
        writer.write(header)
        var question = reply.questions[0]
        question.name = question.name.lowercased()
        writer.write(question)
        questionEnd = writer.count
        var ttlOffsets: [Int] = []
        var recordEnds: [Int] = []
        let records = reply.answers + reply.authorities + reply.additionals
        ttlOffsets.reserveCapacity(records.count)
        recordEnds.reserveCapacity(records.count)
        for record in records {
            let start = writer.count
            writer.write(record)
            ttlOffsets.append(writer.bytes.withUnsafeBytes { nameEnd($0, at: start) } + 4)
            recordEnds.append(writer.count)
        }
        bytes = writer.bytes
        self.ttlOffsets = ttlOffsets
        self.recordEnds = recordEnds
        answerCount = reply.answers.count
        authorityCount = reply.authorities.count
        flags = header.flags & ~(0x0100 | 0x0010)
        extendedResponseCode = reply.edns?.extendedResponseCode ?? 0
    }

    /// The message size with every record and OPT for a client with EDNS.
    public var fullLength: Int { bytes.count }

    /// How record TTLs are written.
    public enum TTLs: Sendable, Equatable {
        /// As the upstream sent them.
        case unchanged
        /// Each reduced by `age` seconds (not below 0) and capped at `ceiling`, the entry's remaining lifetime, so no
        /// downstream cache keeps a record longer than we would (RFC 1035 §7.3, RFC 2308 §5).
        case aged(by: UInt32, ceiling: UInt32)
        /// All set to one value: serve-stale answers carry 30 s (RFC 8767 §4).
        case fixed(UInt32)

        /// The TTL written for a record stored with `original`.
        @inline(__always)
        func applied(to original: UInt32) -> UInt32 {
            switch self {
            case .unchanged: original
            case .aged(let age, let ceiling): min(original > age ? original - age : 0, ceiling)
            case .fixed(let value): value
            }
        }
    }

    /// Writes the reply for `query` into `buffer` and returns its length.
    ///
    /// At most `limit` bytes (and `buffer.count`): records that do not fit are left out whole, from the end, and TC
    /// is set when an answer or authority record had to go (RFC 2181 §9: additional data alone does not make the
    /// reply truncated). OPT is written when the query had EDNS and only then (RFC 6891 §7), advertising our payload
    /// size, the client's DO bit and the upstream's extended RCODE; without EDNS an extended RCODE cannot be carried
    /// and becomes SERVFAIL.
    public func write(
        for query: ClientQuery, limit: Int, ttls: TTLs = .unchanged, into buffer: UnsafeMutableRawBufferPointer
    ) -> Int {
        query.question.name.wire.withUnsafeBytes { name in
            write(
                id: query.id, recursionDesired: query.recursionDesired, checkingDisabled: query.checkingDisabled,
                questionName: name, edns: query.edns.map { $0.dnssecOK }, limit: limit, ttls: ttls, into: buffer)
        }
    }

    /// `write(for:limit:ttls:into:)` for a query read in place (`WireQuery`) from `bytes`: the question's name is
    /// copied from `bytes` as the client sent it. Allocates nothing.
    public func write(
        for query: WireQuery, in bytes: UnsafeRawBufferPointer, limit: Int, ttls: TTLs = .unchanged,
        into buffer: UnsafeMutableRawBufferPointer
    ) -> Int {
        write(
            id: query.id, recursionDesired: query.recursionDesired, checkingDisabled: query.checkingDisabled,
            questionName: query.name(in: bytes), edns: query.hasEDNS ? query.dnssecOK : nil, limit: limit,
            ttls: ttls, into: buffer)
    }

    /// The writer behind both: `questionName` is the client's name (the stored one up to ASCII case, so of the same
    /// length); `edns` is the client's DO bit, `nil` when it sent no OPT.
    private func write(
        id: UInt16, recursionDesired: Bool, checkingDisabled: Bool, questionName: UnsafeRawBufferPointer,
        edns: Bool?, limit: Int, ttls: TTLs, into buffer: UnsafeMutableRawBufferPointer
    ) -> Int {
        let limit = min(limit, buffer.count)
        let optLength = edns == nil ? 0 : CompiledReply.optLength
        precondition(questionEnd + optLength <= limit, "a reply limit below the question's size")
        var kept = recordEnds.count
        while kept > 0, recordEnds[kept - 1] + optLength > limit {
            kept -= 1
        }
        let end = kept == 0 ? questionEnd : recordEnds[kept - 1]
        bytes.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress!, byteCount: end)
        }
        // The client's own question bytes: its letter case (the stored name has the same length).
        precondition(12 + questionName.count <= questionEnd, "a client name longer than the stored question")
        UnsafeMutableRawBufferPointer(rebasing: buffer[12..<(12 + questionName.count)]).copyMemory(from: questionName)
        var flags = self.flags
        if recursionDesired { flags |= 0x0100 }
        if checkingDisabled { flags |= 0x0010 }
        if kept < answerCount + authorityCount { flags |= 0x0200 }
        if edns == nil, extendedResponseCode != 0 {
            flags = flags & ~0x000F | UInt16(ResponseCode.servFail.headerBits)
        }
        put16(buffer, 0, id)
        put16(buffer, 2, flags)
        let answers = min(kept, answerCount)
        let authorities = min(kept - answers, authorityCount)
        let additionals = kept - answers - authorities + (optLength == 0 ? 0 : 1)
        put16(buffer, 6, UInt16(answers))
        put16(buffer, 8, UInt16(authorities))
        put16(buffer, 10, UInt16(additionals))
        if ttls != .unchanged {
            for index in 0..<kept {
                let offset = ttlOffsets[index]
                let original =
                    UInt32(buffer[offset]) << 24 | UInt32(buffer[offset + 1]) << 16
                    | UInt32(buffer[offset + 2]) << 8 | UInt32(buffer[offset + 3])
                put32(buffer, offset, ttls.applied(to: original))
            }
        }
        guard let dnssecOK = edns else { return end }
        // OPT: root owner, TYPE 41, CLASS = payload size, TTL = extended RCODE | version 0 | DO, RDLENGTH 0.
        buffer[end] = 0
        put16(buffer, end + 1, RecordType.opt.rawValue)
        put16(buffer, end + 3, ForwardPolicy.upstreamUDPPayload)
        buffer[end + 5] = extendedResponseCode
        buffer[end + 6] = 0
        put16(buffer, end + 7, dnssecOK ? 0x8000 : 0)
        put16(buffer, end + 9, 0)
        return end + optLength
    }

    /// `write(for:limit:ttls:into:)` into a new array.
    public func rendered(for query: ClientQuery, limit: Int, ttls: TTLs = .unchanged) -> [UInt8] {
        let capacity = min(limit, bytes.count + CompiledReply.optLength)
        var length = 0
        let result = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
            length = write(for: query, limit: limit, ttls: ttls, into: UnsafeMutableRawBufferPointer(buffer))
            count = length
        }
        return result
    }

    /// The reply an upstream sent, rewritten for one waiting client: its ID, its question bytes (its letter case), its
    /// RD and CD bits, OPT only if it sent OPT, truncated (TC=1, whole records) to `clientLimit` bytes.
    public static func rewrite(reply: Message, for query: ClientQuery, clientLimit: Int) -> [UInt8] {
        CompiledReply(reply).rendered(for: query, limit: clientLimit)
    }
}

/// The offset after the name at `start` in a message already checked or written by us: after its root octet or its
/// pointer.
func nameEnd(_ bytes: UnsafeRawBufferPointer, at start: Int) -> Int {
    var offset = start
    while true {
        let length = bytes[offset]
        if length == 0 { return offset + 1 }
        if length & 0xC0 == 0xC0 { return offset + 2 }
        offset += 1 + Int(length)
    }
}

@inline(__always)
func put16(_ buffer: UnsafeMutableRawBufferPointer, _ offset: Int, _ value: UInt16) {
    buffer[offset] = UInt8(value >> 8)
    buffer[offset + 1] = UInt8(value & 0xFF)
}

@inline(__always)
func put32(_ buffer: UnsafeMutableRawBufferPointer, _ offset: Int, _ value: UInt32) {
    buffer[offset] = UInt8(value >> 24)
    buffer[offset + 1] = UInt8(value >> 16 & 0xFF)
    buffer[offset + 2] = UInt8(value >> 8 & 0xFF)
    buffer[offset + 3] = UInt8(value & 0xFF)
}

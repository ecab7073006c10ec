import DNSWire

/// Answers one query from the current `AnswerTable`: the hot path.
///
/// One per worker; it owns its scratch buffers, made once, so answering allocates nothing, takes no lock and touches
/// no `String`. Checks run cheapest first (length, QR, opcode, QDCOUNT, question), and anything malformed is dropped or
/// answered FORMERR, never reflected.
public final class Responder {
    /// The largest UDP reply we send whatever the client advertises; also what we advertise (DNS flag day 2020).
    public static let maxUDPPayload = 1232
    /// Without EDNS a UDP reply is at most 512 bytes (RFC 1035 §4.2.1).
    static let classicUDPPayload = 512
    /// The most labels a 255-octet name can have.
    static let maxLabels = 128
    static let optRecordLength = 11
    /// Returned by `respond` instead of a length when `forwardsOtherNames` is set and the name is not ours: the caller
    /// hands the query to its forwarder. Never returned otherwise.
    public static let forward = -1

    /// What `respond` leaves at the start of `response` when it returns `Responder.forward`, for the forwarder that
    /// the same buffer is handed to next.
    public enum HandOver: Equatable, Sendable {
        /// Forward the query as it is.
        case forward
        /// An alias to a name outside every zone we serve (an ExternalName service): `reply` is our whole answer
        /// (the CNAME) and the forwarder completes it with `target`'s records from upstream.
        case chase(reply: [UInt8], target: Name)
    }

    /// Note layout: byte 0 says which `HandOver`; for `chase`, bytes 1–2 are the reply's length, the reply follows,
    /// and the target's wire form after it.
    static let handOverForward: UInt8 = 0
    static let handOverChase: UInt8 = 1
    static let chaseNoteHeader = 3

    /// Reads the note `respond` wrote into `response` along with `Responder.forward`.
    public static func handOver(in response: UnsafeRawBufferPointer) -> HandOver {
        guard let note = ChaseNote(response), let target = Name(wireLabels: Array(note.target)[...]) else {
            return .forward
        }
        return .chase(reply: Array(note.reply), target: target)
    }

    /// A `HandOver.chase` note read in place, for a forwarder that completes the alias without allocating.
    public struct ChaseNote {
        /// Our reply: the alias's CNAME records, as the client gets them.
        public let reply: UnsafeRawBufferPointer
        /// The name to complete the alias with, in wire form (labels only, any letter case).
        public let target: UnsafeRawBufferPointer

        /// `nil` when `response` holds no chase note, or one whose target is not a name of labels within the buffer.
        public init?(_ response: UnsafeRawBufferPointer) {
            guard response.count > chaseNoteHeader, response[0] == handOverChase else { return nil }
            let replyEnd = chaseNoteHeader + Int(readUInt16(response, 1))
            guard replyEnd < response.count else { return nil }
            var offset = replyEnd
            while true {
                guard offset < response.count, offset - replyEnd < Name.maxWireLength else { return nil }
                let label = Int(response[offset])
                if label == 0 { break }
                guard label <= Name.maxLabelLength else { return nil }
                offset += 1 + label
            }
            reply = UnsafeRawBufferPointer(rebasing: response[chaseNoteHeader..<replyEnd])
            target = UnsafeRawBufferPointer(rebasing: response[replyEnd...offset])
        }
    }

    /// The table in force; `nil` until the first registry load succeeded (cluster-zone names get SERVFAIL then). A
    /// table compiled for other cluster zones (a configuration reload) brings them along.
    public var table: AnswerTable? {
        didSet {
            if let zones = table?.configuration.zones,
                zones.count != zoneApexes.count
                    || !zip(zones, zoneApexes).allSatisfy({ $0.wire == $1 })
            {
                zoneApexes = zones.map { $0.lowercased().wire }
            }
        }
    }
    public private(set) var counters = ResponderCounters()
    /// The QTYPE of the query last given to `respond`, when it had a readable question: for per-type metrics.
    public private(set) var lastQuestionType: UInt16?
    /// Whether names outside the cluster zones (and reverse names without a PTR here) are handed to a forwarder
    /// (`Responder.forward`) instead of answered REFUSED: set when upstreams are configured.
    public var forwardsOtherNames = false

    /// Lowercased wire form of the cluster zones, to tell ours from others' before the first table exists.
    private var zoneApexes: [[UInt8]]
    private let key: UnsafeMutableRawBufferPointer
    private let labelStarts: UnsafeMutableBufferPointer<Int>
    private let addressScratch: UnsafeMutableRawBufferPointer
    /// `prefetch`'s per-query state between its stages: each question (nil: unreadable), then its candidate node.
    let prefetchQuestions: UnsafeMutableBufferPointer<ParsedQuery?>
    let prefetchLocations: UnsafeMutableBufferPointer<AnswerTable.Location?>

    public init(zones: [Name], table: AnswerTable? = nil) {
        zoneApexes = zones.map { $0.lowercased().wire }
        self.table = table
        key = .allocate(byteCount: Name.maxWireLength + 1, alignment: 8)
        labelStarts = .allocate(capacity: Responder.maxLabels + 1)
        addressScratch = .allocate(byteCount: 16, alignment: 8)
        prefetchQuestions = .allocate(capacity: Responder.prefetchBatch)
        prefetchLocations = .allocate(capacity: Responder.prefetchBatch)
    }

    deinit {
        key.deallocate()
        labelStarts.deallocate()
        addressScratch.deallocate()
        prefetchQuestions.deallocate()
        prefetchLocations.deallocate()
    }

    /// Writes the reply to `query` into `response` and returns its length; 0 means drop, `Responder.forward` (only with
    /// `forwardsOtherNames`) means the name is not ours to answer. Malformed queries, other opcodes and classes, EDNS
    /// versions and zone transfers are answered here whatever the name, before any forwarding.
    public func respond(
        to query: UnsafeRawBufferPointer, into response: UnsafeMutableRawBufferPointer, transport: ResponseTransport
    ) -> Int {
        guard query.count >= 12 else {
            counters.droppedTooShort += 1
            return 0
        }
        guard query[2] & 0x80 == 0 else {
            counters.droppedResponses += 1
            return 0
        }
        guard response.count >= Responder.classicUDPPayload else { return 0 }
        guard (query[2] >> 3) & 0x0F == OpCode.query.rawValue else {
            counters.notImp += 1
            return writeHeaderOnly(query, response, rcode: .notImp)
        }
        guard query[4] == 0, query[5] == 1 else {
            counters.formErr += 1
            return writeHeaderOnly(query, response, rcode: .formErr)
        }
        var parsed = ParsedQuery()
        lastQuestionType = nil
        guard parseQuestion(query, into: &parsed), parseRecords(query, into: &parsed) else {
            counters.formErr += 1
            return writeHeaderOnly(query, response, rcode: .formErr)
        }
        lastQuestionType = parsed.questionType
        if parsed.hasEDNS, parsed.ednsVersion != 0 {
            counters.badVers += 1
            return writeReply(query, parsed, response, rcode: .badVers, authoritative: false)
        }
        guard parsed.questionClass == RecordClass.internet.rawValue,
            parsed.questionType != RecordType.axfr.rawValue, parsed.questionType != RecordType.ixfr.rawValue
        else {
            counters.refused += 1
            return writeReply(query, parsed, response, rcode: .refused, authoritative: false)
        }
        let limit = replyLimit(parsed, response, transport)
        guard let table else {
            if clusterZone(parsed) != nil {
                counters.servFail += 1
                return writeReply(query, parsed, response, rcode: .servFail, authoritative: false)
            }
            if forwardsOtherNames {
                return handOver(response)
            }
            counters.refused += 1
            return writeReply(query, parsed, response, rcode: .refused, authoritative: false)
        }
        let keyBytes = UnsafeRawBufferPointer(rebasing: key[0..<parsed.nameLength])
        if let node = table.findNode(keyBytes, hash: parsed.nameHash) {
            let nodeEntry = table.node(node)
            let authority = Int(nodeEntry.authority)
            if let answer = table.answerLocation(node: node, type: parsed.questionType) {
                if forwardsOtherNames, table.answer(answer).hasExternalTarget,
                    parsed.questionType != RecordType.cname.rawValue, parsed.questionType != RecordType.any.rawValue
                {
                    return handOverChase(query, parsed, response, limit: limit, table: table, answer: answer)
                }
                counters.answered += 1
                return writePositive(query, parsed, response, limit: limit, table: table, answer: answer)
            }
            // A reverse-zone node without records of its own (a label between the apex and a PTR name): only exact
            // PTR names are ours there, so the rest of the reverse tree belongs to the upstreams.
            if forwardsOtherNames, !table.authorities[authority].isClusterZone, nodeEntry.answersCount == 0 {
                return handOver(response)
            }
            counters.noData += 1
            return writeNegative(query, parsed, response, table: table, authority: authority, rcode: .noError)
        }
        guard let zone = clusterZone(parsed) ?? staticZone(parsed, table) else {
            if forwardsOtherNames {
                return handOver(response)
            }
            counters.refused += 1
            return writeReply(query, parsed, response, rcode: .refused, authoritative: false)
        }
        if zone < zoneApexes.count, table.configuration.podMode == .insecure,
            let length = insecurePodAnswer(query, parsed, response, table: table, zone: zone)
        {
            return length
        }
        counters.nxDomain += 1
        return writeNegative(query, parsed, response, table: table, authority: zone, rcode: .nxDomain)
    }

    /// `Responder.forward`, with the note that says to forward the query as it is.
    private func handOver(_ response: UnsafeMutableRawBufferPointer) -> Int {
        counters.forwarded += 1
        response[0] = Responder.handOverForward
        return Responder.forward
    }

    /// Our answer (the alias) written behind the note, and the target after it, for the forwarder to complete.
    private func handOverChase(
        _ query: UnsafeRawBufferPointer, _ parsed: ParsedQuery, _ response: UnsafeMutableRawBufferPointer, limit: Int,
        table: AnswerTable, answer: AnswerTable.Location
    ) -> Int {
        counters.forwarded += 1
        let target = table.externalTarget(answer)
        let room = response.count - Responder.chaseNoteHeader - target.count
        let body = UnsafeMutableRawBufferPointer(
            rebasing: response[Responder.chaseNoteHeader..<(Responder.chaseNoteHeader + room)])
        let length = writePositive(query, parsed, body, limit: min(limit, room), table: table, answer: answer)
        response[0] = Responder.handOverChase
        writeUInt16(response, 1, UInt16(length))
        let targetStart = Responder.chaseNoteHeader + length
        for index in 0..<target.count { response[targetStart + index] = target[index] }
        return Responder.forward
    }

    // MARK: - Parsing

    struct ParsedQuery {
        var nameLength = 0
        /// `AnswerTable.hash` of the key (the lowercased name), worked out while copying it.
        var nameHash: UInt32 = 0
        var labelCount = 0
        var questionEnd = 0
        var questionType: UInt16 = 0
        var questionClass: UInt16 = 0
        var hasEDNS = false
        var ednsPayloadSize = 0
        var ednsVersion: UInt8 = 0
        var dnssecOK = false
    }

    /// Copies the question name, lowercased, into `key`, hashing it on the way, and notes label starts. Compression
    /// in a question is refused: nothing precedes it that a pointer could name.
    func parseQuestion(_ query: UnsafeRawBufferPointer, into parsed: inout ParsedQuery) -> Bool {
        var offset = 12
        var length = 0
        var labels = 0
        var hash = AnswerTable.hashBasis
        while true {
            guard offset < query.count else { return false }
            let labelLength = Int(query[offset])
            hash = AnswerTable.hash(hash, adding: UInt8(labelLength))
            if labelLength == 0 {
                key[length] = 0
                length += 1
                offset += 1
                break
            }
            guard labelLength <= Name.maxLabelLength, offset + 1 + labelLength <= query.count,
                length + 1 + labelLength + 1 <= Name.maxWireLength, labels < Responder.maxLabels
            else { return false }
            labelStarts[labels] = length
            labels += 1
            key[length] = UInt8(labelLength)
            for index in 1...labelLength {
                let byte = asciiLowercase(query[offset + index])
                key[length + index] = byte
                hash = AnswerTable.hash(hash, adding: byte)
            }
            length += 1 + labelLength
            offset += 1 + labelLength
        }
        guard offset + 4 <= query.count else { return false }
        parsed.nameLength = length
        parsed.nameHash = hash
        parsed.labelCount = labels
        parsed.questionType = UInt16(query[offset]) << 8 | UInt16(query[offset + 1])
        parsed.questionClass = UInt16(query[offset + 2]) << 8 | UInt16(query[offset + 3])
        parsed.questionEnd = offset + 4
        return true
    }

    /// Walks the answer, authority and additional sections for the OPT record (RFC 6891 §6.1.1: at most one, in the
    /// additional section, owned by the root). The loop is bounded by the bytes left: each record takes 11 or more.
    private func parseRecords(_ query: UnsafeRawBufferPointer, into parsed: inout ParsedQuery) -> Bool {
        let beforeAdditional = Int(readUInt16(query, 6)) + Int(readUInt16(query, 8))
        let total = beforeAdditional + Int(readUInt16(query, 10))
        var offset = parsed.questionEnd
        var index = 0
        while index < total {
            guard offset < query.count else { return false }
            let ownerIsRoot = query[offset] == 0
            guard let afterName = skipName(query, from: offset), afterName + 10 <= query.count else { return false }
            let type = readUInt16(query, afterName)
            let dataLength = Int(readUInt16(query, afterName + 8))
            guard afterName + 10 + dataLength <= query.count else { return false }
            if type == RecordType.opt.rawValue {
                guard index >= beforeAdditional, !parsed.hasEDNS, ownerIsRoot else { return false }
                parsed.hasEDNS = true
                parsed.ednsPayloadSize = Int(readUInt16(query, afterName + 2))
                parsed.ednsVersion = query[afterName + 5]
                parsed.dnssecOK = query[afterName + 6] & 0x80 != 0
            }
            offset = afterName + 10 + dataLength
            index += 1
        }
        return true
    }

    /// The offset after the name at `offset`, which may end in a compression pointer; `nil` when malformed.
    private func skipName(_ query: UnsafeRawBufferPointer, from start: Int) -> Int? {
        var offset = start
        while offset < query.count {
            let length = query[offset]
            switch length & 0xC0 {
            case 0x00:
                if length == 0 { return offset + 1 }
                offset += 1 + Int(length)
            case 0xC0:
                return offset + 2 <= query.count ? offset + 2 : nil
            default:
                return nil
            }
        }
        return nil
    }

    /// The index of the cluster zone holding the question name, if any.
    private func clusterZone(_ parsed: ParsedQuery) -> Int? {
        for (index, apex) in zoneApexes.enumerated() where isSuffix(apex, parsed) {
            return index
        }
        return nil
    }

    /// The authority index of the static zone (from a master file) holding the name, if any: its missing names are
    /// ours to deny with NXDOMAIN, never an upstream's to answer.
    private func staticZone(_ parsed: ParsedQuery, _ table: AnswerTable) -> Int? {
        for index in table.authorities.indices
        where index >= zoneApexes.count && table.authorities[index].isClusterZone
            && isSuffix(table.authorities[index].apex, parsed)
        {
            return index
        }
        return nil
    }

    private func isSuffix(_ apex: [UInt8], _ parsed: ParsedQuery) -> Bool {
        let start = parsed.nameLength - apex.count
        guard start >= 0 else { return false }
        if start > 0 {
            var boundary = false
            for label in 0..<parsed.labelCount where labelStarts[label] == start {
                boundary = true
                break
            }
            guard boundary else { return false }
        }
        for index in 0..<apex.count where key[start + index] != apex[index] {
            return false
        }
        return true
    }

    private func replyLimit(
        _ parsed: ParsedQuery, _ response: UnsafeMutableRawBufferPointer, _ transport: ResponseTransport
    ) -> Int {
        switch transport {
        case .tcp:
            return min(response.count, 65535)
        case .udp:
            let advertised = parsed.hasEDNS ? max(parsed.ednsPayloadSize, Responder.classicUDPPayload) : 0
            return min(response.count, parsed.hasEDNS ? min(advertised, Responder.maxUDPPayload) : 512)
        }
    }

    // MARK: - Writing

    /// Header with QR set, the query's ID, opcode, RD and CD kept; every count zero.
    private func writeHeader(
        _ query: UnsafeRawBufferPointer, _ response: UnsafeMutableRawBufferPointer, rcode: ResponseCode,
        authoritative: Bool, truncated: Bool
    ) {
        response[0] = query[0]
        response[1] = query[1]
        var flags = 0x80 | (query[2] & 0x79)  // QR, opcode, RD
        if authoritative { flags |= 0x04 }
        if truncated { flags |= 0x02 }
        response[2] = flags
        response[3] = (query[3] & 0x10) | rcode.headerBits  // CD kept (RFC 4035 §3.1.6), RA unset
        for index in 4..<12 { response[index] = 0 }
    }

    private func writeHeaderOnly(
        _ query: UnsafeRawBufferPointer, _ response: UnsafeMutableRawBufferPointer, rcode: ResponseCode
    ) -> Int {
        writeHeader(query, response, rcode: rcode, authoritative: false, truncated: false)
        return 12
    }

    private func setCounts(_ response: UnsafeMutableRawBufferPointer, answer: Int, authority: Int, additional: Int) {
        response[4] = 0
        response[5] = 1
        writeUInt16(response, 6, UInt16(answer))
        writeUInt16(response, 8, UInt16(authority))
        writeUInt16(response, 10, UInt16(additional))
    }

    /// Header, the question as the client wrote it, and OPT when the query had EDNS: for replies without records.
    private func writeReply(
        _ query: UnsafeRawBufferPointer, _ parsed: ParsedQuery, _ response: UnsafeMutableRawBufferPointer,
        rcode: ResponseCode, authoritative: Bool
    ) -> Int {
        writeHeader(query, response, rcode: rcode, authoritative: authoritative, truncated: false)
        var offset = copyQuestion(query, parsed, response)
        setCounts(response, answer: 0, authority: 0, additional: parsed.hasEDNS ? 1 : 0)
        if parsed.hasEDNS { offset = writeOPT(response, at: offset, parsed: parsed, rcode: rcode) }
        return offset
    }

    private func copyQuestion(
        _ query: UnsafeRawBufferPointer, _ parsed: ParsedQuery, _ response: UnsafeMutableRawBufferPointer
    ) -> Int {
        let length = parsed.questionEnd - 12
        UnsafeMutableRawBufferPointer(rebasing: response[12..<parsed.questionEnd])
            .copyMemory(from: UnsafeRawBufferPointer(rebasing: query[12..<(12 + length)]))
        return parsed.questionEnd
    }

    /// OPT pseudo-record (RFC 6891 §6.1.2): our payload size, the extended RCODE bits, version 0, DO copied
    /// (RFC 3225 §3), no options.
    private func writeOPT(
        _ response: UnsafeMutableRawBufferPointer, at offset: Int, parsed: ParsedQuery, rcode: ResponseCode
    ) -> Int {
        response[offset] = 0
        writeUInt16(response, offset + 1, RecordType.opt.rawValue)
        writeUInt16(response, offset + 3, UInt16(Responder.maxUDPPayload))
        response[offset + 5] = rcode.extendedBits
        response[offset + 6] = 0
        response[offset + 7] = parsed.dnssecOK ? 0x80 : 0
        response[offset + 8] = 0
        writeUInt16(response, offset + 9, 0)
        return offset + Responder.optRecordLength
    }

    private func writePositive(
        _ query: UnsafeRawBufferPointer, _ parsed: ParsedQuery, _ response: UnsafeMutableRawBufferPointer, limit: Int,
        table: AnswerTable, answer location: AnswerTable.Location
    ) -> Int {
        let answer = table.answer(location)
        let optLength = parsed.hasEDNS ? Responder.optRecordLength : 0
        let room = limit - parsed.questionEnd - optLength
        var answerCount = Int(answer.answerCount)
        var additionalCount = Int(answer.additionalCount)
        var byteCount = table.byteCount(of: location)
        if parsed.questionType == RecordType.any.rawValue, answer.type != RecordType.any.rawValue {
            // ANY at a name with one RRset: that RRset's answer records, without the additional records its own
            // type carries (an alias's CNAME answer has none).
            additionalCount = 0
            byteCount = answerCount == 0 ? 0 : table.recordEnd(location, record: answerCount - 1)
        }
        var truncated = false
        if byteCount > room {
            // Keep the longest prefix of whole records: compression only points backwards, so a prefix stays valid.
            let records = answerCount + additionalCount
            var kept = 0
            while kept < records, table.recordEnd(location, record: kept) <= room { kept += 1 }
            byteCount = kept == 0 ? 0 : table.recordEnd(location, record: kept - 1)
            if kept >= answerCount {
                // RFC 2181 §9: leaving out additional data alone does not set TC.
                additionalCount = kept - answerCount
            } else {
                answerCount = kept
                additionalCount = 0
                truncated = true
                counters.truncated += 1
            }
        }
        writeHeader(query, response, rcode: .noError, authoritative: true, truncated: truncated)
        var offset = copyQuestion(query, parsed, response)
        if byteCount > 0 {
            if answer.isTargetByKey {
                table.writeTargetByKey(location, to: response.baseAddress!.assumingMemoryBound(to: UInt8.self) + offset)
            } else {
                (response.baseAddress! + offset).copyMemory(
                    from: table.answerBytes(location), byteCount: byteCount)
            }
        }
        offset += byteCount
        setCounts(
            response, answer: answerCount, authority: 0, additional: additionalCount + (parsed.hasEDNS ? 1 : 0))
        if parsed.hasEDNS { offset = writeOPT(response, at: offset, parsed: parsed, rcode: .noError) }
        return offset
    }

    /// NXDOMAIN or NODATA with the zone's SOA in the authority section (RFC 2308 §2), owner pointing at the apex.
    private func writeNegative(
        _ query: UnsafeRawBufferPointer, _ parsed: ParsedQuery, _ response: UnsafeMutableRawBufferPointer,
        table: AnswerTable, authority: Int, rcode: ResponseCode
    ) -> Int {
        writeHeader(query, response, rcode: rcode, authoritative: true, truncated: false)
        var offset = copyQuestion(query, parsed, response)
        let zone = table.authorities[authority]
        let soa = zone.negativeSOA
        for index in 0..<soa.count { response[offset + index] = soa[index] }
        let apexOffset = 12 + parsed.nameLength - zone.apex.count
        for patch in zone.pointerPatchOffsets {
            writeUInt16(response, offset + patch, 0xC000 | UInt16(apexOffset))
        }
        offset += soa.count
        setCounts(response, answer: 0, authority: 1, additional: parsed.hasEDNS ? 1 : 0)
        if parsed.hasEDNS { offset = writeOPT(response, at: offset, parsed: parsed, rcode: rcode) }
        return offset
    }

    /// `<dashed-ip>.<namespace>.pod.<zone>` in `insecure` mode: the address in the name, when the namespace exists.
    /// `nil` when the name is not of that shape, so the caller answers NXDOMAIN.
    private func insecurePodAnswer(
        _ query: UnsafeRawBufferPointer, _ parsed: ParsedQuery, _ response: UnsafeMutableRawBufferPointer,
        table: AnswerTable, zone: Int
    ) -> Int? {
        let zoneLabels = zoneLabelCount(zone)
        guard parsed.labelCount == zoneLabels + 3 else { return nil }
        let podLabel = labelStarts[2]
        guard key[podLabel] == 3, key[podLabel + 1] == UInt8(ascii: "p"), key[podLabel + 2] == UInt8(ascii: "o"),
            key[podLabel + 3] == UInt8(ascii: "d")
        else { return nil }
        let namespaceStart = labelStarts[1]
        let namespaceKey = UnsafeRawBufferPointer(rebasing: key[namespaceStart..<parsed.nameLength])
        guard table.findNode(namespaceKey) != nil else { return nil }
        let addressLabel = UnsafeRawBufferPointer(rebasing: key[1..<(1 + Int(key[0]))])
        let family = DashedAddress.parse(addressLabel, into: addressScratch)
        guard family != 0 else { return nil }
        let wanted: RecordType = family == 4 ? .a : .aaaa
        guard parsed.questionType == wanted.rawValue || parsed.questionType == RecordType.any.rawValue else {
            counters.noData += 1
            return writeNegative(query, parsed, response, table: table, authority: zone, rcode: .noError)
        }
        counters.answered += 1
        writeHeader(query, response, rcode: .noError, authoritative: true, truncated: false)
        var offset = copyQuestion(query, parsed, response)
        writeUInt16(response, offset, 0xC00C)
        writeUInt16(response, offset + 2, wanted.rawValue)
        writeUInt16(response, offset + 4, RecordClass.internet.rawValue)
        writeUInt32(response, offset + 6, table.configuration.ttl)
        writeUInt16(response, offset + 10, UInt16(family))
        for index in 0..<family { response[offset + 12 + index] = addressScratch[index] }
        offset += 12 + family
        setCounts(response, answer: 1, authority: 0, additional: parsed.hasEDNS ? 1 : 0)
        if parsed.hasEDNS { offset = writeOPT(response, at: offset, parsed: parsed, rcode: .noError) }
        return offset
    }

    private func zoneLabelCount(_ zone: Int) -> Int {
        let apex = zoneApexes[zone]
        var count = 0
        var offset = 0
        while apex[offset] != 0 {
            count += 1
            offset += 1 + Int(apex[offset])
        }
        return count
    }
}

@inline(__always)
func readUInt16(_ buffer: UnsafeRawBufferPointer, _ offset: Int) -> UInt16 {
    UInt16(buffer[offset]) << 8 | UInt16(buffer[offset + 1])
}

@inline(__always)
func writeUInt16(_ buffer: UnsafeMutableRawBufferPointer, _ offset: Int, _ value: UInt16) {
    buffer[offset] = UInt8(value >> 8)
    buffer[offset + 1] = UInt8(value & 0xFF)
}

@inline(__always)
func writeUInt32(_ buffer: UnsafeMutableRawBufferPointer, _ offset: Int, _ value: UInt32) {
    writeUInt16(buffer, offset, UInt16(value >> 16))
    writeUInt16(buffer, offset + 2, UInt16(value & 0xFFFF))
}

import DNSWire

/// Our answer for an alias whose chain leaves every zone we serve (an ExternalName's CNAMEs, as the responder wrote
/// them), read in place, and completed with the cached reply for its target without decoding either: the in-place
/// twin of the forwarder's chase, which decodes both into `Message`s, appends the target's records and encodes the
/// whole again. Allocates nothing (STYLE habit 6).
///
/// The completed reply is byte for byte what that decoding path sends before it sets RA (the tests run both and
/// compare bytes): our header with the target's RCODE (RFC 6604 §3: the last name's) and the section counts, our
/// question and CNAME records as the responder wrote them, the target's answer records (or, when it has none, its
/// authority records: the SOA of a denial, RFC 2308 §3) with TTLs as the cache writes them, then our OPT. The
/// target's names keep the compression the encoder gives them: a pointer into the cached question points where the
/// encoder finds that name first, the target name in our last CNAME's RDATA (or where its labels continue, when it
/// is compressed itself), and a pointer into the cached records moves with them.
///
/// `write` declines (`nil`) whatever would make the bytes differ or that the decoding path handles otherwise, and
/// the caller takes that path: an RCODE other than NOERROR and NXDOMAIN (the alias is then sent alone); an answer
/// ending in a CNAME (the chase follows it); a reply over the client's limit (the chase truncates it) or past the
/// 16383 bytes a compression pointer reaches (the encoder stops compressing there); a name in the target's records
/// sharing a suffix with a name of ours that the target's name lacks (the encoder would point it into our part); and
/// anything not of the shape described here.
public struct AliasReply {
    /// The most a compression pointer can reach (RFC 1035 §4.1.4): past it `WireWriter` writes names out in full.
    static let pointerReach = 0x3FFF
    /// Fixed part of a record after its owner name: TYPE, CLASS, TTL, RDLENGTH.
    static let fixedLength = 10

    /// Our reply, as the responder wrote it.
    let bytes: UnsafeRawBufferPointer
    /// Where our OPT starts, or the reply's end without one: the records up to here come first in the completed one.
    let recordsEnd: Int
    let answerCount: Int
    /// Our OPT's CLASS (the payload size we advertise) and TTL (extended RCODE 0, version, DO); `nil` without OPT.
    let opt: (payloadSize: UInt16, ttl: UInt32)?
    /// Where the target's name starts: the RDATA of our last CNAME, here and in the completed reply alike.
    public let targetOffset: Int
    /// The target's uncompressed wire length.
    let targetLength: Int
    /// The lengths of the names our reply writes out from each label written in full: what the encoder may point a
    /// later name into. Only a name of one of these lengths needs comparing (`sharesSuffixWithOurs`).
    let suffixLengths: NameLengths

    /// Reads our reply in `bytes` and checks that its last CNAME's target is `target` (a wire name, any letter case);
    /// `nil` when it is not a NOERROR answer of CNAME records after one question, with at most an OPT without options
    /// besides (what the responder writes for an alias it hands over), or is not untruncated and well formed.
    public init?(_ bytes: UnsafeRawBufferPointer, target: UnsafeRawBufferPointer) {
        let count = bytes.count
        guard count >= 12 else { return nil }
        // QR=1, OPCODE 0, TC=0, RCODE 0.
        guard bytes[2] & 0xFA == 0x80, bytes[3] & 0x0F == 0 else { return nil }
        let answerCount = Int(bytes[6]) << 8 | Int(bytes[7])
        guard bytes[4] == 0, bytes[5] == 1, answerCount > 0, bytes[8] == 0, bytes[9] == 0, bytes[10] == 0,
            bytes[11] <= 1
        else { return nil }
        var lengths = NameLengths()
        guard let questionNameEnd = AliasReply.walkName(bytes, at: 12, end: count, lengths: &lengths),
            questionNameEnd + 4 <= count
        else { return nil }
        var offset = questionNameEnd + 4
        var lastTarget = 0
        for _ in 0..<answerCount {
            guard let ownerEnd = AliasReply.walkName(bytes, at: offset, end: count, lengths: &lengths),
                ownerEnd + AliasReply.fixedLength <= count,
                readUInt16(bytes, ownerEnd) == RecordType.cname.rawValue
            else { return nil }
            let dataStart = ownerEnd + AliasReply.fixedLength
            let dataEnd = dataStart + Int(readUInt16(bytes, ownerEnd + 8))
            guard dataEnd <= count,
                AliasReply.walkName(bytes, at: dataStart, end: dataEnd, lengths: &lengths) == dataEnd
            else { return nil }
            lastTarget = dataStart
            offset = dataEnd
        }
        recordsEnd = offset
        if bytes[11] == 1 {
            // OPT (RFC 6891 §6.1.2): root owner, TYPE 41, CLASS, TTL, RDLENGTH 0; extended RCODE 0 (NOERROR).
            guard offset + CompiledReply.optLength == count, bytes[offset] == 0,
                readUInt16(bytes, offset + 1) == RecordType.opt.rawValue, bytes[offset + 5] == 0,
                readUInt16(bytes, offset + 9) == 0
            else { return nil }
            opt = (readUInt16(bytes, offset + 3), readUInt32(bytes, offset + 5))
        } else {
            guard offset == count else { return nil }
            opt = nil
        }
        guard let targetLength = AliasReply.uncompressedLength(target),
            AliasReply.sameName(target, at: 0, bytes, at: lastTarget)
        else { return nil }
        self.bytes = bytes
        self.answerCount = answerCount
        self.targetOffset = lastTarget
        self.targetLength = targetLength
        self.suffixLengths = lengths
    }

    /// The range of the cached records the decoding path appends: the answers, or the authorities when there are
    /// none (and then our authority section is theirs).
    private static func copiedRecords(of cached: CompiledReply) -> Range<Int> {
        cached.answerCount > 0
            ? 0..<cached.answerCount : cached.answerCount..<(cached.answerCount + cached.authorityCount)
    }

    private static func recordStart(_ index: Int, of cached: CompiledReply) -> Int {
        index == 0 ? cached.questionEnd : cached.recordEnds[index - 1]
    }

    /// Writes our reply completed with `cached` (the target's entry, its TTLs written as `ttls`) into `buffer` and
    /// returns the length; `nil`, with `buffer` untouched, when declined (see the type's comment) or over `limit`.
    ///
    /// `bytes` may lie inside `buffer` (the responder's note, three bytes in): every check is made before the first
    /// byte is written, and our records are moved to the start before the cached ones are copied behind them.
    public func write(
        completingWith cached: CompiledReply, ttls: CompiledReply.TTLs, limit: Int,
        into buffer: UnsafeMutableRawBufferPointer
    ) -> Int? {
        // RFC 6604 §3: NOERROR or NXDOMAIN end the chain; anything else leaves the alias alone.
        let responseCode = UInt8(cached.flags & 0x000F)
        guard responseCode == ResponseCode.noError.headerBits || responseCode == ResponseCode.nxDomain.headerBits,
            cached.extendedResponseCode == 0
        else { return nil }
        // The cached question is our target in lower case: the same length, and the same labels.
        guard cached.questionEnd - 4 - 12 == targetLength else { return nil }
        let copied = AliasReply.copiedRecords(of: cached)
        if cached.answerCount > 0 {
            let lastType = cached.bytes.withUnsafeBytes {
                readUInt16($0, cached.ttlOffsets[cached.answerCount - 1] - 4)
            }
            guard lastType != RecordType.cname.rawValue else { return nil }
        }
        let copiedStart = AliasReply.recordStart(copied.lowerBound, of: cached)
        let copiedEnd = copied.isEmpty ? copiedStart : cached.recordEnds[copied.upperBound - 1]
        let optLength = opt == nil ? 0 : CompiledReply.optLength
        let length = recordsEnd + copiedEnd - copiedStart + optLength
        guard length <= min(limit, buffer.count, AliasReply.pointerReach) else { return nil }
        let accepted = cached.bytes.withUnsafeBytes { source in
            copied.allSatisfy { acceptsNames(ofRecord: $0, in: source, cached) }
        }
        guard accepted else { return nil }

        // Checked: from here on, write.
        if bytes.baseAddress != UnsafeRawPointer(buffer.baseAddress) {
            // `copyMemory` is a memmove: our reply may overlap its destination.
            buffer.baseAddress!.copyMemory(from: bytes.baseAddress!, byteCount: recordsEnd)
        }
        let shift = recordsEnd - cached.questionEnd
        cached.bytes.withUnsafeBytes { source in
            (buffer.baseAddress! + recordsEnd).copyMemory(
                from: source.baseAddress! + copiedStart, byteCount: copiedEnd - copiedStart)
            let ours = UnsafeRawBufferPointer(rebasing: buffer[0..<recordsEnd])
            for index in copied {
                let ttlOffset = cached.ttlOffsets[index]
                put32(buffer, ttlOffset + shift, ttls.applied(to: readUInt32(source, ttlOffset)))
                forEachName(ofRecord: index, in: source, cached) { start, _ in
                    rebasePointer(ofNameAt: start, in: source, cached, ours: ours, into: buffer, shift: shift)
                    return true
                }
            }
        }
        buffer[3] = buffer[3] & 0xF0 | responseCode
        put16(buffer, 6, UInt16(answerCount + (cached.answerCount > 0 ? cached.answerCount : 0)))
        put16(buffer, 8, UInt16(cached.answerCount > 0 ? 0 : cached.authorityCount))
        put16(buffer, 10, opt == nil ? 0 : 1)
        if let opt {
            let start = length - optLength
            buffer[start] = 0
            put16(buffer, start + 1, RecordType.opt.rawValue)
            put16(buffer, start + 3, opt.payloadSize)
            put32(buffer, start + 5, opt.ttl)
            put16(buffer, start + 9, 0)
        }
        return length
    }

    // MARK: - Checking the cached records

    /// True when every name of cached record `index` can be copied with its pointers rebased and stay as the encoder
    /// writes it: each pointer reaches a label start of the cached question or an earlier record, and no name written
    /// out from a label on is one our reply already holds (the encoder would point there, or not register it anew)
    /// unless it is the target's (which our reply holds where the rebased pointers go).
    ///
    /// A compressed name written out from a label on is never the target's: the cached question held every suffix of
    /// the target before it, and the encoder would have pointed there. An uncompressed one (SRV) may be.
    private func acceptsNames(ofRecord index: Int, in source: UnsafeRawBufferPointer, _ cached: CompiledReply) -> Bool {
        let recordEnd = cached.recordEnds[index]
        return forEachName(ofRecord: index, in: source, cached) { start, mayCompress in
            var offset = start
            while offset < recordEnd {
                let label = Int(source[offset])
                if label == 0 { return true }
                if label & 0xC0 == 0xC0 {
                    guard mayCompress, offset + 2 <= recordEnd else { return false }
                    return isRebasable(pointer: Int(readUInt16(source, offset) & 0x3FFF), before: start, cached)
                }
                guard label <= 63 else { return false }
                if sharesSuffixWithOurs(source, at: offset),
                    mayCompress || !isTargetSuffix(source, at: offset, cached)
                {
                    return false
                }
                offset += 1 + label
            }
            return false
        }
    }

    /// True when the name at `offset` in `source` (the cached reply) is a suffix of the target, which the cached
    /// question holds in full.
    private func isTargetSuffix(_ source: UnsafeRawBufferPointer, at offset: Int, _ cached: CompiledReply) -> Bool {
        guard let length = AliasReply.nameLength(source, at: offset), length <= targetLength else { return false }
        let suffixStart = 12 + targetLength - length
        var label = 12
        while label < suffixStart {
            label += 1 + Int(source[label])
        }
        return label == suffixStart && AliasReply.sameName(source, at: offset, source, at: suffixStart)
    }

    /// A pointer the rebasing can follow: to a label start of the cached question (our target's labels), or into
    /// the records before the name that holds it (`WireWriter` only points backwards, at names it wrote).
    private func isRebasable(pointer: Int, before name: Int, _ cached: CompiledReply) -> Bool {
        if pointer >= cached.questionEnd { return pointer < name }
        var label = 12
        while label < 12 + targetLength - 1 {
            if label == pointer { return true }
            label += 1 + Int(cached.bytes[label])
        }
        return false
    }

    /// True when the name at `offset` in `source` is one our reply writes out from a label on, which the encoder
    /// registered for compression before any of the target's records.
    private func sharesSuffixWithOurs(_ source: UnsafeRawBufferPointer, at offset: Int) -> Bool {
        guard let length = AliasReply.nameLength(source, at: offset), suffixLengths.contains(length) else {
            return false
        }
        var shared = false
        forEachOfOurNames { start in
            var position = start
            var remaining = AliasReply.nameLength(bytes, at: start) ?? 0
            while remaining >= length, !shared {
                position = AliasReply.followingPointers(bytes, from: position)
                if remaining == length, AliasReply.sameName(source, at: offset, bytes, at: position) {
                    shared = true
                }
                let label = Int(bytes[position])
                if label == 0 { break }
                remaining -= 1 + label
                position += 1 + label
            }
        }
        return shared
    }

    /// Calls `body` with the start of each name in our reply: the question's, each CNAME's owner and target.
    private func forEachOfOurNames(_ body: (Int) -> Void) {
        var offset = 12
        body(offset)
        offset = nameEnd(bytes, at: offset) + 4
        for _ in 0..<answerCount {
            body(offset)
            let dataStart = nameEnd(bytes, at: offset) + AliasReply.fixedLength
            body(dataStart)
            offset = dataStart + Int(readUInt16(bytes, dataStart - 2))
        }
    }

    /// Calls `body` with the start of each name in cached record `index` the encoder wrote through its compression
    /// table, and whether it was allowed to compress it: the owner, and the RDATA names of CNAME, NS, PTR, MX and
    /// SOA, and of SRV (never compressed, RFC 2782), as `WireWriter.write(_:compressNames:)` writes them. Stops at the
    /// first `false`.
    @discardableResult
    private func forEachName(
        ofRecord index: Int, in source: UnsafeRawBufferPointer, _ cached: CompiledReply,
        _ body: (_ start: Int, _ mayCompress: Bool) -> Bool
    ) -> Bool {
        let start = AliasReply.recordStart(index, of: cached)
        guard body(start, true) else { return false }
        let fixed = cached.ttlOffsets[index] - 4
        let dataStart = fixed + AliasReply.fixedLength
        switch readUInt16(source, fixed) {
        case RecordType.cname.rawValue, RecordType.ns.rawValue, RecordType.ptr.rawValue:
            return body(dataStart, true)
        case RecordType.mx.rawValue:
            return body(dataStart + 2, true)
        case RecordType.soa.rawValue:
            guard body(dataStart, true) else { return false }
            return body(nameEnd(source, at: dataStart), true)
        case RecordType.srv.rawValue where readUInt16(source, fixed + 2) == RecordClass.internet.rawValue:
            return body(dataStart + 6, false)
        default:
            return true
        }
    }

    // MARK: - Rebasing

    /// Rewrites the pointer that ends the name at `start` (in `source`, the cached reply) where the copy in `buffer`
    /// has it: into the question, to where our reply holds the same suffix of the target; into the records, `shift`
    /// further on.
    private func rebasePointer(
        ofNameAt start: Int, in source: UnsafeRawBufferPointer, _ cached: CompiledReply,
        ours: UnsafeRawBufferPointer, into buffer: UnsafeMutableRawBufferPointer, shift: Int
    ) {
        var offset = start
        while true {
            let label = Int(source[offset])
            if label == 0 { return }
            if label & 0xC0 == 0xC0 { break }
            offset += 1 + label
        }
        let pointer = Int(readUInt16(source, offset) & 0x3FFF)
        let rebased = pointer >= cached.questionEnd ? pointer + shift : targetSuffix(depth: pointer - 12, in: ours)
        put16(buffer, offset + shift, 0xC000 | UInt16(rebased))
    }

    /// Where the target's suffix `depth` bytes into its uncompressed form is in `ours` (our reply's records): along
    /// the target's labels in our last CNAME, through any pointer they end in.
    private func targetSuffix(depth: Int, in ours: UnsafeRawBufferPointer) -> Int {
        var position = targetOffset
        var consumed = 0
        while true {
            position = AliasReply.followingPointers(ours, from: position)
            if consumed == depth { return position }
            let label = Int(ours[position])
            precondition(label != 0, "a pointer past the target's labels (isRebasable checks)")
            consumed += 1 + label
            position += 1 + label
        }
    }

    // MARK: - Names in wire form

    /// Walks the name at `start`, which must end by `end`; adds to `lengths` the length of the name from each label
    /// written out. Pointers must point backwards (so following them ends). Returns the offset after the name.
    private static func walkName(
        _ bytes: UnsafeRawBufferPointer, at start: Int, end: Int, lengths: inout NameLengths
    ) -> Int? {
        guard let total = nameLength(bytes, at: start) else { return nil }
        var offset = start
        var remaining = total
        while offset < end {
            let label = Int(bytes[offset])
            if label == 0 { return offset + 1 }
            if label & 0xC0 == 0xC0 { return offset + 2 <= end ? offset + 2 : nil }
            lengths.insert(remaining)
            remaining -= 1 + label
            offset += 1 + label
        }
        return nil
    }

    /// The uncompressed length of the name at `start` (labels and root octet, at most 255), following pointers,
    /// each of which must point before itself; `nil` when malformed.
    static func nameLength(_ bytes: UnsafeRawBufferPointer, at start: Int) -> Int? {
        var offset = start
        var length = 0
        while offset < bytes.count {
            let label = Int(bytes[offset])
            if label == 0 { return length + 1 <= Name.maxWireLength ? length + 1 : nil }
            if label & 0xC0 == 0xC0 {
                guard offset + 2 <= bytes.count else { return nil }
                let target = Int(readUInt16(bytes, offset) & 0x3FFF)
                guard target < offset else { return nil }
                offset = target
                continue
            }
            guard label <= 63 else { return nil }
            length += 1 + label
            guard length < Name.maxWireLength else { return nil }
            offset += 1 + label
        }
        return nil
    }

    /// The length of a name of labels only (no pointer) at the start of `name`, which may hold bytes after it.
    static func uncompressedLength(_ name: UnsafeRawBufferPointer) -> Int? {
        var offset = 0
        while offset < name.count, offset < Name.maxWireLength {
            let label = Int(name[offset])
            if label == 0 { return offset + 1 }
            guard label <= 63 else { return nil }
            offset += 1 + label
        }
        return nil
    }

    /// `offset`, or where the pointers starting there lead.
    static func followingPointers(_ bytes: UnsafeRawBufferPointer, from offset: Int) -> Int {
        var position = offset
        while bytes[position] & 0xC0 == 0xC0 {
            position = Int(readUInt16(bytes, position) & 0x3FFF)
        }
        return position
    }

    /// True when the name at `left` in `a` and the one at `right` in `b` are the same in any ASCII letter case
    /// (RFC 4343), either compressed; both must be well formed (`nameLength` is not `nil`).
    static func sameName(_ a: UnsafeRawBufferPointer, at left: Int, _ b: UnsafeRawBufferPointer, at right: Int) -> Bool
    {
        var left = left
        var right = right
        while true {
            left = followingPointers(a, from: left)
            right = followingPointers(b, from: right)
            let length = Int(a[left])
            guard length == Int(b[right]) else { return false }
            if length == 0 { return true }
            for index in 1...length where asciiLowercase(a[left + index]) != asciiLowercase(b[right + index]) {
                return false
            }
            left += 1 + length
            right += 1 + length
        }
    }
}

/// A set of name lengths (0...255) in four words, so that it is kept without allocating.
struct NameLengths {
    private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    mutating func insert(_ length: Int) {
        let bit = UInt64(1) << UInt64(length & 63)
        switch length >> 6 {
        case 0: words.0 |= bit
        case 1: words.1 |= bit
        case 2: words.2 |= bit
        default: words.3 |= bit
        }
    }

    func contains(_ length: Int) -> Bool {
        let bit = UInt64(1) << UInt64(length & 63)
        switch length >> 6 {
        case 0: return words.0 & bit != 0
        case 1: return words.1 & bit != 0
        case 2: return words.2 & bit != 0
        default: return words.3 & bit != 0
        }
    }
}

@inline(__always)
private func readUInt16(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt16 {
    UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
}

@inline(__always)
private func readUInt32(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt32 {
    UInt32(readUInt16(bytes, offset)) << 16 | UInt32(readUInt16(bytes, offset + 2))
}

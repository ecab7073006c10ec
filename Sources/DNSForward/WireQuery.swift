import DNSWire

/// A client's query read in place, for answering it from the cache without decoding it into a `ClientQuery` (which
/// allocates: a `Message`, arrays, `Name`s). Holds what a cache hit needs: the ID, RD and CD, where the question's name
/// lies in the packet, its type and class, and the OPT record's presence, DO bit and UDP size.
///
/// Only the plain shape is read: QR=0, OPCODE 0, QDCOUNT 1, no answer or authority records, a question name of
/// uncompressed labels, and at most one additional record, which must be an OPT owned by the root whose options fill
/// its RDATA exactly, with no byte after it. Anything else is `nil` and goes the slow way (`ClientQuery`), which
/// decides whether it is malformed; so whatever is read here, `ClientQuery(decoding:)` reads alike (the tests compare
/// both). Reads are bounds-checked against the packet only: no count it claims bounds a loop (STYLE habit 4).
public struct WireQuery: Sendable, Equatable {
    /// Where the question's name starts: right after the header (RFC 1035 §4.1.1).
    public static let nameOffset = 12
    static let optType: UInt16 = 41

    public var id: UInt16
    public var recursionDesired: Bool
    public var checkingDisabled: Bool
    /// The question name's wire length (labels and the root octet), from `nameOffset`.
    public var nameLength: Int
    public var type: UInt16
    public var recordClass: UInt16
    /// Whether the query had an OPT record: only then may the reply (RFC 6891 §7).
    public var hasEDNS: Bool
    public var dnssecOK: Bool
    /// The OPT record's CLASS, as sent (0 without OPT).
    public var udpPayloadSize: UInt16

    /// Reads `bytes`, or `nil` when it is not of the plain shape above.
    public init?(_ bytes: UnsafeRawBufferPointer) {
        let count = bytes.count
        guard count >= 12 else { return nil }
        let flags = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
        // QR=0 and OPCODE=0 (QUERY).
        guard flags & 0xF800 == 0 else { return nil }
        guard bytes[4] == 0, bytes[5] == 1, bytes[6] == 0, bytes[7] == 0, bytes[8] == 0, bytes[9] == 0,
            bytes[10] == 0, bytes[11] <= 1
        else { return nil }
        let additionalCount = bytes[11]
        var offset = WireQuery.nameOffset
        // Labels only (RFC 1035 §3.1), at most 255 octets with the root octet (§2.3.4); a pointer or an extended label
        // type goes the slow way.
        while true {
            guard offset < count else { return nil }
            let length = Int(bytes[offset])
            if length == 0 { break }
            guard length <= 63 else { return nil }
            offset += 1 + length
            guard offset - WireQuery.nameOffset < Name.maxWireLength else { return nil }
        }
        offset += 1
        nameLength = offset - WireQuery.nameOffset
        guard offset + 4 <= count else { return nil }
        type = UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
        recordClass = UInt16(bytes[offset + 2]) << 8 | UInt16(bytes[offset + 3])
        guard type != WireQuery.optType else { return nil }
        offset += 4
        id = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        recursionDesired = flags & 0x0100 != 0
        checkingDisabled = flags & 0x0010 != 0
        guard additionalCount == 1 else {
            guard offset == count else { return nil }
            hasEDNS = false
            dnssecOK = false
            udpPayloadSize = 0
            return
        }
        // OPT (RFC 6891 §6.1.2): root owner, TYPE 41, CLASS = UDP size, TTL = extended RCODE | version | DO | Z,
        // RDLENGTH, then options of code, length and data that fill RDLENGTH exactly.
        guard offset + 11 <= count, bytes[offset] == 0 else { return nil }
        guard UInt16(bytes[offset + 1]) << 8 | UInt16(bytes[offset + 2]) == WireQuery.optType else { return nil }
        udpPayloadSize = UInt16(bytes[offset + 3]) << 8 | UInt16(bytes[offset + 4])
        dnssecOK = bytes[offset + 7] & 0x80 != 0
        let dataLength = Int(bytes[offset + 9]) << 8 | Int(bytes[offset + 10])
        offset += 11
        let dataEnd = offset + dataLength
        guard dataEnd == count else { return nil }
        while offset < dataEnd {
            guard offset + 4 <= dataEnd else { return nil }
            offset += 4 + (Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3]))
        }
        guard offset == dataEnd else { return nil }
        hasEDNS = true
    }

    /// The largest UDP reply this client takes, as `ClientQuery.udpLimit`: 512 without EDNS, else what it advertises
    /// (never below 512, RFC 6891 §6.2.5) up to the 1232 we send at most.
    public var udpLimit: Int {
        guard hasEDNS else { return ClientQuery.classicUDPLimit }
        return min(
            Int(max(udpPayloadSize, EDNS.minimumUDPPayloadSize)), Int(ForwardPolicy.upstreamUDPPayload))
    }

    /// The question's name as sent (letter case included), within `bytes`, the packet this view was read from.
    @inline(__always)
    public func name(in bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[WireQuery.nameOffset..<(WireQuery.nameOffset + nameLength)])
    }
}

import DNSWire

/// The note `Responder.respond` leaves at the start of the response buffer when it hands over an alias to chase
/// (`Responder.HandOver.chase`), read in place: `Responder.handOver(in:)` reads the same note into an array and a
/// `Name`, which allocates, so the forwarder's in-place path reads it here instead.
///
/// Layout (`Responder.handOverChase`, `Responder.chaseNoteHeader`; `ChasedCacheHitTests` holds both readers
/// equal): byte 0 is 1, bytes 1–2 the length of our reply, which follows, then the target's wire name.
struct ChaseNote {
    static let marker: UInt8 = 1
    static let headerLength = 3

    /// Our reply: the alias's CNAME records, as the client gets them.
    let reply: UnsafeRawBufferPointer
    /// The name to complete the alias with, in wire form (labels only, any letter case).
    let target: UnsafeRawBufferPointer

    /// `nil` when `response` holds no chase note, or one whose target is not a name of labels within the buffer.
    init?(_ response: UnsafeRawBufferPointer) {
        guard response.count > ChaseNote.headerLength, response[0] == ChaseNote.marker else { return nil }
        let replyEnd = ChaseNote.headerLength + (Int(response[1]) << 8 | Int(response[2]))
        guard replyEnd < response.count else { return nil }
        var offset = replyEnd
        while true {
            guard offset < response.count, offset - replyEnd < Name.maxWireLength else { return nil }
            let label = Int(response[offset])
            if label == 0 { break }
            guard label <= Name.maxLabelLength else { return nil }
            offset += 1 + label
        }
        reply = UnsafeRawBufferPointer(rebasing: response[ChaseNote.headerLength..<replyEnd])
        target = UnsafeRawBufferPointer(rebasing: response[replyEnd...offset])
    }
}

import DNSWire

/// Finds forwarding loops the way CoreDNS's `loop` plugin does: at start the server sends itself an HINFO query for
/// a name nobody else would ask (`<random>.<random>.<zone>`); it passes through once on its way out, and if the
/// upstreams forward it back to us it arrives again. More than `threshold` sightings is a loop: every forwarded query
/// would circle until it times out, so the server should say so loudly (CoreDNS exits).
public struct LoopDetector: Sendable {
    /// HINFO (RFC 1035 §3.3.2): a type no client asks for, so the probe cannot collide with real traffic.
    public static let probeType = RecordType(rawValue: 13)
    /// The probe passes through our own pipeline once legitimately (CoreDNS counts the same way); a second return
    /// is the loop.
    public static let threshold = 2

    public enum Observation: Sendable, Equatable {
        case unrelated
        /// The probe came in; `sightings` so far.
        case probe(sightings: Int)
        case loopDetected
    }

    public let probeName: Name
    public private(set) var sightings = 0

    /// `random` supplies the two labels (decimal, like CoreDNS's); `zone` is where the probe name lives (the root
    /// by default, as CoreDNS's server block for `.`).
    public init(zone: Name = .root, random: () -> UInt64 = { UInt64.random(in: .min ... .max) }) {
        let first = Array(String(random()).utf8)
        let second = Array(String(random()).utf8)
        // Two decimal labels of at most 20 octets each fit below any zone that leaves them 42 octets.
        probeName = (try? zone.prepending(second).prepending(first)) ?? .root
        precondition(!probeName.isRoot, "zone too long for a loop probe name")
    }

    /// The probe to send to ourselves: `probeName IN HINFO`, RD set so a forwarder passes it on.
    public func probeQuery(id: UInt16) -> [UInt8] {
        Message.query(id: id, name: probeName, type: LoopDetector.probeType).encoded()
    }

    public func isProbe(_ question: Question) -> Bool {
        question.type == LoopDetector.probeType && question.recordClass == .internet && question.name == probeName
    }

    /// Call for every query that reaches the forwarder.
    public mutating func observe(_ query: ClientQuery) -> Observation {
        guard isProbe(query.question) else { return .unrelated }
        sightings += 1
        return sightings > LoopDetector.threshold ? .loopDetected : .probe(sightings: sightings)
    }
}

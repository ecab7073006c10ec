/// What one worker's responder did, counted without atomics: each worker owns its counters and the metrics endpoint
/// merges them when scraped.
public struct ResponderCounters: Sendable, Equatable {
    /// Shorter than a header: dropped (RFC 1035 §4.1.1 header is 12 octets).
    public var droppedTooShort = 0
    /// QR=1: a response sent to us; dropped so we never answer an answer (reflection loops).
    public var droppedResponses = 0
    public var formErr = 0
    public var notImp = 0
    public var refused = 0
    public var servFail = 0
    public var nxDomain = 0
    public var noData = 0
    public var answered = 0
    public var badVers = 0
    /// Queries for names outside the cluster zones handed to the forwarder (`Responder.forward`).
    public var forwarded = 0
    /// UDP replies cut to the client's size with TC=1.
    public var truncated = 0

    public init() {}

    public static func + (lhs: ResponderCounters, rhs: ResponderCounters) -> ResponderCounters {
        var sum = lhs
        sum.droppedTooShort += rhs.droppedTooShort
        sum.droppedResponses += rhs.droppedResponses
        sum.formErr += rhs.formErr
        sum.notImp += rhs.notImp
        sum.refused += rhs.refused
        sum.servFail += rhs.servFail
        sum.nxDomain += rhs.nxDomain
        sum.noData += rhs.noData
        sum.answered += rhs.answered
        sum.badVers += rhs.badVers
        sum.truncated += rhs.truncated
        sum.forwarded += rhs.forwarded
        return sum
    }
}

import DNSWire

@testable import DNSForward

/// A fixed starting instant; tests move time by adding durations, never by waiting.
let t0 = ContinuousClock.now

func at(_ seconds: Double) -> ContinuousClock.Instant {
    t0 + .milliseconds(Int64(seconds * 1000))
}

func record(_ line: String) -> ResourceRecord {
    try! ResourceRecord(presentation: line)
}

let upstreamA = UpstreamAddress(host: IPAddress("10.0.0.1")!)
let upstreamB = UpstreamAddress(host: IPAddress("10.0.0.2")!)
let upstreamC = UpstreamAddress(host: IPAddress("10.0.0.3")!)

/// A client query as a stub resolver sends it.
func clientQuery(
    _ name: Name, _ type: RecordType = .a, id: UInt16 = 0x1234, edns: EDNS? = nil, recursionDesired: Bool = true,
    checkingDisabled: Bool = false
) -> ClientQuery {
    ClientQuery(
        id: id, question: Question(name: name, type: type), recursionDesired: recursionDesired,
        checkingDisabled: checkingDisabled, edns: edns)
}

/// An upstream's reply to `question`.
func reply(
    id: UInt16, _ question: Question, rcode: ResponseCode = .noError, answers: [ResourceRecord] = [],
    authorities: [ResourceRecord] = [], additionals: [ResourceRecord] = [], truncated: Bool = false,
    edns: EDNS? = EDNS()
) -> Message {
    var message = Message(
        header: Header(
            id: id, isResponse: true, isTruncated: truncated, recursionDesired: true, recursionAvailable: true),
        questions: [question], answers: answers, authorities: authorities, additionals: additionals, edns: edns)
    message.responseCode = rcode
    return message
}

/// IDs handed out in order, so tests know which ID each upstream query carries.
final class IDSequence {
    var next: UInt16

    init(startingAt first: UInt16 = 0x0100) {
        next = first
    }

    func callAsFunction() -> UInt16 {
        defer { next &+= 1 }
        return next
    }
}

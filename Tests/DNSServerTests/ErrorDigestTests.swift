import Testing

@testable import DNSServer

/// Per-packet problems become one line per kind and interval, with counts.
struct ErrorDigestTests {
    @Test func onlyWhatGrewIsReportedOncePerInterval() {
        var digest = ErrorDigest()
        var counters = WorkerCounters()
        #expect(digest.lines(for: counters).isEmpty)
        counters.responder.droppedTooShort = 1000
        counters.responder.droppedResponses = 3
        counters.forwarder.servFail = 2
        let first = digest.lines(for: counters)
        #expect(
            first == [
                "dropped queries: 1003 in the last 10s (too short 1000, responses sent to us 3)",
                "upstream failures: 2 in the last 10s (SERVFAIL after the budget 2)",
            ])
        // Nothing new: nothing said.
        #expect(digest.lines(for: counters).isEmpty)
        counters.responder.formErr = 5
        #expect(digest.lines(for: counters) == ["malformed queries answered: 5 in the last 10s (FORMERR 5)"])
    }
}

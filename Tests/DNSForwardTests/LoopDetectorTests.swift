import DNSWire
import Testing

@testable import DNSForward

@Suite struct LoopDetectorTests {
    @Test func probeIsTwoRandomLabelsUnderTheZoneAskedAsHINFO() throws {
        var values: [UInt64] = [123, 4567]
        let detector = LoopDetector(zone: "zone-loop-probe.", random: { values.removeFirst() })
        #expect(detector.probeName == "123.4567.zone-loop-probe.")
        let query = try Message(decoding: detector.probeQuery(id: 9))
        #expect(query.questions == [Question(name: "123.4567.zone-loop-probe.", type: RecordType(rawValue: 13))])
        #expect(query.header.recursionDesired)
    }

    @Test func thirdSightingIsALoopAndOtherQueriesAreUnrelated() {
        var values: [UInt64] = [1, 2]
        var detector = LoopDetector(zone: "loop.", random: { values.removeFirst() })
        let probe = clientQuery("1.2.loop.", RecordType(rawValue: 13))
        #expect(detector.observe(clientQuery("1.2.loop.", .a)) == .unrelated)
        #expect(detector.observe(clientQuery("example.com.", RecordType(rawValue: 13))) == .unrelated)
        #expect(detector.observe(probe) == .probe(sightings: 1))
        // Letter case does not hide it (RFC 4343).
        #expect(detector.observe(clientQuery("1.2.LOOP.", RecordType(rawValue: 13), id: 2)) == .probe(sightings: 2))
        #expect(detector.observe(probe) == .loopDetected)
    }
}

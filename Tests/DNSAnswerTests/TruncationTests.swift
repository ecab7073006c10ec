import DNSAnswer
import DNSWire
import Foundation
import Testing

/// RFC 1035 §4.2.1 and RFC 6891 §6.2.5: a UDP reply that does not fit gets TC=1 with as many whole records as fit, as
/// CoreDNS does, so resolvers without TCP fallback still get addresses; TCP gets everything.
struct TruncationTests {
    let asker: Asker

    init() throws {
        asker = Asker(table: try AnswerFixture.table(AnswerFixture.bigHeadless(count: 200)))
    }

    @Test func withoutEDNSTheReplyFitsIn512BytesWithTC() throws {
        let query = Message.query(
            id: 1, name: "big.default.svc.cluster.local.", type: .a, recursionDesired: true, edns: nil)
        let bytes = asker.raw(query.encoded())
        #expect(bytes.count <= 512)
        let reply = try Message(decoding: bytes)
        #expect(reply.header.isTruncated)
        #expect(reply.answers.count > 20)
        #expect(reply.answers.count < 200)
        #expect(asker.responder.counters.truncated == 1)
    }

    @Test func theAdvertisedEDNSSizeIsHonouredUpToOurMaximum() throws {
        let small = asker.raw(
            Message.query(
                id: 1, name: "big.default.svc.cluster.local.", type: .a, recursionDesired: true,
                edns: EDNS(udpPayloadSize: 1000, extendedResponseCode: 0, version: 0, dnssecOK: false, options: [])
            ).encoded())
        #expect(small.count <= 1000)
        #expect(small.count > 900)
        let large = try asker.ask("big.default.svc.cluster.local.", .a, edns: 65000)
        #expect(large.header.isTruncated)
        #expect(large.encoded().count <= Responder.maxUDPPayload)
        #expect(large.edns != nil)
    }

    @Test func tcpGetsTheWholeAnswer() throws {
        let reply = try asker.ask("big.default.svc.cluster.local.", .a, edns: nil, transport: .tcp)
        #expect(!reply.header.isTruncated)
        #expect(reply.answers.count == 200)
    }

    @Test func droppingOnlyAdditionalRecordsDoesNotSetTC() throws {
        var manifests = AnswerFixture.bigHeadless(count: 8)
        manifests = manifests.replacingOccurrences(
            of: "spec: {clusterIP: None}", with: "spec: {clusterIP: None, ports: [{name: http, port: 80}]}")
        manifests = manifests.replacingOccurrences(
            of: "addressType: IPv4", with: "addressType: IPv4\nports: [{name: http, port: 80}]")
        let asker = Asker(table: try AnswerFixture.table(manifests))
        let full = try asker.ask("_http._tcp.big.default.svc.cluster.local.", .srv, transport: .tcp)
        #expect(full.answers.count == 8)
        #expect(full.additionals.count == 8)
        let fullSize = full.encoded().count
        #expect(fullSize < Responder.maxUDPPayload)
        // Ten bytes short: the last additional A record (16 bytes or more) cannot fit.
        let udp = try asker.ask("_http._tcp.big.default.svc.cluster.local.", .srv, edns: UInt16(fullSize - 10))
        #expect(udp.answers.count == 8)
        #expect(udp.additionals.count == 7)
        #expect(!udp.header.isTruncated)
    }
}

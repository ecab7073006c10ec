import DNSAnswer
import DNSWire
import Testing

/// Cheapest check first, drop rather than reflect (RFC 1035 §4.1.1, RFC 6891 §6.1.1).
struct MalformedQueryTests {
    let asker: Asker

    init() throws {
        asker = Asker(table: try AnswerFixture.table())
    }

    /// A well-formed query for `web.default.svc.cluster.local A`, without EDNS.
    static let goodQuery: [UInt8] = {
        let message = Message.query(
            id: 0xBEEF, name: "web.default.svc.cluster.local.", type: .a, recursionDesired: true, edns: nil)
        return message.encoded()
    }()

    @Test func shorterThanAHeaderIsDroppedAndCounted() {
        #expect(asker.raw(Array(Self.goodQuery[0..<11])).isEmpty)
        #expect(asker.raw([]).isEmpty)
        #expect(asker.responder.counters.droppedTooShort == 2)
    }

    @Test func responsesAreDroppedAndCounted() {
        var bytes = Self.goodQuery
        bytes[2] |= 0x80
        #expect(asker.raw(bytes).isEmpty)
        #expect(asker.responder.counters.droppedResponses == 1)
    }

    @Test(arguments: [0, 2, 3])
    func questionCountOtherThanOneIsFORMERR(count: UInt8) throws {
        var bytes = Self.goodQuery
        bytes[5] = count
        let reply = try Message(decoding: asker.raw(bytes))
        #expect(reply.responseCode == .formErr)
        #expect(reply.header.id == 0xBEEF)
        #expect(reply.questions.isEmpty)
    }

    static let unreadable: [(String, [UInt8])] = {
        let header = Array(goodQuery[0..<12])
        let longLabel: [UInt8] = [64] + [UInt8](repeating: 0x61, count: 64)
        let label63: [UInt8] = [63] + [UInt8](repeating: 0x61, count: 63)
        let tooLongName: [UInt8] = label63 + label63 + label63 + label63
        let typeAndClass: [UInt8] = [0, 1, 0, 1]
        var cases: [(String, [UInt8])] = []
        cases.append(("question cut short", Array(goodQuery.dropLast(2))))
        cases.append(("compression pointer in the question", header + [0xC0, 0x0C] + typeAndClass))
        cases.append(("label over 63", header + longLabel + [0] + typeAndClass))
        cases.append(("reserved label type", header + [0x41, 0x61, 0] + typeAndClass))
        cases.append(("name over 255", header + tooLongName + [0] + typeAndClass))
        cases.append(("announced additional record missing", withCounts(goodQuery, additional: 1)))
        cases.append(("two OPT records", withOPT(withOPT(goodQuery))))
        return cases
    }()

    @Test(arguments: unreadable)
    func unreadableQuestionIsFORMERR(_ label: String, bytes: [UInt8]) throws {
        let reply = try Message(decoding: asker.raw(bytes))
        #expect(reply.responseCode == .formErr, "\(label)")
        #expect(reply.header.isResponse)
    }

    @Test(arguments: [OpCode.iquery, .status, .notify, .update])
    func otherOpcodesAreNOTIMP(opcode: OpCode) throws {
        var bytes = Self.goodQuery
        bytes[2] = (bytes[2] & 0x87) | (opcode.rawValue << 3)
        let reply = try Message(decoding: asker.raw(bytes))
        #expect(reply.responseCode == .notImp)
        #expect(reply.header.opCode == opcode)
    }

    @Test(arguments: [RecordType.axfr, .ixfr])
    func zoneTransfersAreRefused(type: RecordType) throws {
        let reply = try asker.ask("cluster.local.", type, transport: .tcp)
        #expect(reply.responseCode == .refused)
    }

    @Test func classesOtherThanINAreRefused() throws {
        let query = Message(
            header: Header(id: 7, recursionDesired: true),
            questions: [Question(name: "version.bind.", type: .txt, recordClass: .chaos)])
        let reply = try Message(decoding: asker.raw(query.encoded()))
        #expect(reply.responseCode == .refused)
    }

    @Test func ednsVersionOtherThanZeroIsBADVERS() throws {
        var query = Message.query(
            id: 9, name: "web.default.svc.cluster.local.", type: .a, recursionDesired: true,
            edns: EDNS(udpPayloadSize: 1232, extendedResponseCode: 0, version: 1, dnssecOK: true, options: []))
        query.header.id = 9
        let reply = try Message(decoding: asker.raw(query.encoded()))
        #expect(reply.responseCode == .badVers)
        #expect(reply.edns?.version == 0)
        #expect(reply.edns?.dnssecOK == true)
        #expect(reply.answers.isEmpty)
    }

    @Test func ednsIsEchoedWithOurPayloadSizeAndTheDOBit() throws {
        let query = Message.query(
            id: 9, name: "web.default.svc.cluster.local.", type: .a, recursionDesired: true,
            edns: EDNS(
                udpPayloadSize: 4096, extendedResponseCode: 0, version: 0, dnssecOK: true,
                options: [EDNSOption(code: 10, data: [1, 2, 3, 4, 5, 6, 7, 8])]))
        let reply = try Message(decoding: asker.raw(query.encoded()))
        #expect(reply.edns?.udpPayloadSize == UInt16(Responder.maxUDPPayload))
        #expect(reply.edns?.dnssecOK == true)
        #expect(reply.header.recursionDesired)
        #expect(reply.answers.count == 3)
    }

    @Test func withoutEDNSTheReplyHasNoOPT() throws {
        let reply = try Message(decoding: asker.raw(Self.goodQuery))
        #expect(reply.edns == nil)
        #expect(reply.answers.count == 3)
    }
}

private func withCounts(_ bytes: [UInt8], additional: UInt16) -> [UInt8] {
    var copy = bytes
    copy[10] = UInt8(additional >> 8)
    copy[11] = UInt8(additional & 0xFF)
    return copy
}

/// Appends an empty OPT record and counts it.
private func withOPT(_ bytes: [UInt8]) -> [UInt8] {
    let count = Int(bytes[10]) << 8 | Int(bytes[11])
    return withCounts(bytes, additional: UInt16(count + 1)) + [0, 0, 41, 4, 0xD0, 0, 0, 0, 0, 0, 0]
}

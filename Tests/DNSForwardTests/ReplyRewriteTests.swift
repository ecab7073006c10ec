import DNSWire
import Testing

@testable import DNSForward

/// `CompiledReply.rewrite(reply:for:clientLimit:)`: one upstream reply, written for each client.
@Suite struct ReplyRewriteTests {
    let question = Question(name: "www.example.", type: .a)

    func addresses(_ count: Int) -> [ResourceRecord] {
        (1...count).map { record("www.example. 300 IN A 192.0.2.\($0)") }
    }

    @Test func clientIDQuestionCaseAndBitsReplaceTheUpstreams() throws {
        var upstream = reply(id: 0xAAAA, question, answers: addresses(1))
        upstream.header.authenticData = true
        let client = clientQuery("WwW.ExAmPlE.", id: 0x0102, recursionDesired: false, checkingDisabled: true)
        let bytes = CompiledReply.rewrite(reply: upstream, for: client, clientLimit: 512)
        let golden: [UInt8] =
            [0x01, 0x02, 0x80, 0xB0, 0, 1, 0, 1, 0, 0, 0, 0]
            + [3] + Array("WwW".utf8) + [7] + Array("ExAmPlE".utf8) + [0, 0, 1, 0, 1]
            + [0xC0, 12, 0, 1, 0, 1, 0, 0, 0x01, 0x2C, 0, 4, 192, 0, 2, 1]
        #expect(bytes == golden)
    }

    @Test(arguments: [
        (EDNS?.none, false),
        (EDNS(udpPayloadSize: 4096, dnssecOK: true), true),
    ])
    func optOnlyWhenTheClientSentIt(edns: EDNS?, expectOPT: Bool) throws {
        let upstream = reply(id: 1, question, answers: addresses(1), edns: EDNS(udpPayloadSize: 4096))
        let client = clientQuery("www.example.", edns: edns)
        let message = try Message(decoding: CompiledReply.rewrite(reply: upstream, for: client, clientLimit: 512))
        #expect((message.edns != nil) == expectOPT)
        if let sent = message.edns {
            #expect(sent.udpPayloadSize == 1232)
            #expect(sent.dnssecOK == edns?.dnssecOK)
        }
    }

    @Test func upstreamWithoutOPTStillGetsOPTForAnEDNSClient() throws {
        let upstream = reply(id: 1, question, answers: addresses(1), edns: nil)
        let client = clientQuery("www.example.", edns: EDNS())
        let message = try Message(decoding: CompiledReply.rewrite(reply: upstream, for: client, clientLimit: 512))
        #expect(message.edns != nil)
    }

    @Test(arguments: [512, 600, 1232])
    func truncatesToWholeRecordsThatFitAndSetsTC(limit: Int) throws {
        let upstream = reply(id: 1, question, answers: addresses(100))
        let full = CompiledReply.rewrite(reply: upstream, for: clientQuery("www.example."), clientLimit: 65535)
        #expect(full.count > 1232)
        let client = clientQuery("www.example.", edns: EDNS())
        let bytes = CompiledReply.rewrite(reply: upstream, for: client, clientLimit: limit)
        #expect(bytes.count <= limit)
        // 16 bytes per compressed A record: one more would not have fit.
        #expect(bytes.count + 16 > limit)
        let message = try Message(decoding: bytes)
        #expect(message.header.isTruncated)
        #expect(message.answers == Array(upstream.answers.prefix(message.answers.count)))
        #expect(message.edns != nil)
    }

    @Test func droppingOnlyAdditionalRecordsDoesNotSetTC() throws {
        let glue = (1...60).map { record("ns\($0).example. 300 IN A 192.0.2.\($0)") }
        let upstream = reply(id: 1, question, answers: addresses(1), additionals: glue)
        let message = try Message(
            decoding: CompiledReply.rewrite(reply: upstream, for: clientQuery("www.example."), clientLimit: 512))
        #expect(message.answers.count == 1)
        #expect(message.additionals.count < 60)
        #expect(!message.header.isTruncated)
    }

    @Test func fitsWholeWithoutTC() throws {
        let upstream = reply(id: 1, question, answers: addresses(3))
        let message = try Message(
            decoding: CompiledReply.rewrite(reply: upstream, for: clientQuery("www.example."), clientLimit: 512))
        #expect(message.answers == upstream.answers)
        #expect(!message.header.isTruncated)
    }
}

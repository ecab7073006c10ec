import DNSWire
import Testing

@testable import DNSForward

@Suite struct PendingQueriesTests {
    typealias Pending = PendingQueries<String>

    func plan(_ addresses: [UpstreamAddress] = [upstreamA, upstreamB]) -> [Upstream] {
        addresses.enumerated().map { Upstream(index: $0.offset, address: $0.element) }
    }

    struct NotSent: Error {}

    func mustSend(
        _ pending: inout Pending, _ query: ClientQuery, client: String, clientLimit: Int, plan: [Upstream],
        now: ContinuousClock.Instant
    ) throws -> (query: [UInt8], id: UInt16, upstream: Upstream) {
        guard let result = sent(pending.admit(query, client: client, clientLimit: clientLimit, plan: plan, now: now))
        else { throw NotSent() }
        return result
    }

    func sent(_ admission: Pending.Admission) -> (query: [UInt8], id: UInt16, upstream: Upstream)? {
        guard case .send(let query, let id, let upstream, _) = admission else { return nil }
        return (query, id, upstream)
    }

    @Test func upstreamQueryIsGoldenLowercaseWithFreshIDAndEDNS() throws {
        var pending = Pending(randomID: IDSequence(startingAt: 0xBEEF).callAsFunction)
        let query = clientQuery("WWW.Example.", id: 0x1234, edns: EDNS(udpPayloadSize: 4096, dnssecOK: true))
        let admission = try mustSend(&pending, query, client: "c1", clientLimit: 1232, plan: plan(), now: t0)
        #expect(admission.id == 0xBEEF)
        #expect(admission.upstream.address == upstreamA)
        let golden: [UInt8] =
            [0xBE, 0xEF, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1]
            + [3] + Array("www".utf8) + [7] + Array("example".utf8) + [0, 0, 1, 0, 1]
            + [0, 0, 41, 0x04, 0xD0, 0, 0, 0x80, 0, 0, 0]
        #expect(admission.query == golden)
    }

    @Test func upstreamIDIsNeverTheClientsNorOneInFlight() throws {
        var ids: [UInt16] = [0x1234, 7, 7, 8]
        var pending = Pending(randomID: { ids.removeFirst() })
        let first = sent(pending.admit(clientQuery("a.example."), client: "c", clientLimit: 512, plan: plan(), now: t0))
        #expect(first?.id == 7)
        let second = sent(
            pending.admit(clientQuery("b.example."), client: "c", clientLimit: 512, plan: plan(), now: t0))
        #expect(second?.id == 8)
    }

    @Test func identicalQueriesAreCoalescedAndEachClientGetsItsOwnRewrite() throws {
        var pending = Pending(randomID: IDSequence().callAsFunction)
        let one = clientQuery("www.example.", id: 1)
        let two = clientQuery("WWW.EXAMPLE.", id: 2, edns: EDNS(udpPayloadSize: 1232), recursionDesired: false)
        let admitted = try mustSend(&pending, one, client: "one", clientLimit: 512, plan: plan(), now: t0)
        guard case .coalesced = pending.admit(two, client: "two", clientLimit: 1232, plan: plan(), now: t0) else {
            Issue.record("second identical query was not coalesced")
            return
        }
        #expect(pending.count == 1)
        // A different DO bit is a different question upstream.
        let dnssec = clientQuery("www.example.", id: 3, edns: EDNS(dnssecOK: true))
        let third = pending.admit(dnssec, client: "three", clientLimit: 1232, plan: plan(), now: t0)
        #expect(sent(third) != nil)

        let answer = reply(
            id: admitted.id, Question(name: "www.example.", type: .a),
            answers: [record("www.example. 300 IN A 192.0.2.1")])
        guard
            case .answered(_, let key, let upstream, let deliveries) = pending.receive(
                answer.encoded(), from: upstreamA, now: at(0.05))
        else {
            Issue.record("valid reply not accepted")
            return
        }
        #expect(key == one.key)
        #expect(upstream.address == upstreamA)
        #expect(deliveries.map(\.client) == ["one", "two"])
        let first = try Message(decoding: deliveries[0].reply)
        let second = try Message(decoding: deliveries[1].reply)
        #expect(first.header.id == 1 && second.header.id == 2)
        #expect(first.questions[0].name.wire == one.question.name.wire)
        #expect(second.questions[0].name.wire == two.question.name.wire)
        #expect(first.header.recursionDesired && !second.header.recursionDesired)
        #expect(first.edns == nil && second.edns != nil)
        #expect(first.answers == answer.answers)
        #expect(pending.count == 1)
    }

    @Test(arguments: [
        ("garbage", ReplyRejection.tooShort),
        ("oversized", .oversized),
        ("query", .notAResponse),
        ("wrong ID", .unknownID),
        ("wrong source port", .wrongSource),
        ("wrong source address", .wrongSource),
        ("wrong name", .wrongQuestion),
        ("wrong type", .wrongQuestion),
        ("two questions", .wrongQuestion),
        ("cut short", .truncated),
        ("compression loop", .compressionLoop),
        ("trailing bytes", .malformed),
    ])
    func repliesThatDoNotMatchAreRejectedAndCounted(name: String, reason: ReplyRejection) throws {
        var pending = Pending(randomID: { 0x4242 })
        let query = clientQuery("www.example.")
        _ = pending.admit(query, client: "c", clientLimit: 512, plan: plan(), now: t0)
        let good = reply(
            id: 0x4242, Question(name: "www.example.", type: .a), answers: [record("www.example. 60 IN A 192.0.2.1")])
        var bytes = good.encoded()
        var source = upstreamA
        switch name {
        case "garbage": bytes = [0x42, 0x42, 0x81]
        case "oversized": bytes += [UInt8](repeating: 0, count: 1300)
        case "query": bytes[2] &= 0x7F
        case "wrong ID": bytes[1] = 0x43
        case "wrong source port": source.port = 5353
        case "wrong source address": source = upstreamB
        case "wrong name":
            bytes = reply(id: 0x4242, Question(name: "www.example.org.", type: .a)).encoded()
        case "wrong type": bytes = reply(id: 0x4242, Question(name: "www.example.", type: .aaaa)).encoded()
        case "two questions":
            var message = good
            message.questions.append(Question(name: "other.example.", type: .a))
            bytes = message.encoded()
        case "cut short": bytes.removeLast(5)
        case "compression loop":
            // The answer's owner is a pointer to itself.
            let owner = 12 + good.questions[0].name.wire.count + 4
            bytes[owner] = 0xC0
            bytes[owner + 1] = UInt8(owner)
        case "trailing bytes": bytes.append(0)
        default: Issue.record("unknown case \(name)")
        }
        guard case .rejected(let got) = pending.receive(bytes, from: source, now: at(0.1)) else {
            Issue.record("\(name) was accepted")
            return
        }
        #expect(got == reason)
        #expect(pending.rejections[reason] == 1)
        #expect(pending.rejections.total == 1)
        // The real reply is still accepted afterwards.
        guard case .answered = pending.receive(good.encoded(), from: upstreamA, now: at(0.2)) else {
            Issue.record("the matching reply was refused after \(name)")
            return
        }
    }

    @Test func questionMatchIgnoresLetterCase() {
        var pending = Pending(randomID: { 9 })
        _ = pending.admit(clientQuery("www.example."), client: "c", clientLimit: 512, plan: plan(), now: t0)
        let answer = reply(id: 9, Question(name: "WwW.eXample.", type: .a))
        guard case .answered = pending.receive(answer.encoded(), from: upstreamA, now: t0) else {
            Issue.record("0x20-cased reply refused")
            return
        }
    }

    @Test func beyondMaxConcurrentDistinctQueriesAreRejectedAndCounted() {
        var pending = Pending(maxConcurrent: 2, randomID: IDSequence().callAsFunction)
        for name: Name in ["a.example.", "b.example."] {
            guard case .send = pending.admit(clientQuery(name), client: "c", clientLimit: 512, plan: plan(), now: t0)
            else { Issue.record("under the limit but not sent"); return }
        }
        guard
            case .rejected = pending.admit(
                clientQuery("c.example."), client: "c", clientLimit: 512, plan: plan(), now: t0)
        else { Issue.record("over the limit but admitted"); return }
        // Joining one in flight is not a new upstream query.
        guard
            case .coalesced = pending.admit(
                clientQuery("a.example."), client: "d", clientLimit: 512, plan: plan(), now: t0)
        else { Issue.record("coalescing refused at the limit"); return }
        #expect(pending.refusedOverLimit == 1)
    }

    @Test func timeoutRetriesOnTheNextUpstreamWithANewIDThenFailsWhenTheBudgetIsSpent() throws {
        var pending = Pending(randomID: IDSequence(startingAt: 10).callAsFunction)
        let query = clientQuery("www.example.", id: 77, edns: EDNS())
        _ = pending.admit(query, client: "c", clientLimit: 1232, plan: plan(), now: t0)
        #expect(pending.nextDeadline == at(1))
        #expect(pending.expire(now: at(0.9)).retries.isEmpty)

        let first = pending.expire(now: at(1))
        #expect(first.timedOut.map(\.address) == [upstreamA])
        #expect(first.failures.isEmpty)
        let retry = try #require(first.retries.first)
        #expect(retry.upstream.address == upstreamB)
        #expect(retry.id == 11)
        #expect(Array(retry.upstreamQuery[0..<2]) == [0, 11])
        // A late reply to the first attempt is no longer accepted.
        let late = reply(id: 10, Question(name: "www.example.", type: .a))
        guard case .rejected(.unknownID) = pending.receive(late.encoded(), from: upstreamA, now: at(1.1)) else {
            Issue.record("reply to a retired attempt accepted"); return
        }

        let second = pending.expire(now: at(2))
        #expect(second.timedOut.map(\.address) == [upstreamB])
        #expect(second.retries.isEmpty)
        let failure = try #require(second.failures.first)
        #expect(failure.client == "c")
        let servFail = try Message(decoding: failure.servFail)
        #expect(servFail.header.id == 77)
        #expect(servFail.responseCode == .servFail)
        #expect(servFail.questions == [query.question])
        #expect(servFail.edns != nil)
        #expect(pending.count == 0)
        #expect(pending.timeouts == 2)
    }

    @Test func aSingleUpstreamIsRetriedItself() throws {
        var pending = Pending(randomID: IDSequence().callAsFunction)
        _ = pending.admit(clientQuery("www.example."), client: "c", clientLimit: 512, plan: plan([upstreamC]), now: t0)
        let retry = try #require(pending.expire(now: at(1)).retries.first)
        #expect(retry.upstream.address == upstreamC)
    }

    @Test func truncatedUDPReplyAsksForTCPToTheSameUpstream() throws {
        var pending = Pending(randomID: { 5 })
        _ = pending.admit(clientQuery("big.example.", .txt), client: "c", clientLimit: 512, plan: plan(), now: t0)
        let truncated = reply(id: 5, Question(name: "big.example.", type: .txt), truncated: true)
        guard case .retryOverTCP(let attempt) = pending.receive(truncated.encoded(), from: upstreamA, now: at(0.1))
        else { Issue.record("TC=1 reply forwarded as is"); return }
        #expect(attempt.overTCP && attempt.upstream.address == upstreamA && attempt.id == 5)
        // The UDP path no longer answers for it.
        guard case .rejected(.wrongSource) = pending.receive(truncated.encoded(), from: upstreamA, now: at(0.2))
        else { Issue.record("a UDP reply accepted while waiting for TCP"); return }
        let full = reply(
            id: 5, Question(name: "big.example.", type: .txt), answers: [record("big.example. 60 IN TXT \"x\"")])
        guard case .answered = pending.receive(full.encoded(), from: upstreamA, overTCP: true, now: at(0.3))
        else { Issue.record("TCP reply refused"); return }
    }
}

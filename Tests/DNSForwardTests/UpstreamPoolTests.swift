import DNSWire
import Testing

@testable import DNSForward

@Suite struct UpstreamPoolTests {
    let addresses = [upstreamA, upstreamB, upstreamC]

    @Test func sequentialKeepsConfiguredOrder() {
        var pool = UpstreamPool(addresses, policy: .sequential)
        #expect(pool.plan(now: t0).map(\.address) == addresses)
        #expect(pool.plan(now: t0).map(\.address) == addresses)
    }

    @Test func roundRobinStartsOneFurtherEachQuery() {
        var pool = UpstreamPool(addresses, policy: .roundRobin)
        #expect(pool.plan(now: t0).map(\.address) == [upstreamA, upstreamB, upstreamC])
        #expect(pool.plan(now: t0).map(\.address) == [upstreamB, upstreamC, upstreamA])
        #expect(pool.plan(now: t0).map(\.address) == [upstreamC, upstreamA, upstreamB])
        #expect(pool.plan(now: t0).map(\.address) == [upstreamA, upstreamB, upstreamC])
    }

    @Test func randomIsTheDefaultAndShufflesWithTheInjectedSource() {
        // Fisher–Yates from the end: swap(2, 0) then swap(1, 1) gives C B A.
        var draws = [0, 1][...]
        var pool = UpstreamPool(addresses, randomBelow: { _ in draws.popFirst()! })
        #expect(pool.policy == .random)
        #expect(pool.plan(now: t0).map(\.address) == [upstreamC, upstreamB, upstreamA])
    }

    @Test func twoConsecutiveFailuresMarkDownAndLeaveThePlan() {
        var pool = UpstreamPool(addresses, policy: .sequential)
        let a = pool.upstreams[0]
        pool.recordFailure(a, now: t0)
        #expect(!pool.isDown(a))
        #expect(pool.plan(now: t0).first == a)
        pool.recordFailure(a, now: at(0.1))
        #expect(pool.isDown(a))
        #expect(pool.plan(now: at(0.1)).map(\.address) == [upstreamB, upstreamC])
    }

    @Test func aSuccessBetweenFailuresResetsTheCount() {
        var pool = UpstreamPool(addresses, policy: .sequential)
        let a = pool.upstreams[0]
        pool.recordFailure(a, now: t0)
        pool.recordSuccess(a, now: at(0.1))
        pool.recordFailure(a, now: at(0.2))
        #expect(!pool.isDown(a))
    }

    @Test func downUpstreamIsProbedWithDoublingBackoffAndRecoversOnSuccess() {
        var pool = UpstreamPool(addresses, policy: .sequential)
        let b = pool.upstreams[1]
        pool.recordFailure(b, now: t0)
        pool.recordFailure(b, now: t0)
        #expect(pool.nextProbe == at(0.5))
        #expect(pool.probesDue(now: at(0.4)).isEmpty)
        #expect(pool.probesDue(now: at(0.5)) == [b])
        // Not due again until its outcome is known or another interval passes.
        #expect(pool.probesDue(now: at(0.6)).isEmpty)
        pool.recordFailure(b, now: at(0.7))  // the probe failed: 1 s now
        #expect(pool.nextProbe == at(1.7))
        pool.recordFailure(b, now: at(1.7))
        #expect(pool.nextProbe == at(3.7))
        pool.recordSuccess(b, now: at(3.8))
        #expect(!pool.isDown(b))
        #expect(pool.nextProbe == nil)
        #expect(pool.plan(now: at(3.8)).map(\.address) == addresses)
    }

    @Test func probeBackoffIsCapped() {
        var pool = UpstreamPool([upstreamA])
        let a = pool.upstreams[0]
        for step in 0..<20 { pool.recordFailure(a, now: at(Double(step))) }
        #expect(pool.health[0].probeInterval == ForwardPolicy.maxProbeInterval)
    }

    @Test func whenAllAreDownOneRandomUpstreamIsStillTried() {
        var pool = UpstreamPool(addresses, policy: .sequential, randomBelow: { _ in 2 })
        for upstream in pool.upstreams {
            pool.recordFailure(upstream, now: t0)
            pool.recordFailure(upstream, now: t0)
        }
        #expect(pool.plan(now: t0).map(\.address) == [upstreamC])
    }

    @Test func emptyPoolPlansNothing() {
        var pool = UpstreamPool([])
        #expect(pool.plan(now: t0).isEmpty)
    }

    @Test func probeIsRootNSWithoutRecursion() throws {
        let probe = try Message(decoding: UpstreamPool.probeQuery(id: 7))
        #expect(probe.header.id == 7)
        #expect(!probe.header.recursionDesired)
        #expect(probe.questions == [Question(name: .root, type: .ns)])
    }
}

@Suite struct ForwardPolicyTests {
    @Test func limitsAreTheDocumentedOnes() {
        #expect(ForwardPolicy.attemptTimeout == .seconds(1))
        #expect(ForwardPolicy.totalBudget == .seconds(2))
        #expect(ForwardPolicy.maxConcurrent == 1000)
        #expect(ForwardPolicy.upstreamUDPPayload <= 1232)
        #expect(ForwardPolicy.chainLimit == 10)
    }
}

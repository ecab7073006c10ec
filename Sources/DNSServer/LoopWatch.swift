import DNSForward
import DNSWire
import Synchronization

/// Forwarding-loop detection shared by every worker's forwarder, as CoreDNS's `loop` plugin does it: one
/// `LoopDetector` probe name per upstream, sent through that upstream after start. Our own probe arriving as a client
/// query means the upstream sent it back to us; the forwarder passes it on again, so a loop keeps bringing it back,
/// and the `LoopDetector.threshold`-th return past the first names the upstream as a loop (`onLoop`).
///
/// A distinct name per upstream tells which one loops. The names live under the root, as CoreDNS's do: a resolver
/// answers a name under a reserved suffix such as `.invalid` itself (RFC 6761 §6.4), so a forwarding upstream would
/// hide its loop.
final class LoopWatch: Sendable {
    /// Probe rounds sent to upstreams that have not answered yet, `probeInterval` apart: a lost datagram, or an
    /// upstream still starting, does not stop the check, and an upstream that never answers is left after this many.
    static let probeRounds = 5
    static let probeInterval: Duration = .seconds(1)

    let upstreams: [UpstreamAddress]
    /// Immutable after init, so a query is compared without a lock; only sightings take one.
    private let detectors: [LoopDetector]
    private let sightings: Mutex<[LoopDetector]>
    private let answered = Mutex<Set<UpstreamAddress>>([])
    private let claimed = Atomic<Bool>(false)
    private let reported = Atomic<Bool>(false)
    private let onLoop: @Sendable (UpstreamAddress, Name) -> Void

    init(upstreams: [UpstreamAddress], onLoop: @escaping @Sendable (UpstreamAddress, Name) -> Void) {
        self.upstreams = upstreams
        detectors = upstreams.map { _ in LoopDetector() }
        sightings = Mutex(detectors)
        self.onLoop = onLoop
    }

    /// True for exactly one caller: the forwarder that sends the probes (one worker is enough; the loop, if any, is
    /// the upstream's).
    func claimProbing() -> Bool {
        !claimed.exchange(true, ordering: .acquiringAndReleasing)
    }

    /// The index of the upstream whose probe `question` is, if it is one.
    func probeIndex(_ question: Question) -> Int? {
        detectors.firstIndex { $0.isProbe(question) }
    }

    func probeQuery(upstream index: Int, id: UInt16) -> [UInt8] {
        detectors[index].probeQuery(id: id)
    }

    /// Counts one sighting of upstream `index`'s probe; past the threshold, reports the loop (once per process).
    func observe(_ query: ClientQuery, upstream index: Int) {
        let observation = sightings.withLock { $0[index].observe(query) }
        guard observation == .loopDetected, !reported.exchange(true, ordering: .acquiringAndReleasing) else { return }
        onLoop(upstreams[index], detectors[index].probeName)
    }

    /// Any reply to a probe: the upstream answers for itself, so it needs no more probes.
    func markAnswered(_ upstream: UpstreamAddress) {
        _ = answered.withLock { $0.insert(upstream) }
    }

    /// The upstreams (by index) still to probe.
    var unanswered: [Int] {
        let done = answered.withLock { $0 }
        return upstreams.indices.filter { !done.contains(upstreams[$0]) }
    }
}

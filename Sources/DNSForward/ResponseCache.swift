import DNSWire

/// Upstream replies kept for their TTL, least recently used evicted first, written for each client on a hit.
///
/// Sans-IO: every call takes `now`. The policy follows RFC 2308 and CoreDNS's `cache`:
/// - positive answers live for the smallest TTL in the answer section, at most `maxTTL`;
/// - NXDOMAIN and NODATA live for min(SOA TTL, SOA MINIMUM) (RFC 2308 §5), at most `maxNegativeTTL`; without an SOA
///   in the authority section they are not cached (RFC 2308 §5: "SHOULD NOT be cached");
/// - SERVFAIL lives `servFailTTL` (RFC 2308 §7.1 allows up to five minutes; seconds suffice to stop a storm);
/// - TC replies, FORMERR, REFUSED, NOTIMP and other codes, and replies whose question is not the key's, never enter.
///
/// A hit copies stored wire bytes into the caller's buffer and patches ID, flags, question case, TTLs and OPT
/// (`lookup(_:in:clientLimit:now:upstreamsFailed:into:)`). Entries are found through an open-addressing table of slot
/// positions keyed by a hash of the lowercased name, type, class, DO and CD, compared against the stored key's bytes,
/// so a query read in place (`WireQuery`) is looked up and answered without allocating (STYLE habit 6); only storing
/// allocates.
public struct ResponseCache {
    public struct Configuration: Sendable {
        /// Entries kept before the least recently used is evicted: at ~300 bytes a reply, about 3 MB per worker.
        public var capacity = 10_000
        /// CoreDNS's cap on positive answers: an upstream change is seen within the hour whatever TTL it set.
        public var maxTTL: UInt32 = 3600
        /// RFC 2308 §5 suggests one to three hours; CoreDNS caps at 1800, and so do we.
        public var maxNegativeTTL: UInt32 = 1800
        public var servFailTTL: UInt32 = 5
        /// Hits before an entry is worth refreshing ahead of expiry: CoreDNS's default of 1 would refresh names
        /// asked once or twice an hour, doubling upstream traffic for no saved miss; 10 hits within one TTL marks a
        /// name many clients depend on.
        public var prefetchHits = 10
        /// Prefetch once the remaining TTL is below this percentage of the original (CoreDNS's default 10%).
        public var prefetchPercent = 10
        /// How long past expiry an entry may still be served when every upstream failed (RFC 8767); zero disables.
        public var serveStale: Duration = .zero
        /// The TTL of a stale answer (RFC 8767 §4 recommends 30 s).
        public var staleTTL: UInt32 = 30

        public init() {}
    }

    public enum Uncacheable: Error, Sendable, Equatable {
        case notAResponse
        case truncated
        case questionMismatch
        case negativeWithoutSOA
        case responseCode(ResponseCode)
        case zeroTTL
    }

    public enum StoreOutcome: Sendable, Equatable {
        case stored(ttl: UInt32)
        case notCached(Uncacheable)
    }

    /// What a hit wrote.
    public struct Hit: Sendable, Equatable {
        public var length: Int
        /// Popular and about to expire: the caller should refresh it from upstream now (and `store` the reply).
        public var shouldPrefetch: Bool
        /// Served past its TTL because every upstream failed (RFC 8767).
        public var isStale: Bool
    }

    public struct Counters: Sendable, Equatable {
        public var hits = 0
        public var misses = 0
        public var staleHits = 0
        public var prefetches = 0
        public var evictions = 0
    }

    private struct Slot {
        var key: QueryKey
        /// `ResponseCache.hash` of `key`, to find its bucket again and to skip most comparisons.
        var hash: Int
        var reply: CompiledReply
        /// Times as `CacheTime`: when stored, `storedAt + ttl`, and from when a hit may signal a prefetch
        /// (`prefetchPercent` of the TTL before expiry), the last two worked out once when stored.
        var storedAt: Int64
        var ttl: UInt32
        var expiresAt: Int64
        var prefetchFrom: Int64
        var isServFail: Bool
        var hits: Int
        var prefetchSignalled: Bool
        var newer: Int
        var older: Int
    }

    public let configuration: Configuration
    public private(set) var counters = Counters()
    private var slots: [Slot] = []
    /// Open addressing with linear probing: each bucket holds a slot position, or -1. Twice the capacity rounded up
    /// to a power of two keeps the load at most one half, so probe runs stay short; removal shifts the run back
    /// instead of leaving tombstones.
    private var buckets: [Int32]
    private let bucketMask: Int
    private var entryCount = 0
    private var freeSlots: [Int] = []
    /// Most and least recently used slot; -1 when empty.
    private var newest = -1
    private var oldest = -1
    /// `configuration.serveStale` in nanoseconds.
    private let serveStaleNanoseconds: Int64

    public init(configuration: Configuration = Configuration()) {
        precondition(configuration.capacity > 0, "a cache holds at least one entry")
        self.configuration = configuration
        precondition(configuration.capacity < Int(Int32.max) / 2, "a cache capacity beyond what an index holds")
        var bucketCount = 8
        while bucketCount < configuration.capacity * 2 { bucketCount *= 2 }
        buckets = Array(repeating: -1, count: bucketCount)
        bucketMask = bucketCount - 1
        serveStaleNanoseconds = CacheTime.nanoseconds(configuration.serveStale)
    }

    public var count: Int { entryCount }

    // MARK: - Storing

    /// Keeps `reply` (already accepted by `PendingQueries`) under `key` if the policy allows, replacing any entry.
    @discardableResult
    public mutating func store(_ reply: Message, for key: QueryKey, now: ContinuousClock.Instant) -> StoreOutcome {
        let ttl: UInt32
        switch policyTTL(reply, key) {
        case .success(let value): ttl = value
        case .failure(let reason): return .notCached(reason)
        }
        let hash = ResponseCache.hash(key)
        let storedAt = CacheTime(now).nanoseconds
        let lifetime = Int64(ttl) * CacheTime.nanosecondsPerSecond
        let expiresAt = storedAt + lifetime
        let slot = Slot(
            key: key, hash: hash, reply: CompiledReply(reply), storedAt: storedAt, ttl: ttl, expiresAt: expiresAt,
            prefetchFrom: expiresAt - lifetime / 100 * Int64(configuration.prefetchPercent),
            isServFail: reply.responseCode == .servFail, hits: 0, prefetchSignalled: false, newer: -1, older: -1)
        if let existing = find(key, hash: hash) {
            unlink(existing)
            var replaced = slot
            replaced.hits = slots[existing].hits
            slots[existing] = replaced
            linkNewest(existing)
        } else {
            if entryCount >= configuration.capacity {
                counters.evictions += 1
                remove(oldest)
            }
            let position: Int
            if let free = freeSlots.popLast() {
                slots[free] = slot
                position = free
            } else {
                slots.append(slot)
                position = slots.count - 1
            }
            insert(position, hash: hash)
            linkNewest(position)
        }
        return .stored(ttl: ttl)
    }

    private func policyTTL(_ reply: Message, _ key: QueryKey) -> Result<UInt32, Uncacheable> {
        guard reply.header.isResponse else { return .failure(.notAResponse) }
        // RFC 2181 §9: a truncated reply is incomplete and must not be cached.
        guard !reply.header.isTruncated else { return .failure(.truncated) }
        guard reply.questions.count == 1, key.matches(reply.questions[0]) else { return .failure(.questionMismatch) }
        let ttl: UInt32
        switch reply.responseCode {
        case .noError where !reply.answers.isEmpty:
            ttl = min(reply.answers.map(\.ttl).min()!, configuration.maxTTL)
        case .noError, .nxDomain:
            let soa = reply.authorities.lazy.compactMap { record -> (UInt32, SOAData)? in
                guard case .soa(let data) = record.data else { return nil }
                return (record.ttl, data)
            }.first
            guard let (soaTTL, data) = soa else { return .failure(.negativeWithoutSOA) }
            ttl = min(soaTTL, data.minimum, configuration.maxNegativeTTL)
        case .servFail:
            ttl = configuration.servFailTTL
        default:
            return .failure(.responseCode(reply.responseCode))
        }
        guard ttl > 0 else { return .failure(.zeroTTL) }
        return .success(ttl)
    }

    // MARK: - Looking up

    /// Writes the cached reply for `query` into `buffer`, TTLs counted down by the entry's age, rewritten for the
    /// client (ID, question case, RD/CD, OPT, truncation to `clientLimit`). An expired entry is served, with
    /// `staleTTL`, only when `upstreamsFailed` and it expired less than `serveStale` ago; otherwise `nil`.
    public mutating func lookup(
        _ query: ClientQuery, clientLimit: Int, now: ContinuousClock.Instant, upstreamsFailed: Bool = false,
        into buffer: UnsafeMutableRawBufferPointer
    ) -> Hit? {
        let key = query.key
        let position = find(key, hash: ResponseCache.hash(key))
        guard let (position, ttls, hit) = use(position, now: now, upstreamsFailed: upstreamsFailed) else { return nil }
        var written = hit
        written.length = slots[position].reply.write(for: query, limit: clientLimit, ttls: ttls, into: buffer)
        return written
    }

    /// `lookup(_:clientLimit:now:upstreamsFailed:into:)` for a query read in place from `bytes`: the same entry, the
    /// same reply, the same counters, and no allocation.
    public mutating func lookup(
        _ query: WireQuery, in bytes: UnsafeRawBufferPointer, clientLimit: Int, now: ContinuousClock.Instant,
        upstreamsFailed: Bool = false, into buffer: UnsafeMutableRawBufferPointer
    ) -> Hit? {
        let name = query.name(in: bytes)
        let hash = ResponseCache.hash(
            name: name, type: query.type, recordClass: query.recordClass, dnssecOK: query.hasEDNS && query.dnssecOK,
            checkingDisabled: query.checkingDisabled)
        let position = find(
            name: name, type: query.type, recordClass: query.recordClass, dnssecOK: query.hasEDNS && query.dnssecOK,
            checkingDisabled: query.checkingDisabled, hash: hash)
        guard let (position, ttls, hit) = use(position, now: now, upstreamsFailed: upstreamsFailed) else { return nil }
        var written = hit
        written.length = slots[position].reply.write(
            for: query, in: bytes, limit: clientLimit, ttls: ttls, into: buffer)
        return written
    }

    /// For a caller that may decline the entry it finds (`AliasReply`, completing an alias with its target's
    /// reply): hands the fresh entry for this name (any letter case), type, class, DO and CD to `write`, which writes
    /// it its own way and returns the length, or `nil` to decline. Only a written entry counts: then the hit is
    /// counted, touched and considered for prefetch exactly as by `lookup`. A missing, expired or declined entry
    /// changes nothing (no miss is counted, nothing is removed), so the caller's own `lookup` afterwards behaves as
    /// if this one had not happened. `name` is not read once `write` is called, so it may lie in what `write`
    /// overwrites. Allocates nothing.
    public mutating func lookup(
        name: UnsafeRawBufferPointer, type: UInt16, recordClass: UInt16, dnssecOK: Bool, checkingDisabled: Bool,
        now: ContinuousClock.Instant, writingWith write: (CompiledReply, CompiledReply.TTLs) -> Int?
    ) -> Hit? {
        let hash = ResponseCache.hash(
            name: name, type: type, recordClass: recordClass, dnssecOK: dnssecOK, checkingDisabled: checkingDisabled)
        let now = CacheTime(now).nanoseconds
        guard
            let position = find(
                name: name, type: type, recordClass: recordClass, dnssecOK: dnssecOK,
                checkingDisabled: checkingDisabled, hash: hash),
            now < slots[position].expiresAt,
            let length = write(slots[position].reply, agedTTLs(position, now: now))
        else { return nil }
        var hit = recordFreshHit(position, now: now)
        hit.length = length
        return hit
    }

    /// The policy of a lookup that found `position` (or nothing): counts the hit or miss, drops an entry past
    /// serving, touches, decides prefetch; returns the TTLs to write and the hit without its length.
    private mutating func use(
        _ found: Int?, now: ContinuousClock.Instant, upstreamsFailed: Bool
    ) -> (Int, CompiledReply.TTLs, Hit)? {
        guard let position = found else {
            counters.misses += 1
            return nil
        }
        let now = CacheTime(now).nanoseconds
        let expiry = slots[position].expiresAt
        if now < expiry {
            return (position, agedTTLs(position, now: now), recordFreshHit(position, now: now))
        }
        let canServeStale = !slots[position].isServFail && now < expiry + serveStaleNanoseconds
        if !canServeStale {
            remove(position)
        }
        guard canServeStale, upstreamsFailed else {
            counters.misses += 1
            return nil
        }
        counters.staleHits += 1
        touch(position)
        return (position, .fixed(configuration.staleTTL), Hit(length: 0, shouldPrefetch: false, isStale: true))
    }

    /// The TTLs of the fresh entry at `position` written `now`: counted down by its age. This and the next are
    /// forced inline: every cache hit runs them, and left as calls they cost a plain hit about 200 instructions more
    /// (callgrind).
    @inline(__always)
    private func agedTTLs(_ position: Int, now: Int64) -> CompiledReply.TTLs {
        let ttl = slots[position].ttl
        let age = UInt32(clamping: (now - slots[position].storedAt) / CacheTime.nanosecondsPerSecond)
        return .aged(by: age, ceiling: ttl - min(age, ttl))
    }

    /// Counts a hit `now` on the fresh entry at `position`: touches it and decides whether it is due for prefetch
    /// (less than `prefetchPercent` of its TTL left).
    @inline(__always)
    private mutating func recordFreshHit(_ position: Int, now: Int64) -> Hit {
        counters.hits += 1
        slots[position].hits += 1
        var prefetch = false
        if slots[position].hits >= configuration.prefetchHits, !slots[position].prefetchSignalled,
            now > slots[position].prefetchFrom
        {
            prefetch = true
            slots[position].prefetchSignalled = true
            counters.prefetches += 1
        }
        touch(position)
        return Hit(length: 0, shouldPrefetch: prefetch, isStale: false)
    }

    /// `lookup(_:clientLimit:now:upstreamsFailed:into:)` returning a new array (tests, and callers without a buffer).
    public mutating func lookup(
        _ query: ClientQuery, clientLimit: Int, now: ContinuousClock.Instant, upstreamsFailed: Bool = false
    ) -> (reply: [UInt8], hit: Hit)? {
        var hit: Hit?
        let reply = [UInt8](unsafeUninitializedCapacity: max(clientLimit, 0)) { buffer, count in
            hit = lookup(
                query, clientLimit: clientLimit, now: now, upstreamsFailed: upstreamsFailed,
                into: UnsafeMutableRawBufferPointer(buffer))
            count = hit?.length ?? 0
        }
        guard let hit else { return nil }
        return (reply, hit)
    }

    /// True when an entry for `key` exists (fresh or stale); does not count as use.
    public func contains(_ key: QueryKey) -> Bool {
        find(key, hash: ResponseCache.hash(key)) != nil
    }

    // MARK: - Index

    /// The key's hash: the name's lowercased bytes eight at a time, then type, class, DO and CD, through `Hasher`
    /// (SipHash with a per-process seed, so crafted names cannot pile onto one probe run). Allocates nothing.
    static func hash(
        name: UnsafeRawBufferPointer, type: UInt16, recordClass: UInt16, dnssecOK: Bool, checkingDisabled: Bool
    ) -> Int {
        var hasher = Hasher()
        var word: UInt64 = 0
        var shift: UInt64 = 0
        for byte in name {
            word |= UInt64(asciiLowercase(byte)) << shift
            shift += 8
            if shift == 64 {
                hasher.combine(word)
                word = 0
                shift = 0
            }
        }
        hasher.combine(word)
        hasher.combine(
            UInt64(type) << 32 | UInt64(recordClass) << 16 | (dnssecOK ? 2 : 0) | (checkingDisabled ? 1 : 0))
        return hasher.finalize()
    }

    static func hash(_ key: QueryKey) -> Int {
        key.name.wire.withUnsafeBytes { name in
            hash(
                name: name, type: key.type.rawValue, recordClass: key.recordClass.rawValue, dnssecOK: key.dnssecOK,
                checkingDisabled: key.checkingDisabled)
        }
    }

    private func find(_ key: QueryKey, hash: Int) -> Int? {
        key.name.wire.withUnsafeBytes { name in
            find(
                name: name, type: key.type.rawValue, recordClass: key.recordClass.rawValue, dnssecOK: key.dnssecOK,
                checkingDisabled: key.checkingDisabled, hash: hash)
        }
    }

    /// The slot holding the entry for this name (any letter case, RFC 4343), type, class, DO and CD.
    private func find(
        name: UnsafeRawBufferPointer, type: UInt16, recordClass: UInt16, dnssecOK: Bool, checkingDisabled: Bool,
        hash: Int
    ) -> Int? {
        var bucket = hash & bucketMask
        // The load is at most one half, so an empty bucket ends every run.
        while true {
            let position = Int(buckets[bucket])
            if position < 0 { return nil }
            if slots[position].hash == hash, slots[position].key.type.rawValue == type,
                slots[position].key.recordClass.rawValue == recordClass, slots[position].key.dnssecOK == dnssecOK,
                slots[position].key.checkingDisabled == checkingDisabled,
                ResponseCache.sameName(slots[position].key.name.wire, name)
            {
                return position
            }
            bucket = (bucket + 1) & bucketMask
        }
    }

    /// True when `name` is `stored` (already lowercase) in any ASCII letter case.
    private static func sameName(_ stored: [UInt8], _ name: UnsafeRawBufferPointer) -> Bool {
        guard stored.count == name.count else { return false }
        return stored.withUnsafeBytes { stored in
            for index in 0..<name.count where stored[index] != asciiLowercase(name[index]) {
                return false
            }
            return true
        }
    }

    private mutating func insert(_ position: Int, hash: Int) {
        var bucket = hash & bucketMask
        while buckets[bucket] >= 0 {
            bucket = (bucket + 1) & bucketMask
        }
        buckets[bucket] = Int32(position)
        entryCount += 1
    }

    /// Takes `position` out of the index, moving later members of its probe run back into the gap (Knuth's
    /// algorithm R for linear probing) so that every run stays unbroken.
    private mutating func unindex(_ position: Int) {
        var hole = slots[position].hash & bucketMask
        while Int(buckets[hole]) != position {
            hole = (hole + 1) & bucketMask
        }
        var next = (hole + 1) & bucketMask
        while buckets[next] >= 0 {
            let home = slots[Int(buckets[next])].hash & bucketMask
            // The entry at `next` may move to `hole` when `hole` lies on its way from `home`: cyclically,
            // home ≤ hole < next.
            if (next - home) & bucketMask >= (next - hole) & bucketMask {
                buckets[hole] = buckets[next]
                hole = next
            }
            next = (next + 1) & bucketMask
        }
        buckets[hole] = -1
        entryCount -= 1
    }

    // MARK: - Recency list

    private mutating func touch(_ position: Int) {
        guard position != newest else { return }
        unlink(position)
        linkNewest(position)
    }

    private mutating func linkNewest(_ position: Int) {
        slots[position].newer = -1
        slots[position].older = newest
        if newest >= 0 { slots[newest].newer = position }
        newest = position
        if oldest < 0 { oldest = position }
    }

    private mutating func unlink(_ position: Int) {
        let newer = slots[position].newer
        let older = slots[position].older
        if newer >= 0 { slots[newer].older = older } else { newest = older }
        if older >= 0 { slots[older].newer = newer } else { oldest = newer }
        slots[position].newer = -1
        slots[position].older = -1
    }

    private mutating func remove(_ position: Int) {
        unlink(position)
        unindex(position)
        freeSlots.append(position)
    }
}

/// A time inside the cache: nanoseconds since a fixed instant of this process. `ContinuousClock.Instant` is opaque
/// outside the standard library's concurrency module, so a slot holding three of them was copied, compared and
/// added to through value witnesses: ~500 instructions of every cache hit (callgrind), against one conversion here.
struct CacheTime {
    static let nanosecondsPerSecond: Int64 = 1_000_000_000
    private static let epoch = ContinuousClock.now

    let nanoseconds: Int64

    @inline(__always)
    init(_ instant: ContinuousClock.Instant) {
        nanoseconds = Self.nanoseconds(Self.epoch.duration(to: instant))
    }

    /// Saturated at ±2^32 seconds (136 years), so that a time plus a TTL or a stale window cannot overflow.
    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let bound: Int64 = 1 << 32
        return max(-bound, min(bound, seconds)) * nanosecondsPerSecond + attoseconds / 1_000_000_000
    }
}

internal import CPrefetch

/// The slots of an `AnswerTable`'s index: open addressing with linear probing over every node of every part, each
/// entry `fingerprint << (partBits + nodeBits) | (part + 1) << nodeBits | node`, 0 when empty.
///
/// The fingerprint is the top bits of the name's hash, as many as the entry has left over: a probe passes over an
/// entry whose fingerprint differs without reading its node, which would be a cache miss of its own. Without it, a
/// name that is not in the table (a search-path miss, ~15% of a cluster's queries) read a node for every entry of its
/// probe sequence, several on average at three quarters full.
///
/// Entries are 32 bits whenever the part numbers and the largest part's node count fit (402 parts of up to 8 million
/// names each, or 16,000 parts of up to 260,000, far past Kubernetes' tested limits), else 64. At 100,000 services
/// the index holds a million slots: the narrow form saves 4 MB, and as much again while a new table's index is made
/// beside the old one. There, 401 parts of at most ~4,000 nodes leave 11 bits of fingerprint; at 10,000 services, 14.
struct NodeIndex {
    /// Exactly one of the two is set.
    let narrow: UnsafeMutableBufferPointer<UInt32>?
    let wide: UnsafeMutableBufferPointer<UInt64>?
    /// Bits of an entry's node number, and of its part number + 1 above them; the fingerprint fills the rest.
    let nodeBits: Int
    let partBits: Int
    let capacity: Int

    /// An empty index with room for `nameCount` names of `parts`, in `previous`'s layout when they fit it (so that
    /// index can be copied and patched).
    init(nameCount: Int, parts: [AnswerPart?], reusing previous: NodeIndex? = nil) {
        self.init(
            nameCount: nameCount, partCount: parts.count,
            largestPart: parts.reduce(0) { max($0, $1?.nodes.count ?? 0) }, reusing: previous)
    }

    /// An empty index with room for `nameCount` names in `partCount` parts of at most `largestPart` nodes, in
    /// `previous`'s layout when they fit it.
    init(nameCount: Int, partCount: Int, largestPart: Int, reusing previous: NodeIndex? = nil) {
        capacity = Self.slotCapacity(for: nameCount)
        let isWide: Bool
        if let previous, previous.capacity == capacity, partCount < 1 << previous.partBits,
            largestPart <= 1 << previous.nodeBits
        {
            partBits = previous.partBits
            nodeBits = previous.nodeBits
            isWide = previous.wide != nil
        } else {
            partBits = Self.bitWidth(of: partCount)
            nodeBits = Self.bitWidth(of: largestPart)
            isWide = partBits + nodeBits > 32
        }
        narrow = isWide ? nil : .allocate(capacity: capacity)
        wide = isWide ? .allocate(capacity: capacity) : nil
    }

    /// Bits of an entry above its part and node.
    var fingerprintBits: Int {
        min(32, (wide == nil ? 32 : 64) - partBits - nodeBits)
    }

    /// `hash`'s fingerprint, in place in an entry.
    @inline(__always)
    private func fingerprint<Slot: FixedWidthInteger & UnsignedInteger>(_ hash: UInt32, as _: Slot.Type) -> Slot {
        Slot(hash >> (32 - fingerprintBits)) << (partBits + nodeBits)
    }

    @inline(__always)
    private func entry<Slot: FixedWidthInteger & UnsignedInteger>(
        part: Int, node: Int, hash: UInt32, as type: Slot.Type
    ) -> Slot {
        fingerprint(hash, as: type) | Slot(part + 1) << nodeBits | Slot(node)
    }

    func deallocate() {
        narrow?.deallocate()
        wide?.deallocate()
    }

    /// At most three quarters full keeps linear probe sequences short.
    static func slotCapacity(for count: Int) -> Int {
        var capacity = 16
        while capacity * 3 < count * 4 { capacity <<= 1 }
        return capacity
    }

    private static func bitWidth(of value: Int) -> Int {
        Int.bitWidth - value.leadingZeroBitCount
    }

    /// Whether `other`'s slots can be copied into this index and patched: the same size and entry layout.
    func hasLayout(of other: NodeIndex) -> Bool {
        capacity == other.capacity && nodeBits == other.nodeBits && partBits == other.partBits
            && (narrow == nil) == (other.narrow == nil)
    }

    func clear() {
        narrow?.initialize(repeating: 0)
        wide?.initialize(repeating: 0)
    }

    func copy(from other: NodeIndex) {
        if let narrow, let source = other.narrow { _ = narrow.initialize(from: source) }
        if let wide, let source = other.wide { _ = wide.initialize(from: source) }
    }

    /// The entries in use, for tests.
    var entryCount: Int {
        if let narrow { return narrow.count { $0 != 0 } }
        return wide!.count { $0 != 0 }
    }

    /// The slot holding `part`'s node `node`, for tests that break the index on purpose.
    func slot(part: Int, node: Int) -> Int? {
        let location = UInt64(part + 1) << nodeBits | UInt64(node)
        let locationMask = (UInt64(1) << (partBits + nodeBits)) &- 1
        if let narrow { return narrow.firstIndex { UInt64($0) & locationMask == location } }
        return wide!.firstIndex { $0 & locationMask == location }
    }

    func clearSlot(_ slot: Int) {
        narrow?[slot] = 0
        wide?[slot] = 0
    }

    // MARK: - Writing

    func insert(part: Int, node: Int, hash: UInt32) {
        if let narrow {
            Self.insert(into: narrow, entry: entry(part: part, node: node, hash: hash, as: UInt32.self), hash: hash)
        } else {
            Self.insert(into: wide!, entry: entry(part: part, node: node, hash: hash, as: UInt64.self), hash: hash)
        }
    }

    private static func insert<Slot: FixedWidthInteger & UnsignedInteger>(
        into slots: UnsafeMutableBufferPointer<Slot>, entry: Slot, hash: UInt32
    ) {
        let mask = slots.count - 1
        var slot = Int(hash) & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = entry
    }

    /// Removes one node's entry and shifts the entries after it back into the gap, so no probe sequence is broken
    /// (deletion without tombstones for linear probing). `views` resolves the entries present now. False when the
    /// entry is not there.
    func remove(part: Int, node: Int, hash: UInt32, views: UnsafeMutableBufferPointer<AnswerTable.PartView>) -> Bool {
        if let narrow {
            return Self.remove(
                from: narrow, entry: entry(part: part, node: node, hash: hash, as: UInt32.self), hash: hash,
                nodeBits: nodeBits, partBits: partBits, views: views)
        }
        return Self.remove(
            from: wide!, entry: entry(part: part, node: node, hash: hash, as: UInt64.self), hash: hash,
            nodeBits: nodeBits, partBits: partBits, views: views)
    }

    private static func remove<Slot: FixedWidthInteger & UnsignedInteger>(
        from slots: UnsafeMutableBufferPointer<Slot>, entry: Slot, hash: UInt32, nodeBits: Int, partBits: Int,
        views: UnsafeMutableBufferPointer<AnswerTable.PartView>
    ) -> Bool {
        let mask = slots.count - 1
        let nodeMask = (Slot(1) << nodeBits) &- 1
        let partMask = (Slot(1) << partBits) &- 1
        var hole = Int(hash) & mask
        while slots[hole] != entry {
            // Every node of a replaced part is in the index: an empty slot here means it is not.
            if slots[hole] == 0 { return false }
            hole = (hole + 1) & mask
        }
        var next = hole
        while true {
            next = (next + 1) & mask
            let moving = slots[next]
            if moving == 0 { break }
            let view = views[Int((moving >> nodeBits) & partMask) - 1]
            let home = Int(view.nodes![Int(moving & nodeMask)].hash) & mask
            // The entry may move into the hole only if its home is not cyclically inside (hole, next].
            let homeBetween = hole <= next ? (home > hole && home <= next) : (home > hole || home <= next)
            if !homeBetween {
                slots[hole] = moving
                hole = next
            }
        }
        slots[hole] = 0
        return true
    }

    // MARK: - Reading

    /// Calls `matches(part, node)` for each entry on `hash`'s probe sequence whose fingerprint is `hash`'s, until it
    /// returns true (that location is returned) or an empty slot ends the sequence (`nil`).
    @inline(__always)
    func probe(hash: UInt32, _ matches: (Int, Int) -> Bool) -> AnswerTable.Location? {
        if let narrow {
            return Self.probe(
                narrow, hash: hash, fingerprint: fingerprint(hash, as: UInt32.self), nodeBits: nodeBits,
                partBits: partBits, matches)
        }
        return Self.probe(
            wide!, hash: hash, fingerprint: fingerprint(hash, as: UInt64.self), nodeBits: nodeBits, partBits: partBits,
            matches)
    }

    @inline(__always)
    private static func probe<Slot: FixedWidthInteger & UnsignedInteger>(
        _ slots: UnsafeMutableBufferPointer<Slot>, hash: UInt32, fingerprint: Slot, nodeBits: Int, partBits: Int,
        _ matches: (Int, Int) -> Bool
    ) -> AnswerTable.Location? {
        let mask = slots.count - 1
        let nodeMask = (Slot(1) << nodeBits) &- 1
        let partMask = (Slot(1) << partBits) &- 1
        let locationMask = (Slot(1) << (partBits + nodeBits)) &- 1
        var slot = Int(hash) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { return nil }
            if entry & ~locationMask == fingerprint {
                let part = Int((entry >> nodeBits) & partMask) - 1
                let node = Int(entry & nodeMask)
                if matches(part, node) { return AnswerTable.Location(part: part, index: node) }
            }
            slot = (slot + 1) & mask
        }
    }

    // MARK: - Prefetching

    /// Starts loading the slot where `hash`'s probe sequence begins.
    @inline(__always)
    func prefetchFirstSlot(hash: UInt32) {
        let slot = Int(hash) & (capacity - 1)
        if let narrow {
            CPrefetch_read(narrow.baseAddress! + slot)
        } else {
            CPrefetch_read(wide!.baseAddress! + slot)
        }
    }

    /// The first entry on `hash`'s probe sequence with `hash`'s fingerprint: the node a lookup of it reads first.
    @inline(__always)
    func firstCandidate(hash: UInt32) -> AnswerTable.Location? {
        probe(hash: hash) { _, _ in true }
    }
}

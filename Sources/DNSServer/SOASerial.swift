/// The SOA serial of the cluster zones: it grows on every registry change (RFC 1982 arithmetic aside, we never wrap),
/// and starts from the clock so that it also grows across restarts, as CoreDNS's does.
struct SOASerial {
    private(set) var current: UInt32 = 0

    /// The serial for a new registry version made at `secondsSinceEpoch`.
    mutating func next(secondsSinceEpoch: UInt64) -> UInt32 {
        let clock = UInt32(truncatingIfNeeded: secondsSinceEpoch)
        current = current == UInt32.max ? 1 : max(current + 1, clock)
        return current
    }
}

/// MX RDATA (RFC 1035 §3.3.9). Decoded rather than kept opaque because its name may be compressed, and a pointer kept
/// inside opaque bytes would point at the wrong place once the record is written into another message.
public struct MXData: Hashable, Sendable {
    public var preference: UInt16
    public var exchange: Name

    public init(preference: UInt16, exchange: Name) {
        self.preference = preference
        self.exchange = exchange
    }
}

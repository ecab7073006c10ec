/// One configured upstream resolver: its place in the pool and its address.
public struct Upstream: Hashable, Sendable, CustomStringConvertible {
    /// The position in the configured list; stable for the pool's life.
    public let index: Int
    public let address: UpstreamAddress

    public init(index: Int, address: UpstreamAddress) {
        self.index = index
        self.address = address
    }

    public var description: String { address.description }
}

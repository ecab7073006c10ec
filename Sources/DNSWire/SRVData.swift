/// SRV RDATA (RFC 2782).
public struct SRVData: Hashable, Sendable {
    public var priority: UInt16
    public var weight: UInt16
    public var port: UInt16
    public var target: Name

    public init(priority: UInt16, weight: UInt16, port: UInt16, target: Name) {
        self.priority = priority
        self.weight = weight
        self.port = port
        self.target = target
    }
}

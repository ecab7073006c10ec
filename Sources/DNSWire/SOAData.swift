/// SOA RDATA (RFC 1035 §3.3.13). `minimum` is the negative-caching TTL (RFC 2308 §4).
public struct SOAData: Hashable, Sendable {
    public var mname: Name
    public var rname: Name
    public var serial: UInt32
    public var refresh: UInt32
    public var retry: UInt32
    public var expire: UInt32
    public var minimum: UInt32

    public init(
        mname: Name, rname: Name, serial: UInt32, refresh: UInt32, retry: UInt32, expire: UInt32, minimum: UInt32
    ) {
        self.mname = mname
        self.rname = rname
        self.serial = serial
        self.refresh = refresh
        self.retry = retry
        self.expire = expire
        self.minimum = minimum
    }
}

/// The limits of DNS over TCP (RFC 7766), each with its reason.
public enum TCPLimits {
    /// Connections one worker keeps open; more are accepted and closed at once, so a flood of idle connections costs
    /// a bounded amount of memory and descriptors per worker (RFC 7766 section 6.2.2 asks servers to limit them).
    public static let defaultMaxConnections = 256
    /// How long a connection may sit without a complete read or write before the server closes it. CoreDNS uses 10 s;
    /// RFC 7766 section 6.2.3 recommends "on the order of seconds".
    public static let defaultIdleTimeout: Duration = .seconds(10)
    /// The largest DNS message: the 2-byte length prefix cannot say more (RFC 1035 section 4.2.2).
    public static let maxMessageSize = 65535
    /// Connections accepted per listener wakeup before yielding to queries already being served.
    static let acceptsPerWakeup = 16
    /// The first size of a connection's read buffer; it grows (up to one whole message) only for larger queries.
    static let initialReadBufferSize = 1024
    /// How long to stop accepting after the process or system ran out of descriptors or memory (EMFILE, ENFILE,
    /// ENOBUFS, ENOMEM): the level-triggered listener would otherwise spin on the same error.
    static let acceptBackoff: Duration = .milliseconds(100)
}

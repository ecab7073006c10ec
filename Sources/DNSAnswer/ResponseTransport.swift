/// How a query arrived, which decides how large its reply may be.
public enum ResponseTransport: Sendable {
    /// At most 512 bytes, or the client's EDNS payload size (RFC 6891 §6.2.5), capped at `Responder.maxUDPPayload`.
    case udp
    /// At most 65535 bytes (RFC 1035 §4.2.2).
    case tcp
}

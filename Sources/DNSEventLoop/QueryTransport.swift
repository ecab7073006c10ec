/// How a query arrived, so the handler knows the reply's size limit and truncation rules (RFC 1035 section 4.2).
public enum QueryTransport: Sendable, Hashable {
    case udp
    case tcp
}

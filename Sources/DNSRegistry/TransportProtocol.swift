/// The transport a port speaks, spelled as Kubernetes spells it (`spec.ports[].protocol`). It becomes the `_proto`
/// label of SRV names (RFC 2782): `_tcp`, `_udp`, `_sctp`.
public enum TransportProtocol: String, Sendable, Hashable, CaseIterable {
    case tcp = "TCP"
    case udp = "UDP"
    case sctp = "SCTP"

    /// The SRV label without its underscore: `tcp`, `udp`, `sctp`.
    public var srvLabel: String {
        rawValue.lowercased()
    }
}

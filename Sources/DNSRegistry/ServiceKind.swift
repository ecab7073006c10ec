import DNSWire

/// How a Service answers in DNS (Kubernetes DNS specification §2.3).
public enum ServiceKind: Sendable, Hashable {
    /// `ClusterIP`, `NodePort` and `LoadBalancer` services: A/AAAA records for their cluster IPs, one per family for
    /// a dual-stack service. Empty when the manifest sets no IP (a cluster would allocate one; a manifest file can't).
    case clusterIP(AddressList)
    /// `clusterIP: None`: the records are those of the service's ready endpoints.
    case headless
    /// `type: ExternalName`: a CNAME to this name.
    case externalName(Name)
}

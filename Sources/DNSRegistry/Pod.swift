/// A v1 Pod, stripped to its addresses (`status.podIPs`, or `status.podIP` when that list is absent).
public struct Pod: Sendable, Hashable {
    public var namespace: String
    public var name: String
    /// Empty for a pod that has no IP yet.
    public var ips: AddressList

    public init(namespace: String, name: String, ips: AddressList) {
        self.namespace = namespace
        self.name = name
        self.ips = ips
    }
}

/// An endpoint's `targetRef`: the object (nearly always a Pod) that backs it.
public struct ObjectReference: Sendable, Hashable {
    public var kind: String
    public var namespace: String?
    public var name: String

    public init(kind: String, namespace: String? = nil, name: String) {
        self.kind = kind
        self.namespace = namespace
        self.name = name
    }
}

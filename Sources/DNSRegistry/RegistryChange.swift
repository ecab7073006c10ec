/// What changed in a registry source since its owner last asked: the namespaces whose objects may differ, or
/// everything (a collection listed again, a first load). A source may name a namespace that did not change in the end;
/// it must never leave out one that did.
public enum RegistryChange: Sendable, Equatable {
    case namespaces(Set<String>)
    case everything

    public static let none = RegistryChange.namespaces([])

    public var isEmpty: Bool { self == .none }

    /// The namespace an object with this key counts as in: a Namespace object is in itself.
    public static func namespace(of key: RegistryObjectKey) -> String {
        key.kind == "Namespace" ? key.name : key.namespace
    }

    public mutating func insert(_ namespace: String) {
        if case .namespaces(var set) = self {
            set.insert(namespace)
            self = .namespaces(set)
        }
    }

    public mutating func formUnion(_ other: RegistryChange) {
        switch (self, other) {
        case (.namespaces(let lhs), .namespaces(let rhs)): self = .namespaces(lhs.union(rhs))
        default: self = .everything
        }
    }
}

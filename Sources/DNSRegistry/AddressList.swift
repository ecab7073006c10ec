import DNSWire

/// The addresses of an endpoint, a pod or a service's cluster IPs: a list that holds one address nearly always and
/// two (one per family) at most but for endpoints, which Kubernetes allows up to 100.
///
/// The first address is stored inline and only the others in an array: an array per object was the largest part of
/// the registry's memory (56 bytes of heap each, for 300,000 endpoints at 100,000 services), and an empty array costs
/// nothing. The fields are ordered so that the whole is 25 bytes, leaving the tail padding to the fields after it.
public struct AddressList: Sendable, Hashable {
    /// Every address but the first; empty for one address (or none).
    private var others: [IPAddress]
    /// `nil` only for an empty list.
    private var first: IPAddress?

    public init() {
        others = []
        first = nil
    }

    public init(_ addresses: some Sequence<IPAddress>) {
        self.init()
        for address in addresses { append(address) }
    }

    public mutating func append(_ address: IPAddress) {
        if first == nil {
            first = address
        } else {
            others.append(address)
        }
    }

    /// The same addresses as an array, for callers that need one.
    public var array: [IPAddress] { Array(self) }
}

extension AddressList: RandomAccessCollection {
    public var startIndex: Int { 0 }
    public var endIndex: Int { first == nil ? 0 : 1 + others.count }

    public subscript(position: Int) -> IPAddress {
        precondition(position >= 0 && position < endIndex, "AddressList index out of range")
        return position == 0 ? first! : others[position - 1]
    }
}

extension AddressList: ExpressibleByArrayLiteral {
    public init(arrayLiteral addresses: IPAddress...) {
        self.init(addresses)
    }
}

extension AddressList: CustomStringConvertible {
    public var description: String { array.description }
}

/// Objects of any namespaces in one byte array, each found by its offset, in `PackedNamespace`'s format: how the
/// API source holds a list's pages until the last one arrives (at 100,000 services, the decoded objects of a whole
/// list took about 50 MB; packed, about 10).
public struct PackedObjectList: Sendable {
    private var writer = PackWriter()
    /// Where each object starts, by the namespace it counts as in, in the order appended.
    public private(set) var offsetsByNamespace: [String: [Int32]] = [:]

    public init() {}

    /// Appends `object` (a Service, EndpointSlice, Pod or Namespace) as in `namespace`.
    public mutating func append(_ object: RegistryObject, namespace: String) {
        offsetsByNamespace[namespace, default: []].append(Int32(writer.bytes.count))
        writer.write(object)
    }

    /// The objects appended as in `namespace`, in order.
    public func objects(in namespace: String) -> [RegistryObject] {
        (offsetsByNamespace[namespace] ?? []).map { offset in
            var reader = PackReader(writer.bytes, at: Int(offset))
            return reader.readObject()
        }
    }
}

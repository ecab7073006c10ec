import DNSWire

extension RegistrySnapshot {
    /// This snapshot with `objects` from another source laid over it: an object both declare (same kind, namespace
    /// and name) is taken from `objects`. Only the namespaces `objects` touch are rebuilt.
    public func overlaid(with objects: [RegistryObject]) -> RegistrySnapshot {
        let (byNamespace, zones) = Self.grouped(objects)
        var result = overlaid(with: byNamespace.mapValues { PackedNamespace(NamespaceObjects(objects: $0)) })
        if !zones.isEmpty {
            let origins = Set(zones.map(\.origin))
            result.replaceStaticZones(
                with: (staticZones.filter { !origins.contains($0.origin) } + zones).sortedStably {
                    $0.origin.description < $1.origin.description
                })
        }
        return result
    }

    /// This snapshot with another source's objects, by namespace, laid over it (as `overlaid(with:)` above). A
    /// namespace this snapshot does not hold takes the other source's packed objects as they are: shared, not copied.
    public func overlaid(with namespaces: [String: PackedNamespace]) -> RegistrySnapshot {
        var result = self
        for (namespace, objects) in namespaces {
            result.replace(namespace: namespace, with: Self.overlay(namespace: namespace, base: self, with: objects))
        }
        return result
    }

    /// The objects of `namespace` in `base` with `overlay` (the objects of that namespace from another source) laid
    /// over them, as `overlaid(with:)` does for the whole snapshot. Either side alone is returned as it is.
    public static func overlay(
        namespace: String, base: RegistrySnapshot, with overlay: PackedNamespace?
    ) -> PackedNamespace {
        let own = base.packedObjects(in: namespace)
        guard let overlay, !overlay.isEmpty else { return own ?? PackedNamespace() }
        guard let own else { return overlay }
        let overlayObjects = overlay.objects
        let kept = own.objects.objects(namespace: namespace).filter {
            overlayObjects.objects(declaredAs: $0.key).isEmpty
        }
        return PackedNamespace(NamespaceObjects(objects: kept + overlayObjects.objects(namespace: namespace)))
    }
}

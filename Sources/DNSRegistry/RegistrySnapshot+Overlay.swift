import DNSWire

extension RegistrySnapshot {
    /// This snapshot with `objects` from another source laid over it: an object both declare (same kind, namespace
    /// and name) is taken from `objects`. Only the namespaces `objects` touch are rebuilt.
    public func overlaid(with objects: [RegistryObject]) -> RegistrySnapshot {
        var byNamespace: [String: [RegistryObject]] = [:]
        var zones: [ZoneFile] = []
        for object in objects {
            if case .staticZone(let zone) = object {
                zones.append(zone)
            } else if let namespace = object.namespace {
                byNamespace[namespace, default: []].append(object)
            }
        }
        var result = self
        for (namespace, group) in byNamespace {
            result.replace(namespace: namespace, with: Self.overlay(namespace: namespace, base: self, with: group))
        }
        if !zones.isEmpty {
            let origins = Set(zones.map(\.origin))
            result.replaceStaticZones(
                with: (staticZones.filter { !origins.contains($0.origin) } + zones).sortedStably {
                    $0.origin.description < $1.origin.description
                })
        }
        return result
    }

    /// The objects of `namespace` in `base` with `overlay` (objects of that namespace from another source) laid over
    /// them, as `overlaid(with:)` does for the whole snapshot.
    public static func overlay(
        namespace: String, base: RegistrySnapshot, with overlay: [RegistryObject]
    ) -> NamespaceObjects {
        let own = base.objects(in: namespace)?.objects(namespace: namespace) ?? []
        guard !overlay.isEmpty else { return NamespaceObjects(objects: own) }
        let replaced = Set(overlay.map(\.key))
        return NamespaceObjects(objects: own.filter { !replaced.contains($0.key) } + overlay)
    }
}

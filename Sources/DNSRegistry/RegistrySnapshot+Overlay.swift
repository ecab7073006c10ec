extension RegistrySnapshot {
    /// Every object the snapshot holds, as sources give them (a Namespace object for each namespace).
    public var objects: [RegistryObject] {
        var all: [RegistryObject] = services.map(RegistryObject.service)
        all += endpointSlices.map(RegistryObject.endpointSlice)
        all += pods.map(RegistryObject.pod)
        all += namespaces.sorted().map(RegistryObject.namespace)
        all += staticZones.map(RegistryObject.staticZone)
        return all
    }

    /// This snapshot with `objects` from another source laid over it: an object both declare (same kind, namespace
    /// and name) is taken from `objects`.
    public func overlaid(with objects: [RegistryObject]) -> RegistrySnapshot {
        guard !isEmpty || !staticZones.isEmpty else { return RegistrySnapshot(objects: objects) }
        let replaced = Set(objects.map(\.key))
        return RegistrySnapshot(objects: self.objects.filter { !replaced.contains($0.key) } + objects)
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

import DNSWire

extension ManifestDirectory {
    /// What one file declares in one merge group, kept between scans so that a change elsewhere can merge the group
    /// again without reading this file.
    ///
    /// The objects are held in the snapshot's own form, packed: a namespace that only one file declares (the usual
    /// layout) is put into the snapshot as this very value, shared rather than copied. Keeping each declaration's
    /// objects in an array of its own, and a sorted copy in the snapshot, had cost about 180 bytes per object.
    struct DeclaredGroup: Sendable {
        /// Every declaration's identity and line, in file order, repeats included: what merging across files and the
        /// duplicate warnings need. A declaration yielding nothing (an FQDN EndpointSlice) still replaces another
        /// file's definition of the same object. Stored without the namespace, the group's, and packed as
        /// `PackedNamespace` packs (kind byte, name, line), about 20 bytes where a struct with a `String` took 24,
        /// plus 48 of heap for a name over 15 bytes (most EndpointSlice names).
        private var sites: [UInt8]
        /// The namespace of the group's objects; empty for master files.
        private var namespace: String
        /// The objects, the later of two declarations of one object only (master files are in `zones`).
        var objects: PackedNamespace
        /// The master files, for the static-zones group.
        var zones: [ZoneFile]

        /// The kinds `ManifestParser` and `ManifestDirectory` give keys of.
        private enum Kind: UInt8, Sendable, CaseIterable {
            case service, endpointSlice, endpoints, pod, namespace, zone

            var text: String {
                switch self {
                case .service: "Service"
                case .endpointSlice: "EndpointSlice"
                case .endpoints: "Endpoints"
                case .pod: "Pod"
                case .namespace: "Namespace"
                case .zone: "Zone"
                }
            }

            init(_ text: String) {
                guard let kind = Kind.allCases.first(where: { $0.text == text }) else {
                    preconditionFailure("a declaration of unknown kind \(text)")
                }
                self = kind
            }

            /// Namespaces and master files are cluster-scoped: their keys have an empty namespace.
            var isNamespaced: Bool { self != .namespace && self != .zone }
        }

        /// `declarations`, all of one group, in file order.
        init(_ declarations: [ManifestParser.Declaration]) {
            let namespace = declarations.lazy.map(\.key.namespace).first { !$0.isEmpty } ?? ""
            self.namespace = namespace
            var sites = PackWriter()
            for declaration in declarations {
                let kind = Kind(declaration.key.kind)
                assert(declaration.key.namespace == (kind.isNamespaced ? namespace : ""))
                sites.bytes.append(kind.rawValue)
                sites.write(declaration.key.name)
                sites.writeCount(max(declaration.line, 0))
            }
            self.sites = sites.bytes.exactlySized()
            var owners: [RegistryObjectKey: [RegistryObject]] = [:]
            for declaration in declarations {
                owners[declaration.key] = declaration.objects
            }
            // Ordered as `ManifestDirectory.merge` orders the objects of several files, so that one file's group
            // equals what merging it alone gives.
            let objects = owners.keys.sorted().flatMap { owners[$0]! }
            self.objects = PackedNamespace(NamespaceObjects(objects: objects))
            zones = objects.compactMap {
                if case .staticZone(let zone) = $0 { zone } else { nil }
            }
        }

        /// Every declaration's key and line, in file order, repeats included.
        var declarationSites: [(key: RegistryObjectKey, line: Int)] {
            var result: [(key: RegistryObjectKey, line: Int)] = []
            var reader = PackReader(sites)
            while reader.offset < sites.count {
                let kind = Kind(rawValue: reader.readByte())!
                let name = reader.readString()
                let key = RegistryObjectKey(kind: kind.text, namespace: kind.isNamespaced ? namespace : "", name: name)
                result.append((key, reader.readCount()))
            }
            return result
        }

        /// The objects the declaration with `key` yields (the later one, when the file declares it twice), found in
        /// `unpacked`, which is `objects` unpacked (by the caller, once for every key it asks for).
        func objects(declaredAs key: RegistryObjectKey, unpacked: NamespaceObjects) -> [RegistryObject] {
            guard key.kind == "Zone" else { return unpacked.objects(declaredAs: key) }
            return zones.filter { $0.origin.description == key.name }.map(RegistryObject.staticZone)
        }
    }
}

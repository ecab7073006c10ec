import DNSWire

extension ManifestDirectory {
    /// What one file declares in one merge group, kept between scans so that a change elsewhere can merge the group
    /// again without reading this file.
    ///
    /// The objects are held in the snapshot's own form: a namespace that only one file declares (the usual layout)
    /// is put into the snapshot as this very value, its arrays shared rather than copied. Keeping each declaration's
    /// objects in an array of its own, and a sorted copy in the snapshot, had cost about 180 bytes per object.
    struct DeclaredGroup: Sendable {
        /// Every declaration's identity and line, in file order, repeats included: what merging across files and the
        /// duplicate warnings need. A declaration yielding nothing (an FQDN EndpointSlice) still replaces another
        /// file's definition of the same object. Stored without the namespace, the group's, in 24 bytes a declaration
        /// where a whole key took 56.
        private var sites: [Site]
        /// The namespace of the group's objects; empty for master files.
        private var namespace: String
        /// The objects, the later of two declarations of one object only (`NamespaceObjects` ignores master files).
        var objects: NamespaceObjects
        /// The master files, for the static-zones group.
        var zones: [ZoneFile]

        private struct Site: Sendable {
            var name: String
            var kind: Kind
            var line: Int32
        }

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
            sites = declarations.map { declaration in
                let kind = Kind(declaration.key.kind)
                assert(declaration.key.namespace == (kind.isNamespaced ? namespace : ""))
                return Site(name: declaration.key.name, kind: kind, line: Int32(clamping: declaration.line))
            }
            var owners: [RegistryObjectKey: [RegistryObject]] = [:]
            for declaration in declarations {
                owners[declaration.key] = declaration.objects
            }
            // Ordered as `ManifestDirectory.merge` orders the objects of several files, so that one file's group
            // equals what merging it alone gives.
            let objects = Self.sharingPortLists(owners.keys.sorted().flatMap { owners[$0]! })
            self.objects = NamespaceObjects(objects: objects)
            zones = objects.compactMap {
                if case .staticZone(let zone) = $0 { zone } else { nil }
            }
        }

        /// `objects` with equal port lists made one array: services and slices repeat a handful of port lists (a
        /// slice has its service's), and an array of its own cost each about 90 bytes.
        private static func sharingPortLists(_ objects: [RegistryObject]) -> [RegistryObject] {
            var servicePorts: Set<[ServicePort]> = []
            var endpointPorts: Set<[EndpointPort]> = []
            return objects.map { object in
                switch object {
                case .service(var service):
                    service.ports = servicePorts.insert(service.ports).memberAfterInsert
                    return .service(service)
                case .endpointSlice(var slice):
                    slice.ports = endpointPorts.insert(slice.ports).memberAfterInsert
                    return .endpointSlice(slice)
                default:
                    return object
                }
            }
        }

        /// Every declaration's key and line, in file order, repeats included.
        var declarationSites: [(key: RegistryObjectKey, line: Int)] {
            sites.map { site in
                let key = RegistryObjectKey(
                    kind: site.kind.text, namespace: site.kind.isNamespaced ? namespace : "", name: site.name)
                return (key, Int(site.line))
            }
        }

        /// The objects the declaration with `key` yields (the later one, when the file declares it twice).
        func objects(declaredAs key: RegistryObjectKey) -> [RegistryObject] {
            guard key.kind == "Zone" else { return objects.objects(declaredAs: key) }
            return zones.filter { $0.origin.description == key.name }.map(RegistryObject.staticZone)
        }
    }
}

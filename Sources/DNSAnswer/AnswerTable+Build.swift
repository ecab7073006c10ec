import DNSRegistry
import DNSWire

extension AnswerTable {
    /// The most CNAME hops followed inside the cluster zones when compiling an alias's answer.
    static let maxAliasChain = 10
    /// Answers are compiled to fit a TCP message with the longest question and an OPT record (RFC 1035 §4.2.2).
    static let maxCompiledAnswerBytes = 65535 - 12 - 259 - 11
    /// Types an alias (ExternalName) answer is compiled for with the target's records chased; any other type gets the
    /// CNAME alone.
    static let chasedAliasTypes: [RecordType] = [.a, .aaaa, .srv, .txt, .ptr]

    /// Compiles every answer of `snapshot`. `serial` is the SOA serial, which the caller grows on every change.
    ///
    /// The same table as an `AnswerTableBuilder` keeps current change by change (it is one, used once).
    public static func build(
        from snapshot: RegistrySnapshot, configuration: AnswerConfiguration, serial: UInt32
    ) -> AnswerTable {
        AnswerTableBuilder().build(from: snapshot, configuration: configuration, serial: serial, changed: nil)
    }

    /// The reverse zones, whose authorities follow the cluster zones'.
    static let reverseZones: [Name] = ["in-addr.arpa.", "ip6.arpa."]

    /// Negative-answer SOAs of the cluster zones and the reverse zones, then of the static zones.
    static func authorities(
        configuration: AnswerConfiguration, serial: UInt32, staticAuthorities: [Authority]
    ) -> [Authority] {
        configuration.zones.map { zone in
            negativeAuthority(apex: zone, isClusterZone: true, configuration: configuration, serial: serial)
        }
            + reverseZones.map { zone in
                negativeAuthority(apex: zone, isClusterZone: false, configuration: configuration, serial: serial)
            } + staticAuthorities
    }

    /// The SOA for negative answers of one zone. Owner, and inside a cluster zone the SOA's own names, point at the
    /// apex inside the question; the pointer value is a placeholder patched per reply.
    static func negativeAuthority(
        apex: Name, isClusterZone: Bool, configuration: AnswerConfiguration, serial: UInt32
    ) -> Authority {
        let firstZone = configuration.zones[0]
        var bytes: [UInt8] = [0xC0, 0x00]
        var patches = [0]
        bytes += bigEndian(RecordType.soa.rawValue) + bigEndian(RecordClass.internet.rawValue)
        bytes += bigEndian(configuration.ttl)
        let lengthOffset = bytes.count
        bytes += [0, 0]
        if isClusterZone {
            bytes += [2] + Array("ns".utf8) + [3] + Array("dns".utf8)
            patches.append(bytes.count)
            bytes += [0xC0, 0x00]
            bytes += [10] + Array("hostmaster".utf8)
            patches.append(bytes.count)
            bytes += [0xC0, 0x00]
        } else {
            bytes += (try! firstZone.prepending("dns").prepending("ns")).wire
            bytes += (try! firstZone.prepending("hostmaster")).wire
        }
        for value in [serial, soaRefresh, soaRetry, soaExpire, configuration.ttl] {
            bytes += bigEndian(value)
        }
        let rdataLength = bytes.count - lengthOffset - 2
        bytes[lengthOffset] = UInt8(rdataLength >> 8)
        bytes[lengthOffset + 1] = UInt8(rdataLength & 0xFF)
        return Authority(
            apex: apex.lowercased().wire, isClusterZone: isClusterZone, negativeSOA: bytes,
            pointerPatchOffsets: patches)
    }

    /// Adds the records of each master file; a zone that overlaps a cluster zone, a reverse zone or an earlier static
    /// zone is left out (the cluster's answers must not be shadowed).
    static func addStaticZones(
        _ zones: [ZoneFile], to collection: inout RecordCollection, firstAuthority: Int, clusterZones: [Name]
    ) -> [Authority] {
        var authorities: [Authority] = []
        var taken = clusterZones + ["in-addr.arpa.", "ip6.arpa."]
        for zone in zones {
            let origin = zone.origin.lowercased()
            guard let soa = zone.soa, case .soa(let soaData) = soa.data,
                !taken.contains(where: { origin.isSubdomain(of: $0) || $0.isSubdomain(of: origin) })
            else { continue }
            taken.append(origin)
            let authority = firstAuthority + authorities.count
            for record in zone.records {
                collection.add(
                    record.data, type: record.type, at: record.name.lowercased(), authority: authority, apex: origin,
                    ttl: record.ttl)
            }
            authorities.append(
                staticNegativeAuthority(origin: origin, soa: soaData, ttl: min(soa.ttl, soaData.minimum)))
        }
        return authorities
    }

    /// A master file's SOA for negative answers: owner pointing at the apex in the question, names written out.
    static func staticNegativeAuthority(origin: Name, soa: SOAData, ttl: UInt32) -> Authority {
        var bytes: [UInt8] = [0xC0, 0x00]
        bytes += bigEndian(RecordType.soa.rawValue) + bigEndian(RecordClass.internet.rawValue) + bigEndian(ttl)
        let rdata =
            soa.mname.wire + soa.rname.wire
            + [soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum].flatMap { bigEndian($0) }
        bytes += bigEndian(UInt16(rdata.count)) + rdata
        return Authority(apex: origin.wire, isClusterZone: true, negativeSOA: bytes, pointerPatchOffsets: [0])
    }

    /// Lays nodes and answers out in flat arrays.
    struct Compiler {
        private(set) var collection: RecordCollection
        /// Where names outside `collection` are looked up (other namespaces, the apex); `nil`: nowhere.
        let resolver: NameResolver
        let ttl: UInt32
        /// Cluster and static zones: a CNAME target below one is ours to answer, never chased upstream.
        let ourZones: [Name]
        /// Each authority's apex (`NameResolver.apexKeys`): a node's key is its name without it.
        let apexKeys: [[UInt8]]
        var externalTargets: [(answer: Int, target: [UInt8])] = []
        /// For a namespace's part: `<namespace>.svc` and `<namespace>.pod` in wire form, end to end, which keys of
        /// the cluster names below them leave out.
        private(set) var namespaceSuffixes: [UInt8] = []
        var nodes: [Node] = []
        var keyBytes: [UInt8] = []
        var answers: [CompiledAnswer] = []
        var answerBytes: [UInt8] = []
        var recordEnds: [UInt16] = []
        private var writer = RecordWriter()

        init(collection: RecordCollection, ttl: UInt32, ourZones: [Name] = [], resolver: NameResolver) {
            self.collection = collection
            self.resolver = resolver
            apexKeys = resolver.apexKeys
            self.ttl = ttl
            self.ourZones = ourZones.map { $0.lowercased() }
            nodes.reserveCapacity(collection.order.count)
        }

        /// Compiles the part of `namespace`: its cluster names' keys leave out `<namespace>.svc` or `<namespace>.pod`.
        mutating func leaveOutSuffixes(of namespace: String) {
            let label = Array(namespace.lowercased().utf8)
            guard !label.isEmpty, label.count <= Name.maxLabelLength else { return }
            for kind in ["svc", "pod"] {
                namespaceSuffixes += [UInt8(label.count)] + label + [UInt8(kind.utf8.count)] + Array(kind.utf8)
            }
        }

        /// Stores PTR answer `index` (one record, just appended) without the end of its target when that target is a
        /// name of this namespace's services in a cluster zone (`<labels>.<namespace>.svc.<zone>`, as every service's
        /// and endpoint's PTR record is): the part holds the suffix and the table the apex, so only the labels before
        /// them are kept, and the responder writes the rest (`AnswerTable.writeTargetByKey`). The record ends stay
        /// those of the whole record. About 25 bytes less for each of ~125,000 PTR names at 100,000 services.
        ///
        /// Stored form: owner, type, class and TTL as written (10 bytes), the target's authority (1 byte), the labels.
        private mutating func storeTargetByKey(_ index: Int) {
            let suffixLength = namespaceSuffixes.count / 2
            guard suffixLength > 0 else { return }
            let start = Int(answers[index].bytesStart)
            let recordLength = Int(recordEnds[Int(answers[index].recordEndsStart)])
            guard start + recordLength == answerBytes.count, recordLength > 12,
                answerBytes[start] == 0xC0, answerBytes[start + 1] == 0x0C
            else { return }
            let target = answerBytes[(start + 12)...]
            for authority in 0..<resolver.configuration.zones.count {
                let apex = apexKeys[authority]
                let relativeLength = target.count - suffixLength - apex.count
                guard relativeLength > 0,
                    target.suffix(apex.count).elementsEqual(apex),
                    target.dropLast(apex.count).suffix(suffixLength).elementsEqual(namespaceSuffixes[0..<suffixLength])
                else { continue }
                // Whole labels only: walking the labels must land exactly where the suffix starts.
                var offset = target.startIndex
                while offset < target.startIndex + relativeLength { offset += 1 + Int(target[offset]) }
                guard offset == target.startIndex + relativeLength else { return }
                let labels = Array(target.prefix(relativeLength))
                answerBytes.removeSubrange((start + 10)...)
                answerBytes.append(UInt8(authority))
                answerBytes += labels
                answers[index].isTargetByKey = true
                return
            }
        }

        /// `relativeKey` without the namespace suffix it ends with, if any; PTR names keep theirs.
        private func strippingNamespaceSuffix(_ relativeKey: ArraySlice<UInt8>, authority: Int)
            -> (ArraySlice<UInt8>, NamespaceSuffix)
        {
            let length = namespaceSuffixes.count / 2
            guard length > 0, !resolver.isReverse(authority: authority), relativeKey.count >= length else {
                return (relativeKey, .none)
            }
            // Only a whole label sequence counts: the key's labels are walked, not its bytes compared at any offset.
            var offset = relativeKey.startIndex
            while offset < relativeKey.endIndex, relativeKey.endIndex - offset > length {
                offset += 1 + Int(relativeKey[offset])
            }
            guard relativeKey.endIndex - offset == length else { return (relativeKey, .none) }
            let tail = relativeKey[offset...]
            if tail.elementsEqual(namespaceSuffixes[0..<length]) { return (relativeKey[..<offset], .services) }
            if tail.elementsEqual(namespaceSuffixes[length...]) { return (relativeKey[..<offset], .pods) }
            return (relativeKey, .none)
        }

        mutating func releaseCollection() {
            collection = RecordCollection()
        }

        /// The node of `name` (lowercased) as the whole registry has it.
        func lookup(_ name: Name) -> RecordCollection.Node? {
            resolver.node(name, own: collection)
        }

        mutating func compileNode(_ index: Int) {
            let node = collection.nodes[index]
            let name = collection.order[index]
            let key = name.wire
            // Every name lies below its authority's apex (master files reject names outside their zone), so the
            // apex's bytes are left out of the key: a sixth to a third of a cluster name.
            guard node.authority < apexKeys.count, key.count >= apexKeys[node.authority].count,
                key.suffix(apexKeys[node.authority].count).elementsEqual(apexKeys[node.authority])
            else { return }
            let (relativeKey, suffix) = strippingNamespaceSuffix(
                key.dropLast(apexKeys[node.authority].count), authority: node.authority)
            let keyStart = UInt32(keyBytes.count)
            keyBytes += relativeKey
            let answersStart = answers.count
            if let target = node.cnameTarget {
                let alias = record(owner: name, type: .cname, data: .cname(target), ttl: node.ttl(.cname))
                // Follow our own aliases (ExternalName to ExternalName) to where the chain leaves our data: when it
                // ends at a name outside every zone we serve, the answer carries the whole chain and the forwarder
                // completes it from there.
                var chain = [alias]
                var end = target.lowercased()
                var visited: Set<Name> = [name]
                while chain.count < AnswerTable.maxAliasChain, !visited.contains(end),
                    let next = lookup(end)?.cnameTarget
                {
                    visited.insert(end)
                    chain.append(record(owner: end, type: .cname, data: .cname(next), ttl: lookup(end)?.ttl(.cname)))
                    end = next.lowercased()
                }
                let leavesOurData =
                    lookup(end) == nil && !ourZones.contains(where: { end.isSubdomain(of: $0) })
                // First, so that the node's first answer is the one every other type falls back to.
                let cname = appendAnswer(
                    question: name, type: .cname, answer: leavesOurData ? chain : [alias], additional: [])
                if leavesOurData {
                    answers[cname].hasExternalTarget = true
                    externalTargets.append((cname, (chain.count > 1 ? end : target).wire))
                }
                for type in AnswerTable.chasedAliasTypes {
                    let chased = chase(target, type: type, visited: [name])
                    guard !chased.isEmpty else { continue }
                    appendAnswer(question: name, type: type, answer: [alias], chased, additional: [])
                }
            } else {
                var everything: [ResourceRecord] = []
                let sets = node.rrsets.filter { !$0.records.isEmpty }.sorted { $0.type.rawValue < $1.type.rawValue }
                for set in sets {
                    let rrset = set.records.map {
                        record(owner: name, type: set.type, data: $0, ttl: set.ttl)
                    }
                    everything += rrset
                    let answer = appendAnswer(
                        question: name, type: set.type, answer: rrset, additional: set.additionals)
                    if set.type == .ptr, rrset.count == 1, resolver.isReverse(authority: node.authority) {
                        storeTargetByKey(answer)
                    }
                }
                // ANY at a name with one RRset is that RRset's answer records, which the table finds without an
                // entry of its own (`answerLocation`).
                if sets.count > 1 {
                    appendAnswer(question: name, type: .any, answer: everything, additional: [])
                }
            }
            let hash = key.withUnsafeBytes { AnswerTable.hash($0) }
            // A wire name is at most 255 bytes; past 255 types at one name (a master file of unknown types could
            // have them), the rest are not found: NODATA, never a crash.
            nodes.append(
                Node(
                    keyStart: keyStart, hash: hash, answersStart: UInt32(answersStart),
                    keyLength: UInt8(relativeKey.count),
                    authority: UInt8(node.authority), answersCount: UInt8(min(answers.count - answersStart, 255)),
                    isAlias: node.cnameTarget != nil, suffix: suffix))
        }

        /// The records of `type` at `name`, following aliases inside the collection (RFC 1034 §3.6.2), at most
        /// `maxAliasChain` hops; a loop ends the chain with what was found so far.
        func chase(_ name: Name, type: RecordType, visited: Set<Name>) -> [ResourceRecord] {
            let lowered = name.lowercased()
            guard visited.count <= AnswerTable.maxAliasChain, !visited.contains(lowered),
                let node = lookup(lowered)
            else { return [] }
            if let target = node.cnameTarget {
                let next = chase(target, type: type, visited: visited.union([lowered]))
                let alias = record(owner: lowered, type: .cname, data: .cname(target), ttl: node.ttl(.cname))
                return next.isEmpty ? [] : [alias] + next
            }
            let ttl = node.ttl(type)
            return node.records(type).map { record(owner: lowered, type: type, data: $0, ttl: ttl) }
        }

        func record(owner: Name, type: RecordType, data: RecordData, ttl ownTTL: UInt32? = nil) -> ResourceRecord {
            ResourceRecord(name: owner, type: type, recordClass: .internet, ttl: ownTTL ?? ttl, data: data)
        }

        /// Writes the records after a question of `question` so compression can point into it, then keeps only the
        /// record bytes. Records that would overflow a TCP message are left out (a later prefix never refers to them).
        /// The answer section is `answer` then `chased`.
        @discardableResult
        mutating func appendAnswer(
            question: Name, type: RecordType, answer: [ResourceRecord], _ chased: [ResourceRecord] = [],
            additional: [ResourceRecord]
        ) -> Int {
            writer.reset()
            writer.writeQuestion(question, type: type)
            let start = writer.count
            let endsStart = recordEnds.count
            let answerTotal = answer.count + chased.count
            var answerCount = 0
            var additionalCount = 0
            var committedEnd = start
            var index = 0
            for section in [answer, chased, additional] {
                for rr in section {
                    writer.write(rr)
                    guard writer.count - start <= AnswerTable.maxCompiledAnswerBytes else { break }
                    committedEnd = writer.count
                    recordEnds.append(UInt16(committedEnd - start))
                    if index < answerTotal { answerCount += 1 } else { additionalCount += 1 }
                    index += 1
                }
                guard committedEnd == writer.count else { break }
            }
            answers.append(
                CompiledAnswer(
                    type: type.rawValue, answerCount: UInt16(answerCount), additionalCount: UInt16(additionalCount),
                    bytesStart: UInt32(answerBytes.count), recordEndsStart: UInt32(endsStart)))
            answerBytes += writer.bytes[start..<committedEnd]
            return answers.count - 1
        }
    }
}

extension Name {
    /// The name whose uncompressed wire form is `bytes` (through its root label); `nil` when malformed.
    init?(wireLabels bytes: ArraySlice<UInt8>) {
        var labels: [[UInt8]] = []
        var offset = bytes.startIndex
        while offset < bytes.endIndex, bytes[offset] != 0 {
            let length = Int(bytes[offset])
            guard length <= Name.maxLabelLength, offset + 1 + length <= bytes.endIndex else { return nil }
            labels.append(Array(bytes[(offset + 1)..<(offset + 1 + length)]))
            offset += 1 + length
        }
        guard offset < bytes.endIndex, let name = try? Name(labels: labels) else { return nil }
        self = name
    }
}

func bigEndian(_ value: UInt16) -> [UInt8] {
    [UInt8(value >> 8), UInt8(value & 0xFF)]
}

func bigEndian(_ value: UInt32) -> [UInt8] {
    [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
}

import DNSWire

/// The objects of one namespace in one byte array: the form registries and snapshots keep them in between changes.
///
/// `NamespaceObjects` is the working form (arrays of structs, an index, a string or an array per name and endpoint
/// list), which cost about 500 bytes per service and its slice at 100,000 services, a third of the server's memory;
/// packed, the same objects take about 100. A namespace is unpacked (`objects`) only to be compiled into answers,
/// merged with another source's objects, or changed, which touch one namespace at a time.
///
/// Two packed namespaces are equal when their objects are, as `NamespaceObjects` compares them: the packing is
/// canonical (the same objects in the same order give the same bytes), and whether the namespace is declared is kept
/// beside the bytes. One difference: an ExternalName's target is compared with its letter case, not without.
public struct PackedNamespace: Sendable, Hashable {
    private let bytes: [UInt8]
    /// A Namespace object declares it (else it exists only while it holds objects).
    public let isDeclared: Bool
    public let serviceCount: Int
    public let endpointSliceCount: Int
    public let podCount: Int

    public init(_ objects: NamespaceObjects) {
        var writer = PackWriter()
        writer.write(objects.services, objects.endpointSlices, objects.pods, objects.slicePositions)
        bytes = writer.bytes.exactlySized()
        isDeclared = objects.isDeclared
        serviceCount = objects.services.count
        endpointSliceCount = objects.endpointSlices.count
        podCount = objects.pods.count
    }

    /// The namespace with nothing in it.
    public init() {
        self.init(NamespaceObjects())
    }

    /// The objects, unpacked.
    public var objects: NamespaceObjects {
        var reader = PackReader(bytes)
        return reader.readNamespace(isDeclared: isDeclared)
    }

    /// Nothing in it and not declared: the namespace does not exist.
    public var isEmpty: Bool {
        !isDeclared && serviceCount == 0 && endpointSliceCount == 0 && podCount == 0
    }

    /// Where the bytes are: equal for two values that share them (tests check what is shared, not copied).
    var storageAddress: UnsafeRawPointer? {
        bytes.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
    }

    /// Bytes held, for the memory budget.
    public var byteCount: Int { bytes.count }

    /// Compares what DNS sees, as `NamespaceObjects.==` does.
    public static func == (lhs: PackedNamespace, rhs: PackedNamespace) -> Bool {
        lhs.bytes == rhs.bytes
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(bytes)
    }
}

// MARK: - The format

/// Counts and lengths are varints (`Varint`); an optional string is its length plus one, 0 for `nil`; an address is a
/// family byte (4 or 6) and its bytes in network order. The sections follow each other: the namespace's name,
/// services, slices, pods, and the slices' index by service.
struct PackWriter {
    var bytes: [UInt8] = []

    mutating func write(
        _ services: [Service], _ slices: [EndpointSlice], _ pods: [Pod], _ slicePositions: [Int32]
    ) {
        // Every object of a namespace has its name; it is written once.
        write(services.first?.namespace ?? slices.first?.namespace ?? pods.first?.namespace ?? "")
        writeCount(services.count)
        for service in services { write(service) }
        writeCount(slices.count)
        for slice in slices { write(slice) }
        writeCount(pods.count)
        for pod in pods {
            write(pod.name)
            write(pod.ips)
        }
        for position in slicePositions { writeCount(Int(position)) }
    }

    /// One object with its namespace (a Namespace object is its name), for `PackedObjectList`; master files are not
    /// held this way.
    mutating func write(_ object: RegistryObject) {
        switch object {
        case .service(let service):
            bytes.append(0)
            write(service.namespace)
            write(service)
        case .endpointSlice(let slice):
            bytes.append(1)
            write(slice.namespace)
            write(slice)
        case .pod(let pod):
            bytes.append(2)
            write(pod.namespace)
            write(pod.name)
            write(pod.ips)
        case .namespace(let name):
            bytes.append(3)
            write(name)
        case .staticZone:
            preconditionFailure("a master file in a packed object list")
        }
    }

    private mutating func write(_ service: Service) {
        write(service.name)
        let flags: UInt8 = service.publishNotReadyAddresses ? 0x80 : 0
        switch service.kind {
        case .clusterIP(let addresses):
            bytes.append(flags | 0)
            write(addresses)
        case .headless:
            bytes.append(flags | 1)
        case .externalName(let target):
            bytes.append(flags | 2)
            writeCount(target.wire.count)
            bytes += target.wire
        }
        writeCount(service.ports.count)
        for port in service.ports {
            write(optional: port.name)
            bytes.append(Self.code(of: port.transportProtocol))
            write(port.port)
        }
    }

    private mutating func write(_ slice: EndpointSlice) {
        write(slice.serviceName)
        // The EndpointSlice controller names a slice `<service>-<5 characters>`: only the characters are written.
        let prefix = slice.serviceName + "-"
        let isDerived = slice.name.utf8.starts(with: prefix.utf8) && slice.name.utf8.count > prefix.utf8.count
        bytes.append((slice.isLegacyEndpoints ? 1 : 0) | (isDerived ? 2 : 0))
        write(isDerived ? String(slice.name.utf8.dropFirst(prefix.utf8.count))! : slice.name)
        writeCount(slice.ports.count)
        for port in slice.ports {
            write(optional: port.name)
            bytes.append(Self.code(of: port.transportProtocol))
            write(port.port)
        }
        writeCount(slice.endpoints.count)
        for endpoint in slice.endpoints {
            bytes.append(
                (endpoint.ready ? 1 : 0) | (endpoint.serving ? 2 : 0) | (endpoint.terminating ? 4 : 0))
            write(endpoint.addresses)
            write(optional: endpoint.hostname)
        }
    }

    static func code(of transport: TransportProtocol) -> UInt8 {
        switch transport {
        case .tcp: 0
        case .udp: 1
        case .sctp: 2
        }
    }

    private mutating func write(_ addresses: AddressList) {
        writeCount(addresses.count)
        for address in addresses {
            switch address {
            case .v4(let v4):
                bytes.append(4)
                write(v4.value)
            case .v6(let v6):
                bytes.append(6)
                write(v6.high)
                write(v6.low)
            }
        }
    }

    mutating func write(_ text: String) {
        var text = text
        text.withUTF8 { utf8 in
            writeCount(utf8.count)
            bytes.append(contentsOf: utf8)
        }
    }

    private mutating func write(optional text: String?) {
        guard var text else {
            bytes.append(0)
            return
        }
        text.withUTF8 { utf8 in
            writeCount(utf8.count + 1)
            bytes.append(contentsOf: utf8)
        }
    }

    private mutating func write<Value: FixedWidthInteger>(_ value: Value) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func writeCount(_ count: Int) {
        Varint.append(count, to: &bytes)
    }
}

/// Reads what `PackWriter` wrote; the bytes never come from outside the process, so a short read is a bug and traps.
struct PackReader {
    let bytes: [UInt8]
    var offset = 0

    init(_ bytes: [UInt8], at offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    /// What `PackWriter.write(_ object:)` wrote.
    mutating func readObject() -> RegistryObject {
        let kind = readByte()
        let namespace = readString()
        switch kind {
        case 0: return .service(readService(namespace: namespace))
        case 1: return .endpointSlice(readSlice(namespace: namespace))
        case 2: return .pod(Pod(namespace: namespace, name: readString(), ips: readAddresses()))
        default: return .namespace(namespace)
        }
    }

    mutating func readNamespace(isDeclared: Bool) -> NamespaceObjects {
        let namespace = readString()
        let services = (0..<readCount()).map { _ in readService(namespace: namespace) }
        let slices = (0..<readCount()).map { _ in readSlice(namespace: namespace) }
        let pods = (0..<readCount()).map { _ in Pod(namespace: namespace, name: readString(), ips: readAddresses()) }
        let slicePositions = slices.indices.map { _ in Int32(readCount()) }
        return NamespaceObjects(
            services: services, endpointSlices: slices, pods: pods, isDeclared: isDeclared,
            slicePositions: slicePositions)
    }

    private mutating func readService(namespace: String) -> Service {
        let name = readString()
        let kindByte = readByte()
        let kind: ServiceKind
        switch kindByte & 0x7F {
        case 0:
            kind = .clusterIP(readAddresses())
        case 1:
            kind = .headless
        default:
            let wire = readBytes(readCount())
            kind = .externalName(Self.name(wire: wire))
        }
        let ports = (0..<readCount()).map { _ in
            ServicePort(name: readOptionalString(), transportProtocol: readTransport(), port: read(UInt16.self))
        }
        return Service(
            namespace: namespace, name: name, kind: kind, ports: ports, publishNotReadyAddresses: kindByte & 0x80 != 0)
    }

    private mutating func readSlice(namespace: String) -> EndpointSlice {
        let serviceName = readString()
        let flags = readByte()
        let isLegacy = flags & 1 != 0
        let name = flags & 2 != 0 ? serviceName + "-" + readString() : readString()
        let ports = (0..<readCount()).map { _ in
            EndpointPort(name: readOptionalString(), transportProtocol: readTransport(), port: read(UInt16.self))
        }
        let endpoints = (0..<readCount()).map { _ in
            let flags = readByte()
            return Endpoint(
                addresses: readAddresses(), ready: flags & 1 != 0, serving: flags & 2 != 0,
                terminating: flags & 4 != 0, hostname: readOptionalString())
        }
        return EndpointSlice(
            namespace: namespace, name: name, serviceName: serviceName, endpoints: endpoints, ports: ports,
            isLegacyEndpoints: isLegacy)
    }

    private mutating func readTransport() -> TransportProtocol {
        switch readByte() {
        case 0: .tcp
        case 1: .udp
        default: .sctp
        }
    }

    private mutating func readAddresses() -> AddressList {
        var addresses = AddressList()
        for _ in 0..<readCount() {
            if readByte() == 4 {
                addresses.append(.v4(IPv4Address(read(UInt32.self))))
            } else {
                let high = read(UInt64.self)
                addresses.append(.v6(IPv6Address(high: high, low: read(UInt64.self))))
            }
        }
        return addresses
    }

    mutating func readString() -> String {
        let count = readCount()
        defer { offset += count }
        return bytes.withUnsafeBufferPointer { buffer in
            String(decoding: UnsafeBufferPointer(rebasing: buffer[offset..<(offset + count)]), as: UTF8.self)
        }
    }

    private mutating func readOptionalString() -> String? {
        let countPlusOne = readCount()
        guard countPlusOne > 0 else { return nil }
        let count = countPlusOne - 1
        defer { offset += count }
        return bytes.withUnsafeBufferPointer { buffer in
            String(decoding: UnsafeBufferPointer(rebasing: buffer[offset..<(offset + count)]), as: UTF8.self)
        }
    }

    private mutating func readBytes(_ count: Int) -> [UInt8] {
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    mutating func readByte() -> UInt8 {
        defer { offset += 1 }
        return bytes[offset]
    }

    private mutating func read<Value: FixedWidthInteger>(_: Value.Type) -> Value {
        var value: Value = 0
        for _ in 0..<MemoryLayout<Value>.size {
            value = value << 8 | Value(readByte())
        }
        return value
    }

    mutating func readCount() -> Int {
        Varint.read(bytes, at: &offset)
    }

    /// A name this process wrote from a valid `Name`.
    private static func name(wire: [UInt8]) -> Name {
        var labels: [[UInt8]] = []
        var index = 0
        while index < wire.count, wire[index] != 0 {
            let length = Int(wire[index])
            labels.append(Array(wire[(index + 1)..<(index + 1 + length)]))
            index += 1 + length
        }
        guard let name = try? Name(labels: labels) else { preconditionFailure("a packed name that is not valid") }
        return name
    }
}

extension Array where Element == UInt8 {
    /// A copy without the spare capacity that appending one element at a time leaves (up to as much again), for
    /// arrays kept long.
    func exactlySized() -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            initialized = buffer.initialize(fromContentsOf: self)
        }
    }
}

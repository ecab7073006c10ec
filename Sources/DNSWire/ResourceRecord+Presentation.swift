extension ResourceRecord: CustomStringConvertible {
    /// Reads one line in zone-file presentation format, as dig prints answers:
    /// `web.default.svc.cluster.local. 5 IN A 10.96.0.10`.
    ///
    /// The owner comes first; TTL (required, no default exists outside a zone file) and class (default IN) follow in
    /// either order (RFC 1035 §5.1); then the type and its RDATA, or the RFC 3597 forms `TYPE65` and `\# 3 010203`.
    public init(presentation line: String) throws(PresentationError) {
        let fields = try PresentationScanner.fields(of: line)
        guard let owner = fields.first else { throw .missingField("owner name") }
        let name: Name
        do {
            name = try Name(owner.string)
        } catch {
            throw .badName(owner.string)
        }
        var index = 1
        var ttl: UInt32?
        var recordClass: RecordClass?
        while index < fields.count {
            if ttl == nil, let value = PresentationScanner.decimal(fields[index], as: UInt32.self) {
                ttl = value
            } else if recordClass == nil, let value = RecordClass(mnemonic: fields[index].string) {
                recordClass = value
            } else {
                break
            }
            index += 1
        }
        guard let ttl else {
            throw index < fields.count ? .badTTL(fields[index].string) : .missingField("TTL")
        }
        guard index < fields.count else { throw .missingField("type") }
        guard let type = RecordType(mnemonic: fields[index].string) else { throw .badType(fields[index].string) }
        let resolvedClass = recordClass ?? .internet
        let data = try RecordData(presentation: fields[(index + 1)...], type: type, recordClass: resolvedClass)
        self.init(name: name, type: type, recordClass: resolvedClass, ttl: ttl, data: data)
    }

    /// One presentation line, dig-like with single spaces: absolute names with the trailing dot, and the RFC 3597
    /// generic RDATA form whenever the typed form would not read back as the same record.
    public var description: String {
        let rdata =
            data.hasTypedPresentation(type: type, recordClass: recordClass) ? data.description : data.genericDescription
        return "\(name) \(ttl) \(recordClass) \(type) \(rdata)"
    }
}

/// An RFC 1035 §5 master file: `$ORIGIN`, `$TTL` (RFC 2308 §4), relative names, `@`, blank owners, parentheses across
/// lines, comments, and every record type the presentation parser reads.
public struct ZoneFile: Sendable, Hashable {
    public var origin: Name
    public var records: [ResourceRecord]

    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        /// 1-based line of the record (its first line when it spans several).
        public var line: Int
        public var reason: String

        public var description: String { "line \(line): \(reason)" }
    }

    /// The zone's SOA (RFC 1035 §5.2: exactly one, at the origin).
    public var soa: ResourceRecord? {
        records.first { $0.type == .soa && $0.name == origin }
    }

    /// Parses `text`. `origin` is the zone name when the file has no `$ORIGIN` before its first relative name (as
    /// CoreDNS's `file` plugin takes it from the Corefile). Checks that the file holds one SOA at the origin and no
    /// record outside the zone.
    public init(parsing text: String, origin: Name) throws(ParseError) {
        self.origin = origin
        records = []
        var currentOrigin = origin
        var defaultTTL: UInt32?
        var lastOwner: Name?
        for entry in try ZoneFile.logicalLines(text) {
            let fields: [PresentationScanner.Field]
            do {
                fields = try PresentationScanner.fields(of: entry.text)
            } catch {
                throw ParseError(line: entry.line, reason: "\(error)")
            }
            guard let first = fields.first else { continue }
            if !entry.startsWithBlank, !first.isQuoted, first.string.hasPrefix("$") {
                try ZoneFile.directive(fields, line: entry.line, origin: &currentOrigin, ttl: &defaultTTL)
                continue
            }
            var index = 0
            let owner: Name
            if entry.startsWithBlank {
                guard let lastOwner else {
                    throw ParseError(line: entry.line, reason: "a record without an owner name")
                }
                owner = lastOwner
            } else {
                owner = try ZoneFile.name(first, origin: currentOrigin, line: entry.line)
                index = 1
            }
            lastOwner = owner
            var ttl: UInt32?
            var recordClass: String?
            while index < fields.count {
                if ttl == nil, let value = ZoneFile.ttl(fields[index].string) {
                    ttl = value
                } else if recordClass == nil, RecordClass(mnemonic: fields[index].string) != nil {
                    recordClass = fields[index].string
                } else {
                    break
                }
                index += 1
            }
            guard index < fields.count, let type = RecordType(mnemonic: fields[index].string) else {
                throw ParseError(
                    line: entry.line,
                    reason: index < fields.count ? "unknown type \(fields[index].string)" : "a record without a type")
            }
            // RFC 2308 §4: $TTL; before it, RFC 1035's "the last explicitly stated TTL".
            guard let resolvedTTL = ttl ?? defaultTTL else {
                throw ParseError(line: entry.line, reason: "no TTL on the record and no $TTL before it")
            }
            if ttl != nil, defaultTTL == nil { defaultTTL = ttl }
            var rdata = Array(fields[(index + 1)...])
            for position in ZoneFile.namePositions(of: type) where position < rdata.count {
                let absolute = try ZoneFile.name(rdata[position], origin: currentOrigin, line: entry.line)
                rdata[position] = PresentationScanner.Field(text: Array(absolute.description.utf8), isQuoted: false)
            }
            let line =
                ([owner.description, String(resolvedTTL), recordClass ?? "IN", fields[index].string]
                + rdata.map { $0.isQuoted ? "\"" + $0.string + "\"" : $0.string }).joined(separator: " ")
            let record: ResourceRecord
            do {
                record = try ResourceRecord(presentation: line)
            } catch {
                throw ParseError(line: entry.line, reason: "\(error)")
            }
            guard record.name.isSubdomain(of: origin) else {
                throw ParseError(line: entry.line, reason: "\(record.name) is outside the zone \(origin)")
            }
            records.append(record)
        }
        let soaCount = records.filter { $0.type == .soa }.count
        guard soaCount == 1, soa != nil else {
            throw ParseError(
                line: 1,
                reason: soaCount == 0
                    ? "the zone \(origin) has no SOA record" : "the zone needs exactly one SOA, at \(origin)")
        }
    }

    /// RDATA fields that hold domain names, which a zone file may write relative to the origin.
    static func namePositions(of type: RecordType) -> [Int] {
        switch type {
        case .cname, .ns, .ptr: [0]
        case .mx: [1]
        case .soa: [0, 1]
        case .srv: [3]
        default: []
        }
    }

    static func name(_ field: PresentationScanner.Field, origin: Name, line: Int) throws(ParseError) -> Name {
        let text = field.string
        if text == "@" { return origin }
        do {
            if text.hasSuffix(".") && !text.hasSuffix("\\.") { return try Name(text) }
            return try Name(text).appendingRelative(to: origin)
        } catch {
            throw ParseError(line: line, reason: "bad name \(text)")
        }
    }

    /// A TTL in seconds, or with BIND's units (`1h30m`, `2d`, `1w`), as `$TTL` and records allow.
    static func ttl(_ text: String) -> UInt32? {
        if let plain = UInt32(text) { return plain }
        var total: UInt64 = 0
        var number: UInt64?
        for character in text.lowercased() {
            if let digit = character.wholeNumberValue, character.isASCII {
                number = (number ?? 0) * 10 + UInt64(digit)
                guard number! <= UInt64(UInt32.max) else { return nil }
            } else {
                let unit: UInt64
                switch character {
                case "s": unit = 1
                case "m": unit = 60
                case "h": unit = 3600
                case "d": unit = 86400
                case "w": unit = 604_800
                default: return nil
                }
                guard let value = number else { return nil }
                total += value * unit
                number = nil
            }
        }
        guard number == nil, total > 0 || text.hasPrefix("0"), total <= UInt64(UInt32.max) else { return nil }
        return UInt32(total)
    }

    private static func directive(
        _ fields: [PresentationScanner.Field], line: Int, origin: inout Name, ttl: inout UInt32?
    ) throws(ParseError) {
        switch fields[0].string.uppercased() {
        case "$ORIGIN":
            guard fields.count == 2 else { throw ParseError(line: line, reason: "$ORIGIN takes one name") }
            origin = try name(fields[1], origin: origin, line: line)
        case "$TTL":
            guard fields.count == 2, let value = ZoneFile.ttl(fields[1].string) else {
                throw ParseError(line: line, reason: "$TTL takes one TTL")
            }
            ttl = value
        default:
            throw ParseError(line: line, reason: "\(fields[0].string) is not supported")
        }
    }

    struct LogicalLine {
        var line: Int
        var text: String
        var startsWithBlank: Bool
    }

    /// Physical lines joined while parentheses are open, comments removed (outside quotes).
    static func logicalLines(_ text: String) throws(ParseError) -> [LogicalLine] {
        var result: [LogicalLine] = []
        var pending: LogicalLine?
        var depth = 0
        for (offset, physical) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var kept: [UInt8] = []
            var inQuote = false
            var escaped = false
            for byte in physical.utf8 {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inQuote.toggle()
                } else if !inQuote, byte == UInt8(ascii: ";") {
                    break
                } else if !inQuote, byte == UInt8(ascii: "(") {
                    depth += 1
                } else if !inQuote, byte == UInt8(ascii: ")") {
                    depth -= 1
                    guard depth >= 0 else { throw ParseError(line: offset + 1, reason: "unbalanced parenthesis") }
                }
                kept.append(byte)
            }
            let piece = String(decoding: kept, as: UTF8.self)
            if var open = pending {
                open.text += " " + piece
                pending = open
            } else {
                let first = kept.first
                pending = LogicalLine(
                    line: offset + 1, text: piece,
                    startsWithBlank: first == UInt8(ascii: " ") || first == UInt8(ascii: "\t"))
            }
            if depth == 0, let done = pending {
                result.append(done)
                pending = nil
            }
        }
        if depth != 0, let open = pending {
            throw ParseError(line: open.line, reason: "a parenthesis is never closed")
        }
        return result
    }
}

extension Name {
    /// `self` read as relative to `origin` (`www` + `example.com.` = `www.example.com.`).
    func appendingRelative(to origin: Name) throws(NameError) -> Name {
        try appending(origin)
    }
}

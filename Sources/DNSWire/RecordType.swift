/// A resource record TYPE (RFC 1035 §3.2.2 and later RFCs); unknown values are kept as they are.
public struct RecordType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16

    public init(rawValue: UInt16) {
        self.rawValue = rawValue
    }

    public static let a = RecordType(rawValue: 1)
    public static let ns = RecordType(rawValue: 2)
    public static let cname = RecordType(rawValue: 5)
    public static let soa = RecordType(rawValue: 6)
    public static let ptr = RecordType(rawValue: 12)
    public static let mx = RecordType(rawValue: 15)
    public static let txt = RecordType(rawValue: 16)
    public static let aaaa = RecordType(rawValue: 28)
    public static let srv = RecordType(rawValue: 33)
    public static let opt = RecordType(rawValue: 41)
    public static let ixfr = RecordType(rawValue: 251)
    public static let axfr = RecordType(rawValue: 252)
    public static let any = RecordType(rawValue: 255)

    private static let mnemonics: [(RecordType, String)] = [
        (.a, "A"), (.ns, "NS"), (.cname, "CNAME"), (.soa, "SOA"), (.ptr, "PTR"), (.mx, "MX"), (.txt, "TXT"),
        (.aaaa, "AAAA"), (.srv, "SRV"), (.opt, "OPT"), (.ixfr, "IXFR"), (.axfr, "AXFR"), (.any, "ANY"),
    ]

    /// `A`, `SRV`, … or the RFC 3597 form `TYPE65`.
    public init?(mnemonic: String) {
        let upper = mnemonic.uppercased()
        if let known = RecordType.mnemonics.first(where: { $0.1 == upper }) {
            self = known.0
        } else if upper.hasPrefix("TYPE"), let value = decimalValue(upper.dropFirst(4)) {
            self.init(rawValue: value)
        } else {
            return nil
        }
    }

    public var description: String {
        RecordType.mnemonics.first(where: { $0.0 == self })?.1 ?? "TYPE\(rawValue)"
    }
}

/// A resource record CLASS (RFC 1035 §3.2.4).
public struct RecordClass: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16

    public init(rawValue: UInt16) {
        self.rawValue = rawValue
    }

    public static let internet = RecordClass(rawValue: 1)
    public static let chaos = RecordClass(rawValue: 3)
    public static let none = RecordClass(rawValue: 254)
    public static let any = RecordClass(rawValue: 255)

    /// `IN`, `CH`, `NONE`, `ANY` or the RFC 3597 form `CLASS3`.
    public init?(mnemonic: String) {
        switch mnemonic.uppercased() {
        case "IN": self = .internet
        case "CH": self = .chaos
        case "NONE": self = .none
        case "ANY": self = .any
        case let upper where upper.hasPrefix("CLASS"):
            guard let value = decimalValue(upper.dropFirst(5)) else { return nil }
            self.init(rawValue: value)
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .internet: "IN"
        case .chaos: "CH"
        case .none: "NONE"
        case .any: "ANY"
        default: "CLASS\(rawValue)"
        }
    }
}

/// Plain decimal digits only: `UInt16("+1")` would also accept a sign, which no mnemonic has.
private func decimalValue(_ text: Substring) -> UInt16? {
    guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
        return nil
    }
    return UInt16(text)
}

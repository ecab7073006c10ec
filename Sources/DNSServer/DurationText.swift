/// Durations written the way CoreDNS (Go's `time.ParseDuration`) writes them: `500ms`, `5s`, `1m`, `1h30m`, `2.5s`.
public enum DurationText {
    public struct ParseError: Error, CustomStringConvertible {
        public let text: String
        public var description: String {
            "\"\(text)\" is not a duration (write it like 500ms, 5s, 1m or 1h30m)"
        }
    }

    private static let units: [(suffix: String, nanoseconds: Double)] = [
        ("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9),
    ]

    public static func parse(_ text: String) throws(ParseError) -> Duration {
        var rest = Substring(text)
        var total = 0.0
        guard !rest.isEmpty else { throw ParseError(text: text) }
        if rest == "0" { return .zero }
        while !rest.isEmpty {
            let number = rest.prefix(while: { $0.isASCII && ($0.isNumber || $0 == ".") })
            guard !number.isEmpty, let value = Double(number) else { throw ParseError(text: text) }
            rest = rest.dropFirst(number.count)
            let unitText = rest.prefix(while: { !($0.isASCII && ($0.isNumber || $0 == ".")) })
            guard let unit = units.filter({ $0.suffix == unitText }).first else { throw ParseError(text: text) }
            rest = rest.dropFirst(unitText.count)
            total += value * unit.nanoseconds
        }
        guard total.isFinite, total < 1e18 else { throw ParseError(text: text) }
        return .nanoseconds(Int64(total))
    }

    /// The shortest CoreDNS-style text for `duration` (`1500ms` → `1.5s`).
    public static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        if milliseconds % 60_000 == 0, milliseconds > 0 { return "\(milliseconds / 60_000)m" }
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000)s" }
        return "\(milliseconds)ms"
    }
}

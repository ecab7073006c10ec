import DNSWire

/// The upstreams named by a resolv.conf file (resolv.conf(5)): its `nameserver` lines, in order.
///
/// Only `nameserver` matters to a forwarder; `search`, `domain`, `options` and `sortlist` shape a stub resolver's
/// own lookups and are ignored. Reading the file is the caller's business: this type takes its text.
public struct ResolvConf: Sendable, Equatable {
    /// A `nameserver` line that gave no usable upstream, with its 1-based line number, for the log.
    public struct SkippedLine: Sendable, Equatable {
        public enum Reason: Sendable, Equatable {
            /// `fe80::1%eth0`: the scope is an interface of the host the file came from.
            case scopedAddress
            case notAnAddress
            case missingAddress
        }

        public var line: Int
        public var text: String
        public var reason: Reason
    }

    public var nameservers: [UpstreamAddress]
    public var skipped: [SkippedLine]

    public init(parsing text: String) {
        nameservers = []
        skipped = []
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            // resolv.conf(5): `#` or `;` starts a comment.
            let content = line.prefix { $0 != "#" && $0 != ";" }
            let fields = content.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            guard fields.first == "nameserver" else { continue }
            guard fields.count >= 2 else {
                skipped.append(SkippedLine(line: lineNumber, text: String(line), reason: .missingAddress))
                continue
            }
            let field = fields[1]
            if field.contains("%") {
                skipped.append(SkippedLine(line: lineNumber, text: String(line), reason: .scopedAddress))
            } else if let address = IPAddress(field) {
                // resolv.conf has no port syntax: always 53.
                nameservers.append(UpstreamAddress(host: address))
            } else {
                skipped.append(SkippedLine(line: lineNumber, text: String(line), reason: .notAnAddress))
            }
        }
    }
}

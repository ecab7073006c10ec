import DNSEventLoop
import DNSWire

/// One line per answered query in CoreDNS's `log` plugin format, so existing log parsers keep working:
/// `10.0.0.1:53123 - 4242 "A IN web.default.svc.cluster.local. udp 58 false 1232" NOERROR qr,aa,rd 106 0.000021s`.
/// Only made when `--log-queries` is on: it decodes the question and allocates, which the hot path otherwise never does.
enum QueryLogLine {
    static func make(
        client: SocketAddress, transport: QueryTransport, query: UnsafeRawBufferPointer,
        response: UnsafeRawBufferPointer, duration: Duration
    ) -> String {
        let id = query.count >= 2 ? UInt16(query[0]) << 8 | UInt16(query[1]) : 0
        var question = "- - -"
        var dnssecOK = false
        var bufferSize = 512
        if let message = try? Message(decoding: query), let first = message.questions.first {
            question = "\(first.type) \(first.recordClass) \(first.name)"
            if let edns = message.edns {
                dnssecOK = edns.dnssecOK
                bufferSize = Int(edns.udpPayloadSize)
            }
        }
        let proto = transport == .udp ? "udp" : "tcp"
        var rcode = "-"
        var flags: [String] = []
        if response.count >= 12 {
            let header = (try? Header(decoding: Array(response[0..<12])))
            if let header {
                rcode = header.responseCode.description
                if header.isResponse { flags.append("qr") }
                if header.isAuthoritative { flags.append("aa") }
                if header.isTruncated { flags.append("tc") }
                if header.recursionDesired { flags.append("rd") }
                if header.recursionAvailable { flags.append("ra") }
                if header.authenticData { flags.append("ad") }
                if header.checkingDisabled { flags.append("cd") }
            }
        }
        let (seconds, attoseconds) = duration.components
        let nanoseconds = String(attoseconds / 1_000_000_000)
        let elapsed = "\(seconds).\(String(repeating: "0", count: max(0, 9 - nanoseconds.count)))\(nanoseconds)s"
        return "\(client) - \(id) \"\(question) \(proto) \(query.count) \(dnssecOK) \(bufferSize)\" \(rcode) "
            + "\(flags.joined(separator: ",")) \(response.count) \(elapsed)"
    }
}

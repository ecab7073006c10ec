import DNSAnswer
import DNSWire
import Testing

/// One kind of query the hot path answers, with what its reply must look like, so the allocation test is sure it took
/// the path it names.
struct QueryCase: Sendable, CustomTestStringConvertible {
    enum Expected: Sendable, Equatable {
        case reply(ResponseCode, answers: Int, truncated: Bool)
        case dropped
    }

    let label: String
    let bytes: [UInt8]
    let transport: ResponseTransport
    let expected: Expected

    var testDescription: String { label }

    static let edns = EDNS(udpPayloadSize: 1232)

    static func query(
        _ label: String, _ name: Name, _ type: RecordType, edns: EDNS? = QueryCase.edns,
        transport: ResponseTransport = .udp, expected: Expected
    ) -> QueryCase {
        let bytes = Message.query(id: 0xBEEF, name: name, type: type, edns: edns).encoded()
        return QueryCase(label: label, bytes: bytes, transport: transport, expected: expected)
    }

    static let all: [QueryCase] = [
        query(
            "A hit", "sample-clusterip.default.svc.cluster.local.", .a,
            expected: .reply(.noError, answers: 1, truncated: false)),
        query(
            "A hit without EDNS, mixed case", "Sample-ClusterIP.Default.SVC.cluster.local.", .a, edns: nil,
            expected: .reply(.noError, answers: 1, truncated: false)),
        query(
            "AAAA NODATA", "sample-clusterip.default.svc.cluster.local.", .aaaa,
            expected: .reply(.noError, answers: 0, truncated: false)),
        query(
            "SRV with additionals", "_http._tcp.web.default.svc.cluster.local.", .srv,
            expected: .reply(.noError, answers: 3, truncated: false)),
        query(
            "headless A", "web.default.svc.cluster.local.", .a, expected: .reply(.noError, answers: 3, truncated: false)
        ),
        query(
            "ExternalName CNAME", "external-db.default.svc.cluster.local.", .a,
            expected: .reply(.noError, answers: 1, truncated: false)),
        query(
            "in-zone alias chased", "alias.default.svc.cluster.local.", .a,
            expected: .reply(.noError, answers: 2, truncated: false)),
        query(
            "NXDOMAIN", "missing.default.svc.cluster.local.", .a,
            expected: .reply(.nxDomain, answers: 0, truncated: false)),
        query(
            "search-path miss", "sample-clusterip.default.svc.cluster.local.default.svc.cluster.local.", .a, edns: nil,
            expected: .reply(.nxDomain, answers: 0, truncated: false)),
        query(
            "insecure pod A", "10-244-9-9.default.pod.cluster.local.", .a,
            expected: .reply(.noError, answers: 1, truncated: false)),
        query(
            "insecure pod AAAA NODATA", "10-244-9-9.default.pod.cluster.local.", .aaaa,
            expected: .reply(.noError, answers: 0, truncated: false)),
        query("PTR", "20.0.96.10.in-addr.arpa.", .ptr, expected: .reply(.noError, answers: 1, truncated: false)),
        query("REFUSED outside", "example.com.", .a, expected: .reply(.refused, answers: 0, truncated: false)),
        query(
            "BADVERS", "sample-clusterip.default.svc.cluster.local.", .a, edns: EDNS(version: 1),
            expected: .reply(.badVers, answers: 0, truncated: false)),
        query(
            "truncated UDP", "big.default.svc.cluster.local.", .a, edns: nil,
            expected: .reply(.noError, answers: 29, truncated: true)),
        query(
            "TCP", "big.default.svc.cluster.local.", .a, transport: .tcp,
            expected: .reply(.noError, answers: 60, truncated: false)),
        QueryCase(
            label: "FORMERR garbage",
            bytes: [0xBE, 0xEF, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3F, 0x61, 0x62],
            transport: .udp, expected: .reply(.formErr, answers: 0, truncated: false)),
        QueryCase(
            label: "response dropped",
            bytes: [
                0xBE, 0xEF, 0x81, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01,
            ],
            transport: .udp, expected: .dropped),
    ]
}

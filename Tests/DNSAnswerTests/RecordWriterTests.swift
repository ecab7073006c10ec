import DNSWire
import Testing
import DNSTestKit

@testable import DNSAnswer

/// `AnswerTable.RecordWriter` must write exactly what `WireWriter` writes after a 12-byte header: the same
/// compression targets (suffixes compared ignoring case, none registered past offset 0x3FFF), the same pointers.
struct RecordWriterTests {

    static func name(_ random: inout SplitMix64) throws -> Name {
        let labels = ["web", "WEB", "api", "ns-a", "Ns-A", "svc", "cluster", "local", "_http", "_tcp", "x"]
        let count = Int.random(in: 1...6, using: &random)
        return try Name(labels: (0..<count).map { _ in Array(labels.randomElement(using: &random)!.utf8) })
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func writesWhatWireWriterWrites(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        var writer = AnswerTable.RecordWriter()
        for _ in 0..<20 {
            writer.reset()
            var expected = WireWriter(prefix: Array(repeating: 0, count: AnswerTable.RecordWriter.headerLength))
            let question = try Self.name(&random)
            writer.writeQuestion(question, type: .a)
            expected.write(Question(name: question, type: .a))
            // Up to ~40 KB, so that some suffixes land past the last offset a pointer can reach.
            for _ in 0..<Int.random(in: 0...1500, using: &random) {
                let owner = try Self.name(&random)
                let data: RecordData =
                    switch Int.random(in: 0..<3, using: &random) {
                    case 0: .a(IPv4Address(UInt32.random(in: 0...UInt32.max, using: &random)))
                    case 1: .cname(try Self.name(&random))
                    default:
                        .srv(SRVData(priority: 0, weight: 10, port: 80, target: try Self.name(&random)))
                    }
                let record = ResourceRecord(name: owner, type: data.type!, ttl: 5, data: data)
                writer.write(record)
                expected.write(record)
            }
            #expect(writer.bytes == expected.bytes)
        }
    }
}

import DNSWire
import Foundation
import Testing

/// The committed fuzz seeds (`Fuzz/corpus/`, written by `scripts/fuzz`) are valid messages, and the ones that share a
/// golden here are byte-for-byte that golden, so the fuzzer starts from messages the decoder accepts.
@Suite struct FuzzSeedTests {
    static let corpus = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/corpus")

    static func seed(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: corpus.appendingPathComponent(name + ".bin")))
    }

    @Test func seedsMatchTheGoldens() throws {
        #expect(try Self.seed("dig-query") == MessageGoldenTests.digQuery)
        #expect(try Self.seed("a-response") == MessageGoldenTests.aResponse)
        #expect(try Self.seed("nxdomain-soa") == MessageGoldenTests.nxDomainResponse)
        #expect(try Self.seed("srv-response") == MessageGoldenTests.srvResponse)
    }

    @Test func everySeedDecodesAndRoundTrips() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.corpus.path).filter {
            $0.hasSuffix(".bin")
        }
        #expect(files.count >= 5)
        for file in files {
            let message = try Message(decoding: try Self.seed(String(file.dropLast(4))))
            #expect(try Message(decoding: message.encoded()) == message, "\(file)")
        }
    }

    @Test func mixedSeedHoldsTheTypesItIsMeantToExercise() throws {
        let message = try Message(decoding: try Self.seed("mixed-records"))
        #expect(
            message.answers.map(\.description) == [
                "a.example. 5 IN AAAA fd00::10",
                "a.example. 5 IN MX 10 a.example.",
                "a.example. 5 IN TXT \"hello\" \"xxx\"",
                "a.example. 5 IN TYPE14 \\# 22 0162076578616D706C65000163076578616D706C6500",
            ])
        #expect(message.responseCode == .badVers)
        #expect(message.edns?.dnssecOK == true)
        #expect(message.edns?.udpPayloadSize == 4096)
    }
}

import Testing

@testable import DNSWire

@Suite struct WireWriterTests {
    @Test func writesBigEndianIntegersAndPatches() {
        var writer = WireWriter(prefix: [0xAA])
        writer.writeUInt8(1)
        writer.writeUInt16(0x0203)
        writer.writeUInt32(0x0405_0607)
        writer.writeBytes([8, 9])
        writer.patchUInt16(0xBEEF, at: 1)
        #expect(writer.bytes == bytes("aa beef 03 04050607 0809"))
        #expect(writer.count == 10)
    }

    @Test func laterNamesPointToTheLongestSuffixAlreadyWritten() {
        var writer = WireWriter()
        writer.writeName("web.default.svc.cluster.local.")
        writer.writeName("api.default.svc.cluster.local.")
        writer.writeName("cluster.local.")
        writer.writeName("web.default.svc.cluster.local.")
        writer.writeName(.root)
        #expect(
            writer.bytes
                == bytes(
                    wireHex("web.default.svc.cluster.local."),
                    "03 617069 c004",  // default.svc.cluster.local. starts at 4
                    "c010",  // cluster.local. starts at 4 + 8 + 4 = 16
                    "c000",
                    "00"))
    }

    @Test func suffixLookupIgnoresLetterCase() throws {
        var writer = WireWriter(prefix: Array(repeating: 0, count: 12))
        writer.writeName("WEB.Default.svc.cluster.local.")
        writer.writeName("x.web.default.SVC.cluster.LOCAL.")
        #expect(Array(writer.bytes.suffix(4)) == bytes("01 78 c00c"))
    }

    @Test func uncompressedNamesStillBecomeTargets() {
        var writer = WireWriter()
        writer.writeName("svc.cluster.local.", compress: false)
        writer.writeName("svc.cluster.local.", compress: false)
        writer.writeName("a.cluster.local.")
        #expect(writer.bytes == bytes(wireHex("svc.cluster.local."), wireHex("svc.cluster.local."), "01 61 c004"))
    }

    @Test func onlyOffsetsAPointerCanHoldAreRegistered() {
        // 0x3FFF is the last offset a 14-bit pointer reaches.
        var reachable = WireWriter(prefix: Array(repeating: 0, count: 0x3FFF))
        reachable.writeName("a.b.")
        reachable.writeName("a.b.")
        #expect(Array(reachable.bytes.suffix(2)) == [0xFF, 0xFF])

        var unreachable = WireWriter(prefix: Array(repeating: 0, count: 0x4000))
        unreachable.writeName("a.b.")
        unreachable.writeName("a.b.")
        #expect(Array(unreachable.bytes.suffix(10)) == bytes(wireHex("a.b."), wireHex("a.b.")))
    }

    /// The lead's hot-path use: a header prefix, the question, then records whose owners become `0xC00C`.
    @Test func ownersAfterAQuestionWrittenAfterAPrefixPointToOffset12() {
        var writer = WireWriter(prefix: Header(id: 7, isResponse: true).encoded())
        writer.write(Question(name: "web.default.svc.cluster.local.", type: .a))
        let answerStart = writer.count
        writer.write(ResourceRecord(name: "web.default.svc.cluster.local.", ttl: 5, data: .a(IPv4Address(0x0A60_000A))))
        #expect(Array(writer.bytes[answerStart...]) == bytes("c00c 0001 0001 00000005 0004 0a60000a"))
    }

    @Test func srvTargetIsNeverCompressedButOtherRDATANamesAre() {
        var writer = WireWriter(prefix: Array(repeating: 0, count: 12))
        writer.writeName("web.default.svc.cluster.local.")
        let records: [(RecordData, String)] = [
            (
                .srv(SRVData(priority: 0, weight: 100, port: 80, target: "web.default.svc.cluster.local.")),
                "0025 0000 0064 0050" + wireHex("web.default.svc.cluster.local.")
            ),
            (.cname("web.default.svc.cluster.local."), "0002 c00c"),
            (.ns("web.default.svc.cluster.local."), "0002 c00c"),
            (.ptr("web.default.svc.cluster.local."), "0002 c00c"),
            (.mx(MXData(preference: 10, exchange: "web.default.svc.cluster.local.")), "0004 000a c00c"),
            (
                .soa(
                    SOAData(
                        mname: "web.default.svc.cluster.local.", rname: "x.svc.cluster.local.", serial: 1,
                        refresh: 2, retry: 3, expire: 4, minimum: 5)),
                "001a c00c 0178c018 00000001 00000002 00000003 00000004 00000005"
            ),
        ]
        for (data, expected) in records {
            let start = writer.count
            writer.write(ResourceRecord(name: "other.", ttl: 0, data: data))
            // Skip the owner (in full the first time, a pointer after), TYPE, CLASS and TTL: RDLENGTH and RDATA remain.
            let rdataStart = start + (writer.bytes[start] == 0xC0 ? 2 : 7) + 8
            #expect(Array(writer.bytes[rdataStart...]) == bytes(expected), "\(data)")
        }
    }

    @Test func longTXTStringsAreSplitIntoCharacterStrings() {
        var writer = WireWriter()
        writer.write(ResourceRecord(name: .root, ttl: 0, data: .txt([Array(repeating: 0x61, count: 300), []])))
        let rdata = Array(writer.bytes[11...])
        #expect(rdata.count == 1 + 255 + 1 + 45 + 1)
        #expect(rdata[0] == 255)
        #expect(rdata[256] == 45)
        #expect(rdata[302] == 0)

        var empty = WireWriter()
        empty.write(ResourceRecord(name: .root, ttl: 0, data: .txt([])))
        #expect(Array(empty.bytes[9...]) == bytes("0001 00"))
    }
}

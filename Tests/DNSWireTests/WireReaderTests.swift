import Testing

@testable import DNSWire

@Suite struct WireReaderTests {
    @Test func readsBigEndianIntegersAndBytes() throws {
        let data = bytes("01 0203 04050607 08090a0b0c0d0e0f 1011")
        try withReader(data) { (reader: inout WireReader) throws -> Void in
            #expect(try reader.readUInt8() == 0x01)
            #expect(try reader.readUInt16() == 0x0203)
            #expect(try reader.readUInt32() == 0x0405_0607)
            #expect(try reader.readUInt64() == 0x0809_0a0b_0c0d_0e0f)
            #expect(try reader.readBytes(2) == [0x10, 0x11])
            #expect(reader.isAtEnd)
            #expect(throws: DecodeError.truncated) { try reader.readUInt8() }
        }
    }

    @Test func everyReadPastTheEndIsTruncated() throws {
        try withReader(bytes("010203")) { (reader: inout WireReader) throws -> Void in
            #expect(throws: DecodeError.truncated) { try reader.readUInt32() }
            #expect(throws: DecodeError.truncated) { try reader.readBytes(4) }
            #expect(throws: DecodeError.truncated) { try reader.readBytes(-1) }
            #expect(throws: DecodeError.truncated) { try reader.skip(4) }
            #expect(throws: DecodeError.truncated) { try reader.limited(to: 4) }
            #expect(reader.offset == 0)
            #expect(try reader.readUInt16() == 0x0102)
            #expect(throws: DecodeError.truncated) { try reader.readUInt16() }
            #expect(throws: DecodeError.truncated) { try reader.readCharacterString() }
        }
        try withReader(bytes("05 6162")) { (reader: inout WireReader) throws -> Void in
            #expect(throws: DecodeError.truncated) { try reader.readCharacterString() }
        }
    }

    @Test func limitedReaderStopsAtItsLimitButFollowsPointersBehind() throws {
        // 0: "a." ; 3: limited range of 2 bytes holding a pointer to 0, then one more byte outside the range.
        let data = bytes("01 61 00", "c000", "ff")
        try withReader(data, at: 3) { (reader: inout WireReader) throws -> Void in
            var limited = try reader.limited(to: 2)
            #expect(try limited.readName() == "a.")
            #expect(limited.isAtEnd)
            #expect(throws: DecodeError.truncated) { try limited.readUInt8() }
            try reader.skip(2)
            #expect(try reader.readUInt8() == 0xFF)
        }
        // A name that starts inside the range but runs past it is truncated, even though the message goes on.
        try withReader(bytes("03 616263 00")) { (reader: inout WireReader) throws -> Void in
            var limited = try reader.limited(to: 3)
            #expect(throws: DecodeError.truncated) { try limited.readName() }
        }
    }

    @Test func readsUncompressedAndCompressedNames() throws {
        let data = bytes(
            wireHex("web.default.svc.cluster.local."),  // 0..<31
            "03 617069 c004",  // 31: api + pointer to default.svc.cluster.local.
            "c01f",  // 37: pointer to the name at 31, which itself ends in a pointer
            "00"  // 39: root
        )
        try withReader(data) { (reader: inout WireReader) throws -> Void in
            #expect(try reader.readName() == "web.default.svc.cluster.local.")
            #expect(reader.offset == 31)
            #expect(try reader.readName() == "api.default.svc.cluster.local.")
            #expect(reader.offset == 37)
            #expect(try reader.readName() == "api.default.svc.cluster.local.")
            #expect(reader.offset == 39)
            #expect(try reader.readName() == .root)
            #expect(reader.isAtEnd)
        }
    }

    @Test func nameKeepsTheLetterCaseItWasSentIn() throws {
        try withReader(bytes(wireHex("Web.DEFAULT."))) { (reader: inout WireReader) throws -> Void in
            #expect(try reader.readName().description == "Web.DEFAULT.")
        }
    }

    @Test(
        arguments: [
            // Name at 2: label "a" then a pointer back to 2: the second visit of 2 is not below the first target.
            ("pointer loop", bytes("ffff 0161 c002"), 2, DecodeError.badPointer),
            // Each pointer strictly backward, yet a cycle: 4 → 1, 1 → 0, the label at 0 covers 1...3, 4 → 1 again.
            ("two-pointer loop", bytes("03 c000 ff c001"), 4, DecodeError.badPointer),
            ("forward pointer", bytes("c002 00"), 0, DecodeError.badPointer),
            ("self pointer", bytes("ffff c002"), 2, DecodeError.badPointer),
            ("pointer out of the message", bytes("ffff 00 c3ff"), 3, DecodeError.badPointer),
            ("pointer missing its second byte", bytes("c0"), 0, DecodeError.truncated),
            (
                "label type 0b01 (a 64-octet label)", bytes("40" + String(repeating: "61", count: 64) + "00"), 0,
                DecodeError.badLabel
            ),
            ("label type 0b10", bytes("80 00"), 0, DecodeError.badLabel),
            ("label past the end", bytes("05 616263"), 0, DecodeError.truncated),
            ("no root label", bytes("01 61"), 0, DecodeError.truncated),
            ("empty input", [], 0, DecodeError.truncated),
            (
                "name of 256 octets",
                bytes(
                    String(repeating: "3f" + String(repeating: "61", count: 63), count: 3),
                    "3e"
                        + String(repeating: "62", count: 62) + "00"), 0, DecodeError.nameTooLong
            ),
        ] as [(String, [UInt8], Int, DecodeError)])
    func malformedNamesAreRejected(_ why: String, data: [UInt8], offset: Int, error: DecodeError) {
        #expect(throws: error, "\(why)") {
            try withReader(data, at: offset) { reader in try reader.readName() }
        }
    }

    @Test func nameOf255OctetsIsAccepted() throws {
        let data = bytes(
            String(repeating: "3f" + String(repeating: "61", count: 63), count: 3),
            "3d"
                + String(repeating: "62", count: 61) + "00")
        let name = try withReader(data) { reader in try reader.readName() }
        #expect(name.wire.count == 255)
        #expect(name.wire == data)
    }

    @Test func compressionCannotBuildANameOver255Octets() throws {
        // 0: a 63-octet label then root; each later name is one more 63-octet label and a pointer to the previous.
        var data = bytes("3f" + String(repeating: "61", count: 63) + "00")
        var previous = 0
        for _ in 0..<3 {
            let here = data.count
            data += bytes("3f" + String(repeating: "62", count: 63))
            data += [0xC0 | UInt8(previous >> 8), UInt8(previous & 0xFF)]
            previous = here
        }
        // The third such name would be 4 × 64 + 1 = 257 octets.
        #expect(throws: DecodeError.nameTooLong) {
            try withReader(data, at: previous) { reader in try reader.readName() }
        }
    }
}

import DNSWire

extension AnswerTable {
    /// Writes one answer (a question, then records) exactly as `WireWriter` would after a 12-byte header, reusing its
    /// buffers from answer to answer: the build writes one per name and type, a few million at 100,000 services.
    ///
    /// Compression is `WireWriter`'s (RFC 1035 §4.1.4): each suffix written out in full is registered at its offset,
    /// a later name ends in a pointer to the longest suffix registered, names compare ignoring ASCII case, and SRV
    /// targets are never compressed. Suffixes are kept lowercased in one byte arena behind a small open-addressing
    /// table instead of a `[Name: Int]`, which hashed every suffix byte by byte.
    struct RecordWriter {
        private(set) var bytes: [UInt8] = []
        private var suffixBytes: [UInt8] = []
        private var suffixes: [Suffix] = []
        /// Index + 1 into `suffixes`; 0 is empty. A power of two, at most half full.
        private var slots: [Int32] = Array(repeating: 0, count: 64)

        private struct Suffix {
            var start: Int32
            var length: Int32
            var offset: Int32
            var hash: UInt32
            var slot: Int32
        }

        static let headerLength = 12

        var count: Int { bytes.count }

        /// Starts a new answer: an empty header's worth of bytes and no suffixes.
        mutating func reset() {
            bytes.removeAll(keepingCapacity: true)
            bytes.append(contentsOf: repeatElement(0, count: Self.headerLength))
            for suffix in suffixes { slots[Int(suffix.slot)] = 0 }
            suffixes.removeAll(keepingCapacity: true)
            suffixBytes.removeAll(keepingCapacity: true)
        }

        mutating func writeUInt16(_ value: UInt16) {
            bytes.append(UInt8(value >> 8))
            bytes.append(UInt8(value & 0xFF))
        }

        mutating func writeUInt32(_ value: UInt32) {
            bytes.append(UInt8(value >> 24))
            bytes.append(UInt8(value >> 16 & 0xFF))
            bytes.append(UInt8(value >> 8 & 0xFF))
            bytes.append(UInt8(value & 0xFF))
        }

        mutating func writeQuestion(_ name: Name, type: RecordType) {
            writeName(name)
            writeUInt16(type.rawValue)
            writeUInt16(RecordClass.internet.rawValue)
        }

        /// One record; RDLENGTH is filled in after the RDATA.
        mutating func write(_ record: ResourceRecord) {
            writeName(record.name)
            writeUInt16(record.type.rawValue)
            writeUInt16(record.recordClass.rawValue)
            writeUInt32(record.ttl)
            let lengthOffset = bytes.count
            writeUInt16(0)
            writeData(record.data)
            let length = bytes.count - lengthOffset - 2
            precondition(length <= Int(UInt16.max), "RDATA longer than 65535 octets")
            bytes[lengthOffset] = UInt8(length >> 8)
            bytes[lengthOffset + 1] = UInt8(length & 0xFF)
        }

        /// `WireWriter.write(_:compressNames: true)`.
        private mutating func writeData(_ data: RecordData) {
            switch data {
            case .a(let address):
                writeUInt32(address.value)
            case .aaaa(let address):
                writeUInt32(UInt32(truncatingIfNeeded: address.high >> 32))
                writeUInt32(UInt32(truncatingIfNeeded: address.high))
                writeUInt32(UInt32(truncatingIfNeeded: address.low >> 32))
                writeUInt32(UInt32(truncatingIfNeeded: address.low))
            case .cname(let name), .ns(let name), .ptr(let name):
                writeName(name)
            case .mx(let mx):
                writeUInt16(mx.preference)
                writeName(mx.exchange)
            case .soa(let soa):
                writeName(soa.mname)
                writeName(soa.rname)
                for value in [soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum] { writeUInt32(value) }
            case .srv(let srv):
                writeUInt16(srv.priority)
                writeUInt16(srv.weight)
                writeUInt16(srv.port)
                writeName(srv.target, compress: false)
            case .txt(let strings):
                // RFC 1035 §3.3.14: an empty list is sent as one empty string; longer strings in 255-octet pieces.
                if strings.isEmpty { bytes.append(0) }
                for string in strings {
                    var rest = string[...]
                    repeat {
                        let chunk = rest.prefix(255)
                        bytes.append(UInt8(chunk.count))
                        bytes.append(contentsOf: chunk)
                        rest = rest.dropFirst(chunk.count)
                    } while !rest.isEmpty
                }
            case .opt(let options):
                for option in options {
                    precondition(option.data.count <= Int(UInt16.max), "EDNS option longer than 65535 octets")
                    writeUInt16(option.code)
                    writeUInt16(UInt16(option.data.count))
                    bytes.append(contentsOf: option.data)
                }
            case .unknown(let rdata):
                bytes.append(contentsOf: rdata)
            }
        }

        /// Where each label of the name being written starts, and the hash of the suffix starting there: reused
        /// from name to name.
        private var labelStarts: [Int] = []
        private var suffixHashes: [UInt32] = []

        /// `WireWriter.writeName(_:compress:)`.
        ///
        /// Every suffix's hash is computed from the right, each from its first label and the hash of the rest, and
        /// the suffixes registered for one name share one lowercased copy of it: both are linear in the name's length
        /// rather than in its length times its label count.
        mutating func writeName(_ name: Name, compress: Bool = true) {
            name.wire.withUnsafeBufferPointer { wire in
                labelStarts.removeAll(keepingCapacity: true)
                var position = 0
                while wire[position] != 0 {
                    labelStarts.append(position)
                    position += 1 + Int(wire[position])
                }
                suffixHashes.removeAll(keepingCapacity: true)
                suffixHashes.append(contentsOf: repeatElement(0, count: labelStarts.count))
                var hash: UInt32 = 2_166_136_261
                for label in labelStarts.indices.reversed() {
                    let start = labelStarts[label]
                    for byte in wire[start...(start + Int(wire[start]))] {
                        hash = (hash ^ UInt32(Self.lower(byte))) &* 16_777_619
                    }
                    suffixHashes[label] = hash
                }
                /// Where `wire[0]` would sit in `suffixBytes` once the name's unregistered part is copied there.
                var copyBase: Int?
                for label in labelStarts.indices {
                    let position = labelStarts[label]
                    let suffix = UnsafeBufferPointer(rebasing: wire[position...])
                    let hash = suffixHashes[label]
                    let found = find(suffix, hash: hash)
                    if compress, let found {
                        writeUInt16(0xC000 | UInt16(found))
                        return
                    }
                    if bytes.count <= 0x3FFF, found == nil {
                        if copyBase == nil {
                            copyBase = suffixBytes.count - position
                            for byte in suffix { suffixBytes.append(Self.lower(byte)) }
                        }
                        register(start: copyBase! + position, length: suffix.count, hash: hash, offset: bytes.count)
                    }
                    let end = position + 1 + Int(wire[position])
                    bytes.append(contentsOf: UnsafeBufferPointer(rebasing: wire[position..<end]))
                }
                bytes.append(0)
            }
        }

        @inline(__always)
        private static func lower(_ byte: UInt8) -> UInt8 {
            byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
        }

        /// The offset of a registered suffix equal to `suffix` (ASCII case ignored).
        private func find(_ suffix: UnsafeBufferPointer<UInt8>, hash: UInt32) -> Int? {
            let mask = slots.count - 1
            var slot = Int(hash) & mask
            while slots[slot] != 0 {
                let entry = suffixes[Int(slots[slot] - 1)]
                if entry.hash == hash, Int(entry.length) == suffix.count {
                    var equal = true
                    for index in 0..<suffix.count
                    where suffixBytes[Int(entry.start) + index] != Self.lower(suffix[index]) {
                        equal = false
                        break
                    }
                    if equal { return Int(entry.offset) }
                }
                slot = (slot + 1) & mask
            }
            return nil
        }

        /// Registers the lowercased suffix already copied to `suffixBytes[start..<start + length]`.
        private mutating func register(start: Int, length: Int, hash: UInt32, offset: Int) {
            if (suffixes.count + 1) * 2 > slots.count { grow() }
            let mask = slots.count - 1
            var slot = Int(hash) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            suffixes.append(
                Suffix(
                    start: Int32(start), length: Int32(length), offset: Int32(offset), hash: hash,
                    slot: Int32(slot)))
            slots[slot] = Int32(suffixes.count)
        }

        private mutating func grow() {
            slots = Array(repeating: 0, count: slots.count * 2)
            let mask = slots.count - 1
            for index in suffixes.indices {
                var slot = Int(suffixes[index].hash) & mask
                while slots[slot] != 0 { slot = (slot + 1) & mask }
                suffixes[index].slot = Int32(slot)
                slots[slot] = Int32(index + 1)
            }
        }
    }
}

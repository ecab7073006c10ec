/// Cuts a watch body into events: one JSON object per line, whatever the chunking.
public struct LineSplitter: Sendable {
    /// A watch event larger than this is refused: the biggest real objects (an EndpointSlice of 1000 endpoints) are
    /// a few hundred KiB.
    public static let maxLineLength = 16 << 20

    public enum SplitError: Error, Equatable, Sendable {
        case lineTooLong
    }

    private var pending: [UInt8] = []

    public init() {}

    /// The complete lines in `bytes` and what was held back before; the rest waits for the next call.
    public mutating func append(_ bytes: some Collection<UInt8>) throws(SplitError) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                if !pending.isEmpty { lines.append(pending) }
                pending.removeAll(keepingCapacity: true)
            } else {
                guard pending.count < LineSplitter.maxLineLength else { throw .lineTooLong }
                pending.append(byte)
            }
        }
        return lines
    }

    /// Bytes of an unfinished line: a stream that ends with some is cut short.
    public var hasPartialLine: Bool { !pending.isEmpty }
}

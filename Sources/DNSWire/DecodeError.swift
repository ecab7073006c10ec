/// Why a message could not be read. Small and payload-free: it is thrown on the hot path.
public enum DecodeError: Error, Sendable, Equatable {
    /// The message ended before a field it announced.
    case truncated
    /// A label longer than 63 octets, or a reserved label type (0b01, 0b10).
    case badLabel
    /// A name longer than 255 octets in wire form.
    case nameTooLong
    /// A compression pointer that points forward, at itself, outside the message, or into a loop.
    case badPointer
    /// RDATA whose length does not fit its type.
    case badRecordData
    /// More than one OPT record, or OPT outside the additional section or not at the root.
    case badOPT
    /// Bytes left over after the last record the header announced.
    case trailingBytes
}

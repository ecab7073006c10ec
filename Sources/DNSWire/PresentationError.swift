/// Why a presentation-format line (RFC 1035 §5.1, RFC 3597 §5) could not be read; carries the offending text for
/// test and log messages. Not used on the hot path.
public enum PresentationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A field the line needs is absent (named by the payload).
    case missingField(String)
    case badName(String)
    case badTTL(String)
    case badType(String)
    case badRecordData(String)
    case unterminatedQuote
    /// Fields left after the RDATA the type needs.
    case extraFields(String)

    public var description: String {
        switch self {
        case .missingField(let field): "missing \(field)"
        case .badName(let text): "bad name \(text)"
        case .badTTL(let text): "bad TTL \(text)"
        case .badType(let text): "bad type \(text)"
        case .badRecordData(let text): "bad RDATA \(text)"
        case .unterminatedQuote: "unterminated quoted string"
        case .extraFields(let text): "unexpected \(text)"
        }
    }
}

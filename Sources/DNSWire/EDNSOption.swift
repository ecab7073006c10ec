/// One EDNS option (RFC 6891 §6.1.2), kept as it came: code and opaque data.
public struct EDNSOption: Hashable, Sendable {
    public var code: UInt16
    public var data: [UInt8]

    public init(code: UInt16, data: [UInt8]) {
        self.code = code
        self.data = data
    }

    /// DNS Cookie (RFC 7873 §4).
    public static let cookieCode: UInt16 = 10
    /// Padding (RFC 7830).
    public static let paddingCode: UInt16 = 12
}

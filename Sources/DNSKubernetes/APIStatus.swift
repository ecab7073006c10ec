/// The `Status` object the API server sends for errors, in a response body or inside an `ERROR` watch event.
public struct APIStatus: Sendable, Equatable, Error, CustomStringConvertible {
    public var code: Int
    public var reason: String
    public var message: String
    public var retryAfterSeconds: Int?

    /// 410: the resourceVersion is gone from the watch cache or etcd; the only way on is a fresh list. Older servers
    /// say `Gone`, newer `Expired`: the code is what counts.
    public var isExpired: Bool { code == 410 }

    public init(code: Int, reason: String, message: String, retryAfterSeconds: Int? = nil) {
        self.code = code
        self.reason = reason
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// Reads a Status from a response body or a watch event's object; `nil` when it is not one.
    public init?(body: [UInt8]) {
        let status = JSONScanner(body)
        guard status.string(at: ["kind"]) == "Status" else { return nil }
        func number(_ path: [String]) -> Int? {
            status.value(at: path).flatMap { Int(status.text($0)) }
        }
        self.init(
            code: number(["code"]) ?? 0, reason: status.string(at: ["reason"]) ?? "",
            message: status.string(at: ["message"]) ?? "", retryAfterSeconds: number(["details", "retryAfterSeconds"]))
    }

    public var description: String {
        "\(code) \(reason): \(message)"
    }
}

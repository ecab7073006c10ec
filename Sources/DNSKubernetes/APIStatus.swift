import Foundation

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

    init(_ object: [String: Any]) {
        code = object["code"] as? Int ?? 0
        reason = object["reason"] as? String ?? ""
        message = object["message"] as? String ?? ""
        retryAfterSeconds = (object["details"] as? [String: Any])?["retryAfterSeconds"] as? Int
    }

    /// Reads a Status from a response body; `nil` when the body is not one.
    public init?(body: [UInt8]) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
            object["kind"] as? String == "Status"
        else { return nil }
        self.init(object)
    }

    public var description: String {
        "\(code) \(reason): \(message)"
    }
}

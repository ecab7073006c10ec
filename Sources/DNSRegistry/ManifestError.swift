/// Why a manifest file was rejected, with where: `path:line: reason`, the form editors and CI logs link to.
public struct ManifestError: Error, Sendable, Hashable, CustomStringConvertible {
    public var path: String
    /// 1-based line of the offending node; 0 when the problem is the file as a whole (it can't be read).
    public var line: Int
    /// One sentence, starting with the field path when there is one:
    /// `spec.ports[1].port: 70000 is not a port number (1-65535)`.
    public var reason: String

    public init(path: String, line: Int, reason: String) {
        self.path = path
        self.line = line
        self.reason = reason
    }

    public var description: String {
        line > 0 ? "\(path):\(line): \(reason)" : "\(path): \(reason)"
    }
}

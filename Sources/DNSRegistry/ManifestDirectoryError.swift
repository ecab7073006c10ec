/// The manifest directory itself can't be used: it is missing, not a directory, or not readable.
public struct ManifestDirectoryError: Error, Sendable, Hashable, CustomStringConvertible {
    public var path: String
    /// What is wrong, to follow the path: `does not exist`.
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String {
        "manifest directory \(path) \(reason)"
    }
}

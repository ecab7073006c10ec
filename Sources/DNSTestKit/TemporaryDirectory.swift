import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A fresh directory under the system's temporary directory, removed by `remove()`; tests run in parallel, so each
/// gets its own.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init(prefix: String = "cluster-dns-test") throws {
        let base = NSTemporaryDirectory().hasSuffix("/") ? NSTemporaryDirectory() : NSTemporaryDirectory() + "/"
        path = base + "\(prefix)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// Writes `contents` to `name` (relative; intermediate directories are made) and returns the full path.
    @discardableResult
    public func write(_ name: String, _ contents: String) throws -> String {
        let full = path + "/" + name
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        // Write then rename, as editors and `kubectl cp` do, so a reader never sees half a file.
        let staging = path + "/.staging-\(UUID().uuidString)"
        try contents.write(toFile: staging, atomically: false, encoding: .utf8)
        guard rename(staging, full) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: full])
        }
        return full
    }

    public func removeFile(_ name: String) throws {
        try FileManager.default.removeItem(atPath: path + "/" + name)
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

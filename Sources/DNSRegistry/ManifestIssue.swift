/// A problem found while reading one file, before the file's path is attached (`ManifestError`).
struct ManifestIssue: Error {
    var line: Int
    var reason: String

    func error(path: String) -> ManifestError {
        ManifestError(path: path, line: line, reason: reason)
    }
}

/// What one `ManifestDirectory.scan()` found.
public struct ManifestScan: Sendable {
    /// True when the objects differ from the previous scan's (always true for the first scan), so the caller knows
    /// whether to rebuild its answers. Edits that change no object (a comment, a Deployment) leave it false.
    public var changed: Bool
    /// The namespaces whose objects differ from the previous scan's; `.everything` for the first scan, and when the
    /// master files changed (or for a scan made by hand). Empty exactly when `changed` is false, but for a first scan.
    public var change: RegistryChange = .everything
    /// Every object of every file, each file contributing its last good contents.
    public var snapshot: RegistrySnapshot
    /// The problems of the files that fail now, sorted by path; each one is logged once, when first seen.
    public var errors: [ManifestError]
    /// How many manifest files the directory holds (good or not).
    public var files: Int
    /// How many of them this scan read and parsed (new or changed since the last scan).
    public var parsedFiles: Int
    /// How many files this scan read: the parsed ones, and recently modified ones read again to be sure their
    /// content didn't change within one timestamp tick. For tests.
    var readFiles = 0

    public init(changed: Bool, snapshot: RegistrySnapshot, errors: [ManifestError], files: Int, parsedFiles: Int) {
        self.changed = changed
        self.snapshot = snapshot
        self.errors = errors
        self.files = files
        self.parsedFiles = parsedFiles
    }
}

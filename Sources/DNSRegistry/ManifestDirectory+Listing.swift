#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension ManifestDirectory {
    /// The manifest files below the directory, sorted by path, each file once, and the problems met on the way.
    struct Listing {
        var files: [(path: String, fingerprint: FileFingerprint)] = []
        /// Subdirectories that could not be listed, and the like: reported with the files' errors.
        var errors: [ManifestError] = []
    }

    func list() throws(ManifestDirectoryError) -> Listing {
        let root: FileFingerprint
        switch FileFingerprint.of(path: path) {
        case .success(let fingerprint): root = fingerprint
        case .failure(let error) where error.isNotFound:
            throw ManifestDirectoryError(path: path, reason: "does not exist")
        case .failure(let error):
            throw ManifestDirectoryError(path: path, reason: "cannot be read: \(error.message)")
        }
        guard root.type == .directory else { throw ManifestDirectoryError(path: path, reason: "is not a directory") }

        var listing = Listing()
        var found: [(path: String, fingerprint: FileFingerprint)] = []
        var visited: Set<FileFingerprint.FileID> = [root.fileID]
        switch Self.names(in: path) {
        case .success(let names):
            walk(directory: path, names: names, depth: 1, visited: &visited, found: &found, errors: &listing.errors)
        case .failure(let error):
            throw ManifestDirectoryError(path: path, reason: "cannot be read: \(error.message)")
        }
        // Sort by path before dropping second names of one file, so that the name kept doesn't depend on the walk.
        found.sort { $0.path < $1.path }
        var seen: Set<FileFingerprint.FileID> = []
        listing.files = found.filter { seen.insert($0.fingerprint.fileID).inserted }
        return listing
    }

    private func walk(
        directory: String, names: [String], depth: Int, visited: inout Set<FileFingerprint.FileID>,
        found: inout [(path: String, fingerprint: FileFingerprint)], errors: inout [ManifestError]
    ) {
        for name in names where !name.hasPrefix(".") {
            let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            // A dangling symlink, or a file removed while listing: nothing to read.
            guard case .success(let fingerprint) = FileFingerprint.of(path: path) else { continue }
            switch fingerprint.type {
            case .regular:
                let fileExtension = name.split(separator: ".", omittingEmptySubsequences: false).last.map(String.init)
                if name.contains("."), let fileExtension, Self.manifestExtensions.contains(fileExtension.lowercased()) {
                    found.append((path, fingerprint))
                }
            case .directory:
                // A symlink back up the tree would loop forever: enter each directory once.
                guard depth < Self.maxDirectoryDepth, visited.insert(fingerprint.fileID).inserted else { continue }
                switch Self.names(in: path) {
                case .success(let names):
                    walk(
                        directory: path, names: names, depth: depth + 1, visited: &visited, found: &found,
                        errors: &errors)
                case .failure(let error):
                    errors.append(ManifestError(path: path, line: 0, reason: "cannot be listed: \(error.message)"))
                }
            case .other:
                continue
            }
        }
    }

    /// The entries of a directory, without `.` and `..`, sorted.
    private static func names(in directory: String) -> Result<[String], SystemError> {
        guard let stream = opendir(directory) else { return .failure(SystemError(code: errno)) }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: pointer.pointee)) {
                    String(cString: $0)
                }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return .success(names.sorted())
    }
}

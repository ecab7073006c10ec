#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// What `stat(2)` says about a file, following symlinks: enough to tell that a file changed without reading it.
///
/// The inode catches a file replaced by rename (editors, and Kubernetes swapping a ConfigMap volume's `..data`
/// link); size and the nanosecond modification and change times catch writes in place.
struct FileFingerprint: Hashable, Sendable {
    enum FileType: Sendable {
        case regular, directory, other
    }

    var device: UInt64
    var inode: UInt64
    var size: Int64
    var modified: Timestamp
    var changed: Timestamp
    var type: FileType

    struct Timestamp: Hashable, Sendable {
        var seconds: Int64
        var nanoseconds: Int64
    }

    /// The identity of the file itself, whatever name reached it.
    var fileID: FileID {
        FileID(device: device, inode: inode)
    }

    struct FileID: Hashable, Sendable {
        var device: UInt64
        var inode: UInt64
    }

    /// Stats `path`, following symlinks; on failure, the `errno` value.
    static func of(path: String) -> Result<FileFingerprint, SystemError> {
        var info = stat()
        guard stat(path, &info) == 0 else { return .failure(SystemError(code: errno)) }
        let type: FileType
        switch info.st_mode & S_IFMT {
        case S_IFREG: type = .regular
        case S_IFDIR: type = .directory
        default: type = .other
        }
        #if canImport(Darwin)
            let modified = Timestamp(
                seconds: Int64(info.st_mtimespec.tv_sec), nanoseconds: Int64(info.st_mtimespec.tv_nsec))
            let changed = Timestamp(
                seconds: Int64(info.st_ctimespec.tv_sec), nanoseconds: Int64(info.st_ctimespec.tv_nsec))
        #else
            let modified = Timestamp(seconds: Int64(info.st_mtim.tv_sec), nanoseconds: Int64(info.st_mtim.tv_nsec))
            let changed = Timestamp(seconds: Int64(info.st_ctim.tv_sec), nanoseconds: Int64(info.st_ctim.tv_nsec))
        #endif
        return .success(
            FileFingerprint(
                device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
                modified: modified, changed: changed, type: type))
    }
}

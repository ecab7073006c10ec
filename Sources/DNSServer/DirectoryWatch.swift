import Glibc

/// inotify on a directory tree: says "something changed" without polling. What changed is found by the manifest
/// scan, which compares fingerprints, so events only need to be a reliable hint.
final class DirectoryWatch {
    let fileDescriptor: Int32
    private var watchedDirectories: Set<String> = []

    /// `nil` when inotify is unavailable (the periodic rescan still notices changes).
    init?() {
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { return nil }
        fileDescriptor = fd
    }

    deinit {
        close(fileDescriptor)
    }

    /// Watches `root` and every directory below it not yet watched (new subdirectories appear after a scan).
    func watchTree(_ root: String) {
        var pending = [root]
        while let directory = pending.popLast() {
            if !watchedDirectories.contains(directory) {
                let mask = UInt32(
                    IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO
                        | IN_DELETE_SELF | IN_MOVE_SELF | IN_ATTRIB)
                if inotify_add_watch(fileDescriptor, directory, mask) >= 0 {
                    watchedDirectories.insert(directory)
                }
            }
            guard let stream = opendir(directory) else { continue }
            defer { closedir(stream) }
            while let entry = readdir(stream) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
                }
                guard name != ".", name != "..", entry.pointee.d_type == UInt8(DT_DIR) else { continue }
                pending.append(directory + "/" + name)
            }
        }
    }

    /// Reads and discards pending events; true when there were any.
    func drain() -> Bool {
        var any = false
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fileDescriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            any = true
        }
        if any {
            // A removed directory's watch is gone; forget it so a recreated one is watched again.
            watchedDirectories = watchedDirectories.filter { access($0, F_OK) == 0 }
        }
        return any
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// An `errno` value with its text, for messages.
struct SystemError: Error, Sendable {
    var code: Int32

    var isNotFound: Bool {
        code == ENOENT || code == ENOTDIR
    }

    var message: String {
        String(cString: strerror(code))
    }
}

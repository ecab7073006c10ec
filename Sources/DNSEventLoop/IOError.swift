internal import Glibc

/// A system call that failed: the call's name and the `errno` it left.
///
/// Small and allocation-free (`StaticString`, no message) so it can be thrown on the hot path; `description` builds
/// the human-readable text only when someone prints it.
public struct IOError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The C function that failed, e.g. `"bind"`.
    public let function: StaticString
    /// The `errno` value it set.
    public let errno: Int32

    public init(function: StaticString, errno: Int32) {
        self.function = function
        self.errno = errno
    }

    public var description: String {
        // strerror's buffer is static but only written for unknown codes; this runs on error paths only.
        "\(function): \(String(cString: strerror(errno))) (errno \(errno))"
    }

    public static func == (lhs: IOError, rhs: IOError) -> Bool {
        lhs.errno == rhs.errno && lhs.function.description == rhs.function.description
    }
}

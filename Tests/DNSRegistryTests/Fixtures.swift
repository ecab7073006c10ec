import Foundation

/// Where the test inputs are, found from this file so that tests run from any working directory.
enum Fixtures {
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    static let manifests = testsDirectory.appendingPathComponent("Fixtures").appendingPathComponent("manifests")
    /// The bundled example cluster at the top of the package.
    static let zones = testsDirectory.deletingLastPathComponent().appendingPathComponent("zones")

    static func text(_ url: URL) throws -> String {
        try String(contentsOf: url, encoding: .utf8)
    }
}

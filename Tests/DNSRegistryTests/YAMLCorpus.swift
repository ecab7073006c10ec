import Foundation

/// YAML texts to hold `BlockYAMLScanner` against libyaml: every string literal in the test sources of every target
/// (the manifests the other tests parse, and the pieces they build them from), the bundled zones, the deploy
/// manifests and the fixtures.
enum YAMLCorpus {
    struct Text: CustomStringConvertible, Sendable {
        var origin: String
        var text: String

        var description: String { origin }
    }

    static var packageDirectory: URL { Fixtures.testsDirectory.deletingLastPathComponent() }

    static func all() throws -> [Text] {
        var texts: [Text] = []
        for url in try files(under: Fixtures.testsDirectory, extensions: ["swift"]) {
            let literals = stringLiterals(in: try Fixtures.text(url))
            for (index, literal) in literals.enumerated() {
                texts.append(Text(origin: "\(url.lastPathComponent) literal \(index)", text: literal))
            }
        }
        for directory in ["zones", "deploy", "Tests/Fixtures"] {
            let root = packageDirectory.appendingPathComponent(directory)
            for url in try files(under: root, extensions: ["yaml", "yml", "json"]) {
                texts.append(Text(origin: url.path, text: try Fixtures.text(url)))
            }
        }
        return texts
    }

    /// Files under `directory` whose extension is one of `extensions`, sorted by path.
    static func files(under directory: URL, extensions: Set<String>) throws -> [URL] {
        guard let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil) else {
            return []
        }
        return enumerator.compactMap { $0 as? URL }.filter { extensions.contains($0.pathExtension.lowercased()) }
            .sorted { $0.path < $1.path }
    }

    // MARK: - Swift string literals

    /// The values of the string literals in Swift source: single-line, multi-line (indentation stripped as the
    /// compiler strips it) and raw; escapes decoded, each interpolation replaced by `7` (a number or a name in the
    /// manifests that interpolate).
    static func stringLiterals(in source: String) -> [String] {
        let bytes = Array(source.utf8)
        var literals: [String] = []
        var index = 0
        func at(_ offset: Int) -> UInt8 { offset < bytes.count ? bytes[offset] : 0 }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "/") && at(index + 1) == UInt8(ascii: "/") {
                while index < bytes.count && bytes[index] != UInt8(ascii: "\n") { index += 1 }
            } else if byte == UInt8(ascii: "#") && at(index + 1) == UInt8(ascii: "\"") {
                let start = index + 2
                var end = start
                while end < bytes.count && !(bytes[end] == UInt8(ascii: "\"") && at(end + 1) == UInt8(ascii: "#")) {
                    end += 1
                }
                literals.append(String(decoding: bytes[start..<min(end, bytes.count)], as: UTF8.self))
                index = end + 2
            } else if byte == UInt8(ascii: "\"") {
                let isMultiline = at(index + 1) == UInt8(ascii: "\"") && at(index + 2) == UInt8(ascii: "\"")
                let start = index + (isMultiline ? 3 : 1)
                let end = literalEnd(bytes, from: start, multiline: isMultiline)
                let body = Array(bytes[start..<min(end, bytes.count)])
                literals.append(isMultiline ? decodeMultiline(body) : decodeEscapes(body))
                index = end + (isMultiline ? 3 : 1)
            } else {
                index += 1
            }
        }
        return literals
    }

    /// Where the literal's closing delimiter starts.
    private static func literalEnd(_ bytes: [UInt8], from start: Int, multiline: Bool) -> Int {
        var index = start
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\\") {
                let opensInterpolation = index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "(")
                index = opensInterpolation ? interpolationEnd(bytes, from: index + 2) : index + 2
                continue
            }
            if byte == UInt8(ascii: "\"") {
                if !multiline { return index }
                if index + 2 < bytes.count && bytes[index + 1] == byte && bytes[index + 2] == byte { return index }
            }
            if byte == UInt8(ascii: "\n") && !multiline { return index }
            index += 1
        }
        return index
    }

    /// The index after the `)` closing an interpolation whose body starts at `start`.
    private static func interpolationEnd(_ bytes: [UInt8], from start: Int) -> Int {
        var depth = 1
        var index = start
        while index < bytes.count && depth > 0 {
            switch bytes[index] {
            case UInt8(ascii: "("): depth += 1
            case UInt8(ascii: ")"): depth -= 1
            case UInt8(ascii: "\""): index = literalEnd(bytes, from: index + 1, multiline: false)
            default: break
            }
            index += 1
        }
        return index
    }

    /// A multi-line literal's body: the lines between the delimiters, less the closing delimiter's indentation.
    private static func decodeMultiline(_ body: [UInt8]) -> String {
        var lines = body.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
        guard lines.count >= 2 else { return "" }
        lines.removeFirst()  // the rest of the opening delimiter's line
        let indentation = lines.removeLast().count  // spaces before the closing delimiter
        var joined: [UInt8] = []
        for (number, line) in lines.enumerated() {
            var line = Array(line.dropFirst(min(indentation, line.prefix { $0 == UInt8(ascii: " ") }.count)))
            let continues = line.last == UInt8(ascii: "\\") && line.dropLast().last != UInt8(ascii: "\\")
            if continues { line.removeLast() }
            joined += line
            if !continues && number < lines.count - 1 { joined.append(UInt8(ascii: "\n")) }
        }
        return decodeEscapes(joined)
    }

    private static func decodeEscapes(_ body: [UInt8]) -> String {
        var result: [UInt8] = []
        var index = 0
        while index < body.count {
            let byte = body[index]
            guard byte == UInt8(ascii: "\\"), index + 1 < body.count else {
                result.append(byte)
                index += 1
                continue
            }
            let escaped = body[index + 1]
            index += 2
            switch escaped {
            case UInt8(ascii: "n"): result.append(UInt8(ascii: "\n"))
            case UInt8(ascii: "t"): result.append(UInt8(ascii: "\t"))
            case UInt8(ascii: "r"): result.append(UInt8(ascii: "\r"))
            case UInt8(ascii: "0"): result.append(0)
            case UInt8(ascii: "("):
                index = interpolationEnd(body, from: index)
                result.append(UInt8(ascii: "7"))
            case UInt8(ascii: "u"):
                var hex = ""
                index += 1  // {
                while index < body.count && body[index] != UInt8(ascii: "}") {
                    hex.append(Character(UnicodeScalar(body[index])))
                    index += 1
                }
                index += 1
                if let value = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(value) {
                    result += Array(String(scalar).utf8)
                }
            default: result.append(escaped)
            }
        }
        return String(decoding: result, as: UTF8.self)
    }
}

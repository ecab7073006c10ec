import Foundation
import Yams

/// `--config FILE`: a YAML mapping from flag names to values (`ttl: 5`, `listen: [":53"]`), read before the command
/// line; a flag given on the command line replaces the file's setting of it.
enum ConfigFile {
    struct Problem: Error, CustomStringConvertible {
        let description: String
    }

    /// The merged arguments: the file's settings as flags, then the command line's.
    static func merged(_ commandLine: [String]) throws -> [String] {
        guard let path = path(in: commandLine) else { return commandLine }
        let given = Set(
            commandLine.compactMap { argument in
                argument.hasPrefix("--") ? String(argument.dropFirst(2).prefix { $0 != "=" }) : nil
            })
        var arguments: [String] = []
        for (flag, values) in try settings(in: path) where !given.contains(flag) {
            for value in values {
                arguments += ["--" + flag, value]
            }
        }
        return arguments + commandLine
    }

    static func path(in arguments: [String]) -> String? {
        for (index, argument) in arguments.enumerated() {
            if argument == "--config", index + 1 < arguments.count { return arguments[index + 1] }
            if argument.hasPrefix("--config=") { return String(argument.dropFirst("--config=".count)) }
        }
        return nil
    }

    /// The file's settings in file order; values as the command line would spell them.
    static func settings(in path: String) throws -> [(flag: String, values: [String])] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw Problem(description: "--config \(path): cannot be read (\(error.localizedDescription))")
        }
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw Problem(description: "--config \(path): not YAML: \(error)")
        }
        guard let node else { return [] }
        guard let mapping = node.mapping else {
            throw Problem(description: "--config \(path): must be a mapping of flag names to values")
        }
        var settings: [(flag: String, values: [String])] = []
        for (key, value) in mapping {
            guard let flag = key.string, !flag.isEmpty, flag != "config" else {
                throw Problem(description: "--config \(path):\(key.mark?.line ?? 0): \(key) is not a flag name")
            }
            if let scalar = value.scalar {
                settings.append((flag, [scalar.string]))
            } else if let sequence = value.sequence, let values = Optional(sequence.compactMap(\.scalar?.string)),
                values.count == sequence.count
            {
                settings.append((flag, values))
            } else {
                throw Problem(
                    description: "--config \(path):\(value.mark?.line ?? 0): \(flag) takes a value or a list of values")
            }
        }
        return settings
    }
}

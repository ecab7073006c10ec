import Foundation
import Testing

@testable import DNSRegistry

/// Files parsed on several threads give what parsing them one by one gives, in the order they were given, broken
/// files included.
@Suite struct ConcurrentParseTests {
    static func service(_ index: Int) -> String {
        """
        apiVersion: v1
        kind: Service
        metadata: {name: svc-\(index), namespace: ns-\(index % 3)}
        spec: {clusterIP: 10.96.0.\(index % 250 + 1), ports: [{name: http, port: 80}]}

        """
    }

    @Test func concurrentParseMatchesOneByOne() {
        var files: [(path: String, content: Result<Data, ManifestError>)] = []
        for file in 0..<24 {
            var text = ""
            for index in (file * 5)..<(file * 5 + 5) { text += "---\n" + Self.service(index) }
            if file % 7 == 3 { text += "---\nkind: Service\nmetadata: {name: [broken\n" }
            files.append(("/manifests/file-\(file).yaml", .success(Data(text.utf8))))
        }
        let unreadable = ManifestError(path: "/manifests/unreadable.yaml", line: 0, reason: "cannot be read")
        files.append(("/manifests/unreadable.yaml", .failure(unreadable)))
        let concurrent = ManifestDirectory.concurrentMap(files.count) {
            ManifestDirectory.parse(path: files[$0].path, content: files[$0].content)
        }
        let oneByOne = files.map { ManifestDirectory.parse(path: $0.path, content: $0.content) }
        #expect(concurrent.count == files.count)
        for (index, (lhs, rhs)) in zip(concurrent, oneByOne).enumerated() {
            switch (lhs, rhs) {
            case (.success(let left), .success(let right)):
                #expect(left.mapValues(\.objects) == right.mapValues(\.objects), "file \(index)")
                #expect(left.values.map(\.objects.serviceCount).reduce(0, +) == 5, "file \(index)")
            case (.failure(let left), .failure(let right)):
                #expect(left == right, "file \(index)")
            default:
                Issue.record("file \(index): \(lhs) vs \(rhs)")
            }
        }
        #expect(oneByOne.filter { if case .failure = $0 { true } else { false } }.count == 4)
    }
}

import DNSAnswer
import DNSRegistry
import Foundation
import Logging

/// Reads the manifest directory and compiles a new answer table when what it describes has changed.
final class ZoneReloader {
    private let directory: ManifestDirectory
    private let configuration: AnswerConfiguration
    private let logger: Logger
    private var serial = SOASerial()
    private(set) var loads = 0

    init(path: String, configuration: AnswerConfiguration, logger: Logger) {
        directory = ManifestDirectory(path: path, logger: logger)
        self.configuration = configuration
        self.logger = logger
    }

    /// A new table when the registry changed since the last call (always on the first), else `nil`.
    func reload() throws -> AnswerTable? {
        let scan = try directory.scan()
        guard scan.changed || loads == 0 else { return nil }
        let started = ContinuousClock.now
        let table = AnswerTable.build(
            from: scan.snapshot, configuration: configuration,
            serial: serial.next(secondsSinceEpoch: UInt64(Date().timeIntervalSince1970)))
        loads += 1
        logger.info(
            "registry loaded",
            metadata: [
                "services": "\(scan.snapshot.services.count)",
                "endpointslices": "\(scan.snapshot.endpointSlices.count)",
                "pods": "\(scan.snapshot.pods.count)", "names": "\(table.nameCount)", "serial": "\(table.serial)",
                "files": "\(scan.files)", "errors": "\(scan.errors.count)",
                "build": "\(ContinuousClock.now - started)",
            ])
        return table
    }
}

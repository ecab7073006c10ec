import DNSAnswer
import DNSRegistry
import Foundation
import Logging

/// Reads the manifest directory and compiles a new answer table when what it describes has changed.
///
/// Used from one thread at a time: the starting thread for the first load, then only the control loop.
final class ZoneReloader {
    /// What the registry holds and how loading went, for `/ready` and `/metrics`.
    struct Statistics {
        var services = 0
        var endpointSlices = 0
        var pods = 0
        var namespaces = 0
        var manifestFiles = 0
        var failingFiles = 0
        /// Tables compiled and published.
        var reloads = 0
        /// Scans that found a broken file or could not read the directory.
        var reloadErrors = 0
        /// When the last scan that read the directory finished (seconds since 1970).
        var lastGoodScan: Double = 0
        var serial: UInt32 = 0
    }

    private let directory: ManifestDirectory
    private let configuration: AnswerConfiguration
    private let logger: Logger
    private var serial = SOASerial()
    private(set) var statistics = Statistics()

    init(path: String, configuration: AnswerConfiguration, logger: Logger) {
        directory = ManifestDirectory(path: path, logger: logger)
        self.configuration = configuration
        self.logger = logger
    }

    /// A new table when the registry changed since the last call (always on the first), else `nil`.
    func reload() throws -> AnswerTable? {
        let scan: ManifestScan
        do {
            scan = try directory.scan()
        } catch {
            statistics.reloadErrors += 1
            throw error
        }
        statistics.lastGoodScan = Date().timeIntervalSince1970
        statistics.manifestFiles = scan.files
        if !scan.errors.isEmpty, scan.errors.count != statistics.failingFiles || scan.changed {
            statistics.reloadErrors += 1
        }
        statistics.failingFiles = scan.errors.count
        guard scan.changed || statistics.reloads == 0 else { return nil }
        let started = ContinuousClock.now
        let table = AnswerTable.build(
            from: scan.snapshot, configuration: configuration,
            serial: serial.next(secondsSinceEpoch: UInt64(Date().timeIntervalSince1970)))
        statistics.reloads += 1
        statistics.services = scan.snapshot.services.count
        statistics.endpointSlices = scan.snapshot.endpointSlices.count
        statistics.pods = scan.snapshot.pods.count
        statistics.namespaces = scan.snapshot.namespaces.count
        statistics.serial = table.serial
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

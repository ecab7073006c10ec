import DNSKubernetes
import Foundation
import Logging
import Synchronization

/// Keeps one collection current on a thread of its own: lists it page by page, watches from the list's
/// resourceVersion, resumes from the last version seen when a watch ends, lists again after a 410, and backs off with
/// jitter after failures. Blocking I/O on a dedicated thread keeps the DNS loops out of it entirely.
final class ResourceWatcher: Sendable {
    let resource: WatchedResource
    private let client: APIClient
    private let settings: WatchSettings
    private let source: KubernetesSource
    private let logger: Logger
    private let stopping = Mutex(false)
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    /// The response being read, so that `stop()` can interrupt a blocked read.
    private let current = Mutex<APIResponse?>(nil)

    init(
        resource: WatchedResource, client: APIClient, settings: WatchSettings, source: KubernetesSource, logger: Logger
    ) {
        self.resource = resource
        self.client = client
        self.settings = settings
        self.source = source
        self.logger = logger
    }

    func start() {
        let thread = Thread { [self] in
            run()
            finished.signal()
        }
        thread.name = "kube-\(resource.rawValue)"
        thread.start()
    }

    func stop() {
        stopping.withLock { $0 = true }
        current.withLock { $0?.interrupt() }
        wake.signal()
    }

    func join() {
        finished.wait()
        finished.signal()
    }

    private var isStopping: Bool { stopping.withLock { $0 } }

    private enum WatchEnd {
        /// The server ended the watch (its timeout): watch again from the last version seen.
        case ended
        /// The version expired: list again.
        case relist
    }

    private func run() {
        var backoff = settings.backoff
        var needsList = true
        var lastListed: ContinuousClock.Instant?
        while !isStopping {
            let attemptStarted = ContinuousClock.now
            do {
                if needsList {
                    // A server that expires every watch at once must not make us list it in a loop.
                    if let lastListed, ContinuousClock.now - lastListed < backoff.initial {
                        pause(backoff.next(random: Double.random(in: 0..<1)))
                    }
                    try list()
                    needsList = false
                    lastListed = ContinuousClock.now
                    backoff.reset()
                }
                switch try watch() {
                case .ended:
                    let uptime = ContinuousClock.now - attemptStarted
                    backoff.connectionEnded(after: uptime)
                    // A server that ends every watch at once must not make this a busy loop.
                    if uptime < .seconds(1) {
                        pause(backoff.next(random: 0))
                    }
                case .relist:
                    source.relisting(resource)
                    needsList = true
                }
            } catch {
                guard !isStopping else { break }
                if case .status(410, _) = error {
                    source.relisting(resource)
                    needsList = true
                    continue
                }
                var wait = backoff.next(random: Double.random(in: 0..<1))
                if case .status(_, let status?) = error, let seconds = status.retryAfterSeconds, seconds > 0 {
                    wait = .seconds(seconds)
                }
                if case .status(403, _) = error, resource.isDispensable {
                    // Answered without it (logged once by `forbidden`, not a failure that makes the data stale); the
                    // list is tried again after each back-off, in case RBAC changes.
                    source.forbidden(resource)
                    pause(wait)
                    continue
                }
                source.failed(resource, error: error, retryingAfter: wait)
                pause(wait)
            }
        }
    }

    /// Waits `duration`, or less when `stop()` comes first.
    private func pause(_ duration: Duration) {
        _ = wake.wait(timeout: .now() + .nanoseconds(Int(clamping: duration.nanoseconds)))
    }

    private func request(_ path: String, receiveTimeout: Duration) throws(APIError) -> APIResponse {
        let response = try client.get(path, receiveTimeout: receiveTimeout) { [self] in isStopping }
        current.withLock { $0 = response }
        if isStopping { response.interrupt() }
        guard response.head.status == 200 else {
            defer { finish(response) }
            let body = (try? response.readBody(limit: 1 << 20)) ?? []
            throw .status(code: response.head.status, APIStatus(body: body))
        }
        return response
    }

    private func finish(_ response: APIResponse) {
        current.withLock { $0 = nil }
        response.close()
    }

    /// Reads every page; the registry takes the collection only once the last page is in.
    private func list() throws(APIError) {
        var token: String?
        var isFirst = true
        repeat {
            var path = resource.collectionPath + separator + "limit=\(settings.pageSize)"
            if let token { path += "&continue=" + Self.queryEscaped(token) }
            let response = try request(path, receiveTimeout: settings.requestTimeout)
            defer { finish(response) }
            let body = try response.readBody(limit: settings.maxPageBytes)
            token = try source.applyListPage(body, of: resource, isFirst: isFirst)
            isFirst = false
        } while token != nil && !isStopping
    }

    private func watch() throws(APIError) -> WatchEnd {
        let version = source.resourceVersion(of: resource) ?? ""
        let timeout = Int(settings.watchTimeout.seconds * Double.random(in: 1..<2))
        let path =
            resource.collectionPath + separator
            + "watch=1&resourceVersion=\(Self.queryEscaped(version))&allowWatchBookmarks=true&timeoutSeconds=\(timeout)"
        let response = try request(path, receiveTimeout: settings.stallTimeout)
        defer { finish(response) }
        source.watching(resource)
        var lines = LineSplitter()
        while let bytes = try response.nextBody() {
            let complete: [[UInt8]]
            do {
                complete = try lines.append(bytes)
            } catch {
                throw .protocolError(
                    "\(resource.rawValue) watch: an event longer than \(LineSplitter.maxLineLength) bytes")
            }
            for line in complete {
                switch source.apply(line: line, of: resource) {
                case .relist: return .relist
                case .failed(let status): throw .status(code: status.code, status)
                default: break
                }
            }
        }
        if lines.hasPartialLine {
            throw .connection("\(resource.rawValue) watch: the stream ended inside an event")
        }
        return .ended
    }

    private var separator: String {
        resource.collectionPath.contains("?") ? "&" : "?"
    }

    /// Percent-encodes a query value (continue tokens are base64url, resourceVersions digits; `=` and `&` matter).
    static func queryEscaped(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

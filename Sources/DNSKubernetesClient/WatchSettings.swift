import DNSKubernetes

/// What to watch and how patiently. The defaults are client-go's reflector's, except the stall timeout, which
/// client-go lacks: a watch that sends nothing, not even the bookmark the API server sends about once a minute, for
/// this long is taken for dead.
public struct WatchSettings: Sendable {
    public var resources: Set<WatchedResource>
    /// Objects per list page (`limit`), as client-go's reflector pages.
    public var pageSize = 500
    /// Each watch asks the server to end it after a random time in [watchTimeout, 2 × watchTimeout), so that many
    /// clients do not reconnect in step.
    public var watchTimeout: Duration = .seconds(300)
    /// A watch that delivers no byte for this long is reconnected.
    public var stallTimeout: Duration = .seconds(150)
    /// A list response that delivers no byte for this long has failed.
    public var requestTimeout: Duration = .seconds(60)
    public var backoff = Backoff()
    /// A list page larger than this is refused rather than held in memory (a 500-object page is a few MB).
    public var maxPageBytes = 256 << 20

    public init(resources: Set<WatchedResource>) {
        self.resources = resources
    }

    /// Services, EndpointSlices and Namespaces, and Pods when pod records are verified (`--pods verified`), as
    /// CoreDNS watches (a namespace that exists has `ns.svc` and `ns.pod` names even without services).
    public static func forCluster(watchingPods: Bool) -> WatchSettings {
        WatchSettings(
            resources: watchingPods
                ? [.services, .endpointSlices, .namespaces, .pods] : [.services, .endpointSlices, .namespaces])
    }
}

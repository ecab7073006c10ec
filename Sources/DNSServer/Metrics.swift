import DNSAnswer
import DNSKubernetes
import DNSKubernetesClient

/// Every metric the server exports, in the Prometheus text format (version 0.0.4), with CoreDNS's names and labels
/// where CoreDNS has the metric so that existing dashboards and alerts keep working. Names are defined here only.
enum Metrics {
    struct Labels {
        /// CoreDNS's `server` label: `dns://` and the first listen address as given (`dns://:53`).
        var server: String
        /// CoreDNS's `zone` label: the server block's zone; a kube-system Corefile has one, `.`.
        var zone = "."
        var view = ""
    }

    static let contentType = "text/plain; version=0.0.4; charset=utf-8"
    static let version = "0.1.0"

    static func render(
        counters: WorkerCounters, registry: ZoneReloader.Statistics, kubernetes: KubernetesSource.Status? = nil,
        labels: Labels, now: ContinuousClock.Instant = .now
    ) -> String {
        var text = ""
        let dns = "server=\"\(labels.server)\",view=\"\(labels.view)\",zone=\"\(labels.zone)\""

        metric(
            &text, "coredns_build_info", .gauge,
            "A metric with a constant '1' value labeled by version, revision, and goversion from which CoreDNS was built.",
            [("goversion=\"swift\",revision=\"\",version=\"\(version)\"", 1)])

        metric(
            &text, "coredns_dns_requests_total", .counter,
            "Counter of DNS requests made per zone, protocol and family.",
            counters.requestTypes.samples.map {
                ("family=\"\($0.family)\",proto=\"\($0.proto)\",\(dns),type=\"\($0.type)\"", $0.count)
            })

        var wroteHeader = false
        for type in counters.histograms.duration.indices
        where counters.histograms.duration[type].contains(where: { $0 > 0 }) {
            histogram(
                &text, "coredns_dns_request_duration_seconds", "Histogram of the time (in seconds) each request took.",
                labels: "\(dns),type=\"\(RequestTypeCounts.label(type))\"", bounds: QueryHistograms.durationBounds,
                counts: counters.histograms.duration[type], sum: counters.histograms.durationSum[type],
                withHeader: !wroteHeader)
            wroteHeader = true
        }
        for (proto, index) in [("udp", 0), ("tcp", 1)] {
            histogram(
                &text, "coredns_dns_request_size_bytes", "Size of the EDNS0 UDP buffer in bytes (64K for TCP).",
                labels: "proto=\"\(proto)\",\(dns)", bounds: QueryHistograms.sizeBounds,
                counts: counters.histograms.requestSize[index], sum: counters.histograms.requestSizeSum[index],
                withHeader: index == 0)
        }
        for (proto, index) in [("udp", 0), ("tcp", 1)] {
            histogram(
                &text, "coredns_dns_response_size_bytes", "Size of the returned response in bytes.",
                labels: "proto=\"\(proto)\",\(dns)", bounds: QueryHistograms.sizeBounds,
                counts: counters.histograms.responseSize[index], sum: counters.histograms.responseSizeSum[index],
                withHeader: index == 0)
        }

        let responder = counters.responder
        var byCode: [String: Int] = [
            "NOERROR": responder.answered + responder.noData, "NXDOMAIN": responder.nxDomain,
            "SERVFAIL": responder.servFail, "REFUSED": responder.refused, "FORMERR": responder.formErr,
            "NOTIMP": responder.notImp, "BADVERS": responder.badVers,
        ]
        byCode.merge(counters.forwardedResponses) { $0 + $1 }
        let rcodes = byCode.sorted { $0.key < $1.key }
        metric(
            &text, "coredns_dns_responses_total", .counter, "Counter of response status codes.",
            rcodes.map { ("rcode=\"\($0.0)\",\(dns)", $0.1) })

        metric(
            &text, "clusterdns_dropped_queries_total", .counter,
            "Queries dropped without an answer, by reason.",
            [
                ("reason=\"too_short\"", responder.droppedTooShort),
                ("reason=\"response\"", responder.droppedResponses),
                ("reason=\"oversized_datagram\"", counters.udpTruncatedDatagrams),
                (
                    "reason=\"udp_other\"",
                    max(
                        0,
                        counters.udpDropped - counters.udpTruncatedDatagrams - responder.droppedTooShort
                            - responder.droppedResponses)
                ),
            ])
        metric(
            &text, "clusterdns_truncated_responses_total", .counter,
            "UDP answers cut to the client's size with TC set.", [("", responder.truncated)])
        metric(
            &text, "clusterdns_tcp_connections_total", .counter, "TCP connections, by outcome.",
            [
                ("outcome=\"accepted\"", counters.tcpAccepted), ("outcome=\"rejected\"", counters.tcpRejected),
                ("outcome=\"idle_closed\"", counters.tcpIdleClosed),
            ])

        metric(
            &text, "clusterdns_registry_objects", .gauge, "Objects in the registry, by kind.",
            [
                ("kind=\"Service\"", registry.services), ("kind=\"EndpointSlice\"", registry.endpointSlices),
                ("kind=\"Pod\"", registry.pods), ("kind=\"Namespace\"", registry.namespaces),
            ])
        metric(
            &text, "clusterdns_registry_files", .gauge, "Manifest files in the zones directory, by state.",
            [("state=\"all\"", registry.manifestFiles), ("state=\"failing\"", registry.failingFiles)])
        metric(
            &text, "clusterdns_registry_reloads_total", .counter, "Answer tables compiled and published.",
            [("", registry.reloads)])
        metric(
            &text, "clusterdns_registry_reload_errors_total", .counter,
            "Scans that met a broken manifest or an unreadable directory (the last good objects keep serving).",
            [("", registry.reloadErrors)])
        metric(
            &text, "clusterdns_registry_last_success_timestamp_seconds", .gauge,
            "When the zones directory was last read successfully.", [("", registry.lastGoodScan)])
        if let kubernetes {
            kubernetesMetrics(&text, kubernetes, now: now)
        }
        metric(
            &text, "clusterdns_zone_serial", .gauge, "The SOA serial of the cluster zones.",
            [("", Double(registry.serial))])

        // Forwarding and its cache. CoreDNS labels these per upstream (`to`) and per cache kind (`type`); the workers
        // do not count that finely yet, so the labels are left out rather than invented.
        let forwarder = counters.forwarder
        let upstreams = forwarder.perUpstream.sorted { $0.key < $1.key }
        let server = "server=\"\(labels.server)\""
        metric(
            &text, "coredns_cache_hits_total", .counter, "The count of cache hits.",
            [
                ("\(server),type=\"denial\"", forwarder.cacheDenialHits),
                ("\(server),type=\"success\"", forwarder.cacheHits - forwarder.cacheDenialHits),
            ])
        metric(
            &text, "coredns_cache_misses_total", .counter, "The count of cache misses.",
            [(server, forwarder.forwarded + forwarder.coalesced)])
        metric(
            &text, "coredns_cache_prefetch_total", .counter,
            "The number of times the cache has prefetched a cached item.",
            [(server, forwarder.prefetches)])
        metric(
            &text, "coredns_forward_requests_total", .counter, "Counter of requests made per upstream.",
            upstreams.map { ("to=\"\($0.key)\"", $0.value.requests) })
        metric(
            &text, "coredns_forward_responses_total", .counter, "Counter of responses received per upstream.",
            upstreams.flatMap { upstream in
                upstream.value.responses.sorted { $0.key < $1.key }.map {
                    ("rcode=\"\($0.key)\",to=\"\(upstream.key)\"", $0.value)
                }
            })
        for (index, upstream) in upstreams.enumerated() {
            histogram(
                &text, "coredns_forward_request_duration_seconds", "Histogram of the time each request took.",
                labels: "to=\"\(upstream.key)\"", bounds: QueryHistograms.durationBounds,
                counts: upstream.value.durations, sum: upstream.value.durationSum, withHeader: index == 0)
        }
        metric(
            &text, "coredns_cache_entries", .gauge, "The number of elements in the cache.",
            [(server, forwarder.cacheEntries)])
        metric(
            &text, "coredns_forward_healthcheck_broken_total", .counter,
            "Counter of the number of complete failures of the healthchecks.", [("", forwarder.healthcheckBroken)])
        metric(
            &text, "coredns_forward_max_concurrent_rejects_total", .counter,
            "Counter of the number of queries rejected because the concurrent queries were at maximum.",
            [("", forwarder.refused)])
        metric(
            &text, "clusterdns_forwarded_queries_total", .counter, "Forwarded client queries, by outcome.",
            [
                ("outcome=\"answered\"", forwarder.answered), ("outcome=\"servfail\"", forwarder.servFail),
                ("outcome=\"stale\"", forwarder.staleAnswers), ("outcome=\"coalesced\"", forwarder.coalesced),
                ("outcome=\"undeliverable\"", forwarder.undeliverable),
            ])
        metric(
            &text, "clusterdns_externalname_chases_total", .counter,
            "ExternalName targets outside the cluster resolved through the forwarder, and those that timed out.",
            [("outcome=\"chased\"", forwarder.chased), ("outcome=\"timed_out\"", forwarder.chaseTimeouts)])
        metric(
            &text, "clusterdns_upstream_replies_rejected_total", .counter,
            "Upstream datagrams not accepted (unknown source, wrong ID or question, garbage).",
            [("", forwarder.rejectedReplies)])
        metric(
            &text, "clusterdns_upstream_truncated_replies_total", .counter,
            "TC=1 replies from upstreams, each retried over TCP.", [("", forwarder.truncatedUpstreamReplies)])
        return text
    }

    enum Kind: String {
        case counter, gauge
    }

    /// A Prometheus histogram: cumulative `_bucket` lines with `le`, then `_sum` and `_count`.
    private static func histogram(
        _ text: inout String, _ name: String, _ help: String, labels: String, bounds: [Double], counts: [Int],
        sum: Double, withHeader: Bool = true
    ) {
        if withHeader { text += "# HELP \(name) \(help)\n# TYPE \(name) histogram\n" }
        var cumulative = 0
        for (index, bound) in bounds.enumerated() {
            cumulative += counts[index]
            text += "\(name)_bucket{\(labels),le=\"\(bound)\"} \(cumulative)\n"
        }
        cumulative += counts[bounds.count]
        text += "\(name)_bucket{\(labels),le=\"+Inf\"} \(cumulative)\n"
        text += "\(name)_sum{\(labels)} \(sum)\n\(name)_count{\(labels)} \(cumulative)\n"
    }

    /// The API source: whether it synced, how stale its data may be, and how its watches fare.
    private static func kubernetesMetrics(
        _ text: inout String, _ status: KubernetesSource.Status, now: ContinuousClock.Instant
    ) {
        let resources = WatchedResource.allCases.filter { status.objects[$0] != nil || status.failures[$0] != nil }
        func perResource(_ values: [WatchedResource: Int]) -> [(String, Int)] {
            resources.map { ("resource=\"\($0.rawValue)\"", values[$0] ?? 0) }
        }
        metric(
            &text, "clusterdns_kubernetes_synced", .gauge,
            "1 once every collection has been listed from the Kubernetes API; before, cluster names get SERVFAIL.",
            [("", status.isSynced ? 1 : 0)])
        let staleFor = status.staleSince.map { now - $0 } ?? .zero
        let stale = Double(staleFor.components.seconds) + Double(staleFor.components.attoseconds) / 1e18
        metric(
            &text, "clusterdns_kubernetes_stale_seconds", .gauge,
            "How long some watch of the Kubernetes API has been down: the answers may miss changes made since. 0 while every watch is up.",
            [("", stale)])
        metric(
            &text, "clusterdns_kubernetes_objects", .gauge, "Objects held from the Kubernetes API, by collection.",
            perResource(status.objects))
        metric(
            &text, "clusterdns_kubernetes_relists_total", .counter,
            "Lists made again because a watch's resourceVersion expired (410).", perResource(status.relists))
        metric(
            &text, "clusterdns_kubernetes_watch_failures_total", .counter,
            "Failed API requests and broken watches, each followed by a back-off and a retry.",
            perResource(status.failures))
    }

    private static func metric(
        _ text: inout String, _ name: String, _ kind: Kind, _ help: String, _ samples: [(String, Int)]
    ) {
        metric(&text, name, kind, help, samples.map { ($0.0, Double($0.1)) })
    }

    private static func metric(
        _ text: inout String, _ name: String, _ kind: Kind, _ help: String, _ samples: [(String, Double)]
    ) {
        text += "# HELP \(name) \(help)\n# TYPE \(name) \(kind.rawValue)\n"
        for (labels, value) in samples {
            let formatted = value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
            text += labels.isEmpty ? "\(name) \(formatted)\n" : "\(name){\(labels)} \(formatted)\n"
        }
    }
}

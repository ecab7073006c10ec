import DNSServer
import DNSTestKit
import DNSWire
import Foundation
import Testing

/// `/health`, `/ready` and `/metrics` on their own addresses, as CoreDNS's plugins serve them.
@Suite(.timeLimit(.minutes(2)))
struct OperationalEndpointTests {
    @Test func healthAndReadyAnswerOKOnTheirOwnPathOnly() throws {
        let running = try RunningServer(files: ["api.yaml": ExampleManifests.api])
        defer { running.stop() }
        let health = try running.get(.health)
        #expect(health.status == 200)
        #expect(health.body == "OK")
        #expect(try running.get(.ready).status == 200)
        #expect(try running.get(.health, path: "/ready").status == 404)
        #expect(try running.get(.ready, path: "/metrics").status == 404)
    }

    @Test func metricsCountResponsesByRcodeWithCoreDNSNames() throws {
        let running = try RunningServer(files: ["api.yaml": ExampleManifests.api, "web.yaml": ExampleManifests.web])
        defer { running.stop() }
        let client = running.client()
        for _ in 0..<3 { _ = try client.query("api.prod.svc.cluster.local", .a) }
        for _ in 0..<2 { _ = try client.query("nope.prod.svc.cluster.local", .a) }
        _ = try client.query("api.prod.svc.cluster.local", .a, over: .tcp)
        _ = try client.query("example.com", .a)
        let expected = [
            #"coredns_dns_responses_total{rcode="NOERROR",server="dns://127.0.0.1:0",view="",zone="."} 4"#,
            #"coredns_dns_responses_total{rcode="NXDOMAIN",server="dns://127.0.0.1:0",view="",zone="."} 2"#,
            #"coredns_dns_responses_total{rcode="REFUSED",server="dns://127.0.0.1:0",view="",zone="."} 1"#,
            #"coredns_dns_requests_total{family="1",proto="udp",server="dns://127.0.0.1:0",view="",zone=".",type="A"} 6"#,
            #"coredns_dns_requests_total{family="1",proto="tcp",server="dns://127.0.0.1:0",view="",zone=".",type="A"} 1"#,
        ]
        // Workers publish their counters once a second, so the scrape may lag a little.
        var scraped = ""
        let complete = try running.eventually {
            scraped = try running.get(.metrics).body
            return expected.allSatisfy(scraped.contains)
        }
        #expect(complete, "\(scraped)")
        let metrics = try running.get(.metrics)
        #expect(metrics.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        #expect(metrics.body.contains("# TYPE coredns_dns_responses_total counter"))
        #expect(metrics.body.contains(#"clusterdns_registry_objects{kind="Service"} 2"#))
        #expect(metrics.body.contains(#"clusterdns_registry_objects{kind="EndpointSlice"} 1"#))
        #expect(metrics.body.contains("clusterdns_registry_reloads_total 1"))
        #expect(metrics.body.contains("coredns_build_info{"))
        // Every answered query is in the duration histogram; the one TCP query in the TCP size histograms.
        // The exposition format's TYPE line (not a timing): the latency metric is a histogram.
        let latencyHistogramType = "# TYPE coredns_dns_request_duration_seconds histogram"
        #expect(metrics.body.contains(latencyHistogramType))
        #expect(
            metrics.body.contains(
                #"coredns_dns_request_duration_seconds_count{server="dns://127.0.0.1:0",view="",zone=".",type="A"} 7"#),
            "\(metrics.body)")
        #expect(
            metrics.body.contains(
                #"coredns_dns_request_duration_seconds_bucket{server="dns://127.0.0.1:0",view="",zone=".",type="A",le="+Inf"} 7"#
            ))
        #expect(
            metrics.body.contains(
                #"coredns_dns_response_size_bytes_count{proto="tcp",server="dns://127.0.0.1:0",view="",zone="."} 1"#))
        #expect(
            metrics.body.contains(
                #"coredns_dns_request_size_bytes_bucket{proto="udp",server="dns://127.0.0.1:0",view="",zone=".",le="0.0"} 0"#
            ))
    }

    @Test func brokenManifestsShowInTheReloadErrorMetric() throws {
        let running = try RunningServer(files: ["api.yaml": ExampleManifests.api])
        defer { running.stop() }
        try running.zones.write("bad.yaml", "kind: Service\nmetadata: {name: Not_A_Name}\n")
        #expect(
            try running.eventually {
                let body = try running.get(.metrics).body
                return body.contains("clusterdns_registry_reload_errors_total 1")
                    && body.contains(#"clusterdns_registry_files{state="failing"} 1"#)
            })
    }
}

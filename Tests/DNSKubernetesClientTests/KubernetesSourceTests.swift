import DNSKubernetes
import DNSKubernetesClient
import DNSRegistry
import DNSTestKit
import Foundation
import Glibc
import Testing

/// The watch client against a fake API server on loopback (TLS, the test CA), replaying the responses recorded from
/// kube-apiserver v1.26.1 and scripted faults.
@Suite(.timeLimit(.minutes(1)))
struct KubernetesSourceTests {
    @Test func listsThenWatchesFromTheListsResourceVersionOverTLS() throws {
        let cluster = try FakeKubeCluster(tls: KubeFixtures.serverTLS())
        defer { cluster.stop() }
        cluster.script.withLock {
            $0.watches["/api/v1/services"] = [
                .recordedChunked(try! KubeFixtures.bytes("kube-api/watch/services.chunked")), .chunked([.hold]),
            ]
        }
        let running = try RunningSource.trusting(cluster)
        defer { running.stop() }

        #expect(eventually { cluster.requests("/api/v1/services", watch: true).count >= 2 })
        #expect(eventually { running.source.isSynced })
        let lists = cluster.requests("/api/v1/services", watch: false)
        #expect(lists.first?.query["limit"] == "500")
        #expect(lists.first?.bearerToken == "test-token")
        #expect(lists.first?.headers["user-agent"]?.hasPrefix("cluster-dns/") == true)
        let watches = cluster.requests("/api/v1/services", watch: true)
        #expect(watches[0].query["resourceVersion"] == "274")
        #expect(watches[0].query["allowWatchBookmarks"] == "true")
        #expect(Int(watches[0].query["timeoutSeconds"] ?? "") ?? 0 >= 300)
        // The stream ended normally after its last bookmark (rv 329): the next watch resumes there, without a list.
        #expect(watches[1].query["resourceVersion"] == "329")
        #expect(lists.count == 1)
        // The churn service came and went; the recorded services stay.
        #expect(!running.names(of: "Service").contains("prod/churn"))
        #expect(running.names(of: "Service").contains("prod/web"))
        #expect(running.names(of: "EndpointSlice").contains { $0.hasPrefix("prod/web-") })
        #expect(running.source.status.staleSince == nil)
    }

    @Test func aPaginatedListIsReadPageByPageAndCommittedWhole() throws {
        let cluster = try FakeKubeCluster(tls: KubeFixtures.serverTLS())
        defer { cluster.stop() }
        let pages = try (1...6).map { try KubeFixtures.bytes("kube-api/list/services-limit2-page\($0).json") }
        cluster.script.withLock { $0.lists["/api/v1/services"] = pages.map { .json($0) } }
        var settings = KubeFixtures.settings()
        settings.pageSize = 2
        let running = try RunningSource.trusting(cluster, settings: settings)
        defer { running.stop() }

        #expect(eventually { running.source.isSynced })
        let lists = cluster.requests("/api/v1/services", watch: false)
        #expect(lists.count == 6)
        #expect(lists.allSatisfy { $0.query["limit"] == "2" })
        #expect(lists[0].query["continue"] == nil)
        // Each request carries the previous page's token, exactly (it is opaque).
        for index in 1..<6 {
            let previous = try JSONSerialization.jsonObject(with: Data(pages[index - 1])) as! [String: Any]
            let token = (previous["metadata"] as! [String: Any])["continue"] as! String
            #expect(lists[index].query["continue"] == token)
        }
        #expect(running.source.status.objects[.services] == 11)
    }

    @Test func anExpiredResourceVersionListsAgain() throws {
        let cluster = try FakeKubeCluster(tls: KubeFixtures.serverTLS())
        defer { cluster.stop() }
        cluster.script.withLock {
            $0.watches["/api/v1/services"] = [
                .recordedChunked(try! KubeFixtures.bytes("kube-api/errors/watch-410-too-old-rv-services.chunked")),
                .chunked([.hold]),
            ]
        }
        let running = try RunningSource.trusting(cluster)
        defer { running.stop() }

        #expect(eventually { cluster.requests("/api/v1/services", watch: true).count >= 2 })
        #expect(cluster.requests("/api/v1/services", watch: false).count == 2)
        #expect(running.source.status.relists[.services] == 1)
        // A relist after 410 leaves the resourceVersion unset (a consistent read), as client-go does.
        #expect(cluster.requests("/api/v1/services", watch: false).allSatisfy { $0.query["resourceVersion"] == nil })
    }

    @Test func aRelistDropsObjectsThatAreGone() throws {
        let cluster = try FakeKubeCluster(tls: KubeFixtures.serverTLS())
        defer { cluster.stop() }
        cluster.script.withLock {
            $0.lists["/api/v1/services"]!.append(
                .json(try! KubeFixtures.bytes("kube-api/errors/200-list-in-missing-namespace-is-empty.json")))
            $0.watches["/api/v1/services"] = [
                .recordedChunked(try! KubeFixtures.bytes("kube-api/errors/watch-410-too-old-rv-services.chunked")),
                .chunked([.hold]),
            ]
        }
        let running = try RunningSource.trusting(cluster)
        defer { running.stop() }

        #expect(eventually { running.source.status.relists[.services] == 1 })
        #expect(eventually { running.source.status.objects[.services] == 0 })
        #expect(running.names(of: "Service").isEmpty)
        #expect(eventually { !running.names(of: "EndpointSlice").isEmpty })
    }

    @Test func aStreamCutMidEventResumesFromTheLastEventSeen() throws {
        let cluster = try FakeKubeCluster(tls: KubeFixtures.serverTLS())
        defer { cluster.stop() }
        let events = try KubeFixtures.bytes("kube-api/watch/services.jsonl").split(separator: UInt8(ascii: "\n"))
        cluster.script.withLock {
            // The first event (churn ADDED, rv 277), then half of the second, then the connection drops.
            $0.watches["/api/v1/services"] = [
                .chunked([.chunk(Array(events[0]) + [10]), .chunk(Array(events[1].prefix(40)))]),
                .chunked([.hold]),
            ]
        }
        let running = try RunningSource.trusting(cluster)
        defer { running.stop() }

        #expect(eventually { cluster.requests("/api/v1/services", watch: true).count >= 2 })
        let watches = cluster.requests("/api/v1/services", watch: true)
        #expect(watches[1].query["resourceVersion"] == "277")
        #expect(cluster.requests("/api/v1/services", watch: false).count == 1)
        #expect(running.names(of: "Service").contains("prod/churn"))
        #expect(running.source.status.failures[.services] == 1)
        // The break is logged with what is served meanwhile (stale data once synced; SERVFAIL if the slices' first
        // list is still running).
        #expect(
            running.log.all.contains {
                $0.contains("services") && ($0.contains("stale for") || $0.contains("not synced yet"))
            })
        // The new watch is up again: nothing is stale.
        #expect(eventually { running.source.status.staleSince == nil })
    }

    @Test func aStalledWatchIsReconnectedAndTheDataKeepServing() throws {
        let cluster = try FakeKubeCluster(tls: KubeFixtures.serverTLS())
        defer { cluster.stop() }
        var settings = KubeFixtures.settings()
        settings.stallTimeout = .milliseconds(300)
        let running = try RunningSource.trusting(cluster, settings: settings)
        defer { running.stop() }

        #expect(eventually { cluster.requests("/api/v1/services", watch: true).count >= 3 })
        #expect(eventually { running.source.isSynced })
        #expect(running.names(of: "Service").contains("prod/web"))
        #expect(running.log.all.contains { $0.contains("nothing received for too long") })
        #expect(cluster.requests("/api/v1/services", watch: false).count == 1)
    }

    @Test func aSlowListStillSyncsAndNothingIsServedBefore() throws {
        let cluster = try FakeKubeCluster(tls: KubeFixtures.serverTLS())
        defer { cluster.stop() }
        let body = try KubeFixtures.bytes("kube-api/list/services.json")
        let half = body.count / 2
        cluster.script.withLock {
            $0.lists["/api/v1/services"] = [
                .chunked([
                    .chunk(Array(body[..<half])), .pause(.milliseconds(1500)), .chunk(Array(body[half...])),
                    .endChunks,
                ])
            ]
        }
        let running = try RunningSource.trusting(cluster)
        defer { running.stop() }

        #expect(eventually { running.source.status.objects[.endpointSlices] != nil })
        #expect(!running.source.isSynced)
        #expect(running.names(of: "Service").isEmpty)
        #expect(eventually { running.source.isSynced })
        #expect(running.names(of: "Service").contains("prod/web"))
    }

    @Test func theTokenFileIsReadAgainWhenItRotates() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let tokenPath = try directory.write("token", "first-token")
        let cluster = try FakeKubeCluster(tls: KubeFixtures.serverTLS())
        defer { cluster.stop() }
        cluster.script.withLock {
            $0.acceptedTokens = ["first-token"]
            // Watches end quickly, so the client comes back often.
            $0.watches["/api/v1/services"] = [.chunked([.pause(.milliseconds(100)), .endChunks])]
        }
        let access = ClusterAccess(
            server: try APIServerURL(parsing: cluster.server.url),
            certificateAuthority: try KubeFixtures.bytes("tls/ca.crt"), credential: .tokenFile(tokenPath))
        let running = try RunningSource(access: access)
        defer { running.stop() }
        #expect(eventually { running.source.isSynced })

        // The kubelet writes a new token and the API server stops taking the old one.
        _ = try directory.write("token", "second-token")
        cluster.script.withLock { $0.acceptedTokens = ["second-token"] }
        let before = cluster.server.requests.count
        #expect(
            eventually {
                cluster.server.requests.dropFirst(before).contains { $0.bearerToken == "second-token" && $0.isWatch }
            })
        #expect(running.source.isSynced)
        #expect(running.names(of: "Service").contains("prod/web"))
    }

    @Test func unauthorizedBeforeTheFirstSyncKeepsRetrying() throws {
        let cluster = try FakeKubeCluster(tls: KubeFixtures.serverTLS())
        defer { cluster.stop() }
        cluster.script.withLock { $0.acceptedTokens = ["the-right-token"] }
        let running = try RunningSource.trusting(cluster)
        defer { running.stop() }

        #expect(eventually { cluster.requests("/api/v1/services", watch: false).count >= 3 })
        #expect(!running.source.isSynced)
        #expect(running.log.all.contains { $0.contains("HTTP 401") && $0.contains("SERVFAIL") })
    }

    @Test func aServerCertificateFromAnotherAuthorityIsRefused() throws {
        let cluster = try FakeKubeCluster(tls: KubeFixtures.serverTLS())
        defer { cluster.stop() }
        let access = ClusterAccess(
            server: try APIServerURL(parsing: cluster.server.url),
            certificateAuthority: try KubeFixtures.bytes("tls/other-ca.crt"), credential: .token("test-token"))
        let running = try RunningSource(access: access)
        defer { running.stop() }

        #expect(eventually { running.log.all.contains { $0.contains("certificate verif") } })
        #expect(!running.source.isSynced)
        #expect(cluster.server.requests.isEmpty)
    }

    @Test func aClientCertificateAuthenticates() throws {
        let cluster = try FakeKubeCluster(tls: KubeFixtures.serverTLS(clientAuthority: true))
        defer { cluster.stop() }
        let access = ClusterAccess(
            server: try APIServerURL(parsing: cluster.server.url),
            certificateAuthority: try KubeFixtures.bytes("tls/ca.crt"),
            clientCertificate: try KubeFixtures.bytes("tls/client.crt"),
            clientKey: try KubeFixtures.bytes("tls/client.key"))
        let running = try RunningSource(access: access)
        defer { running.stop() }

        #expect(eventually { running.source.isSynced })
        #expect(cluster.server.requests.first?.clientCommonName == "system:serviceaccount:kube-system:cluster-dns")
        #expect(cluster.server.requests.first?.bearerToken == nil)
    }

    @Test func podsAreWatchedWithTheFieldSelectorWhenAsked() throws {
        let cluster = try FakeKubeCluster(tls: KubeFixtures.serverTLS())
        defer { cluster.stop() }
        let running = try RunningSource.trusting(
            cluster, settings: KubeFixtures.settings([.services, .endpointSlices, .pods]))
        defer { running.stop() }

        #expect(eventually { running.source.isSynced })
        let pods = cluster.requests("/api/v1/pods", watch: false)
        #expect(pods.first?.query["fieldSelector"] == "status.phase!=Succeeded,status.phase!=Failed")
        #expect(running.names(of: "Pod").contains("prod/web-0"))
    }

    @Test func aTimeoutStatusIsRetriedAfterTheServersDelay() throws {
        let cluster = try FakeKubeCluster(tls: KubeFixtures.serverTLS())
        defer { cluster.stop() }
        let timeout = try KubeFixtures.bytes("kube-api/errors/504-too-large-resource-version-list.json")
        cluster.script.withLock {
            $0.lists["/api/v1/services"]!.insert(.json(timeout, status: 504), at: 0)
        }
        let running = try RunningSource.trusting(cluster)
        defer { running.stop() }

        #expect(eventually { running.source.isSynced })
        #expect(cluster.requests("/api/v1/services", watch: false).count == 2)
        #expect(running.source.status.failures[.services] == 1)
        // The Status asked for one second (retryAfterSeconds: 1), longer than the test's back-off.
        #expect(running.log.all.contains { $0.contains("HTTP 504") && $0.contains("retrying in 1.0s") })
    }

    @Test func aServerThatExpiresEveryWatchIsNotListedInALoop() throws {
        let cluster = try FakeKubeCluster(tls: KubeFixtures.serverTLS())
        defer { cluster.stop() }
        cluster.script.withLock {
            $0.watches["/api/v1/services"] = [
                .recordedChunked(try! KubeFixtures.bytes("kube-api/errors/watch-410-too-old-rv-services.chunked"))
            ]
        }
        var settings = KubeFixtures.settings()
        settings.backoff = Backoff(initial: .milliseconds(200), maximum: .seconds(1))
        let running = try RunningSource.trusting(cluster, settings: settings)
        defer { running.stop() }

        #expect(eventually { cluster.requests("/api/v1/services", watch: false).count >= 2 })
        let second = ContinuousClock.now
        Thread.sleep(forTimeInterval: 1.5)
        // Back-off between relists (0.2 s doubling to 1 s): at most a handful in the next 1.5 s on any machine, where
        // relisting at once would make hundreds. (A bound on the count, which a slower machine only lowers.)
        let lists = cluster.requests("/api/v1/services", watch: false).count
        #expect(lists <= 8, "\(lists) lists by \(ContinuousClock.now - second) after the second")
        #expect(running.source.isSynced)
    }

    @Test func stoppingDoesNotWaitForAServerThatNeverAnswers() throws {
        // A listener that never accepts, its queue already full: the kernel drops further SYNs, so a connect hangs.
        let listener = try LoopbackSocket(type: Int32(SOCK_STREAM.rawValue), listenBacklog: 0)
        defer { listener.close() }
        let filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(filler) }
        _ = listener.connect(filler)
        let client = try APIClient(
            access: ClusterAccess(server: APIServerURL(isTLS: false, host: "127.0.0.1", port: listener.port)),
            connectTimeout: .seconds(120))
        let source = KubernetesSource(client: client, settings: KubeFixtures.settings(), logger: LogCapture().logger) {}
        source.start()
        Thread.sleep(forTimeInterval: 0.3)
        let stopped = Locked(false)
        Thread {
            source.stop()
            stopped.withLock { $0 = true }
        }.start()
        // Far less than the 120 s connect timeout; a stop that waited for it would fail here (and the suite's limit).
        #expect(eventually(timeout: .seconds(10)) { stopped.withLock { $0 } })
        #expect(!source.isSynced)
    }
}

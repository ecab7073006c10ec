// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "ClusterDNS",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "cluster-dns", targets: ["cluster-dns"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibevent",
            pkgConfig: "libevent",
            providers: [.apt(["libevent-dev"])]
        ),
        // OpenSSL for the Kubernetes API client (and the tests' fake API server), behind plain C functions.
        .target(
            name: "CTLS",
            linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto")]
        ),
        .target(
            name: "CSocketShims",
            cSettings: [.define("_GNU_SOURCE")]
        ),
        // Cache prefetch hints for the answer table's batched lookups (a builtin Swift cannot spell).
        .target(name: "CPrefetch"),
        .target(name: "DNSWire"),
        .target(
            name: "DNSRegistry",
            dependencies: [
                "DNSWire",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "DNSAnswer", dependencies: ["DNSWire", "DNSRegistry", "CPrefetch"]),
        .target(name: "DNSForward", dependencies: ["DNSWire"]),
        .target(
            name: "DNSKubernetes",
            dependencies: ["DNSRegistry", .product(name: "Yams", package: "Yams")]
        ),
        .target(name: "DNSEventLoop", dependencies: ["CLibevent", "CSocketShims", "CTLS"]),
        .target(
            name: "DNSKubernetesClient",
            dependencies: [
                "DNSKubernetes", "DNSRegistry", "DNSEventLoop", .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "DNSServer",
            dependencies: [
                "DNSWire", "DNSRegistry", "DNSAnswer", "DNSEventLoop", "DNSForward", "DNSKubernetes",
                "DNSKubernetesClient", .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "cluster-dns",
            dependencies: [
                "DNSServer", "DNSRegistry", "DNSAnswer", "DNSForward",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .target(
            name: "DNSTestKit",
            dependencies: [
                "DNSWire", "DNSRegistry", "DNSEventLoop", .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "DNSWireTests", dependencies: ["DNSWire", "DNSTestKit"]),
        .testTarget(name: "DNSRegistryTests", dependencies: ["DNSRegistry", "DNSTestKit"]),
        .testTarget(name: "DNSAnswerTests", dependencies: ["DNSAnswer", "DNSRegistry", "DNSWire", "DNSTestKit"]),
        .testTarget(name: "DNSEventLoopTests", dependencies: ["DNSEventLoop", "DNSTestKit"]),
        .testTarget(name: "DNSForwardTests", dependencies: ["DNSForward", "DNSWire", "DNSTestKit"]),
        .testTarget(name: "DNSKubernetesTests", dependencies: ["DNSKubernetes", "DNSRegistry", "DNSWire"]),
        .testTarget(
            name: "DNSKubernetesClientTests",
            dependencies: [
                "DNSKubernetesClient", "DNSKubernetes", "DNSRegistry", "DNSEventLoop", "DNSTestKit",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Counts mallocs in the test process: the hot path must allocate nothing per query.
        .target(name: "CMallocCounter"),
        .testTarget(
            name: "AllocationTests",
            dependencies: [
                "DNSAnswer", "DNSRegistry", "DNSWire", "DNSForward", "DNSServer", "DNSEventLoop", "CMallocCounter",
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(
            name: "DNSServerTests",
            dependencies: [
                "DNSServer", "DNSAnswer", "DNSRegistry", "DNSWire", "DNSEventLoop", "DNSForward", "DNSTestKit",
                "DNSKubernetes", "DNSKubernetesClient", .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
    ]
)

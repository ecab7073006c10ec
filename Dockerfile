# ClusterDNS image: build with the Swift toolchain, run on slim Debian with libevent and OpenSSL only.
#   docker build -t cluster-dns .
#   docker run --rm -p 1053:53/udp -p 1053:53/tcp -v "$PWD/zones:/zones:ro" cluster-dns
FROM swift:6.1-bookworm AS build
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libevent-dev libssl-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
# The Swift runtime and Foundation are linked in, so the run stage needs no toolchain.
RUN swift build -c release --product cluster-dns --static-swift-stdlib \
    && install -D -m 0755 .build/release/cluster-dns /out/cluster-dns

FROM debian:bookworm-slim
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libevent-2.1-7 libssl3 libstdc++6 ca-certificates libcap2-bin \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/cluster-dns /usr/local/bin/cluster-dns
# Port 53 as a non-root user: the binary carries NET_BIND_SERVICE (the pod must allow that one capability).
RUN setcap cap_net_bind_service=+ep /usr/local/bin/cluster-dns \
    && apt-get purge -y libcap2-bin && apt-get autoremove -y
COPY zones /zones
USER 65532:65532
EXPOSE 53/udp 53/tcp
ENTRYPOINT ["/usr/local/bin/cluster-dns"]
CMD ["--zones", "/zones", "--listen", ":53"]

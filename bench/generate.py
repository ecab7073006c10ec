#!/usr/bin/env python3
"""Generates a synthetic cluster for the benchmark, three ways from the same data.

- ``OUT/zones/``: Kubernetes manifests (v1 Service, discovery.k8s.io/v1 EndpointSlice, v1 Namespace), one file per
  namespace, as ``cluster-dns --zones`` reads them.
- ``OUT/cluster.local.zone``: the RFC 1035 master file holding the records ClusterDNS answers for them (A, SRV,
  endpoint names, CNAME, SOA, NS, the specification's TXT), for Knot.
- ``OUT/queries.txt``: a dnsperf query file with the mix a cluster's resolvers send (see ``QUERY_MIX``).
- ``OUT/samples.json``: a few names of each kind, for the answer comparison before measuring.

The mix of services: ~80% ClusterIP with 1-3 named ports and an EndpointSlice of 3-4 endpoints (in the registry but
not in DNS, as in a real cluster), ~15% headless with 3 ready endpoints that have hostnames, ~5% ExternalName.
Deterministic: the same arguments give the same files. Standard library only.
"""

import argparse
import ipaddress
import json
import os
import random
import sys

ZONE = "cluster.local"
TTL = 5
# What ClusterDNS puts in its SOA (AnswerTable.soaRefresh/Retry/Expire), so the two servers' SOAs match but for the
# serial.
SOA_TIMERS = "7200 1800 86400"
DNS_SERVICE_IP = "10.96.0.10"
PORT_NAMES = [("http", 80, "TCP"), ("https", 443, "TCP"), ("grpc", 9090, "TCP"), ("metrics", 9153, "TCP"),
              ("dns", 53, "UDP")]
HEADLESS_PORT = ("peer", 7000, "TCP")
HEADLESS_ENDPOINTS = 3
# Share of queries per kind (the brief's mix; a cluster's stub resolvers send mostly A, and search-path expansion
# makes many misses).
QUERY_MIX = [("a", 60), ("srv", 10), ("aaaa-nodata", 10), ("search-miss", 15), ("externalname", 5)]
SAMPLES_PER_KIND = 20


def service_ip(index):
    # 10.96.0.0/12 holds 1M addresses; .0.0 and .0.10 (kube-dns) are skipped.
    return str(ipaddress.IPv4Address("10.96.1.0") + index)


def endpoint_ip(index):
    return str(ipaddress.IPv4Address("10.128.0.1") + index)


def build_cluster(services, seed):
    rng = random.Random(seed)
    namespace_count = max(4, services // 250)
    namespaces = ["ns-%04d" % index for index in range(namespace_count)]
    cluster = []
    next_endpoint = 0
    for index in range(services):
        namespace = namespaces[index % namespace_count]
        roll = rng.random()
        if roll < 0.80:
            ports = rng.sample(PORT_NAMES, rng.randint(1, 3))
            endpoint_count = 4 if index % 3 == 0 else 3
            endpoints = [endpoint_ip(next_endpoint + offset) for offset in range(endpoint_count)]
            next_endpoint += endpoint_count
            cluster.append({"kind": "clusterip", "name": "svc-%06d" % index, "namespace": namespace,
                            "ip": service_ip(index), "ports": ports, "endpoints": endpoints})
        elif roll < 0.95:
            name = "db-%06d" % index
            endpoints = [("%s-%d" % (name, offset), endpoint_ip(next_endpoint + offset))
                         for offset in range(HEADLESS_ENDPOINTS)]
            next_endpoint += HEADLESS_ENDPOINTS
            cluster.append({"kind": "headless", "name": name, "namespace": namespace, "endpoints": endpoints})
        else:
            cluster.append({"kind": "external", "name": "ext-%06d" % index, "namespace": namespace,
                            "target": "host-%d.example.com" % index})
    return namespaces, cluster, next_endpoint


def yaml_ports(ports):
    return "[" + ", ".join("{name: %s, port: %d, protocol: %s}" % port for port in ports) + "]"


def write_manifests(directory, namespaces, cluster):
    os.makedirs(directory, exist_ok=True)
    by_namespace = {namespace: [] for namespace in namespaces}
    for service in cluster:
        by_namespace[service["namespace"]].append(service)
    with open(os.path.join(directory, "kube-system.yaml"), "w") as out:
        out.write("apiVersion: v1\nkind: Namespace\nmetadata: {name: kube-system}\n---\n"
                  "apiVersion: v1\nkind: Service\nmetadata: {name: kube-dns, namespace: kube-system}\n"
                  "spec:\n  clusterIP: %s\n  ports: [{name: dns, port: 53, protocol: UDP}]\n" % DNS_SERVICE_IP)
    for namespace, services in by_namespace.items():
        documents = ["apiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n" % namespace]
        for service in services:
            head = "apiVersion: v1\nkind: Service\nmetadata: {name: %s, namespace: %s}\n" % (
                service["name"], namespace)
            if service["kind"] == "clusterip":
                documents.append(head + "spec:\n  clusterIP: %s\n  ports: %s\n" % (
                    service["ip"], yaml_ports(service["ports"])))
                documents.append(endpoint_slice(service, [(None, ip) for ip in service["endpoints"]],
                                                service["ports"]))
            elif service["kind"] == "headless":
                documents.append(head + "spec:\n  clusterIP: None\n  ports: %s\n" % yaml_ports([HEADLESS_PORT]))
                documents.append(endpoint_slice(service, service["endpoints"], [HEADLESS_PORT]))
            else:
                documents.append(head + "spec: {type: ExternalName, externalName: %s}\n" % service["target"])
        with open(os.path.join(directory, namespace + ".yaml"), "w") as out:
            out.write("---\n".join(documents))


def endpoint_slice(service, endpoints, ports):
    lines = ["apiVersion: discovery.k8s.io/v1", "kind: EndpointSlice",
             "metadata:", "  name: %s-abcde" % service["name"], "  namespace: %s" % service["namespace"],
             "  labels: {kubernetes.io/service-name: %s}" % service["name"],
             "addressType: IPv4", "ports: %s" % yaml_ports(ports), "endpoints:"]
    for hostname, ip in endpoints:
        if hostname:
            lines.append("- {addresses: [%s], hostname: %s, conditions: {ready: true}}" % (ip, hostname))
        else:
            lines.append("- {addresses: [%s], conditions: {ready: true}}" % ip)
    return "\n".join(lines) + "\n"


def write_zone(path, namespaces, cluster):
    """The records ClusterDNS compiles for the same cluster (Sources/DNSAnswer/ClusterRecords.swift)."""
    lines = ["$ORIGIN %s." % ZONE, "$TTL %d" % TTL,
             "@ SOA ns.dns.%s. hostmaster.%s. 1 %s %d" % (ZONE, ZONE, SOA_TIMERS, TTL),
             "@ NS ns.dns.%s." % ZONE,
             "ns.dns A %s" % DNS_SERVICE_IP,
             'dns-version TXT "1.1.0"',
             "kube-dns.kube-system.svc A %s" % DNS_SERVICE_IP,
             "_dns._udp.kube-dns.kube-system.svc SRV 0 100 53 kube-dns.kube-system.svc.%s." % ZONE]
    for service in cluster:
        owner = "%s.%s.svc" % (service["name"], service["namespace"])
        fqdn = "%s.%s." % (owner, ZONE)
        if service["kind"] == "clusterip":
            lines.append("%s A %s" % (owner, service["ip"]))
            for name, port, protocol in service["ports"]:
                lines.append("_%s._%s.%s SRV 0 100 %d %s" % (name, protocol.lower(), owner, port, fqdn))
        elif service["kind"] == "headless":
            weight = max(1, 100 // len(service["endpoints"]))
            name, port, protocol = HEADLESS_PORT
            for hostname, ip in service["endpoints"]:
                lines.append("%s A %s" % (owner, ip))
                lines.append("%s.%s A %s" % (hostname, owner, ip))
                lines.append("_%s._%s.%s SRV 0 %d %d %s.%s" % (
                    name, protocol.lower(), owner, weight, port, hostname, fqdn))
        else:
            lines.append("%s CNAME %s." % (owner, service["target"]))
    with open(path, "w") as out:
        out.write("\n".join(lines) + "\n")


EXTERNAL_ZONE = "example.com"


def write_external_zone(path, cluster):
    """What the upstream serves for the ExternalName targets (`host-N.example.com`): ClusterDNS adds the target's
    records to the CNAME, as CoreDNS does, so it needs an upstream that answers them."""
    lines = ["$ORIGIN %s." % EXTERNAL_ZONE, "$TTL 3600", "@ SOA ns hostmaster 1 3600 600 86400 3600", "@ NS ns",
             "ns A 192.0.2.1"]
    for index, service in enumerate(cluster):
        if service["kind"] == "external":
            lines.append("%s. A 198.51.%d.%d" % (service["target"], index // 250 % 256, index % 250 + 1))
    with open(path, "w") as out:
        out.write("\n".join(lines) + "\n")


def query_names(cluster):
    """Every candidate question of each kind, as (name, type)."""
    kinds = {kind: [] for kind, _ in QUERY_MIX}
    for service in cluster:
        fqdn = "%s.%s.svc.%s" % (service["name"], service["namespace"], ZONE)
        if service["kind"] == "clusterip":
            kinds["a"].append((fqdn, "A"))
            kinds["aaaa-nodata"].append((fqdn, "AAAA"))
            for name, _, protocol in service["ports"]:
                kinds["srv"].append(("_%s._%s.%s" % (name, protocol.lower(), fqdn), "SRV"))
            # What a pod in the same namespace asks first for a fully qualified name with fewer than ndots dots.
            kinds["search-miss"].append(("%s.%s.svc.%s" % (fqdn, service["namespace"], ZONE), "A"))
        elif service["kind"] == "headless":
            kinds["a"].append((fqdn, "A"))
            kinds["a"].append(("%s.%s" % (service["endpoints"][0][0], fqdn), "A"))
            kinds["srv"].append(("_%s._%s.%s" % (HEADLESS_PORT[0], HEADLESS_PORT[2].lower(), fqdn), "SRV"))
        else:
            kinds["externalname"].append((fqdn, "A"))
    return kinds


def write_queries(path, kinds, count, seed):
    rng = random.Random(seed + 1)
    lines = []
    for kind, share in QUERY_MIX:
        candidates = kinds[kind]
        if not candidates:
            continue
        for _ in range(count * share // 100):
            name, qtype = rng.choice(candidates)
            lines.append("%s %s" % (name, qtype))
    rng.shuffle(lines)
    with open(path, "w") as out:
        out.write("\n".join(lines) + "\n")
    return len(lines)


def write_samples(path, kinds, seed):
    rng = random.Random(seed + 2)
    samples = {kind: rng.sample(candidates, min(SAMPLES_PER_KIND, len(candidates)))
               for kind, candidates in kinds.items()}
    # Names both servers must agree on besides the mix: apex, namespace nodes (NODATA), plain misses (NXDOMAIN).
    samples["apex"] = [(ZONE, "SOA"), (ZONE, "NS"), ("dns-version." + ZONE, "TXT"), ("ns.dns." + ZONE, "A")]
    samples["nxdomain"] = [("missing-%d.ns-0000.svc.%s" % (index, ZONE), "A") for index in range(3)]
    with open(path, "w") as out:
        json.dump(samples, out, indent=1)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, required=True)
    parser.add_argument("--out", required=True, help="directory to write into (created)")
    parser.add_argument("--queries", type=int, default=100000, help="lines in the dnsperf query file")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-knot", action="store_true", help="skip the zone file, queries and samples")
    args = parser.parse_args()
    namespaces, cluster, endpoint_count = build_cluster(args.services, args.seed)
    write_manifests(os.path.join(args.out, "zones"), namespaces, cluster)
    if not args.no_knot:
        write_zone(os.path.join(args.out, "cluster.local.zone"), namespaces, cluster)
        write_external_zone(os.path.join(args.out, EXTERNAL_ZONE + ".zone"), cluster)
        kinds = query_names(cluster)
        write_queries(os.path.join(args.out, "queries.txt"), kinds, args.queries, args.seed)
        write_samples(os.path.join(args.out, "samples.json"), kinds, args.seed)
    counts = {kind: sum(1 for service in cluster if service["kind"] == kind)
              for kind in ("clusterip", "headless", "external")}
    json.dump({"services": len(cluster), "namespaces": len(namespaces), "endpoints": endpoint_count, **counts},
              sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

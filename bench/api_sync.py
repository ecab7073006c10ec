#!/usr/bin/env python3
"""Time ClusterDNS's Kubernetes API source: a fake API server (plain HTTP on loopback, as `kubectl proxy` serves)
lists a generated cluster of N services page by page, then holds each watch open; the script measures the start to
the first answer (list + parse + table build), the peak RSS, and how long a watch event takes to be answered.

    bench/api_sync.py --binary .build/release/cluster-dns --services 10000

The cluster is bench/generate.py's (same mix: ClusterIP with 3-4 endpoints, headless with 3, ExternalName)."""

import argparse
import http.server
import json
import os
import socket
import socketserver
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate  # noqa: E402

PAGE = 500
LATE = {"name": "late-arrival", "namespace": "ns-0000", "ip": "10.95.255.254"}


def api_objects(cluster):
    services, slices = [], []
    for index, service in enumerate(cluster):
        metadata = {"name": service["name"], "namespace": service["namespace"], "resourceVersion": str(100 + index)}
        if service["kind"] == "external":
            services.append({"metadata": metadata, "spec": {"type": "ExternalName",
                                                              "externalName": service["target"]}})
            continue
        if service["kind"] == "clusterip":
            ports = [{"name": name, "port": port, "protocol": proto} for name, port, proto in service["ports"]]
            spec = {"type": "ClusterIP", "clusterIP": service["ip"], "clusterIPs": [service["ip"]], "ports": ports}
            endpoints = [{"addresses": [ip], "conditions": {"ready": True}} for ip in service["endpoints"]]
        else:
            name, port, proto = generate.HEADLESS_PORT
            ports = [{"name": name, "port": port, "protocol": proto}]
            spec = {"type": "ClusterIP", "clusterIP": "None", "clusterIPs": ["None"], "ports": ports}
            endpoints = [{"addresses": [ip], "hostname": host, "conditions": {"ready": True}}
                         for host, ip in service["endpoints"]]
        services.append({"metadata": metadata, "spec": spec})
        slices.append({"metadata": {"name": service["name"] + "-abcde", "namespace": service["namespace"],
                                    "labels": {"kubernetes.io/service-name": service["name"]},
                                    "resourceVersion": str(100 + index)},
                       "addressType": "IPv4", "endpoints": endpoints, "ports": ports})
    return services, slices


def pages(kind, api_version, items):
    out = []
    for start in range(0, len(items), PAGE) or [0]:
        metadata = {"resourceVersion": "1000000"}
        if start + PAGE < len(items):
            metadata["continue"] = str(start + PAGE)
        out.append(json.dumps({"kind": kind, "apiVersion": api_version, "metadata": metadata,
                               "items": items[start:start + PAGE]}, separators=(",", ":")).encode() + b"\n")
    return out


class FakeAPI(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def make_handler(lists, events):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):
            path, _, query = self.path.partition("?")
            params = dict(part.split("=", 1) for part in query.split("&") if "=" in part)
            if params.get("watch") == "1":
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                self.wfile.flush()
                while True:
                    event = events.get(path)
                    if event is not None and not event["sent"]:
                        event["sent"] = True
                        body = event["body"]
                        event["at"] = time.monotonic()
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(body), body))
                        self.wfile.flush()
                    time.sleep(0.001)
            body = lists[path][int(params.get("continue", "0")) // PAGE]
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
    return Handler


def query(port, name):
    """True when `name` A gets an answer (ANCOUNT > 0) from 127.0.0.1:port."""
    packet = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        packet += bytes([len(label)]) + label.encode()
    packet += b"\x00" + struct.pack(">HH", 1, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.5)
        try:
            sock.sendto(packet, ("127.0.0.1", port))
            reply, _ = sock.recvfrom(4096)
        except OSError:
            return False
    return struct.unpack(">H", reply[6:8])[0] > 0 and reply[3] & 0x0F == 0


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_mb(pid, field="VmHWM:"):
    """Peak (VmHWM) or current (VmRSS) resident memory."""
    with open("/proc/%d/status" % pid) as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    return 0.0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=".build/release/cluster-dns")
    parser.add_argument("--services", type=int, default=10000)
    parser.add_argument("--timeout", type=float, default=300, help="give up after this many seconds")
    args = parser.parse_args()

    _, cluster, endpoint_count = generate.build_cluster(args.services, 1)
    services, slices = api_objects(cluster)
    namespaces = [{"metadata": {"name": name, "resourceVersion": "99"}}
                  for name in sorted({service["metadata"]["namespace"] for service in services})]
    lists = {"/api/v1/services": pages("ServiceList", "v1", services),
             "/apis/discovery.k8s.io/v1/endpointslices": pages("EndpointSliceList", "discovery.k8s.io/v1", slices),
             "/api/v1/namespaces": pages("NamespaceList", "v1", namespaces)}
    late = {"type": "ADDED", "object": {
        "kind": "Service", "apiVersion": "v1",
        "metadata": {"name": LATE["name"], "namespace": LATE["namespace"], "resourceVersion": "1000001"},
        "spec": {"type": "ClusterIP", "clusterIP": LATE["ip"], "clusterIPs": [LATE["ip"]],
                 "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}}}
    events = {}
    server = FakeAPI(("127.0.0.1", 0), make_handler(lists, events))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    dns_port = free_port()
    sample = next(s for s in reversed(cluster) if s["kind"] == "clusterip")
    sample_name = "%s.%s.svc.cluster.local" % (sample["name"], sample["namespace"])

    started = time.monotonic()
    process = subprocess.Popen(
        [args.binary, "--kube-api", "http://127.0.0.1:%d" % server.server_address[1],
         "--listen", "127.0.0.1:%d" % dns_port, "--threads", "1", "--upstream", "127.0.0.1:9",
         "--health", "none", "--ready", "none", "--metrics", "none", "--lameduck", "0s"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        while not query(dns_port, sample_name):
            if process.poll() is not None or time.monotonic() - started > args.timeout:
                raise SystemExit("no answer: %s" % (process.stderr.read() if process.poll() is not None else "timeout"))
            time.sleep(0.005)
        first_answer = time.monotonic() - started
        rss_synced = rss_mb(process.pid)

        late_name = "%s.%s.svc.cluster.local" % (LATE["name"], LATE["namespace"])
        events["/api/v1/services"] = {"sent": False, "body": json.dumps(late).encode() + b"\n"}
        while "at" not in events["/api/v1/services"]:
            time.sleep(0.001)
        while not query(dns_port, late_name):
            if time.monotonic() - events["/api/v1/services"]["at"] > 60:
                raise SystemExit("the watch event was never answered")
            time.sleep(0.001)
        event_latency = time.monotonic() - events["/api/v1/services"]["at"]
        rss_peak = rss_mb(process.pid)
        # The server hands freed pages back a second after publishing a table.
        time.sleep(2)
        rss_settled = rss_mb(process.pid, "VmRSS:")
    finally:
        process.terminate()
        _, log = process.communicate(timeout=10)
        server.shutdown()

    print("services %d, endpoints %d, EndpointSlices %d, list pages of %d" % (
        len(services), endpoint_count, len(slices), PAGE))
    print("start to first answer (list, parse, build): %.2f s" % first_answer)
    print("watch event to answered: %.0f ms" % (event_latency * 1000))
    print("peak RSS: %.1f MB once synced, %.1f MB after the event; RSS 2 s later: %.1f MB" % (
        rss_synced, rss_peak, rss_settled))
    # The server's own account of where the time went: parse time per collection, build time per table.
    for line in log.splitlines():
        if "listed " in line or "registry loaded" in line:
            print("  " + line.split(" : ", 1)[-1] if " : " in line else "  " + line)


if __name__ == "__main__":
    main()

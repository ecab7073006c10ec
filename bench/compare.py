#!/usr/bin/env python3
"""Compares builds of ClusterDNS with each other and with Knot on one generated cluster, in one run.

    python3 bench/compare.py OLD_BINARY NEW_BINARY [--services 10000] [--rounds 5] [--duration 5]

Every server is started at once, pinned to core 0 (an idle server costs nothing), and dnsperf (core 1) runs against
each in turn, the order reversed every round, so the VM's drift hits all of them alike: single full runs of
`bench/run` move by up to ~15%, which hides a change of a few percent. Prints each round, then per server the median
qps and CPU µs per query and their ratios to the first binary and to Knot. Answers are not compared (`bench/run` does
that); standard library only; every process started is killed on exit.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

import bench


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("binaries", nargs="+", help="cluster-dns binaries; the first is the baseline")
    parser.add_argument("--services", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=5, help="seconds per dnsperf run")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="cluster-dns-compare.")
    try:
        subprocess.run([sys.executable, os.path.join(bench.HERE, "generate.py"), "--services", str(args.services),
                        "--out", workdir], check=True, capture_output=True)
        upstream = bench.Knot(os.path.join(workdir, "example.com.zone"), workdir, 1, zone="example.com",
                              core=bench.CLIENT_CORE, name="upstream")
        bench.wait_answer(upstream.port, "ns.example.com", upstream.process, bench.START_TIMEOUT)
        probe = bench.first_name(os.path.join(workdir, "samples.json"))
        servers = []
        for index, binary in enumerate(args.binaries):
            directory = os.path.join(workdir, "server-%d" % index)
            os.makedirs(directory)
            servers.append(("%d: %s" % (index, binary), bench.ClusterDNS(
                binary, os.path.join(workdir, "zones"), directory, 1, upstream_port=upstream.port)))
        servers.append(("Knot", bench.Knot(os.path.join(workdir, "cluster.local.zone"), workdir, 1)))
        queries = os.path.join(workdir, "queries.txt")
        for _, server in servers:
            bench.wait_answer(server.port, probe, server.process, bench.START_TIMEOUT)
            bench.dnsperf(server.port, queries, 2)  # warm: caches, the forwarder's ExternalName targets
        runs = {name: [] for name, _ in servers}
        for round_index in range(args.rounds):
            order = servers if round_index % 2 == 0 else list(reversed(servers))
            for name, server in order:
                result = bench.saturate(server, queries, args.duration)
                runs[name].append((result["qps"], result["cpu_us"]))
                print("round %d  %-50s qps %8.0f  CPU µs/query %.2f" % (
                    round_index + 1, name, result["qps"], result["cpu_us"]), flush=True)
        medians = {name: (statistics.median(qps for qps, _ in values), statistics.median(cpu for _, cpu in values))
                   for name, values in runs.items()}
        baseline, knot = medians[servers[0][0]], medians["Knot"]
        print("\n%d services, median of %d rounds of %d s:" % (args.services, args.rounds, args.duration))
        for name, (qps, cpu) in medians.items():
            print("%-50s qps %8.0f  CPU µs/query %.2f  vs first: %.2f× / %.2f×  vs Knot: %.2f× / %.2f×" % (
                name, qps, cpu, qps / baseline[0], cpu / baseline[1], qps / knot[0], cpu / knot[1]))
    finally:
        bench.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

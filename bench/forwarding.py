"""The forwarding half of the benchmark: ClusterDNS and unbound as caching forwarders in front of the same local
upstream (Knot, authoritative for a generated zone), driven with cache hits. Used by bench.py."""

import os
import random
import subprocess

UPSTREAM_ZONE = "bench.example"
NAMES = 2000
# Share of AAAA queries for names that only have A: negative answers, cached per RFC 2308.
NODATA_SHARE = 0.2


def write_upstream_zone(path):
    with open(path, "w") as out:
        out.write("$ORIGIN %s.\n$TTL 3600\n" % UPSTREAM_ZONE)
        out.write("@ IN SOA ns hostmaster 1 3600 600 86400 3600\n@ IN NS ns\nns IN A 192.0.2.1\n")
        for index in range(NAMES):
            out.write("host-%d IN A 198.18.%d.%d\n" % (index, index // 250, index % 250 + 1))


def write_queries(path, count, seed=1):
    rng = random.Random(seed)
    with open(path, "w") as out:
        for _ in range(count):
            name = "host-%d.%s" % (rng.randrange(NAMES), UPSTREAM_ZONE)
            out.write("%s %s\n" % (name, "AAAA" if rng.random() < NODATA_SHARE else "A"))


def sample_questions(count=40, seed=2):
    rng = random.Random(seed)
    questions = [("host-%d.%s" % (rng.randrange(NAMES), UPSTREAM_ZONE), "A") for _ in range(count)]
    questions += [("host-%d.%s" % (rng.randrange(NAMES), UPSTREAM_ZONE), "AAAA") for _ in range(count // 4)]
    questions.append(("missing.%s" % UPSTREAM_ZONE, "A"))
    return questions


def unbound_command(core, port, upstream_port, workdir):
    directory = os.path.join(workdir, "unbound")
    os.makedirs(directory, exist_ok=True)
    config = os.path.join(directory, "unbound.conf")
    with open(config, "w") as out:
        out.write("""server:
    interface: 127.0.0.1@{port}
    port: {port}
    do-daemonize: no
    num-threads: 1
    so-reuseport: yes
    access-control: 127.0.0.0/8 allow
    do-ip6: no
    chroot: ""
    username: ""
    directory: "{dir}"
    pidfile: "{dir}/unbound.pid"
    use-syslog: no
    logfile: ""
    verbosity: 0
    module-config: "iterator"
    do-not-query-localhost: no
    qname-minimisation: no
    msg-cache-size: 64m
    rrset-cache-size: 128m
    prefetch: no
forward-zone:
    name: "."
    forward-addr: 127.0.0.1@{upstream}
""".format(port=port, upstream=upstream_port, dir=directory))
    subprocess.run(["unbound-checkconf", config], check=True, capture_output=True)
    return ["taskset", "-c", core, "unbound", "-d", "-c", config]

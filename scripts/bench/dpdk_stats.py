#!/usr/bin/python3
"""Measure tx packets of one ethdev port of a running DPDK primary over a window.

Usage: dpdk_stats.py --prefix FILE_PREFIX --port N [--timeout T] [--warmup W] [--window S]
       dpdk_stats.py --prefix FILE_PREFIX --ports N,M ...   (tx summed over the ports)

Talks to the process's telemetry socket (/var/run/dpdk/PREFIX/dpdk_telemetry.v2,
works with --no-huge) and keeps one connection open, so that the two samples
are timed by time.monotonic() right around each request rather than by
process start-up.  Steps: wait for the socket (up to --timeout s), wait until
the port has sent something, sleep --warmup s, sample, sleep --window s,
sample.  Prints one line: "packets=<tx delta> seconds=<elapsed> ipackets=<rx
delta of port 0>".  Exit 1 on timeout.
"""

import argparse
import json
import os
import socket
import sys
import time


def connect(path: str, deadline: float) -> socket.socket:
    while True:
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            s.connect(path)
            s.recv(16384)  # greeting: version, pid, max_output_len
            return s
        except OSError:
            s.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def query(s: socket.socket, cmd: str) -> dict:
    s.send(cmd.encode())
    reply = json.loads(s.recv(1 << 20).decode())
    return reply[cmd.split(",")[0]]


def sample(s: socket.socket, ports: list) -> tuple:
    t0 = time.monotonic()
    tx = sum(query(s, "/ethdev/stats,%d" % p)["opackets"] for p in ports)
    rx = query(s, "/ethdev/stats,0")["ipackets"]
    t1 = time.monotonic()
    return (t0 + t1) / 2, tx, rx


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--prefix", required=True)
    ap.add_argument("--port", type=int, default=1)
    ap.add_argument("--ports", default=None, help="comma separated; overrides --port")
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--warmup", type=float, default=2)
    ap.add_argument("--window", type=float, default=5)
    args = ap.parse_args()

    rundir = os.environ.get("RUNTIME_DIRECTORY", "/var/run/dpdk")
    path = os.path.join(rundir, args.prefix, "dpdk_telemetry.v2")
    deadline = time.monotonic() + args.timeout
    try:
        s = connect(path, deadline)
    except OSError as e:
        print("dpdk_stats: cannot connect to %s: %s" % (path, e), file=sys.stderr)
        return 1
    ports = [int(p) for p in args.ports.split(",")] if args.ports else [args.port]
    with s:
        while sample(s, ports)[1] == 0:
            if time.monotonic() > deadline:
                print("dpdk_stats: port(s) %s send nothing" % ports, file=sys.stderr)
                return 1
            time.sleep(0.1)
        time.sleep(args.warmup)
        t0, tx0, rx0 = sample(s, ports)
        time.sleep(args.window)
        t1, tx1, rx1 = sample(s, ports)
    print("packets=%d seconds=%.6f ipackets=%d" % (tx1 - tx0, t1 - t0, rx1 - rx0))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""etcd's own fan-out on this machine: the floor under wyvern's fanout line.

    fanout_bare.py URL WATCHERS UPDATES [--gap-ms M] [--timeout S]

WATCHERS bare watch streams (one thread, epoll, plain sockets, HTTP/1.1 to
etcd's JSON gateway, the /v3/watch request wyvernd sends: the prefix
/wyvern/v1/, progress notifications, require-leader) and one writer.  Each
update rewrites one key under the prefix (the probe network wyv-fanout left,
else a key of its own); the time is taken from just before the write to the
moment a stream's socket holds the event's bytes.  Nothing is decoded: what
is left is etcd's cost (raft, watch hub, grpc-gateway's JSON per watcher)
plus one recv per watcher.

Prints one line like wyv-fanout's:
    watchers=N updates=K p50_ms=.. p99_ms=.. max_ms=.. missed=M
"""
import base64
import json
import os
import resource
import selectors
import socket
import sys
import time
import urllib.parse
import urllib.request

PREFIX = b"/wyvern/v1/"
PROBE = b"/wyvern/v1/networks/fa0fa0fa-0000-4000-8000-00000000f0f0"


def b64(b):
    return base64.b64encode(b).decode()


def post(base, path, body):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)


def pct(v, p):
    if not v:
        return 0.0
    k = int(p / 100.0 * len(v) + 0.5)
    k = k - 1 if k else 0
    return v[min(k, len(v) - 1)]


def wait_all(sel, n, marker, start, timeout, lat):
    """Reads the streams until each one's bytes held marker once (or
    timeout s from start passed); appends each stream's latency in ms to
    lat (when given).  Returns how many never did."""
    seen = [False] * n
    left = n
    while left and time.monotonic() - start < timeout:
        for key, _ in sel.select(0.5):
            k = key.data
            data = key.fileobj.recv(65536)
            if not data:
                sys.exit("stream %d closed by etcd" % k)
            if not seen[k] and marker in data:
                seen[k] = True
                left -= 1
                if lat is not None:
                    lat.append((time.monotonic() - start) * 1000.0)
    return left


def main():
    args = sys.argv[1:]
    if len(args) < 3:
        sys.exit(__doc__)
    url, n, updates = args[0], int(args[1]), int(args[2])
    gap, timeout = 0.020, 10.0
    i = 3
    while i < len(args):
        if args[i] == "--gap-ms":
            gap = int(args[i + 1]) / 1000.0
        elif args[i] == "--timeout":
            timeout = float(args[i + 1])
        else:
            sys.exit("unknown option " + args[i])
        i += 2
    u = urllib.parse.urlsplit(url.replace("etcd://", "http://"))
    host, port = u.hostname, u.port
    base = "http://%s:%d" % (host, port)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    # the value rewritten: the probe network if it is there (same size as
    # wyv-fanout's events), else a small document of our own
    got = post(base, "/v3/kv/range", {"key": b64(PROBE)})
    kvs = got.get("kvs") or []
    doc = json.loads(base64.b64decode(kvs[0]["value"])) if kvs else {"id": "bare"}

    end = PREFIX[:-1] + bytes([PREFIX[-1] + 1])
    watch = json.dumps({"create_request": {"key": b64(PREFIX), "range_end": b64(end),
                                          "progress_notify": True}})
    request = ("POST /v3/watch HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n"
               "Grpc-Metadata-hasleader: true\r\n"
               "Content-Length: %d\r\n\r\n%s" % (host, port, len(watch), watch)).encode()
    sel = selectors.EpollSelector()
    socks = []
    t0 = time.monotonic()
    for k in range(n):
        s = socket.create_connection((host, port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(request)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, k)
        socks.append(s)
    # every stream answers its create ("created": true) first
    left = wait_all(sel, n, b'"created"', t0, 60.0, None)
    if left:
        sys.exit("%d streams never created" % left)
    connect_s = time.monotonic() - t0

    lat = []
    missed = 0
    for r in range(updates):
        doc["name"] = "bare-%d-%d" % (os.getpid(), r)
        body = {"key": b64(PROBE if kvs else PREFIX + b"bare"),
                "value": b64(json.dumps(doc).encode())}
        start = time.monotonic()
        post(base, "/v3/kv/put", body)
        left = wait_all(sel, n, b'"events"', start, timeout, lat)
        missed += left
        time.sleep(gap)
        # drain anything else (progress notifications)
        for key, _ in sel.select(0):
            try:
                key.fileobj.recv(65536)
            except BlockingIOError:
                pass
    lat.sort()
    print("watchers=%d updates=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.2f missed=%d connect_s=%.1f"
          % (n, updates, pct(lat, 50), pct(lat, 99), lat[-1] if lat else 0.0, missed, connect_s))
    for s in socks:
        s.close()
    return 0 if missed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

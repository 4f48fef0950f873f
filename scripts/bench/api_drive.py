#!/usr/bin/python3
"""Drive one wyvern-api for the `api` bench suite (scripts/bench/api.sh).

    api_drive.py URL N CREATES LISTS [PRELOAD_CLIENTS]

1. setup: one network and one /12 subnet through the API;
2. preload: N ports through the API (POST /v2.0/ports, PRELOAD_CLIENTS
   keep-alive connections at once), each with device_id "bench-vm-<i>" and
   its address and MAC allocated by the server: the same objects any
   client would make, by the same code;
3. latency: CREATES more ports, one client, one after the other: p50 / p99;
4. throughput: CREATES more ports by 4 clients at once: creates per second;
5. filtered list: LISTS x GET /v2.0/ports?device_id=<a preloaded port's>
   (one match each): p50 in ms.

Prints one line "create_p50_ms=.. create_p99_ms=.. creates_per_s=..
list_filtered_ms=.." on stdout, INFO lines (preload rate, list p99, the
N+... port count check) on stderr.  Exit 1 on any unexpected answer.
"""
import http.client
import json
import random
import sys
import threading
import time
import urllib.parse


class Conn:
    """One keep-alive HTTP connection (reopened after an error)."""

    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port
        self.c = None

    def req(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        for attempt in range(2):
            try:
                if self.c is None:
                    self.c = http.client.HTTPConnection(self.host, self.port, timeout=120)
                self.c.request(method, path, body=data,
                               headers={"Content-Type": "application/json"})
                r = self.c.getresponse()
                raw = r.read()
                return r.status, (json.loads(raw) if raw else None)
            except (http.client.HTTPException, ConnectionError):
                self.c.close()
                self.c = None
                if attempt:
                    raise
        raise AssertionError("unreachable")


def die(msg):
    print("api_drive: " + msg, file=sys.stderr)
    sys.exit(1)


def create(conn, net, i):
    st, b = conn.req("POST", "/v2.0/ports", {"port": {
        "network_id": net, "name": "bp-%d" % i, "device_id": "bench-vm-%d" % i,
        "device_owner": "compute:nova"}})
    if st != 201:
        die("port %d: %s %r" % (i, st, b))
    return b["port"]["id"]


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def parallel(url, net, first, count, clients):
    nxt = [first]
    lock = threading.Lock()
    err = []

    def run():
        c = Conn(url)
        try:
            while True:
                with lock:
                    i = nxt[0]
                    if i >= first + count:
                        return
                    nxt[0] += 1
                create(c, net, i)
        except BaseException as e:      # noqa: B902 (reported below)
            err.append(e)
    ts = [threading.Thread(target=run) for _ in range(clients)]
    t0 = time.monotonic()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if err:
        die("preload/throughput client failed: %r" % err[0])
    return time.monotonic() - t0


def main():
    url, n, creates, lists = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    pre_clients = int(sys.argv[5]) if len(sys.argv) > 5 else 8
    c = Conn(url)
    st, b = c.req("POST", "/v2.0/networks", {"network": {"name": "bench"}})
    if st != 201:
        die("network: %s %r" % (st, b))
    net = b["network"]["id"]
    st, b = c.req("POST", "/v2.0/subnets", {"subnet": {
        "network_id": net, "cidr": "10.64.0.0/12", "ip_version": 4, "name": "bench"}})
    if st != 201:
        die("subnet: %s %r" % (st, b))

    el = parallel(url, net, 0, n, pre_clients)
    print("INFO preload: %d ports in %.1f s (%.0f/s, %d clients)" %
          (n, el, n / el if el else 0, pre_clients), file=sys.stderr)

    lat = []
    for i in range(n, n + creates):
        t0 = time.perf_counter()
        create(c, net, i)
        lat.append(1000 * (time.perf_counter() - t0))
    el = parallel(url, net, n + creates, creates, 4)
    rate = creates / el

    rnd = random.Random(7)
    lt = []
    for _ in range(lists):
        i = rnd.randrange(n) if n else 0
        t0 = time.perf_counter()
        st, b = c.req("GET", "/v2.0/ports?device_id=bench-vm-%d" % i)
        lt.append(1000 * (time.perf_counter() - t0))
        if st != 200 or (n and len(b["ports"]) != 1):
            die("list device_id=bench-vm-%d: %s, %r" % (i, st, b and len(b.get("ports", []))))
    print("INFO create p50/p99/max %.2f/%.2f/%.2f ms (one client); filtered list p50/p99 "
          "%.2f/%.2f ms" % (pct(lat, 50), pct(lat, 99), max(lat), pct(lt, 50), pct(lt, 99)),
          file=sys.stderr)
    print("create_p50_ms=%.2f create_p99_ms=%.2f creates_per_s=%.0f list_filtered_ms=%.2f" %
          (pct(lat, 50), pct(lat, 99), rate, pct(lt, 50)))


if __name__ == "__main__":
    main()

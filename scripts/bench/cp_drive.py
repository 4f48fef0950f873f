#!/usr/bin/python3
"""Control-plane benchmark driver (called by scripts/bench/cp.sh).

  cp_drive.py wy-ready  SOCK PID META REV T0 TIMEOUT
      Polls wyvernd's `show ctrl` (management socket, every 10 ms) until the
      controller is connected, has applied revision >= REV and holds exactly
      the expected objects.  Prints "seconds=S rss_kb=K" (S from T0, the
      epoch time wyvernd was started; K = VmRSS of PID at that moment).
  cp_drive.py wy-change SOCK META MODE K [ETCD_URL]
      K northbound changes of the victim port's MAC, one at a time.
      MODE nb:   `port update ID --mac MAC` sent to wyvernd's management
                 socket (wyvernd runs the northbound command — model
                 validation + one db txn — on the central db its controller
                 holds; works for rocksdb and etcd).
      MODE etcd: a raw compare-and-swap put of the object (version + 1)
                 through etcd's v3 JSON gateway (no validation).
      Latency = from just before the request/write is sent to when `trace`
      from the local dp port shows the l2-lookup of the new MAC hitting the
      victim lport (the forwarding decision the PMD would take); polled
      every 0.5 ms.  Prints "p50_ms=.. p99_ms=.. max_ms=.. n=K write_p50_ms=..
      write_p99_ms=.." (write = until the request/write returned).
  cp_drive.py wy-create SOCK META K
      K times: `port create` of a remote port (the victim's network, host
      and security group, an address allocated by the northbound, a new
      MAC), timed until `trace` of its MAC from the local port hits it;
      then `port delete`, timed until the trace no longer hits it.  Prints
      "create_p50_ms=.. create_p99_ms=.. delete_p50_ms=.. delete_p99_ms=..
      create_request_p50_ms=.. batch_p50_ms=A/R/C/P/O" (the request alone;
      the medians of the controller's batch phases from `show ctrl`: apply,
      reach, compile, replica, other).
  cp_drive.py wy-forward SOCK PID META MAC T0 TIMEOUT
      After wyvernd was killed (SIGKILL) and restarted with the central db
      down: polls until `show ctrl` holds the expected objects again (from
      the replica) and `trace` of MAC from the local port reaches the
      victim.  Prints "seconds=S ..." from T0 (the restart).
  cp_drive.py ovn-load  NB_SOCK OVN_JSON
      Sends the OVN_Northbound transaction (cp_gen.py) over JSON-RPC.
  cp_drive.py ovn-change NBCTL_DAEMON_SOCK META K TIMEOUT
      K times `ovn-nbctl --wait=hv lsp-set-addresses/port-security` on the
      victim port through the ovn-nbctl daemon (a fresh ovn-nbctl process
      would download the whole NB DB each time).  Latency = wall time of the
      command (northd + ovn-controller installed the flows).  Also times
      `ovn-nbctl get NB_Global . nb_cfg` (client start-up cost) as "spawn_ms".
"""
import base64
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request


def pct(vals, p):
    v = sorted(vals)
    if not v:
        return float("nan")
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


def wy_req(sock, argv, text=False):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock)
    s.sendall(json.dumps({"argv": argv}).encode() + b"\n")
    chunks = []
    while True:
        b = s.recv(1 << 20)
        if not b:
            break
        chunks.append(b)
    s.close()
    r = json.loads(b"".join(chunks).decode())
    if not r.get("ok"):
        raise RuntimeError("wyvernd: %s: %s" % (argv, r.get("error")))
    return r.get("text", "") if text else r["result"]


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def wy_poll(sock, pid, t0, timeout, done, what):
    """Polls `show ctrl` every 10 ms until done(st) holds; prints the time
    from T0 (wyvernd's exec) and wyvernd's RSS then."""
    pid, t0, timeout = int(pid), float(t0), float(timeout)
    last = None
    while time.time() - t0 < timeout:
        try:
            os.kill(pid, 0)
        except OSError:
            sys.exit("wyvernd exited")
        try:
            st = wy_req(sock, ["show", "ctrl"])
            last = st
            if done(st):
                print("seconds=%.3f rss_kb=%d table_ops=%d table_errors=%d bad=%d "
                      "connected=%s applied_revision=%s"
                      % (time.time() - t0, rss_kb(pid), st.get("table_ops", 0),
                         st.get("table_errors", 0), st.get("bad_now", 0),
                         st.get("connected"), st.get("applied_revision")))
                return
        except (OSError, ValueError, RuntimeError):
            pass
        time.sleep(0.01)
    sys.exit("wyvern: %s after %.0f s; last show ctrl: %s" % (what, timeout, json.dumps(last)))


def held_all(st, exp):
    held = st.get("held", {})
    return all(held.get(k) == v for k, v in exp.items())


def wy_ready(sock, pid, meta, rev, t0, timeout):
    exp, rev = json.load(open(meta))["expect_held"], int(rev)
    wy_poll(sock, pid, t0, timeout, lambda st: st.get("connected") and
            st.get("applied_revision", 0) >= rev and held_all(st, exp), "tables not ready")


def etcd(url, path, body):
    req = urllib.request.Request(url + path, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read().decode())


def b64(s):
    return base64.b64encode(s.encode()).decode()


def trace_hits(sock, local, mac, victim_name):
    flow = "ip,eth_src=%s,eth_dst=%s,ip_src=%s,ip_dst=10.255.255.254" % (
        local["mac"], mac, local["ip"])
    st = wy_req(sock, ["trace", local["name"], flow])["stages"]
    for line in st.splitlines():
        if line.startswith("l2-lookup") and mac in line:
            return ("(%s)" % victim_name) in line
    return False


def wait_trace(sock, local, mac, name, hit, t0, what):
    deadline = t0 + 30
    while trace_hits(sock, local, mac, name) != hit:
        if time.perf_counter() > deadline:
            sys.exit("wyvern: %s not forwarded after 30 s" % what)
        time.sleep(0.0005)
    return (time.perf_counter() - t0) * 1000


def wy_change(sock, meta, mode, k, url=None):
    meta = json.load(open(meta))
    local, victim = meta["local_ports"][0], meta["victim"]
    key = "/wyvern/v1/port/" + victim["id"]
    cur = victim["mac"]
    if mode == "etcd":   # an earlier phase may have changed it
        r = etcd(url, "/v3/kv/range", {"key": b64(key)})
        cur = json.loads(base64.b64decode(r["kvs"][0]["value"]).decode())["mac_address"]
    if not trace_hits(sock, local, cur, victim["name"]):
        sys.exit("wyvern: trace of the victim's current MAC %s does not reach it" % cur)
    lat, wr = [], []
    tag = 0x10 if mode == "nb" else 0x20
    for i in range(int(k)):
        new = "fa:17:%02x:%02x:%02x:%02x" % (tag, (i >> 16) & 255, (i >> 8) & 255, i & 255)
        if trace_hits(sock, local, new, victim["name"]):
            sys.exit("wyvern: new MAC %s already forwards to the victim" % new)
        if mode == "nb":
            argv = ["port", "update", victim["id"], "--mac", new]
            t0 = time.perf_counter()
            wy_req(sock, argv)
        else:
            r = etcd(url, "/v3/kv/range", {"key": b64(key)})
            kv = r["kvs"][0]
            obj = json.loads(base64.b64decode(kv["value"]).decode())
            obj["mac_address"] = new
            obj["revision_number"] = int(obj.get("revision_number", 1)) + 1
            val = json.dumps(obj, separators=(",", ":"), sort_keys=True)
            body = {"compare": [{"key": b64(key), "target": "MOD", "result": "EQUAL",
                                 "mod_revision": kv["mod_revision"]}],
                    "success": [{"requestPut": {"key": b64(key), "value": b64(val)}}]}
            t0 = time.perf_counter()
            r = etcd(url, "/v3/kv/txn", body)
            if not r.get("succeeded"):
                sys.exit("wyvern: etcd txn compare failed: %s" % r)
        wr.append((time.perf_counter() - t0) * 1000)
        lat.append(wait_trace(sock, local, new, victim["name"], True, t0, "change %d" % i))
    print("p50_ms=%.2f p99_ms=%.2f max_ms=%.2f n=%d write_p50_ms=%.2f write_p99_ms=%.2f "
          "last_mac=%s" % (pct(lat, 50), pct(lat, 99), max(lat), len(lat), pct(wr, 50),
                           pct(wr, 99), new))


def wy_create(sock, meta, k):
    meta = json.load(open(meta))
    local, victim = meta["local_ports"][0], meta["victim"]
    cr, de, req, phases = [], [], [], []
    keys = ("apply_us", "reach_us", "compile_us", "replica_us", "other_us")

    def last_batch():
        b = wy_req(sock, ["show", "ctrl"]).get("batches", {})
        phases.append([b.get(x, 0) / 1000.0 for x in keys])
    for i in range(int(k)):
        mac = "fa:17:30:%02x:%02x:%02x" % ((i >> 16) & 255, (i >> 8) & 255, i & 255)
        name = "cpnew%d" % i
        t0 = time.perf_counter()
        r = wy_req(sock, ["port", "create", name, "--network", victim["network"],
                          "--mac", mac, "--host", victim["host"],
                          "--security-group", victim["security_group"], "--json"], text=True)
        req.append((time.perf_counter() - t0) * 1000)
        r = json.loads(r)
        if "id" not in r:
            sys.exit("wyvern: port create gave %r" % (r,))
        cr.append(wait_trace(sock, local, mac, name, True, t0, "create %d" % i))
        last_batch()
        t0 = time.perf_counter()
        wy_req(sock, ["port", "delete", r["id"]])
        de.append(wait_trace(sock, local, mac, name, False, t0, "delete %d" % i))
        last_batch()
    # the median of each phase of the controller's batch (show ctrl)
    med = "/".join("%.1f" % pct([p[j] for p in phases], 50) for j in range(len(keys)))
    print("create_p50_ms=%.2f create_p99_ms=%.2f delete_p50_ms=%.2f delete_p99_ms=%.2f n=%d "
          "create_request_p50_ms=%.2f batch_p50_ms=%s"
          % (pct(cr, 50), pct(cr, 99), pct(de, 50), pct(de, 99), len(cr), pct(req, 50), med))


def wy_forward(sock, pid, meta, mac, t0, timeout):
    """After a restart with the central db down: until the controller holds
    the expected objects again (from its replica) and `trace` of MAC from the
    local port reaches the victim."""
    meta = json.load(open(meta))
    exp, local, victim = meta["expect_held"], meta["local_ports"][0], meta["victim"]
    wy_poll(sock, pid, t0, timeout, lambda st: held_all(st, exp) and
            trace_hits(sock, local, mac, victim["name"]), "not forwarding from the replica")


def ovn_load(nb_sock, path):
    params = json.load(open(path))
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(nb_sock)
    s.sendall(json.dumps({"method": "transact", "params": params, "id": 1}).encode())
    dec = json.JSONDecoder()
    buf = ""
    while True:
        b = s.recv(1 << 20)
        if not b:
            sys.exit("ovsdb-server closed the connection")
        buf += b.decode()
        try:
            msg, _ = dec.raw_decode(buf.lstrip())
        except ValueError:
            continue
        if msg.get("id") == 1:
            break
        buf = ""   # echo/update messages: not ours
    s.close()
    errs = [r for r in msg.get("result") or [] if isinstance(r, dict) and "error" in r]
    if msg.get("error") or errs:
        sys.exit("transact failed: %s %s" % (msg.get("error"), errs[:3]))
    print("ops=%d" % (len(params) - 1))


def ovn_change(daemon, meta, k, timeout):
    meta = json.load(open(meta))
    v = meta["victim"]
    env = dict(os.environ, OVN_NB_DAEMON=daemon)
    spawn = []
    for _ in range(5):
        t0 = time.perf_counter()
        subprocess.run(["ovn-nbctl", "get", "NB_Global", ".", "nb_cfg"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        spawn.append((time.perf_counter() - t0) * 1000)
    lat = []
    for i in range(int(k)):
        new = "fa:17:00:%02x:%02x:%02x %s" % ((i >> 16) & 255, (i >> 8) & 255, i & 255, v["ip"])
        t0 = time.perf_counter()
        subprocess.run(["ovn-nbctl", "--wait=hv", "--timeout=%d" % int(float(timeout)),
                        "lsp-set-addresses", v["name"], new, "--",
                        "lsp-set-port-security", v["name"], new],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        lat.append((time.perf_counter() - t0) * 1000)
    print("p50_ms=%.2f p99_ms=%.2f max_ms=%.2f n=%d spawn_ms=%.2f"
          % (pct(lat, 50), pct(lat, 99), max(lat), len(lat), pct(spawn, 50)))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    {"wy-ready": wy_ready, "wy-change": wy_change, "wy-create": wy_create,
     "wy-forward": wy_forward,
     "ovn-load": ovn_load,
     "ovn-change": ovn_change}[cmd](*args)


if __name__ == "__main__":
    main()

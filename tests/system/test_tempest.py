r"""tempest's network API tests (Debian `tempest`, `tempest.api.network`)
against wyvern's Neutron API inside wyvernd, with a REAL Keystone.

Keystone (ks_rig.py, sqlite) is started here; wyvernd runs the API with
`[api] auth = keystone` on the embedded RocksDB; the API is registered as
the catalog's `network` endpoint. An admin-made external network (with a
subnet) is tempest's `public_network_id`. A tempest workspace (`tempest
init`) gets a tempest.conf: identity v3, the admin as the account that
makes dynamic credentials (tempest creates its own projects and users in
Keystone), only neutron available, `api_extensions` = exactly what
`/v2.0/extensions` lists. Then `tempest run --regex '^tempest.api.network'`
(stestr under the hood), and the subunit stream of the run is read back:
one INFO line per test class (passed / failed / skipped, with the skip
reasons), every failure printed, and the test fails if any tempest test
failed. Tests for extensions wyvern does not list skip by themselves.

Run by hand with WYT_KEEP=1 to keep the workspace (its path is printed);
WYT_TEMPEST_REGEX narrows the run (default '^tempest\.api\.network').
"""
import collections
import io
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile

import pytest

import etcd
import ks_rig
import rig
from test_api import ApiWyvern, http
from test_ctrl import chassis_name

TEMPEST = shutil.which("tempest")
STESTR = shutil.which("stestr")

pytestmark = [
    pytest.mark.skipif(TEMPEST is None or STESTR is None,
                       reason="Debian package tempest not installed (scripts/deps.sh)"),
    pytest.mark.skipif(not ks_rig.available(),
                       reason="Debian package keystone not installed (scripts/deps.sh)"),
]

# Tests that cannot run against wyvern because they need a service or a
# feature wyvern does not have, yet do not skip by themselves (tempest
# decides from something other than api_extensions). One line each, with
# the reason. Empty is the goal, and reached: TagsExtTest (a subnet pool in
# its class set-up) runs since subnet pools exist.
EXCLUDE = []

PUBLIC_CIDR = "172.24.90.0/24"
RUN_TIMEOUT = int(os.environ.get("WYT_TEMPEST_TIMEOUT", "2400"))


def _killpg(proc):
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()


def _conf(ks, exts, public_net):
    return "\n".join([
        "[DEFAULT]",
        "log_file = tempest.log",
        "use_stderr = false",
        "[auth]",
        "use_dynamic_credentials = true",
        "create_isolated_networks = false",
        "admin_username = admin",
        "admin_password = %s" % ks_rig.ADMIN_PASSWORD,
        "admin_project_name = admin",
        "admin_domain_name = Default",
        "[identity]",
        "uri_v3 = %s" % ks.url,
        "auth_version = v3",
        "region = RegionOne",
        "v3_endpoint_type = public",
        "disable_ssl_certificate_validation = true",
        "[identity-feature-enabled]",
        "api_v2 = false",
        "api_v3 = true",
        "[service_available]",
        "neutron = true",
        "nova = false",
        "glance = false",
        "cinder = false",
        "swift = false",
        "[network]",
        "region = RegionOne",
        "endpoint_type = public",
        "project_network_cidr = 10.100.0.0/16",
        "project_network_mask_bits = 28",
        "project_network_v6_cidr = 2001:db8::/48",
        "project_network_v6_mask_bits = 64",
        "project_networks_reachable = false",
        "public_network_id = %s" % public_net,
        "floating_network_name = tempest-public",
        "shared_physical_network = false",
        "build_timeout = 30",
        "build_interval = 1",
        "[network-feature-enabled]",
        "api_extensions = %s" % ",".join(exts),
        "ipv6 = true",
        "ipv6_subnet_attributes = true",
        "port_security = true",
        "floating_ips = true",
        "[validation]",
        "run_validation = false",
        ""])


def _results(stream):
    """{test id: (status, reason)} from a subunit v2 stream."""
    import subunit
    import testtools
    out = {}

    def on_test(t):
        tid = re.sub(r"\[.*\]$", "", t["id"])
        reason = ""
        if t["status"] == "skip" and "reason" in t["details"]:
            reason = t["details"]["reason"].as_text()
        elif t["status"] == "fail":
            reason = "".join(d.as_text() for k, d in t["details"].items()
                             if k in ("traceback", "reason"))[-3000:]
        out[tid] = (t["status"], reason)
    res = testtools.StreamToDict(on_test)
    res.startTestRun()
    subunit.ByteStreamToStreamResult(io.BytesIO(stream), non_subunit_name="stdout").run(res)
    res.stopTestRun()
    return out


def summary(results):
    """[(class, passed, failed, skipped, {reason: n})] sorted by class."""
    by = collections.defaultdict(lambda: [0, 0, 0, collections.Counter()])
    for tid, (st, why) in results.items():
        m = re.match(r"(setUpClass|tearDownClass) \((.*)\)$", tid)
        if m:                                   # a class-level failure / skip
            cls = m.group(2)
        else:
            cls = tid.rsplit(".", 1)[0]
        row = by[cls]
        if st == "success":
            row[0] += 1
        elif st == "skip":
            row[2] += 1
            row[3][why.strip().splitlines()[0] if why.strip() else "(no reason)"] += 1
        elif st in ("fail", "uxsuccess"):
            row[1] += 1
    return [(c, *by[c]) for c in sorted(by)]


@pytest.fixture(scope="module")
def ks():
    k = ks_rig.Keystone().start()
    yield k
    k.stop()
    rig.CLEANUP.run(k._rm)


def test_tempest_network_api(ks, tmp_path):
    port = etcd.free_ports(1)[0]
    base = "http://127.0.0.1:%d" % port
    wy = ApiWyvern([], dict(db="rocksdb:%s/db" % tmp_path, chassis=chassis_name("tempest"),
                            replica=str(tmp_path / "replica")),
                   {"enable": "true", "listen": "127.0.0.1:%d" % port, "auth": "keystone",
                    "keystone-url": ks.url, "threads": "4"})
    ws = tempfile.mkdtemp(prefix="wyt%d-tempest-" % rig.RUN_ID)
    if not os.environ.get("WYT_KEEP"):
        rig.CLEANUP.add(lambda: shutil.rmtree(ws, ignore_errors=True))
    try:
        wy.start()

        def up():
            try:
                return http(base, "GET", "/", timeout=2)[0] == 200
            except OSError:
                return False
        rig.wait_for(up, timeout=30, what="API inside wyvernd up")
        ks.register_network(base)
        adm = {"X-Auth-Token": ks.admin_token()}
        st, j = http(base, "GET", "/v2.0/extensions", headers=adm)
        assert st == 200, j
        exts = sorted(e["alias"] for e in j["extensions"])
        st, j = http(base, "POST", "/v2.0/networks", {"network": {
            "name": "tempest-public", "router:external": True}}, headers=adm)
        assert st == 201, j
        public = j["network"]["id"]
        st, j = http(base, "POST", "/v2.0/subnets", {"subnet": {
            "network_id": public, "cidr": PUBLIC_CIDR, "ip_version": 4}}, headers=adm)
        assert st == 201, j

        home = os.path.join(ws, "home")
        os.makedirs(home)
        env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
        # tempest_site/sitecustomize.py: without tempest's fixed 10 s
        # sleep before each subnet delete (its reason in that file)
        site = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tempest_site")
        env.update(HOME=home, PYTHONPATH=os.pathsep.join(
            p for p in (site, os.environ.get("PYTHONPATH", "")) if p))
        wsdir = os.path.join(ws, "ws")
        r = subprocess.run([TEMPEST, "init", wsdir], capture_output=True, text=True,
                           timeout=120, env=env, cwd=ws)   # it logs to ./tempest.log
        assert r.returncode == 0, r.stdout + r.stderr
        with open(os.path.join(wsdir, "etc", "tempest.conf"), "w") as f:
            f.write(_conf(ks, exts, public))
        cmd = [TEMPEST, "run", "--concurrency", "2", "--regex",
               os.environ.get("WYT_TEMPEST_REGEX", r"^tempest\.api\.network")]
        if EXCLUDE:
            ex = os.path.join(wsdir, "exclude.txt")
            with open(ex, "w") as f:
                f.write("\n".join(EXCLUDE) + "\n")
            cmd += ["--exclude-list", ex]
        print("INFO tempest workspace %s: %s" % (wsdir, " ".join(cmd)))
        for ex in EXCLUDE:
            print("INFO tempest excluded (see EXCLUDE for why): %s" % ex)
        # its own session: on a timeout the whole group (stestr's workers
        # too) is killed, not only `tempest run`
        proc = subprocess.Popen(cmd, cwd=wsdir, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env,
                                start_new_session=True)
        kill = rig.CLEANUP.add(lambda: _killpg(proc))
        try:
            out, err = proc.communicate(timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            _killpg(proc)
            out, err = proc.communicate()
            err += "\ntempest run: killed after %d s" % RUN_TIMEOUT
        rig.CLEANUP.run(kill)
        r = subprocess.CompletedProcess(cmd, proc.returncode, out, err)
        last = subprocess.run([STESTR, "last", "--subunit"], cwd=wsdir, capture_output=True,
                              timeout=120, env=env)
        results = _results(last.stdout)
        assert results, "no tempest results (rc=%d)\n%s%s" % (r.returncode, r.stdout[-3000:],
                                                              r.stderr[-3000:])
        rows = summary(results)
        tot = [0, 0, 0]
        for cls, p, fl, sk, why in rows:
            tot = [tot[0] + p, tot[1] + fl, tot[2] + sk]
            print("INFO tempest %s passed=%d failed=%d skipped=%d%s" % (
                cls, p, fl, sk, "".join(" [skip: %s x%d]" % (w, n) for w, n in why.items())))
        print("INFO tempest total passed=%d failed=%d skipped=%d (rc=%d)" % (*tot, r.returncode))
        fails = {t: why for t, (st, why) in results.items() if st in ("fail", "uxsuccess")}
        for t, why in sorted(fails.items()):
            print("FAIL %s\n%s" % (t, why))
        # every skip says why (an extension or service wyvern does not have)
        assert all(w for (st, w) in results.values() if st == "skip")
        assert not fails, "%d tempest failures: %s" % (len(fails), ", ".join(sorted(fails)))
        assert tot[0] > 0 and r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
        assert wy.alive()
    finally:
        wy.stop()

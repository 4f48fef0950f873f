"""The Neutron API over TLS ([api] tls-cert / tls-key, libmicrohttpd with
GnuTLS).

1. wyvern-api with a self-signed certificate made by openssl here: the
   openstack CLI (--os-cacert) and curl (--cacert) work over https, pagination
   links say https; plain http to the same port gets no answer; a client that
   does not trust the certificate is refused by its own TLS check;
2. the API inside wyvernd over TLS;
3. config errors, each a clear message and never a start: a key that is not
   the certificate's, a missing / unreadable / garbage file, only one of
   the two keys (wyvern-api --check-config, wyvern-api start, wyvernd
   --check-config with FILE:LINE).

Every process and tmp dir is registered in rig.CLEANUP; processes are
stopped by pid.
"""
import json
import os
import shutil
import ssl
import subprocess
import tempfile
import urllib.error
import urllib.request

import pytest

import etcd
import rig
from test_api import API_BIN, OPENSTACK, ApiWyvern, cleanup_all  # noqa: F401 (fixture)
from test_ctrl import chassis_name

OPENSSL = shutil.which("openssl")
CURL = shutil.which("curl")

pytestmark = [
    pytest.mark.skipif(not os.access(API_BIN, os.X_OK), reason="wyvern-api not built"),
    pytest.mark.skipif(OPENSTACK is None, reason="python3-openstackclient not installed"),
    pytest.mark.skipif(OPENSSL is None or CURL is None, reason="openssl / curl not installed"),
]


def make_cert(d, name="srv"):
    """A self-signed certificate for 127.0.0.1 (SAN IP) and its key, in d."""
    cert, key = os.path.join(d, name + ".crt"), os.path.join(d, name + ".key")
    rig.sh([OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", key, "-out", cert], timeout=60)
    return cert, key


class TlsApi:
    """wyvern-api over TLS on a free loopback port (or its failure to start)."""

    def __init__(self, db, cert, key, *extra):
        self.dir = tempfile.mkdtemp(prefix="wyt%d-apitls-" % rig.RUN_ID)
        self.log = open(os.path.join(self.dir, "api.log"), "w+")
        self.proc = subprocess.Popen(
            [API_BIN, "--db", db, "--listen", "127.0.0.1:0", "--tls-cert", cert,
             "--tls-key", key] + list(extra),
            stdout=subprocess.PIPE, stderr=self.log, text=True, stdin=subprocess.DEVNULL)
        self._cleanup = rig.CLEANUP.add(self._stop)
        self.line = self.proc.stdout.readline()
        self.url = None
        if "listening on " in self.line:
            self.url = self.line.split("listening on ")[1].split()[0]

    def log_text(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def _stop(self):
        rig.stop_pid(self.proc)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def https(url, method, path, cafile, body=None, timeout=20):
    ctx = ssl.create_default_context(cafile=cafile)
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=ctx) as r:
            raw = r.read()
            return r.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as e:
        raw = e.read()
        return e.code, json.loads(raw) if raw else None


def openstack(url, cafile, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    cmd = [OPENSTACK, "--os-auth-type", "none", "--os-endpoint", url]
    if cafile:
        cmd += ["--os-cacert", cafile]
    return subprocess.run(cmd + [str(a) for a in args], capture_output=True, text=True,
                          timeout=90, env=env)


def plain_http_fails(url):
    """GET / over plain http to the TLS port: no HTTP answer comes back."""
    plain = url.replace("https://", "http://")
    r = subprocess.run([CURL, "-sS", "-m", "10", "-o", "/dev/null", "-w", "%{http_code}",
                        plain + "/"], capture_output=True, text=True, timeout=30)
    return r.returncode != 0 and r.stdout.strip() in ("", "000"), (r.returncode, r.stdout,
                                                                    r.stderr)


# ---------------------------------------------------------------- 1. wyvern-api

def test_tls_cli_curl_and_plain_http(tmp_path, cleanup_all):
    cert, key = make_cert(str(tmp_path))
    api = TlsApi("rocksdb:%s" % (tmp_path / "db"), cert, key)
    assert api.url and api.url.startswith("https://127.0.0.1:"), (api.line, api.log_text())

    # the openstack CLI, trusting our certificate
    r = openstack(api.url, cert, "network", "create", "tls-net", "-f", "json")
    assert r.returncode == 0, r.stdout + r.stderr
    net = json.loads(r.stdout)
    r = openstack(api.url, cert, "subnet", "create", "tls-sub", "--network", "tls-net",
                  "--subnet-range", "10.91.0.0/24", "-f", "json")
    assert r.returncode == 0, r.stdout + r.stderr
    r = openstack(api.url, cert, "port", "create", "tls-port", "--network", "tls-net",
                  "-f", "json")
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["fixed_ips"][0]["ip_address"].startswith("10.91.0.")
    r = openstack(api.url, cert, "network", "list", "-f", "json")
    assert r.returncode == 0 and [n["ID"] for n in json.loads(r.stdout)] == [net["id"]], r

    # without the CA the CLI refuses the server (its certificate check fails;
    # the CLI then only says it found no version document)
    r = openstack(api.url, None, "network", "list")
    assert r.returncode != 0, r

    # python's TLS client, a write and its error over TLS
    st, body = https(api.url, "POST", "/v2.0/ports", cert,
                     {"port": {"network_id": net["id"], "mac_address": "fa:16:3e:00:91:01"}})
    assert st == 201, body
    st, body = https(api.url, "POST", "/v2.0/ports", cert,
                     {"port": {"network_id": net["id"], "mac_address": "fa:16:3e:00:91:01"}})
    assert st == 409 and body["NeutronError"]["type"] == "MacAddressInUse", (st, body)

    # curl with --cacert; the links of a page say https
    r = subprocess.run([CURL, "-sS", "-m", "20", "--cacert", cert,
                        api.url + "/v2.0/ports?limit=1"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    page = json.loads(r.stdout)
    assert len(page["ports"]) == 1
    assert page["ports_links"][0]["href"].startswith(api.url + "/v2.0/ports?"), page
    r = subprocess.run([CURL, "-sS", "-m", "20", api.url + "/v2.0/networks"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0, "curl trusted a self-signed certificate?\n" + r.stdout

    # plain http to the TLS port gets no HTTP answer, and the server lives on
    ok, why = plain_http_fails(api.url)
    assert ok, why
    assert api.proc.poll() is None, api.log_text()
    assert https(api.url, "GET", "/v2.0/networks", cert)[0] == 200


# ---------------------------------------------------------------- 2. inside wyvernd

def test_tls_inside_wyvernd(tmp_path, cleanup_all):
    cert, key = make_cert(str(tmp_path))
    port = etcd.free_ports(1)[0]
    wy = ApiWyvern([], dict(db="rocksdb:%s/db" % tmp_path, chassis=chassis_name("tls"),
                            replica=str(tmp_path / "replica")),
                   {"enable": "true", "listen": "127.0.0.1:%d" % port,
                    "tls-cert": cert, "tls-key": key}).start()
    url = "https://127.0.0.1:%d" % port

    def up():
        try:
            return https(url, "GET", "/", cert, timeout=2)[0] == 200
        except OSError:         # not listening yet: it starts once the store is open
            return False
    rig.wait_for(up, timeout=30, what="API over TLS up")
    r = openstack(url, cert, "network", "create", "in-wyvernd", "-f", "json")
    assert r.returncode == 0, r.stdout + r.stderr
    ok, why = plain_http_fails(url)
    assert ok, why
    assert wy.alive()


# ---------------------------------------------------------------- 3. config errors

def _check(args):
    return subprocess.run([API_BIN, "--db", "etcd://127.0.0.1:1"] + args + ["--check-config"],
                          capture_output=True, text=True, timeout=30)


def test_tls_config_errors(tmp_path, cleanup_all):
    d = str(tmp_path)
    cert, key = make_cert(d, "a")
    cert_b, key_b = make_cert(d, "b")

    r = _check(["--tls-cert", cert, "--tls-key", key])
    assert r.returncode == 0, r.stderr

    # a key that is not the certificate's: refused with a message naming both
    r = _check(["--tls-cert", cert, "--tls-key", key_b])
    assert r.returncode == 2, r.stdout + r.stderr
    assert "tls-key: '%s' does not go with tls-cert '%s'" % (key_b, cert) in r.stderr, r.stderr
    assert "do not match" in r.stderr, r.stderr     # GnuTLS' own words
    # ... and the server does not start with it (no listening line, exit 1)
    api = TlsApi("rocksdb:%s" % (tmp_path / "db"), cert, key_b)
    assert api.url is None and api.proc.wait(timeout=20) != 0, api.line
    assert "does not go with" in api.log_text(), api.log_text()
    assert not os.path.exists(tmp_path / "db"), "the store was opened before the TLS check"

    missing = os.path.join(d, "nope.crt")
    r = _check(["--tls-cert", missing, "--tls-key", key])
    assert r.returncode == 2 and "tls-cert: cannot read '%s': No such file" % missing \
        in r.stderr, r.stderr

    garbage = tmp_path / "garbage.pem"
    garbage.write_text("-----BEGIN CERTIFICATE-----\nnot base64 at all\n"
                       "-----END CERTIFICATE-----\n")
    r = _check(["--tls-cert", str(garbage), "--tls-key", key])
    assert r.returncode == 2 and "holds no PEM certificate" in r.stderr, r.stderr
    # the certificate where the key should be
    r = _check(["--tls-cert", cert, "--tls-key", cert])
    assert r.returncode == 2 and "tls-key:" in r.stderr and "private key" in r.stderr, r.stderr
    empty = tmp_path / "empty.pem"
    empty.write_text("")
    r = _check(["--tls-cert", cert, "--tls-key", str(empty)])
    assert r.returncode == 2 and "is empty, not a PEM file" in r.stderr, r.stderr

    # unreadable (a directory); an encrypted key
    r = _check(["--tls-cert", d, "--tls-key", key])
    assert r.returncode == 2 and "tls-cert: cannot read" in r.stderr, r.stderr
    enc = os.path.join(d, "enc.key")
    rig.sh([OPENSSL, "pkey", "-in", key, "-out", enc, "-aes256", "-passout", "pass:secret"])
    r = _check(["--tls-cert", cert, "--tls-key", enc])
    assert r.returncode == 2 and "no unencrypted PEM private key" in r.stderr, r.stderr

    # both or neither
    r = _check(["--tls-cert", cert])
    assert r.returncode == 2 and "tls-cert needs tls-key too" in r.stderr, r.stderr
    r = _check(["--tls-key", key])
    assert r.returncode == 2 and "tls-key needs tls-cert too" in r.stderr, r.stderr

    # wyvernd names the line of the key at fault
    conf = tmp_path / "w.conf"
    conf.write_text("[mgmt]\nsocket = %s/s\n[ctrl]\ndb = rocksdb:%s/db\n[api]\nenable = true\n"
                    "tls-cert = %s\ntls-key = %s\n" % (d, d, cert, key_b))
    r = rig.sh([rig.wyvernd_bin(), "-c", str(conf), "--check-config"], check=False)
    out = r.stderr + r.stdout
    assert r.returncode != 0 and "%s:8:" % conf in out and "does not go with" in out, out
    conf.write_text("[mgmt]\nsocket = %s/s\n[ctrl]\ndb = rocksdb:%s/db\n[api]\nenable = true\n"
                    "tls-cert = %s\n" % (d, d, cert))
    r = rig.sh([rig.wyvernd_bin(), "-c", str(conf), "--check-config"], check=False)
    out = r.stderr + r.stdout
    assert r.returncode != 0 and "%s:7:" % conf in out and "needs tls-key" in out, out

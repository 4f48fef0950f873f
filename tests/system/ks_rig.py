"""A real Keystone (Debian `keystone`) on loopback for system tests.

Recipe (tests/rig-notes.md): a temporary keystone.conf with a sqlite
database, fernet and credential key repositories in a tmp dir;
`keystone-manage db_sync`, `fernet_setup` / `credential_setup` (as root),
`bootstrap` (admin user, project, roles admin/member/reader, the identity
endpoint); then `keystone-wsgi-public --host 127.0.0.1 --port P` with
OS_KEYSTONE_CONFIG_FILES naming the conf (the script's own wsgiref server:
one request at a time, enough for tests).  No system service is started.

    ks = Keystone().start()         # ~10 s; everything in rig.CLEANUP
    ks.url                          # "http://127.0.0.1:P/v3"
    ks.project("pa"); ks.user("ua", "pwa", "pa", role="member")
    ks.token("ua", "pwa", "pa")     # a project-scoped token (REST)
    ks.register_network(url)        # wyvern's API as the catalog's network endpoint
    ks.stop(); ks.start()           # same db, same port
"""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import rig

MANAGE = shutil.which("keystone-manage")
WSGI = shutil.which("keystone-wsgi-public")
ADMIN_PASSWORD = "wyv-admin-pw"


def available():
    return bool(MANAGE and WSGI)


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Keystone:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="wyt%d-keystone-" % rig.RUN_ID)
        self._rm = rig.CLEANUP.add(lambda: shutil.rmtree(self.dir, ignore_errors=True))
        self.port = _free_port()
        self.url = "http://127.0.0.1:%d/v3" % self.port
        self.conf = os.path.join(self.dir, "keystone.conf")
        self.proc = None
        self._stop_fn = None
        self.ids = {}
        with open(self.conf, "w") as f:
            f.write("[DEFAULT]\nuse_stderr = true\n"
                    "[database]\nconnection = sqlite:///%s/keystone.db\n"
                    "[fernet_tokens]\nkey_repository = %s/fernet-keys\n"
                    "[credential]\nkey_repository = %s/credential-keys\n"
                    "[token]\nprovider = fernet\nexpiration = 3600\n"
                    # bcrypt's minimum cost: a password check or a new user
                    # costs ~1 ms instead of ~0.3 s of a shared core
                    "[identity]\npassword_hash_rounds = 4\n"
                    % (self.dir, self.dir, self.dir))
        self._manage("db_sync")
        # a request can leave a read transaction open in the server's
        # connection pool; in sqlite's default rollback journal that blocks
        # the next write ("database is locked", 500).  WAL (persistent in the
        # file): readers never block a writer.
        import sqlite3
        with sqlite3.connect(os.path.join(self.dir, "keystone.db")) as db:
            assert db.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
        self._manage("fernet_setup", "--keystone-user", "root", "--keystone-group", "root")
        self._manage("credential_setup", "--keystone-user", "root", "--keystone-group", "root")
        self._manage("bootstrap", "--bootstrap-password", ADMIN_PASSWORD,
                     "--bootstrap-admin-url", self.url, "--bootstrap-public-url", self.url,
                     "--bootstrap-internal-url", self.url, "--bootstrap-region-id", "RegionOne")

    def _manage(self, *args):
        r = subprocess.run([MANAGE, "--config-file", self.conf] + list(args), cwd=self.dir,
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, "keystone-manage %s: rc=%d\n%s" % (args[0], r.returncode,
                                                                     r.stderr[-3000:])

    def start(self, timeout=60):
        self.log = open(os.path.join(self.dir, "keystone.log"), "a")
        env = dict(os.environ, OS_KEYSTONE_CONFIG_FILES=self.conf)
        self.proc = subprocess.Popen([WSGI, "--host", "127.0.0.1", "--port", str(self.port)],
                                     cwd=self.dir, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self._stop_fn = rig.CLEANUP.add(self._stop)

        def up():
            if self.proc.poll() is not None:
                raise AssertionError("keystone exited: %s" % self.log_text()[-3000:])
            try:
                with urllib.request.urlopen(self.url, timeout=2) as r:
                    return r.status == 200
            except (OSError, urllib.error.URLError):
                return False
        rig.wait_for(up, timeout=timeout, interval=0.2, what="keystone on %s" % self.url)
        return self

    def _stop(self):
        rig.stop_pid(self.proc)
        self.log.close()

    def stop(self):
        if self._stop_fn:
            rig.CLEANUP.run(self._stop_fn)
            self._stop_fn = None

    def log_text(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def validations(self):
        """How many token validations (GET /v3/auth/tokens) Keystone served.
        The server handles one request at a time and logs each after its
        answer: a marker request logged means every earlier one is."""
        n = self.log_text().count('"GET /v3 HTTP')
        with urllib.request.urlopen(self.url, timeout=10) as r:
            r.read()
        rig.wait_for(lambda: self.log_text().count('"GET /v3 HTTP') > n,
                     what="keystone's log of a marker request")
        return self.log_text().count('"GET /v3/auth/tokens HTTP')

    # ------------------------------------------------------------ REST
    def call(self, method, path, body=None, token=None, want=(200, 201, 204)):
        """(status, JSON or None, headers)."""
        data = json.dumps(body).encode() if body is not None else None
        h = {"Content-Type": "application/json"}
        if token:
            h["X-Auth-Token"] = token
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                raw, st, hd = r.read(), r.status, r.headers
        except urllib.error.HTTPError as e:
            raw, st, hd = e.read(), e.code, e.headers
        assert st in want, "keystone %s %s -> %d %s" % (method, path, st, raw[:500])
        return st, (json.loads(raw) if raw else None), hd

    def token(self, user, password, project, want=(201,)):
        body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": user, "domain": {"id": "default"}, "password": password}}},
            "scope": {"project": {"name": project, "domain": {"id": "default"}}}}}
        st, _, hd = self.call("POST", "/auth/tokens", body, want=want)
        return hd.get("X-Subject-Token")

    def admin_token(self):
        return self.token("admin", ADMIN_PASSWORD, "admin")

    def project(self, name):
        _, j, _ = self.call("POST", "/projects", {"project": {"name": name, "domain_id": "default"}},
                            token=self.admin_token())
        self.ids[name] = j["project"]["id"]
        return self.ids[name]

    def user(self, name, password, project, role="member"):
        adm = self.admin_token()
        _, j, _ = self.call("POST", "/users", {"user": {
            "name": name, "password": password, "domain_id": "default",
            "default_project_id": self.ids[project]}}, token=adm)
        uid = j["user"]["id"]
        _, roles, _ = self.call("GET", "/roles?name=%s" % role, token=adm)
        rid = roles["roles"][0]["id"]
        self.call("PUT", "/projects/%s/users/%s/roles/%s" % (self.ids[project], uid, rid),
                  token=adm)
        self.ids[name] = uid
        return uid

    def register_network(self, api_url):
        """wyvern's API as the catalog's public `network` endpoint (RegionOne)."""
        adm = self.admin_token()
        _, s, _ = self.call("POST", "/services", {"service": {"type": "network",
                                                              "name": "wyvern"}}, token=adm)
        self.call("POST", "/endpoints", {"endpoint": {
            "service_id": s["service"]["id"], "interface": "public", "url": api_url,
            "region_id": "RegionOne"}}, token=adm)

    def os_env(self, user, password, project):
        """Environment for the openstack CLI with password auth through Keystone."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
        env.update(OS_AUTH_URL=self.url, OS_USERNAME=user, OS_PASSWORD=password,
                   OS_PROJECT_NAME=project, OS_USER_DOMAIN_NAME="Default",
                   OS_PROJECT_DOMAIN_NAME="Default", OS_IDENTITY_API_VERSION="3",
                   OS_REGION_NAME="RegionOne", OS_INTERFACE="public")
        return env

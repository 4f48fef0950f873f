"""wyvernd against an etcd with authentication (a real etcd on loopback).

1. --check-config names FILE:LINE for an unreadable db-password-file and for
   TLS files given with a plain etcd:// URL.
2. A chassis started with a wrong password says so (log and `show ctrl`),
   keeps running and keeps retrying; once the password file is right, it
   connects and registers its chassis under the role of scripts/etcd-roles.sh.
3. That chassis role cannot write the northbound: a network created through
   the daemon (which uses the chassis's own credentials) is refused with
   "permission denied", the daemon stays up.

Users and roles are made by scripts/etcd-roles.sh (etcdctl), as README shows.
"""
import os
import subprocess

import pytest

import etcd
import rig
from test_ctrl import CtrlWyvern, cleanup_all, work  # noqa: F401 (fixtures)

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
ROLES = os.path.join(REPO, "scripts", "etcd-roles.sh")

needs = pytest.mark.skipif(not etcd.available() or not os.access("/usr/bin/etcdctl", os.X_OK),
                           reason="etcd/etcdctl not installed")


def etcdctl_env(cl, user=None):
    env = dict(os.environ, ETCDCTL_API="3",
               ETCDCTL_ENDPOINTS=cl.url.replace("etcd://", "http://"))
    if user:
        env["ETCDCTL_USER"] = user
    return env


def roles(cl, *args, user=None):
    r = subprocess.run([ROLES] + list(args), env=etcdctl_env(cl, user), capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)


def test_check_config_db_security(work, cleanup_all):  # noqa: F811
    d = work
    conf = os.path.join(d, "bad.conf")
    write(conf, "[ctrl]\ndb = etcd://127.0.0.1:2379\ndb-user = c1\n"
          "db-password-file = %s/missing.pw\n" % d)
    r = rig.sh([rig.wyvernd_bin(), "-c", conf, "--check-config"], check=False)
    assert r.returncode != 0
    assert "%s:4:" % conf in r.stderr + r.stdout
    assert "db-password-file" in r.stderr + r.stdout
    write(conf, "[ctrl]\ndb = etcd://127.0.0.1:2379\ndb-ca = /etc/hostname\n")
    r = rig.sh([rig.wyvernd_bin(), "-c", conf, "--check-config"], check=False)
    assert r.returncode != 0
    assert "%s:3: db-ca needs an etcds:// db URL" % conf in r.stderr + r.stdout


@needs
def test_wrong_password_then_right(work, cleanup_all):  # noqa: F811
    cl = etcd.EtcdCluster(1).start()
    d = work
    chassis = "wsc%d" % os.getpid()
    for name, pw in (("root", "rootpw"), ("api", "apipw"), ("chassis", "chassispw")):
        write(os.path.join(d, name + ".pw"), pw + "\n")
    roles(cl, "root", os.path.join(d, "root.pw"))
    roles(cl, "api", "api", os.path.join(d, "api.pw"))
    roles(cl, "chassis", chassis, chassis, os.path.join(d, "chassis.pw"))
    roles(cl, "enable")
    pwfile = os.path.join(d, "c.pw")
    write(pwfile, "not-the-password\n")
    w = CtrlWyvern([], {"db": cl.url, "chassis": chassis, "db-user": chassis,
                        "db-password-file": pwfile, "db-watch-idle-ms": 2000,
                        "replica": os.path.join(d, "replica")})
    w.start()
    rig.wait_for(lambda: "authentication failed" in w.log_text(), timeout=15,
                 what="the log says the login failed")
    st = w.ctrl()
    assert not st["connected"]
    assert "authentication failed" in st["last_error"], st
    assert ("'%s'" % chassis) in st["last_error"]
    assert w.alive()
    # the operator fixes the password file: no restart needed
    write(pwfile, "chassispw\n")
    rig.wait_for(lambda: w.ctrl()["connected"], timeout=15, what="connected")
    key = roles(cl, "chassis-key", chassis).strip()
    r = subprocess.run(["etcdctl", "get", key, "--print-value-only"],
                       env=etcdctl_env(cl, "root:rootpw"), capture_output=True, text=True,
                       timeout=30)
    assert chassis in r.stdout, r.stderr
    # its role may keep its own liveness key (_status/<id>/alive, leased)
    rig.wait_for(lambda: [c for c in w.ctl("show", "chassis", json=True)["chassis"]
                          if c["name"] == chassis and c["alive"] and c["self"]],
                 timeout=15, what="this chassis alive in show chassis")
    # the chassis role cannot write the northbound: refused, clearly
    r = w.wy("network", "create", "red", check=False)
    assert r.returncode != 0
    assert "permission denied" in r.stderr + r.stdout, r.stderr + r.stdout
    assert w.alive()
    # the API user can (wyctl straight to etcd)
    before = w.ctrl()["applied_revision"]
    before = w.ctrl()["applied_revision"]
    env = dict(os.environ, WYVERN_DB_USER="api", WYVERN_DB_PASSWORD_FILE=os.path.join(d, "api.pw"))
    r = rig.sh([rig.wyctl_bin(), "--db", cl.url, "network", "create", "blue"], check=False,
               env=env)
    assert r.returncode == 0, r.stderr
    rig.wait_for(lambda: w.ctrl()["applied_revision"] > before, timeout=15,
                 what="the chassis follows the API's writes")

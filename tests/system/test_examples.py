"""The README's tutorials are the scripts in scripts/examples/, run here end to end.

1. Every script in scripts/examples/ (parametrized over the directory, so a new
   script is picked up without touching this file) runs from start to finish
   as a user would run it: `scripts/examples/NAME.sh` from the repository root,
   with build/bin on PATH by the script's own first line.  It must exit 0 and
   print "== NAME: OK" as its last line, and leave nothing behind: no
   namespace, interface or DPDK runtime dir named after its pid.
2. A script interrupted half-way (SIGTERM while wyvernd runs) cleans up too.
3. README.md shows exactly what each script runs: the code block after
   `<!-- example: NAME.sh -->` equals the script, byte for byte, and every
   script has such a block.
4. Output the README shows for a script (a block after `<!-- output: NAME.sh -->`)
   is printed by that script, line for line (other lines may come between).

When WYV_BUILD is not the repository's build/, the scripts run from a scratch
directory whose build/ is a symlink to WYV_BUILD (they need nothing else from
the tree).
"""
import os
import re
import signal
import subprocess
import tempfile

import pytest

import rig

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
EXAMPLES = os.path.join(REPO, "scripts", "examples")
SCRIPTS = sorted(f for f in os.listdir(EXAMPLES) if f.endswith(".sh"))
NEEDS = {"two-chassis-vxlan.sh": ["etcd", "curl"], "routed-dhcp.sh": ["busybox"],
         "etcd-secure.sh": ["etcd", "etcdctl", "openssl"],
         "neutron-api.sh": ["openstack"]}
TIMEOUT = 300


def run_dir():
    """Where the scripts run: the repository, or a scratch dir with build -> WYV_BUILD
    and scripts -> the repository's scripts/."""
    build = os.path.realpath(rig.build_dir())
    subprocess.run([os.path.join(REPO, "scripts", "link-bins.sh"), build], check=True,
                   stdout=subprocess.DEVNULL)
    if build == os.path.realpath(os.path.join(REPO, "build")):
        return REPO
    d = tempfile.mkdtemp(prefix="wyt%d-ex-" % rig.RUN_ID)
    rig.CLEANUP.add(lambda: (os.unlink(os.path.join(d, "build")),
                             os.unlink(os.path.join(d, "scripts")), os.rmdir(d)))
    os.symlink(build, os.path.join(d, "build"))
    os.symlink(os.path.join(REPO, "scripts"), os.path.join(d, "scripts"))  # helper scripts
    return d


def leftovers(pid):
    """Namespaces, links and DPDK runtime dirs named w??<pid>... (the scripts' tag)."""
    pat = re.compile(r"^w[a-z]%d(?!\d)" % pid)
    ns = [line.split()[0] for line in rig.sh(["ip", "netns", "list"]).stdout.splitlines()
          if line.strip()]
    links = [line.split(":")[1].strip().split("@")[0] for line in
             rig.sh(["ip", "-o", "link", "show"]).stdout.splitlines()]
    try:
        dpdk = os.listdir("/var/run/dpdk")
    except OSError:
        dpdk = []
    return [n for n in ns + links + dpdk if pat.match(n)]


def missing_tools(script):
    return [t for t in NEEDS.get(script, []) if not rig.sh(["which", t], check=False).stdout]


@pytest.mark.parametrize("script", SCRIPTS)
def test_example_runs(script):
    miss = missing_tools(script)
    if miss:
        pytest.skip("%s needs %s" % (script, ", ".join(miss)))
    cwd = run_dir()
    proc = subprocess.Popen([os.path.join(EXAMPLES, script)], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)
    stop = rig.CLEANUP.add(lambda: rig.stop_pid(proc))
    try:
        out, _ = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        rig.CLEANUP.run(stop)
        out, _ = proc.communicate()
        pytest.fail("%s still running after %d s:\n%s" % (script, TIMEOUT, out[-6000:]))
    rig.CLEANUP.run(stop)
    lines = [line for line in out.splitlines() if line.strip()]
    assert proc.returncode == 0, "%s exited %d:\n%s" % (script, proc.returncode, out[-6000:])
    assert lines and lines[-1] == "== %s: OK" % script[:-3], out[-3000:]
    assert leftovers(proc.pid) == [], "%s left behind: %s" % (script, leftovers(proc.pid))
    # output README.md shows for this script (<!-- output: NAME.sh -->): every line printed
    shown = readme_blocks("output").get(script, "")
    for line in shown.splitlines():
        assert line in out.splitlines(), "README shows %r for %s; the script printed:\n%s" % (
            line, script, out[-4000:])


def test_example_cleans_up_when_interrupted():
    """SIGTERM half-way (its wyvernd running): non-zero exit and no leftovers."""
    cwd = run_dir()
    proc = subprocess.Popen([os.path.join(EXAMPLES, "l2-by-hand.sh")], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, text=True)
    stop = rig.CLEANUP.add(lambda: rig.stop_pid(proc))
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if line.startswith("== start wyvernd"):
            break
    tap = "wl%dt1" % proc.pid
    rig.wait_for(lambda: rig.sh(["ip", "link", "show", tap], check=False).returncode == 0,
                 timeout=60, what="the script's wyvernd creating %s" % tap)
    # freeze the script so the signal lands half-way, whatever the machine's speed
    os.kill(proc.pid, signal.SIGSTOP)
    assert leftovers(proc.pid), "the script's names are not tagged wl<pid>"
    os.kill(proc.pid, signal.SIGTERM)
    os.kill(proc.pid, signal.SIGCONT)
    out, _ = proc.communicate(timeout=60)
    rig.CLEANUP.run(stop)
    out = "".join(seen) + out
    if proc.returncode == 0 and "== l2-by-hand: OK" in out:
        pytest.skip("the script had finished before the signal")
    assert proc.returncode != 0, out
    rig.wait_for(lambda: not leftovers(proc.pid), timeout=10,
                 what="no leftovers of the interrupted script: %s" % leftovers(proc.pid))


def readme_blocks(kind="example"):
    """{script name: text of the code block after its <!-- KIND: NAME --> marker}."""
    with open(os.path.join(REPO, "README.md")) as f:
        text = f.read()
    blocks = {}
    for m in re.finditer(r"<!-- %s: (\S+) -->\s*\n```[a-z]*\n(.*?)^```\s*$" % kind, text,
                         re.S | re.M):
        assert m.group(1) not in blocks, "two README %s blocks for %s" % (kind, m.group(1))
        blocks[m.group(1)] = m.group(2)
    return blocks


def test_readme_shows_every_script_exactly():
    blocks = readme_blocks()
    assert sorted(blocks) == SCRIPTS, "README example blocks %s, scripts %s" % (
        sorted(blocks), SCRIPTS)
    for name in SCRIPTS:
        with open(os.path.join(EXAMPLES, name)) as f:
            script = f.read()
        assert blocks[name] == script, (
            "README.md's block for %s differs from scripts/examples/%s: run "
            "/usr/bin/python3 tests/system/test_examples.py --sync-readme" % (name, name))


def sync_readme():
    """Rewrite README.md's example blocks from the scripts (for whoever edits a script):
        /usr/bin/python3 tests/system/test_examples.py --sync-readme
    A new script still needs its own `<!-- example: NAME.sh -->` + ```sh block placed by hand."""
    path = os.path.join(REPO, "README.md")
    with open(path) as f:
        text = f.read()

    def body(m):
        with open(os.path.join(EXAMPLES, m.group(1))) as f:
            return m.group(0)[:m.start(2) - m.start(0)] + f.read() + "```"
    text = re.sub(r"<!-- example: (\S+) -->\s*\n```[a-z]*\n(.*?)^```", body, text, flags=re.S | re.M)
    with open(path, "w") as f:
        f.write(text)


if __name__ == "__main__":
    import sys
    if sys.argv[1:] == ["--sync-readme"]:
        sync_readme()
    else:
        sys.exit("usage: test_examples.py --sync-readme   (run the tests with pytest)")

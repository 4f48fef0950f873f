"""Fixtures for wyvern system tests (root, namespaces, real daemon)."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rig  # noqa: E402


def pytest_collection_modifyitems(config, items):
    reason = None
    if os.geteuid() != 0:
        reason = "system tests need root (namespaces, tap devices)"
    elif not (os.access(rig.wyvernd_bin(), os.X_OK) and os.access(rig.wyctl_bin(), os.X_OK)):
        reason = "wyvernd/wyctl not built in %s (set WYV_BUILD)" % rig.build_dir()
    if reason:
        for it in items:
            it.add_marker(pytest.mark.skip(reason=reason))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        for wy in rig.LIVE_DAEMONS:
            state = "running" if wy.alive() else "exited rc=%s" % wy.proc.returncode
            rep.sections.append(("wyvernd log (%s, %s)" % (wy.log, state),
                                 wy.log_text()[-4000:]))


def pytest_sessionfinish(session, exitstatus):
    rig.CLEANUP.run_all()


@pytest.fixture(scope="module")
def tap4():
    with rig.TapRig(4) as r:
        yield r


@pytest.fixture
def topo(tap4):
    t = rig.Topo(tap4.wy, tap4.ns)
    yield t
    t.teardown()

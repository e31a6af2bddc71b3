"""`make run`'s launcher (hms/launcher.py): one command starts the web server and a worker;
Ctrl-C stops both, cleanly; when one of them dies, the other is stopped too."""

import signal
import socket
import subprocess
import sys
import urllib.request

import psutil
import pytest
from procrastinate.contrib.django.models import ProcrastinateWorker

from tests.jobs.helpers import BASE_DIR, wait_until, worker_env

pytestmark = pytest.mark.django_db(transaction=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture
def launched(tmp_path):
    port = _free_port()
    log = (tmp_path / "launcher.log").open("w")
    launcher = subprocess.Popen(
        [sys.executable, "-m", "hms.launcher", f"127.0.0.1:{port}"],
        cwd=BASE_DIR,
        env=worker_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # Ctrl-C reaches the launcher alone, as from its terminal
        # As a shell starts a command in the background: SIGINT ignored (and so in children).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    url = f"http://127.0.0.1:{port}/healthz"
    output = lambda: (tmp_path / "launcher.log").read_text()  # noqa: E731
    wait_until(lambda: _answers(url), timeout=90, what=f"the web server\n{output()}")
    wait_until(ProcrastinateWorker.objects.exists, timeout=60, what=f"the worker\n{output()}")
    family = _family(launcher)
    yield launcher, url, output
    if launcher.poll() is None:
        launcher.kill()
    for child in family:  # a failed test leaves nothing behind
        if child.is_running():
            child.kill()
    log.close()


def _family(launcher) -> list[psutil.Process]:
    return psutil.Process(launcher.pid).children(recursive=True)


def test_ctrl_c_stops_the_web_server_and_the_worker(launched):
    launcher, url, output = launched
    family = _family(launcher)
    assert any("runserver" in p.cmdline() for p in family)
    assert any("procrastinate" in p.cmdline() for p in family)

    launcher.send_signal(signal.SIGINT)

    assert launcher.wait(timeout=60) == 0, output()
    gone, alive = psutil.wait_procs(family, timeout=30)
    assert not alive
    assert "killing it" not in output()  # each stopped by itself, in time
    assert not _answers(url)
    assert not ProcrastinateWorker.objects.exists()  # the worker unregistered: a clean stop


def test_when_the_worker_dies_the_web_server_is_stopped_too(launched):
    launcher, url, output = launched
    worker = next(p for p in _family(launcher) if "procrastinate" in p.cmdline())

    worker.kill()

    assert launcher.wait(timeout=60) != 0
    assert "worker stopped" in output()
    wait_until(lambda: not _answers(url), timeout=30, what="the web server stopped")

"""`make demo PORT=… SHOP_PORT=…`: the ports are checked before anything is printed or started (a busy one
is named with the process holding it and how to choose another), and "running" is printed only once the
web, the shop and the worker cluster all answer (asyncpizza/startup.py)."""

import os
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests
from django.conf import settings

from asyncpizza.startup import check_ports, PortBusy, port_holder


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def listening_socket() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


def test_make_demo_passes_its_ports_on():
    dry_run = subprocess.run(["make", "-n", "demo", "PORT=8300", "SHOP_PORT=8301"], cwd=settings.BASE_DIR,
                             capture_output=True, text=True, check=True)
    assert "manage.py demo --port 8300 --shop-port 8301" in dry_run.stdout


def test_a_busy_port_is_named_with_its_holder_and_how_to_move():
    with listening_socket() as busy:
        port = busy.getsockname()[1]
        assert port_holder(port).startswith(f"pid {os.getpid()}: ")
        with pytest.raises(PortBusy) as refused:
            check_ports({"web": port, "shop": free_port()})
    message = str(refused.value)
    assert f"Port {port} (the web) is already in use, held by pid {os.getpid()}: " in message
    assert "make demo PORT=" in message


def test_the_demo_refuses_a_busy_port_before_printing_or_starting_anything(tmp_path):
    with listening_socket() as busy:
        port = busy.getsockname()[1]
        demo = subprocess.run(
            [sys.executable, "manage.py", "demo", "--port", str(free_port()), "--shop-port", str(port)],
            cwd=settings.BASE_DIR, env={**os.environ, "ASYNCPIZZA_VAR_DIR": str(tmp_path)},
            capture_output=True, text=True, timeout=60,
        )
    assert demo.returncode != 0
    assert demo.stdout == ""
    assert f"Port {port} (the shop) is already in use, held by pid {os.getpid()}" in demo.stderr
    assert "make demo SHOP_PORT=" in demo.stderr
    assert not any(tmp_path.iterdir()), "nothing is prepared before the ports are known to be free"


@pytest.mark.cluster
@pytest.mark.slow
def test_running_is_printed_once_web_shop_and_workers_answer(tmp_path):
    web_port, shop_port = free_port(), free_port()
    environment = {**os.environ, "ASYNCPIZZA_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "asyncpizza.settings",
                   "PYTHONUNBUFFERED": "1"}
    environment.pop("SHOP_URL", None)
    demo = subprocess.Popen(
        [sys.executable, "manage.py", "demo", "--port", str(web_port), "--shop-port", str(shop_port)],
        cwd=settings.BASE_DIR, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        process_group=0,
    )
    printed = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = demo.stdout.readline()
            if not line:
                break
            printed.append(line)
            if "Async Pizza is running" in line:
                # At this instant each of the three answers.
                assert requests.get(f"http://127.0.0.1:{web_port}/", timeout=5).status_code == 200
                assert requests.get(f"http://127.0.0.1:{shop_port}/health", timeout=5).status_code == 200
                break
        else:
            pytest.fail("the demo did not say it was running:\n" + "".join(printed))
        assert any("Async Pizza is running" in line for line in printed), "".join(printed)
        rest = demo.stdout.readline() + demo.stdout.readline()
        assert f"http://127.0.0.1:{web_port}/" in rest
        status = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c",
             "from core.cluster_status import clusters, workers_alive; print(workers_alive(clusters()))"],
            cwd=settings.BASE_DIR, env=environment, capture_output=True, text=True, timeout=60, check=True,
        )
        assert int(status.stdout.split()[-1]) > 0
    finally:
        os.killpg(demo.pid, signal.SIGINT)
        try:
            demo.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait()

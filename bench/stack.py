"""The whole stack (web, shop simulator, worker cluster) in processes of their own, on free loopback ports
and a scratch directory, for benchmarks. Every wait here is bounded."""

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Stack:
    def __init__(self, name: str, *, clusters: int = 1, demo_admin: bool = False, **environment):
        """`demo_admin` also creates the demo's staff user (DEMO_ADMIN_USERNAME / DEMO_ADMIN_PASSWORD)."""
        self.clusters = clusters
        self.demo_admin = demo_admin
        self.var_dir = ROOT / "var" / "bench" / name
        self.web_port, self.shop_port = free_port(), free_port()
        self.web_url = f"http://127.0.0.1:{self.web_port}"
        self.shop_url = f"http://127.0.0.1:{self.shop_port}"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "asyncpizza.settings",
            "ASYNCPIZZA_VAR_DIR": str(self.var_dir),
            "SHOP_URL": self.shop_url,
            "SITE_URL": self.web_url,  # links in mails, and where the shop calls back (SHOP_CALLBACK_URL)
            "DJANGO_DEBUG": "false",
            "DJANGO_SECURE_COOKIES": "false",  # plain HTTP on loopback
            "DJANGO_ALLOW_DEMO_SECRETS": "true",  # a local benchmark, on loopback
            "ORDER_RATE_LIMIT": "off",  # every benchmark customer orders from 127.0.0.1
            "WORKFLOW_LOG_LEVEL": "WARNING",
            "SHOP_LOG_LEVEL": "WARNING",
            # The shop's control endpoints need a token: one for this stack, given to all its processes.
            "SHOP_CONTROL_TOKEN": secrets.token_urlsafe(32),
            **{key: str(value) for key, value in environment.items()},
        }
        self.shop_auth = {"Authorization": f"Bearer {self.env['SHOP_CONTROL_TOKEN']}"}
        self.processes = []

    def __enter__(self):
        shutil.rmtree(self.var_dir, ignore_errors=True)
        self.var_dir.mkdir(parents=True)
        self._manage("prepare", *(["--demo-admin"] if self.demo_admin else []), wait=True)
        self._manage("runshop", f"127.0.0.1:{self.shop_port}")
        self._manage("runserver", f"127.0.0.1:{self.web_port}", "--noreload", "--insecure")
        for _ in range(self.clusters):
            self._manage("qcluster")
        self._wait_for(f"{self.shop_url}/health")
        self._wait_for(f"{self.web_url}/")
        return self

    def __exit__(self, *exc):
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()

    def manage(self, *argv, **run):
        """Run a management command in this stack's environment, in the foreground."""
        return subprocess.run([sys.executable, "manage.py", *argv], cwd=ROOT, env=self.env, check=True, **run)

    def _manage(self, *argv, wait=False):
        log = open(self.var_dir / f"{argv[0]}.log", "ab")
        command = [sys.executable, "manage.py", *argv]
        if wait:
            subprocess.run(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, check=True, timeout=120)
            return
        self.processes.append(subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT))

    def _wait_for(self, url: str, timeout: float = 30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if requests.get(url, timeout=2).status_code < 500:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{url} did not come up in {timeout} s; see the logs in {self.var_dir}")

    def configure_shop(self, **knobs):
        requests.put(f"{self.shop_url}/settings", json=knobs, headers=self.shop_auth, timeout=5).raise_for_status()

    def shop_ledger(self) -> list:
        """The shop's ledger with its customer details (the stack holds the control token)."""
        response = requests.get(
            f"{self.shop_url}/orders", params={"details": "true"}, headers=self.shop_auth, timeout=10
        )
        response.raise_for_status()
        return response.json()

    def shop_stats(self) -> dict:
        return requests.get(f"{self.shop_url}/stats", timeout=10).json()

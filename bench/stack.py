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

from asyncpizza.management.commands.serve import gunicorn_argv

ROOT = Path(__file__).resolve().parent.parent


def stop(process: subprocess.Popen, timeout: float = 15) -> None:
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Stack:
    def __init__(self, name: str, *, clusters: int = 1, demo_admin: bool = False, web: str = "runserver",
                 web_workers: int = 2, celery_workers: int = 0, **environment):
        """`demo_admin` also creates the demo's staff user (DEMO_ADMIN_USERNAME / DEMO_ADMIN_PASSWORD).
        `web` is "runserver" (the demo's) or "gunicorn" (the production profile, `web_workers` processes);
        `celery_workers` starts a Celery worker (bench.celery_worker) with that concurrency."""
        if web not in {"runserver", "gunicorn"}:
            raise ValueError(f"web must be runserver or gunicorn, not {web!r}")
        self.clusters = clusters
        self.demo_admin = demo_admin
        self.web, self.web_workers, self.celery_workers = web, web_workers, celery_workers
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
        try:
            return self._start_all()
        except BaseException:
            self.__exit__(None, None, None)  # whatever started, stop it: no process outlives a failed start
            raise

    def _start_all(self):
        shutil.rmtree(self.var_dir, ignore_errors=True)
        self.var_dir.mkdir(parents=True)
        (self.var_dir / "static").mkdir()  # STATIC_ROOT, which whitenoise looks at (empty: no collectstatic here)
        self._manage("prepare", *(["--demo-admin"] if self.demo_admin else []), wait=True)
        # The app is a client of the shop: a key for this stack, made as an operator would.
        made = self.manage("shopclient", "create", "bench-app", capture_output=True, text=True)
        self.env["SHOP_API_KEY"] = made.stdout.strip().splitlines()[-1]
        self._manage("runshop", f"127.0.0.1:{self.shop_port}")
        if self.web == "gunicorn":
            self.web_process = self._start("gunicorn", gunicorn_argv(f"127.0.0.1:{self.web_port}", self.web_workers))
        else:
            self.web_process = self._manage("runserver", f"127.0.0.1:{self.web_port}", "--noreload", "--insecure")
        self.cluster_processes = [self._manage("qcluster") for _ in range(self.clusters)]
        if self.celery_workers:
            self._start("celery", [sys.executable, "-m", "celery", "-A", "bench.celery_worker", "worker",
                                   "--concurrency", str(self.celery_workers), "--loglevel", "WARNING",
                                   "--without-gossip", "--without-mingle", "--without-heartbeat"])
        self._wait_for(f"{self.shop_url}/health")
        self._wait_for(f"{self.web_url}/")
        return self

    def __exit__(self, *exc):
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            stop(process)

    def manage(self, *argv, **run):
        """Run a management command in this stack's environment, in the foreground."""
        return subprocess.run([sys.executable, "manage.py", *argv], cwd=ROOT, env=self.env, check=True, **run)

    def _manage(self, *argv, wait=False, **environment):
        command = [sys.executable, "manage.py", *argv]
        if wait:
            with open(self.var_dir / f"{argv[0]}.log", "ab") as log:
                subprocess.run(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, check=True, timeout=120)
            return None
        return self._start(argv[0], command, **environment)

    def _start(self, name: str, command: list, **environment) -> subprocess.Popen:
        env = {**self.env, **{key: str(value) for key, value in environment.items()}}
        with open(self.var_dir / f"{name}.log", "ab") as log:
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def restart_clusters(self, **environment) -> None:
        """Stop the worker clusters and start as many anew with `environment` added (e.g. Q_WORKERS=4)."""
        for process in self.cluster_processes:
            stop(process)
        self.cluster_processes = [self._manage("qcluster", **environment) for _ in range(self.clusters)]

    def _wait_for(self, url: str, timeout: float = 60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if requests.get(url, timeout=10).status_code < 500:
                    return
            except (requests.ConnectionError, requests.Timeout):
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

"""ShopProcess: the real shop simulator (`manage.py runshop`) in a subprocess, for tests that talk to it
over HTTP as the app does.

    with ShopProcess() as shop:
        shop.configure(failure_rate=0.5, seed=1)
        requests.post(shop.url + "/orders", json=order, headers={"Idempotency-Key": key, **shop.client_auth}, timeout=5)
        assert len(shop.ledger()) == 1

Each ShopProcess has its own SQLite database in a temporary directory (migrated before the start), and
listens on a loopback port the system picks, so that several can run side by side. It is started with a
control token of its own (`control_token`), which its helpers send; give the app the same one
(settings.SHOP_CONTROL_TOKEN) where the app's trainer talks to it. It also has a client, made with
`manage.py shopclient create` as an operator would: its key is `api_key` (the app's SHOP_API_KEY);
`new_client(NAME)` makes another (a second app instance).
"""

import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from trainer.shop_control import ShopControl

PROJECT_DIR = Path(__file__).resolve().parents[2]
_START_LINE = re.compile(rb"Shop simulator on (http://127\.0\.0\.1:\d+)/")


class ShopProcessError(RuntimeError):
    """The shop would not start (a helper call's error is trainer.shop_control.ShopControlError)."""


class ShopProcess:
    """The shop simulator as a subprocess; start() (or `with`) runs it, stop() ends it."""

    def __init__(
        self,
        *,
        extra_env: dict[str, str] | None = None,
        startup_timeout_s: float = 60.0,  # a bound on a loaded machine; a ready shop answers at once
        request_timeout_s: float = 10.0,
        control_token: str | None = None,
    ):
        """`extra_env` is added to the shop's environment last, e.g. {"SHOP_LOG_LEVEL": "INFO"}.
        `control_token`: the shop's SHOP_CONTROL_TOKEN; a random one unless given ("" starts it without)."""
        self.extra_env = extra_env or {}
        self.control_token = secrets.token_urlsafe(32) if control_token is None else control_token
        self.startup_timeout_s = startup_timeout_s
        self.request_timeout_s = request_timeout_s
        self.url: str | None = None
        self.api_key: str | None = None  # the key of the client made at the start (the app's SHOP_API_KEY)
        self.client_names: list[str] = []  # every client made (a reset keeps them: they are the shop's customers)
        self._tmpdir: tempfile.TemporaryDirectory | None = None
        self._process: subprocess.Popen | None = None
        self._log_path: Path | None = None
        self._log_file = None
        self._last_log = ""  # what the shop printed, kept when stop() deletes its directory

    # --- Life cycle ------------------------------------------------------------------------------

    def start(self) -> "ShopProcess":
        self._tmpdir = tempfile.TemporaryDirectory(prefix="asyncpizza-shop-")
        self._log_path = Path(self._tmpdir.name) / "shop.log"
        self._launch()
        self.api_key = self.new_client("app")
        return self

    def new_client(self, name: str) -> str:
        """Make a client of this shop (`manage.py shopclient create NAME` on its database); its key."""
        made = subprocess.run(
            [sys.executable, "manage.py", "shopclient", "create", name],
            cwd=PROJECT_DIR, env=self._env(), capture_output=True, text=True, timeout=self.startup_timeout_s,
        )
        if made.returncode != 0:
            raise ShopProcessError(f"shopclient create {name} failed:\n{made.stdout}{made.stderr}")
        self.client_names.append(name)
        return made.stdout.strip().splitlines()[-1]

    @property
    def client_auth(self) -> dict:
        """The header that names the app's client, for tests that place, read or cancel orders directly."""
        return {"Authorization": f"Bearer {self.api_key}"}

    def restart(self) -> "ShopProcess":
        """Stop the shop (SIGTERM) and start it again on the same database, as a redeploy would.

        It listens on a new port: read `url` again. Its log keeps what both runs printed.
        """
        if self._tmpdir is None:
            raise ShopProcessError("the shop is not running; call start() first")
        self._terminate()
        self._launch()
        return self

    def stop(self) -> None:
        """Stop the shop (SIGTERM, then SIGKILL if it lingers) and delete its database. Safe to repeat."""
        self._terminate()
        self._cleanup()

    @property
    def returncode(self) -> int | None:
        """The process's exit code once it has ended, else None."""
        return None if self._process is None else self._process.poll()

    def log(self) -> str:
        """What the shop printed (its start line, request lines, the "shop" logger), also after stop()."""
        if self._log_path is not None and self._log_path.exists():
            self._last_log = self._log_path.read_text(errors="replace")
        return self._last_log

    def __enter__(self) -> "ShopProcess":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # --- Talking to it: through the app's own remote control (trainer.shop_control), over HTTP ----------

    @property
    def control(self) -> ShopControl:
        if self.url is None:
            raise ShopProcessError("the shop is not running; call start() first")
        return ShopControl(self.url, timeout_s=self.request_timeout_s, token=self.control_token)

    def reset(self) -> dict:
        """Empty the ledger, zero the counters, restore default settings; the settings now in force."""
        return self.control.reset()

    def configure(self, **knobs) -> dict:
        """Change the given fault knobs (PUT /settings); the settings now in force."""
        return self.control.configure(**knobs)

    def settings(self) -> dict:
        return self.control.knobs()

    def ledger(self, *, details: bool = True) -> list[dict]:
        """Every ledger entry; with `details` (the control token's view) the customer details too."""
        return self.control.ledger(details=details)

    @property
    def auth_header(self) -> dict:
        """The header the control endpoints require, for tests that call them directly."""
        return {"Authorization": f"Bearer {self.control_token}"}

    def stats(self) -> dict:
        return self.control.stats()

    # --- Inside ----------------------------------------------------------------------------------

    def _launch(self) -> None:
        """Migrate the database in the temporary directory, then run the shop on it until it serves."""
        env = self._env()
        deadline = time.monotonic() + self.startup_timeout_s
        migrate = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--database", "shop", "--noinput"],
            cwd=PROJECT_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=self.startup_timeout_s,
        )
        if migrate.returncode != 0:
            self._cleanup()
            raise ShopProcessError(f"migrating the shop's database failed:\n{migrate.stdout}{migrate.stderr}")

        # Appending: after a restart the log holds both runs, and this run's start line comes after log_start.
        self._log_file = open(self._log_path, "ab")
        log_start = self._log_file.tell()
        # Port 0: the shop binds a free port itself and names it in its start line, so no other process
        # can take the port between our choosing it and the shop binding it.
        self._process = subprocess.Popen(
            [sys.executable, "manage.py", "runshop", "127.0.0.1:0"],
            cwd=PROJECT_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            self.url = self._wait_until_serving(deadline, log_start)
        except BaseException:
            self.stop()
            raise

    def _env(self) -> dict[str, str]:
        return {
            **os.environ,
            "SHOP_DATABASE_URL": f"sqlite:///{Path(self._tmpdir.name) / 'shop.sqlite3'}",
            "DJANGO_SETTINGS_MODULE": "asyncpizza.settings",
            "PYTHONUNBUFFERED": "1",
            "SHOP_CONTROL_TOKEN": self.control_token,
            **self.extra_env,
        }

    def _wait_until_serving(self, deadline: float, log_start: int) -> str:
        url = None
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise ShopProcessError(f"the shop exited with {self._process.returncode}:\n{self.log()}")
            if url is None:
                match = _START_LINE.search(self._log_path.read_bytes()[log_start:])
                url = match[1].decode() if match else None
            if url is not None:
                try:
                    if requests.get(url + "/health", timeout=1).status_code == 200:
                        return url
                except requests.ConnectionError:
                    pass
            time.sleep(0.05)
        raise ShopProcessError(f"the shop did not answer /health within {self.startup_timeout_s} s:\n{self.log()}")

    def _terminate(self) -> None:
        """End the process, if it runs: SIGTERM, then SIGKILL if it lingers. The database stays."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self.url = None
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def _cleanup(self) -> None:
        self.log()  # keep it in memory before the file goes
        self._log_path = None
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None

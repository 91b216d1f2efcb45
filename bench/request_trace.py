"""Where a request's time goes, inside the web process: a bench-only middleware (bench.settings adds it first
when BENCH_TRACE_DIR is set) that times every SQL statement of the request (a database execute wrapper, so a
statement's wait for a lock or SQLite's write lock counts in it) and, with BENCH_TRACE_CPROFILE, runs cProfile
on the thread of each POST to the form or the bare view. Each process writes its figures to BENCH_TRACE_DIR (every 20 requests and at exit);
bench.form_rush reads them. Never in production settings."""

import atexit
import cProfile
import json
import os
import re
import threading
import time
from collections import defaultdict
from pathlib import Path

from django.conf import settings
from django.db import connection

_lock = threading.Lock()
_requests: dict[str, list] = defaultdict(list)  # kind -> [(total s, db s, statements, opened a connection)]
_statements: dict[str, list] = defaultdict(lambda: [0, 0.0])  # kind | shape -> [count, seconds]
_profiles: dict[tuple[int, str], cProfile.Profile] = {}  # (thread, "form" or "bare") -> its profile
_seen = 0
_TABLE = re.compile(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', re.IGNORECASE)


def shape(sql: str) -> str:
    """A statement's verb and first table: `SELECT orders_pizza`, `INSERT orders_order`, `BEGIN`."""
    verb = sql.split(None, 1)[0].upper() if sql.strip() else "?"
    table = _TABLE.search(sql)
    if verb == "SELECT" and " FOR UPDATE" in sql.upper():
        verb = "SELECT FOR UPDATE"
    return f"{verb} {table[1]}" if table else verb


def request_kind(request) -> str:
    path = "bare" if request.path.startswith("/bench/bare") else "form" if request.path == "/" else request.path[:20]
    return f"{request.method} {path}"


class RequestTraceMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.directory = Path(settings.BENCH_TRACE_DIR)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.profile = settings.BENCH_TRACE_CPROFILE
        atexit.register(self.dump)

    def __call__(self, request):
        global _seen
        kind = request_kind(request)
        spent = {"db": 0.0, "n": 0}

        def timed(execute, sql, params, many, context):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                seconds = time.perf_counter() - started
                spent["db"] += seconds
                spent["n"] += 1
                with _lock:
                    entry = _statements[f"{kind} | {shape(sql)}"]
                    entry[0] += 1
                    entry[1] += seconds

        profile = None
        if self.profile and kind in ("POST form", "POST bare"):
            profile = _profiles.setdefault((threading.get_ident(), kind.split()[1]), cProfile.Profile())
            profile.enable()
        fresh = connection.connection is None  # this thread's first request, or its connection was closed
        started = time.perf_counter()
        try:
            with connection.execute_wrapper(timed):
                return self.get_response(request)
        finally:
            total = time.perf_counter() - started
            if profile is not None:
                profile.disable()
            with _lock:
                _requests[kind].append((total, spent["db"], spent["n"], fresh))
                _seen += 1
                due = _seen % 20 == 0
            if due:
                self.dump()

    def dump(self):
        with _lock:
            figures = json.dumps({"requests": dict(_requests), "statements": dict(_statements)})
        pid = os.getpid()
        # Written aside, then renamed: two threads may dump at once, and a reader never sees half a file.
        aside = self.directory / f".trace-{pid}-{threading.get_ident()}.json"
        aside.write_text(figures)
        aside.replace(self.directory / f"trace-{pid}.json")
        for (thread, view), profile in list(_profiles.items()):
            try:
                profile.dump_stats(self.directory / f"cprofile-{view}-{pid}-{thread}.prof")
            except Exception:  # noqa: BLE001 - a profile still enabled on its thread: the next dump has it
                pass

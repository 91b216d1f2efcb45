"""Issue 19's goal table: each figure of one `make bench` run (bench.report's results) beside the issue's
"before", its peer or floor measured in the same run, and its goal; met or missed, and for a miss, what the
run's own figures say about its cause.

`rows(results)` only reads figures (tests build the table from given ones); bench.report measures them."""

import statistics
from dataclasses import dataclass, field
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class Goal:
    key: str
    figure: str
    before: str  # the text, fixed
    goal: str
    limit: float
    unit: str = "ms"
    at_least: bool = False  # the figure must reach the limit, not stay under it

    def met_by(self, value: float) -> bool:
        return value >= self.limit if self.at_least else value <= self.limit


GOALS = [
    Goal("pickup_sqlite", "pickup p50 (order committed → first attempt starts), ORM broker, SQLite", "122 ms",
         "≤ 15 ms, the job still committed with the order", 15),
    Goal("pickup_postgres", "pickup p50, ORM broker, PostgreSQL", "170 ms", "≤ 15 ms, the job still committed with the order", 15),
    Goal("confirmed_demo", "confirmed after p50, 0 s shop, the demo (SQLite)", "143 ms", "≤ 50 ms", 50),
    Goal("form_production", "form p95 ÷ bare insert, 50 customers at once, production profile", "10.4 × (3212 vs 309 ms)",
         "≤ 2 ×", 2, unit="×"),
    Goal("form_gunicorn_sqlite", "form p95 ÷ bare insert, 50 at once, gunicorn + SQLite", "3.1 ×", "≤ 2 ×", 2, unit="×"),
    Goal("callback", "callback mode, orders/s confirmed against a 1 s shop", "10.3", "≥ 20", 20, unit="orders/s", at_least=True),
    Goal("attempt", "an attempt against a 0 s shop, p50", "40 ms production, 21 ms SQLite", "≤ 10 ms", 10),
    Goal("retry", "a retry starts after it is due, p50", "up to 30 s in production, 0.2–0.4 s on SQLite", "≤ 50 ms", 50),
]

# The stacks a row reads (bench.report's profile keys), and what the table calls them.
NAMES = {"demo": "SQLite", "gunicorn-sqlite": "gunicorn + SQLite", "gunicorn-postgres-orm": "PostgreSQL ORM",
         "production": "production", "celery": "Celery + Redis"}
# The pickup row's peers, named for what they are.
PEERS = {"celery": "Celery + Redis", "production": "django-q2 + Redis"}


@dataclass
class Row:
    goal: Goal
    values: dict  # what the goal is judged on: {stack name: figure}
    shown: str  # this run, in words
    peer: str  # the peer or floor, this run
    why: str = ""  # for a miss: what the figures say
    peer_values: dict = field(default_factory=dict)  # the peer's or floor's figures, for the chart

    @property
    def met(self) -> bool | None:
        if not self.values or any(v is None for v in self.values.values()):
            return None
        return all(self.goal.met_by(v) for v in self.values.values())


def f(value, digits=1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def ratio(a, b) -> float | None:
    return None if not a or not b else a / b


def median(values) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def pickup(profile: dict) -> tuple[float | None, str]:
    """The median of the pickup runs' p50s, and the runs in words."""
    runs = profile.get("pickup_runs") or [profile["sequential"]["pickup"]["p50"]]
    return median(runs), f"{f(median(runs))} ms (runs: {', '.join(f(v) for v in runs)})"


def crowd(profile: dict) -> dict:
    """The form beside the bare insert at the most customers at once."""
    return profile["form"][max(profile["form"], key=int)]


def form_ratio(profile: dict) -> float | None:
    top = crowd(profile)
    return ratio(top["form"]["p95"], top["bare"]["p95"])


def rows(r: dict) -> list[Row]:
    """Every goal whose stacks this run measured, in the issue's order."""
    built = []
    for goal in GOALS:
        row = BUILDERS[goal.key](goal, r["profiles"], r)
        if row is not None:
            if row.met is False:
                row.why = EXPLAINERS[goal.key](row, r["profiles"], r)
            built.append(row)
    return built


def _pickup_row(key: str):
    def build(goal, p, r):
        if key not in p:
            return None
        value, shown = pickup(p[key])
        peers = [f"{PEERS[k]} {pickup(p[k])[1]}" + (", not atomic (sent after the commit)" if k == "celery" else "")
                 for k in PEERS if k in p]
        return Row(goal, {NAMES[key]: value}, shown, "; ".join(peers), peer_values={PEERS[k]: pickup(p[k])[0] for k in PEERS if k in p})
    return build


def _confirmed_row(goal, p, r):
    if "demo" not in p:
        return None
    s = p["demo"]["sequential"]
    return Row(goal, {"SQLite": s["confirmation"]["p50"]}, f"{f(s['confirmation']['p50'])} ms (n {s['confirmation']['n']})", "")


def _form_row(key: str, peer_key: str | None):
    def build(goal, p, r):
        if key not in p:
            return None
        top, customers = crowd(p[key]), max(p[key]["form"], key=int)
        shown = f"{f(form_ratio(p[key]), 1)} × ({f(top['form']['p95'], 0)} vs {f(top['bare']['p95'], 0)} ms, {customers} at once)"
        peer = f"Celery peer {f(form_ratio(p[peer_key]), 1)} ×" if peer_key in p else ""
        return Row(goal, {NAMES[key]: form_ratio(p[key])}, shown, peer,
                   peer_values={"Celery peer": form_ratio(p[peer_key])} if peer_key in p else {})
    return build


def _callback_row(goal, p, r):
    callback = p.get("production", {}).get("callback")
    if not callback:
        return None
    placed = callback.get("placed_per_s")
    return Row(goal, {"production": callback["per_s"]},
               f"{f(callback['per_s'])} ({callback['confirmed']} of {callback['orders']} orders, 2 workers)",
               f"orders placed at {f(placed)}/s" if placed else "")


def _floor(p) -> float | None:
    return p.get("demo", {}).get("keepalive_shop", {}).get("kept")


def _attempt_row(goal, p, r):
    values = {NAMES[k]: p[k]["sequential"]["attempt"]["p50"] for k in ("production", "demo") if k in p}
    if not values:
        return None
    shown = ", ".join(f"{f(v, 0)} ms {name}" for name, v in values.items())
    floor = _floor(p)
    return Row(goal, values, shown, f"a loopback round trip to the shop (kept-alive GET /health) {f(floor, 2)} ms" if floor else "",
               peer_values={"loopback round trip": floor} if floor else {})


def _retry_row(goal, p, r):
    measured = {k: p[k]["retry_lateness"] for k in ("production", "demo") if "retry_lateness" in p.get(k, {})}
    if not measured:
        return None
    shown = ", ".join(f"{f(m['p50'], 0)} ms {NAMES[k]} (p95 {f(m['p95'], 0)}, n {m['n']})" for k, m in measured.items())
    return Row(goal, {NAMES[k]: m["p50"] for k, m in measured.items()}, shown, "")


BUILDERS = {
    "pickup_sqlite": _pickup_row("demo"),
    "pickup_postgres": _pickup_row("gunicorn-postgres-orm"),
    "confirmed_demo": _confirmed_row,
    "form_production": _form_row("production", "celery"),
    "form_gunicorn_sqlite": _form_row("gunicorn-sqlite", None),
    "callback": _callback_row,
    "attempt": _attempt_row,
    "retry": _retry_row,
}


# What each miss is made of, from the run's own figures: the parts are compared, the largest is named.

def _explain_pickup(row, p, r):
    value = next(iter(row.values.values()))
    poll_ms = 1000 * r.get("poll_s", 0)
    redis = pickup(p["production"])[0] if "production" in p else None
    if redis is None:
        return f"pickup {f(value)} ms against a poll every {f(poll_ms, 0)} ms; no Redis stack in this run to compare."
    broker_part = value - redis
    if broker_part <= 0:
        return (f"no broker wait is left: django-q2 on Redis, the same worker code without the ORM broker, takes "
                f"{f(redis)} ms, as long or longer; the {f(value)} ms are the worker's own path (the task handed to a "
                f"worker process, the order claimed, the attempt row written).")
    if broker_part > redis:
        return (f"the broker dominates: django-q2 on Redis runs the same worker code and picks up in {f(redis)} ms, so "
                f"{f(broker_part)} of the {f(value)} ms are the ORM broker's (the wait for its wake-up or its poll, every "
                f"{f(poll_ms, 0)} ms, and the claim of the job row).")
    return (f"the worker's own path dominates: even on Redis pickup takes {f(redis)} ms of the {f(value)} ms (the "
            f"task handed to a worker process, the order claimed, the attempt row written); the ORM broker adds "
            f"{f(broker_part)} ms.")


def _explain_confirmed(row, p, r):
    s = p["demo"]["sequential"]
    total = s["confirmation"]["p50"]
    parts = {"pickup": pickup(p["demo"])[0], "the attempt": s["attempt"]["p50"]}
    parts["the rest (the outcome's writes after the answer)"] = total - sum(v or 0 for v in parts.values())
    largest = max(parts, key=lambda k: parts[k] or 0)
    return (f"of {f(total)} ms, " + ", ".join(f"{name} {f(v)} ms" for name, v in parts.items())
            + f" (p50s, so they add up only roughly): {largest} is the largest part.")


def _explain_form(key, peer_key):
    def explain(row, p, r):
        figures = p[key]["form"]
        alone, top = figures[min(figures, key=int)], crowd(p[key])
        alone_ratio, crowd_ratio = ratio(alone["form"]["p95"], alone["bare"]["p95"]), form_ratio(p[key])
        extra_alone = (alone["form"]["p50"] or 0) - (alone["bare"]["p50"] or 0)
        text = (f"alone, the form takes {f(extra_alone)} ms more than the bare insert (p50; p95 ratio "
                f"{f(alone_ratio, 1)} ×); with {max(figures, key=int)} customers at once the p95 ratio is "
                f"{f(crowd_ratio, 1)} ×: ")
        if alone_ratio is not None and crowd_ratio is not None and crowd_ratio > 1.5 * alone_ratio:
            text += "it grows with the crowd, so queueing dominates (each request's extra work waits behind the others' on 2 cores and one database)."
        else:
            text += "about as much alone as in a crowd, so the form's own work per request dominates."
        if peer_key and peer_key in p and form_ratio(p[peer_key]) is not None:
            peer = form_ratio(p[peer_key])
            text += (f" The Celery peer, the same form with another queue, is at {f(peer, 1)} ×: "
                     + ("the queue is not what makes the difference." if peer > row.goal.limit else
                        "django-q2's enqueue costs the difference."))
        return text
    return explain


def _explain_callback(row, p, r):
    callback = p["production"]["callback"]
    placed = callback.get("placed_per_s")
    if placed is not None and placed < row.goal.limit:
        return (f"the orders arrived at {f(placed)}/s, under the goal: the form placing them (the load generator and "
                f"the web on the same 2 cores) bounds the rate before the workers do.")
    per_order_ms = 2000 / callback["per_s"] if callback["per_s"] else None
    return (f"orders arrived at {f(placed)}/s and were confirmed at {f(callback['per_s'])}/s: the 2 workers are the "
            f"limit, {f(per_order_ms, 0)} ms of worker time per order (its attempt that gets the 202, the callback's "
            f"outcome, and its mail).")


def _explain_attempt(row, p, r):
    floor = _floor(p)
    worst_name = max(row.values, key=lambda k: row.values[k])
    worst = row.values[worst_name]
    text = (f"a loopback round trip to the shop takes {f(floor, 2)} ms, so {f(worst - floor)} of the {f(worst, 0)} ms "
            f"({worst_name}) are the shop simulator's handler and the attempt's own writes around the call"
            if floor else f"{f(worst, 0)} ms ({worst_name})")
    if len(row.values) == 2:
        (a, va), (b, vb) = row.values.items()
        text += (f"; {a} and {b} differ by {f(abs(va - vb), 0)} ms with the same shop simulator: what the two stacks "
                 f"do not share, their app database (PostgreSQL or SQLite) and its connections")
    return text + "."


def _explain_retry(row, p, r):
    tick_ms = 1000 * r.get("scheduler_tick_s", 0) if r.get("scheduler_tick_s") else None
    parts = []
    for key in ("production", "demo"):
        if NAMES[key] in row.values and row.values[NAMES[key]] > row.goal.limit:
            late, picked = row.values[NAMES[key]], pickup(p[key])[0]
            part = f"{NAMES[key]}: {f(late, 0)} ms late, where a fresh order's pickup there is {f(picked, 0)} ms"
            if tick_ms and late > 2 * tick_ms:
                part += f", and longer than the scheduler's tick ({f(tick_ms, 0)} ms): the due retry waits for a slower look than the tick"
            elif late - picked > picked:
                part += (f": the {f(late - picked, 0)} ms beyond a pickup dominate, the wait for the scheduler's tick "
                         f"(every {f(tick_ms, 0)} ms, half of it on average)")
            else:
                part += ": the pickup dominates, the due retry is queued about on time"
            parts.append(part)
    return "; ".join(parts) + "."


EXPLAINERS = {
    "pickup_sqlite": _explain_pickup,
    "pickup_postgres": _explain_pickup,
    "confirmed_demo": _explain_confirmed,
    "form_production": _explain_form("production", "celery"),
    "form_gunicorn_sqlite": _explain_form("gunicorn-sqlite", None),
    "callback": _explain_callback,
    "attempt": _explain_attempt,
    "retry": _explain_retry,
}


def verdict(row: Row) -> str:
    return {True: "met", False: "missed", None: "not measured"}[row.met]


def table(built: list[Row], load_before: str = "0") -> list[str]:
    """The goal table, and under it each miss with its cause; `load_before` as /proc/loadavg gives it."""
    lines = ["| figure | before | this run | peer / floor (this run) | goal | met |", "| --- | --- | --- | --- | --- | --- |"]
    lines += [f"| {row.goal.figure} | {row.goal.before} | {row.shown} | {row.peer} | {row.goal.goal} | {verdict(row)} |"
              for row in built]
    missed = [row for row in built if row.met is False]
    if missed:
        lines += ["", "Each miss, from this run's own figures:", ""]
        lines += [f"- **{row.goal.figure}**: {row.why}" for row in missed]
        if float(load_before.split()[0]) >= 1:
            lines += ["", f"The goals are for a quiet machine (load under 1); this run started at load {load_before}, "
                          "so every part above shares the cores with other work."]
    else:
        lines += ["", "Every goal measured was met in this run."]
    return lines


def chart(built: list[Row], started: str) -> str:
    """One panel per goal: a bar per figure of this run (coloured met or missed) and per peer or floor (grey),
    the goal a dashed line."""
    bar_h, left, width = 24, 300, 380
    panels = [(row, [*row.values.items()], [*row.peer_values.items()]) for row in built]
    height = 50 + sum(30 + bar_h * max(1, len(values) + len(peers)) for _, values, peers in panels) + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 170}" height="{height}" font-family="sans-serif" font-size="12">',
             '<rect width="100%" height="100%" fill="white"/>',
             '<text x="10" y="22" font-size="14" font-weight="bold">Issue 19\'s goals: each figure of this run beside its goal (the dashed line)</text>']
    y = 44
    for row, values, peers in panels:
        color = {True: "#1e8449", False: "#c0392b", None: "#7f8c8d"}[row.met]
        parts.append(f'<text x="10" y="{y + 12}" font-weight="bold">{escape(row.goal.figure[:90])}</text>')
        y += 18
        scale = max([v for _, v in values + peers if v is not None] + [row.goal.limit]) * 1.1
        goal_x, top = left + width * row.goal.limit / scale, y
        for (name, value), fill in [*((v, color) for v in values or [("", None)]), *((v, "#bbbbbb") for v in peers)]:
            bar = width * (value or 0) / scale
            parts.append(f'<text x="20" y="{y + 14}">{escape(name)}</text>')
            parts.append(f'<rect x="{left}" y="{y + 4}" width="{bar:.1f}" height="13" fill="{fill}"/>')
            parts.append(f'<text x="{left + bar + 4:.1f}" y="{y + 15}">{f(value)} {escape(row.goal.unit)}</text>')
            y += bar_h
        parts.append(f'<line x1="{goal_x:.1f}" y1="{top + 2}" x2="{goal_x:.1f}" y2="{y}" stroke="black" stroke-dasharray="4 3"/>')
        parts.append(f'<text x="{goal_x + 3:.1f}" y="{y + 4}" font-size="10" fill="#333">goal {escape(row.goal.goal.split(",")[0])}</text>')
        y += 12
    parts.append(f'<text x="10" y="{height - 12}" fill="#555">Green: met, red: missed, grey: the peer or floor, same run. '
                 f'Each panel has its own scale. Source: docs/PERFORMANCE.md ({escape(started)}).</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"

"""docs/PERFORMANCE.md and docs/performance.svg from bench.report's results."""

from pathlib import Path

from . import batches, notes, targets
from .stack import ROOT
from .targets import f, ratio

# Sections measured only when asked for (bench.report --chaos, --batches): when a run leaves them out, the
# report keeps what was published before under these headings.
OPTIONAL = {"chaos": "## Chaos", "batches": "## Bulk orders"}
KEPT_NOTE = "_Not measured in the run above: kept as published before"
SECTIONS = ROOT / "bench" / "sections"


def other_checks(r: dict) -> list[tuple[str, str, bool | None]]:
    """The checks kept from before issue 19's goals (its table is bench/targets.py): (check, measured, met)."""
    profiles, rows = r["profiles"], []
    kept = [(name, p[key]) for name, p in profiles.items() for key in ("keepalive_web", "keepalive_shop") if key in p]
    if kept:
        worst = max(k["kept"] - k["fresh"] for _, k in kept)
        shown = "; ".join(f"{name} {'shop' if key == 'keepalive_shop' else 'web'}: fresh {f(p[key]['fresh'], 2)}, kept {f(p[key]['kept'], 2)}"
                          for name, p in profiles.items() for key in ("keepalive_web", "keepalive_shop") if key in p)
        rows.append(("a kept-alive request costs ≤ 2 ms over a fresh one", f"worst difference {f(worst, 2)} ms ({shown}; ms, p50)", worst <= 2))
    production = profiles.get("production")
    if production and "throughput" in production:
        fractions = {w: t["per_s"] / int(w) for w, t in production["throughput"].items()}
        rows.append(("throughput ≥ 90 % of workers ÷ latency (1 s shop)",
                     ", ".join(f"{w} workers {f(100 * x, 0)} %" for w, x in fractions.items()), min(fractions.values()) >= 0.9))
        errors = production["load"]["errors"]
        rows.append((f"0 errors under load ({production['load']['customers']} customers)",
                     f"{errors} errors in {production['load']['requests']} requests", errors == 0))
    if "batches" in r:
        rows += batches.targets(r["batches"])
    return rows


def percentile_row(label, s) -> str:
    return f"| {label} | {s['n']} | {f(s['p50'])} | {f(s['p95'])} | {f(s['p99'])} |"


def write_report(r: dict, output: str) -> str:
    out = Path(output)
    lines = [
        "# Performance", "",
        f"Measured by `make bench` (bench/report.py) in one run on {r['started']}, taking {f(r['minutes'])} minutes. "
        f"Machine: {r['machine']['cores']} cores ({r['machine']['cpu']}), {r['machine']['memory_gb']} GB, Linux "
        f"{r['machine']['kernel']}, Python {r['machine']['python']}. Load average (1, 5, 15 min) before: "
        f"{r['load_before']}, after: {r['load_after']}" + (" — a busy, shared machine: every figure is noisy, "
        "and latencies under concurrency are higher than on a quiet one." if float(r['load_before'].split()[0]) > 1 else "."),
        "", "Versions: " + ", ".join(f"{k} {v}" for k, v in r["versions"].items()) + ".", "",
    ]
    if r["quick"]:
        lines += ["**`--quick` run: tiny sizes that only check the harness; the figures mean nothing.**", ""]
    goals = targets.rows(r)
    lines += ["![Each goal beside this run's figure](performance.svg)", "",
              "## Goals (issue 19)", "", notes.GOALS, "", *targets.table(goals, r["load_before"]), ""]
    lines += [*pickup_runs(r), ""]
    rows = other_checks(r)
    lines += ["## Other checks", "", "| check | measured | met |", "| --- | --- | --- |"]
    lines += [f"| {t} | {m} | {'met' if ok else 'missed'} |" for t, m, ok in rows]
    lines += ["", *notes.missed([t for t, _, ok in rows if not ok]), *notes.METHOD.format(poll=r["poll_s"], **r["sizes"]).splitlines(), ""]
    lines += ["## The 40 ms tax", "", notes.TAX, "",
              "A GET on a fresh connection (connect included) beside one on a kept-alive connection, median ms:", "",
              "| server | fresh | kept-alive | JSON POST on a requests.Session, as the ShopClient |", "| --- | --- | --- | --- |"]
    lines += [f"| {name} (a tiny WSGI app, in-process) | {f(k['fresh'], 2)} | {f(k['kept'], 2)} | "
              f"{f(k['session_post'], 2) if 'session_post' in k else 'not measured in this run'} |" for name, k in r["stock_server"].items()]
    for key, p in r["profiles"].items():
        lines.append(f"| {p['title']}: web, the bare GET | {f(p['keepalive_web']['fresh'], 2)} | {f(p['keepalive_web']['kept'], 2)} | |")
        if "keepalive_shop" in p:
            lines.append(f"| the shop simulator, GET /health | {f(p['keepalive_shop']['fresh'], 2)} | {f(p['keepalive_shop']['kept'], 2)} | |")
    lines += ["", "## The form beside its floor", "", notes.FLOOR, ""]
    for key, p in r["profiles"].items():
        lines += [f"### {p['title']}", "", "| request | n | p50 ms | p95 ms | p99 ms |", "| --- | --- | --- | --- | --- |"]
        for customers, figures in p["form"].items():
            lines.append(percentile_row(f"order form, {customers} at once", figures["form"]))
            lines.append(percentile_row(f"bare insert, {customers} at once", figures["bare"]))
            lines.append(f"| form ÷ bare (p50, p95) | | {f(ratio(figures['form']['p50'], figures['bare']['p50']), 2)} × | "
                         f"{f(ratio(figures['form']['p95'], figures['bare']['p95']), 2)} × | |")
        lines.append("")
    drained = ", ".join(f"{f(p.get('backlog_drained_s'), 0)} s" for p in r["profiles"].values())
    lines += ["## Pickup, attempt and confirmation (a 0 s shop, one order at a time)", "", notes.PICKUP.format(poll=r["poll_s"]),
              f"Measured once the orders of the form's measurement had all been handled (it took, per stack: {drained}).", "",
              "| stack | pickup p50 / p95 ms | attempt p50 / p95 ms | confirmed after p50 / p95 ms | web PSS MB (processes) | worker PSS MB (processes) |",
              "| --- | --- | --- | --- | --- | --- |"]
    for key, p in r["profiles"].items():
        s, m = p["sequential"], p["memory"]
        lines.append(f"| {p['title']} | {f(s['pickup']['p50'])} / {f(s['pickup']['p95'])} | {f(s['attempt']['p50'])} / "
                     f"{f(s['attempt']['p95'])} | {f(s['confirmation']['p50'])} / {f(s['confirmation']['p95'])} | "
                     f"{memory_cell(m['web'])} | {memory_cell(m['workers'])} |")
    production = r["profiles"].get("production")
    if production and "slow_shops" in production:
        lines += ["", "## Time to confirmation against slower shops (production profile)", "",
                  "| shop latency | orders | confirmed after p50 / p95 ms | attempt p50 ms |", "| --- | --- | --- | --- |",
                  f"| 0 s | {production['sequential']['confirmation']['n']} | {f(production['sequential']['confirmation']['p50'])} / "
                  f"{f(production['sequential']['confirmation']['p95'])} | {f(production['sequential']['attempt']['p50'])} |"]
        for latency, s in production["slow_shops"].items():
            lines.append(f"| {latency} s | {s['confirmation']['n']} | {f(s['confirmation']['p50'])} / {f(s['confirmation']['p95'])} | {f(s['attempt']['p50'])} |")
        lines += ["", "## Throughput against a 1 s shop (production profile)", "", notes.THROUGHPUT, "",
                  "| workers | orders | confirmed | orders/s | bound (workers ÷ 1 s) | fraction |", "| --- | --- | --- | --- | --- | --- |"]
        for workers, t in production["throughput"].items():
            lines.append(f"| {workers} | {t['orders']} | {t['confirmed']} | {f(t['per_s'], 2)} | {workers} | {f(100 * t['per_s'] / int(workers), 0)} % |")
        c = production["callback"]
        lines.append(f"| 2, callback mode | {c['orders']} | {c['confirmed']} | {f(c['per_s'], 2)} | (no bound: the workers are freed) | placed at {f(c.get('placed_per_s'))}/s |")
        load_figures = production["load"]
        lines += ["", f"## {load_figures['customers']} customers for {f(load_figures['seconds'], 0)} s (production profile)", "", notes.LOAD, "",
                  "| requests | errors | orders placed | requests/s | p50 ms | p95 ms | p99 ms | order POST p95 ms |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- |",
                  f"| {load_figures['requests']} | {load_figures['errors']} | {load_figures['orders']} | "
                  f"{f(load_figures['requests'] / load_figures['seconds'])} | {f(load_figures['all']['p50'])} | {f(load_figures['all']['p95'])} | "
                  f"{f(load_figures['all']['p99'])} | {f(load_figures['order']['p95'])} |"]
    previous = published_sections(out)
    if not r.get("chaos") and previous.get("chaos"):
        lines += ["", *previous["chaos"]]
    if r.get("chaos"):
        lines += ["", "## Chaos: cluster processes killed during a lunch rush (bench/chaos.py)", "",
                  "Customers order through the form at a steady rate while, every 2 to 6 s, one random process of the "
                  "worker cluster is killed with SIGKILL (idle or busy worker, monitor, pusher, sentinel); the shop "
                  "fails 10 % of calls. \"Placed twice\" counts shop orders made twice for one customer order; "
                  "\"longest stall\" is the longest time during the rush in which orders were open and none was "
                  "confirmed (docs/ARCHITECTURE.md, \"When a cluster process dies\").", "",
                  "| setup | minutes | kills | orders | confirmed | failed | open | placed twice | mails (one each / more) | longest stall s | all final after the rush s |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for c in r["chaos"]:
            kills = ", ".join(f"{n} {kind}" for kind, n in sorted(c["kills"].items()))
            lines.append(f"| {c['broker']} broker, {c['database']} | {f(c['minutes'])} | {kills} | {c['orders']} | "
                         f"{c['confirmed']} | {c['failed']} | {c['open']} | {c['placed_twice']} | {c['mails']} "
                         f"({c['orders_with_one_mail']} / {c['orders_with_more_mails']}) | {f(c['longest_stall_s'])} | "
                         f"{f(c['drained_after_rush_s'], 0)} |")
    if "batches" in r:
        lines += ["", *batches.lines(r["batches"])]
    elif previous.get("batches"):
        lines += ["", *previous["batches"]]
    lines += ["", notes.PEER, ""]
    for section in sorted(SECTIONS.glob("[0-9][0-9]-*.md")):
        lines += ["", section.read_text().strip(), ""]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines).rstrip() + "\n")
    out.with_name("performance.svg").write_text(targets.chart(goals, r["started"]))
    return "\n".join(["Goals:", *targets.table(goals, r["load_before"]), f"load before {r['load_before']}, after {r['load_after']}", f"written: {out}"])


def pickup_runs(r: dict) -> list[str]:
    """Each stack's pickup runs: the goal table takes their median."""
    measured = {key: p["pickup_runs"] for key, p in r["profiles"].items() if p.get("pickup_runs")}
    if not measured:
        return []
    lines = [f"Pickup p50 of each run ({r['sizes']['pickups']} orders one at a time each), ms:", "",
             "| stack | runs | median |", "| --- | --- | --- |"]
    return lines + [f"| {r['profiles'][key]['title']} | {', '.join(f(v) for v in runs)} | {f(targets.median(runs))} |"
                    for key, runs in measured.items()]


def published_sections(out: Path) -> dict:
    """The optional sections as the report at `out` holds them now (heading to the next heading), without the
    note a kept section carries, so that keeping one again does not add another."""
    if not out.exists():
        return {}
    found, current = {}, None
    for line in out.read_text().splitlines():
        if line.startswith("## "):
            current = next((key for key, heading in OPTIONAL.items() if line.startswith(heading)), None)
            if current:
                found[current] = [line, "", f"{KEPT_NOTE} (`make bench BENCH_ARGS=--{current}` measures it again)._"]
                continue
        if current and not line.startswith(KEPT_NOTE):
            found[current].append(line)
    return {key: _trimmed(lines) for key, lines in found.items()}


def _trimmed(lines: list[str]) -> list[str]:
    """Without blank lines at the end or two in a row."""
    kept = [line for n, line in enumerate(lines) if line.strip() or (n and lines[n - 1].strip())]
    while kept and not kept[-1].strip():
        kept.pop()
    return kept


def memory_cell(processes: list) -> str:
    if not processes:
        return "–"
    pss = [p[1] for p in processes]
    return f"{f(sum(pss), 0)} ({len(pss)}: {f(min(pss), 0)}–{f(max(pss), 0)} each)"

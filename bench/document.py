"""docs/PERFORMANCE.md and docs/performance.svg from bench.report's results."""

from pathlib import Path
from xml.sax.saxutils import escape

from . import batches, notes


def f(value, digits=1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def ratio(a, b) -> float | None:
    return None if not a or not b else a / b


def targets(r: dict) -> list[tuple[str, str, bool | None]]:
    """(target, what was measured, met)."""
    profiles, rows = r["profiles"], []
    kept = [(name, p[key]) for name, p in profiles.items() for key in ("keepalive_web", "keepalive_shop") if key in p]
    if kept:
        worst = max(k["kept"] - k["fresh"] for _, k in kept)
        shown = "; ".join(f"{name} {'shop' if key == 'keepalive_shop' else 'web'}: fresh {f(p[key]['fresh'], 2)}, kept {f(p[key]['kept'], 2)}"
                          for name, p in profiles.items() for key in ("keepalive_web", "keepalive_shop") if key in p)
        rows.append(("a kept-alive request costs ≤ 2 ms over a fresh one", f"worst difference {f(worst, 2)} ms ({shown}; ms, p50)", worst <= 2))
    production = profiles.get("production")
    if production:
        attempt = production["sequential"]["attempt"]
        rows.append(("an attempt against a 0 s shop < 15 ms", f"p50 {f(attempt['p50'])} ms, p95 {f(attempt['p95'])} ms (production)",
                     attempt["p50"] is not None and attempt["p50"] < 15))
        for customers, figures in production["form"].items():
            form_bare = ratio(figures["form"]["p95"], figures["bare"]["p95"])
            rows.append((f"form p95 ≤ 1.5 × bare insert ({customers} at once)",
                         f"{f(figures['form']['p95'])} ms vs {f(figures['bare']['p95'])} ms: {f(form_bare, 2)} × (production)",
                         form_bare is not None and form_bare <= 1.5))
    for key, label, limit in (("demo", "ORM broker, SQLite", 250), ("gunicorn-postgres-orm", "ORM broker, PostgreSQL", 250),
                              ("production", "Redis", 30)):
        if key in profiles:
            pickup = profiles[key]["sequential"]["pickup"]
            rows.append((f"pickup p50 < {limit} ms ({label})", f"p50 {f(pickup['p50'])} ms, p95 {f(pickup['p95'])} ms",
                         pickup["p50"] is not None and pickup["p50"] < limit))
    if production and "throughput" in production:
        fractions = {w: t["per_s"] / int(w) for w, t in production["throughput"].items()}
        rows.append(("throughput ≥ 90 % of workers ÷ latency (1 s shop)",
                     ", ".join(f"{w} workers {f(100 * x, 0)} %" for w, x in fractions.items()), min(fractions.values()) >= 0.9))
        callback = production["callback"]["per_s"]
        rows.append(("callback mode ≥ 20 orders/s against a 1 s shop", f"{f(callback)} orders/s (2 workers)", callback >= 20))
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
    lines += ["![The form beside a bare insert, and pickup latency](performance.svg)", "",
              "## Targets", "", "| target | measured | met |", "| --- | --- | --- |"]
    rows = targets(r)
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
    lines += ["", notes.PEER, ""]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines).rstrip() + "\n")
    out.with_name("performance.svg").write_text(chart(r))
    return "\n".join(["Headline:", "| target | measured | met |", "| --- | --- | --- |",
                      *[f"| {t} | {m} | {'met' if ok else 'missed'} |" for t, m, ok in rows], f"written: {out}"])


def memory_cell(processes: list) -> str:
    if not processes:
        return "–"
    pss = [p[1] for p in processes]
    return f"{f(sum(pss), 0)} ({len(pss)}: {f(min(pss), 0)}–{f(max(pss), 0)} each)"


def chart(r: dict) -> str:
    """Two panels of horizontal bars per stack: form vs bare p95 at the highest concurrency, and pickup p50."""
    profiles = list(r["profiles"].values())
    row_h, left, width = 46, 330, 360
    height = 70 + row_h * len(profiles) * 2 + 40
    form_values = []
    for p in profiles:
        top = list(p["form"].values())[-1]
        form_values.append((p["title"], top["form"]["p95"] or 0, top["bare"]["p95"] or 0, p["sequential"]["pickup"]["p50"] or 0))
    form_max = max([v for _, a, b, _ in form_values for v in (a, b)] + [1])
    pickup_max = max([c for *_, c in form_values] + [1])
    concurrency = list(profiles[0]["form"])[-1] if profiles else "?"
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 120}" height="{height}" font-family="sans-serif" font-size="12">',
             '<rect width="100%" height="100%" fill="white"/>',
             f'<text x="10" y="20" font-size="14" font-weight="bold">Order form beside a bare insert (p95, {concurrency} customers at once), and pickup p50</text>']
    y = 45
    for title, form_p95, bare_p95, pickup in form_values:
        parts.append(f'<text x="10" y="{y + 14}">{escape(title[:52])}</text>')
        for label, value, scale, color, dy in (("form p95", form_p95, form_max, "#c0392b", 0), ("bare p95", bare_p95, form_max, "#7f8c8d", 14),
                                               ("pickup p50", pickup, pickup_max, "#2471a3", 28)):
            bar = width * value / scale
            parts.append(f'<rect x="{left}" y="{y + dy}" width="{bar:.1f}" height="11" fill="{color}"/>')
            parts.append(f'<text x="{left + bar + 4:.1f}" y="{y + dy + 10}">{label} {value:.0f} ms</text>')
        y += row_h + 12
    parts.append(f'<text x="10" y="{height - 12}" fill="#555">Bars of one colour share a scale. Source: docs/PERFORMANCE.md ({escape(r["started"])}).</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"

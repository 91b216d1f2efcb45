"""The words of docs/PERFORMANCE.md around the figures: how each was measured, and what a missed target means."""

METHOD = """
How: each stack (web, shop simulator, workers) runs in processes of its own on free loopback ports
(bench/stack.py), with the bench settings (bench/settings.py: the project's settings plus a bare view).
Requests are timed at the client, from sending to the last byte, on kept-alive `http.client` connections
(bench/client.py): a loopback round trip, no third-party client. Times in the database (pickup, attempt,
confirmation) are the stack's own timestamps. Sizes: {sequential} form and bare posts one at a time;
{concurrent} customers × {per_customer} posts each at once; {pickup_runs} runs of {pickups} orders one at a
time for pickup (the goal table takes the median of the runs' p50s; attempt and confirmation are over all of
them); {retries} retries timed against their due time (or as many as {retry_timeout_s:.0f} s allow) on the demo
and the production profile; {slow_orders} orders per slow shop; {throughput_rounds} orders per worker for throughput; {callback_orders}
orders in callback mode; {load_customers} customers for {load_seconds:.0f} s. The ORM broker polls every
{poll} s (`Q_CLUSTER["poll"]`); Redis is read with a blocking pop. Two django-q2 workers unless said.
PostgreSQL stacks keep database connections (`DATABASE_CONN_MAX_AGE=60`); gunicorn runs 2 processes × 8
threads (asyncpizza/gunicorn.conf.py).""".strip()

TAX = """CPython's wsgiref (under runserver and the shop simulator) writes a response's headers and body in two
writes; without TCP_NODELAY the second waits for the client's delayed ACK, up to 40 ms, on every request of a
kept-alive connection after the first. The first two rows serve the same tiny app on runserver's server class
as Django ships it and with core/tcp.py's mix-in (what runserver and runshop now use); the last column
is a JSON POST on one `requests.Session`, which is how the ShopClient makes every attempt (one session per
worker process). gunicorn sets TCP_NODELAY itself."""

FLOOR = """The floor is a view of the bench settings only (bench/views.py, never in production URLs) that takes the
same kind of POST through the same middleware (sessions, CSRF) on the same server and database, inserts one
row and redirects: what any form that writes must pay. The order form does more: validates the fields, prices
the order, writes the order, its events and its job (with the ORM broker the job is a row in the same
transaction; with Redis it is pushed after the commit), and records the customer's wait."""

GOALS = """The goals are issue 19's; "before" is the issue's own figure, fixed text. Every other figure comes from
the run this page reports, the peers and floors included. A miss is explained from the same run's figures
(bench/targets.py compares the parts and names the largest), not by a sentence written beforehand. A retry's
lateness is its attempt's start minus when it was due (`due_at`, the order's `next_attempt_at`), for orders
whose first attempt the shop simulator fails with a 503 (bench/retry_wake.py)."""

PICKUP = """Pickup is from the order's `created_at` (set just before its transaction commits) to its first
attempt's `started_at` (the store step's first write in the worker): what the customer waits before anything
happens. The attempt is the store step's own measure of the call to the shop. Confirmed-after is from
`created_at` to `confirmed_at`. With the ORM broker, pickup is at most one poll ({poll} s) plus the claim;
with Redis the worker is already waiting on a blocking pop."""

THROUGHPUT = """Orders placed in a burst through the form (several customers at once) against a shop that takes 1 s a call;
the figure is confirmed orders ÷ (last confirmation − first attempt's start). One task holds one worker for
the whole call, so the bound is workers ÷ 1 s. In callback mode the shop answers 202 at once and calls back
after 1 s: the worker is free after the acknowledgement, and the web process takes the callbacks."""

LOAD = """Each customer, on its own kept-alive connection, opens the form, orders, opens the status page, and again,
with no pause (a closed loop: the server is never idle). The customers run as threads in 4 processes on the
same 2 cores as the stack, so the client's own CPU is part of what is measured. Errors are any answer other
than 200 (form, status page) or 303 (order), or a failed connection."""

PEER = """## The peer: Celery

The last stack replaces django-q2 by what a Django team would otherwise pick: Celery 5 on Redis, the store
step (the very same task functions of workflow) as a Celery task sent with `transaction.on_commit`
(bench/celery_peer.py; Celery is installed by `make bench` from bench/requirements.txt, never the app's).
Compare its row with the production profile's (django-q2 on Redis) in the tables above: the form's time and
the pickup latency. With django-q2's Redis broker, the app keeps one broker per process (core/broker.py):
django-q2's `async_task` otherwise opens a new Redis connection for every task, where Celery reuses a pooled
one."""

def missed(labels: list[str]) -> list[str]:
    """The paragraph under the other checks: what the missed ones mean, and what meeting them would take."""
    if not labels:
        return ["Every check was met in this run.", ""]
    lines = ["Missed in this run, and what it would take:", ""]
    for label in labels:
        reason = next((text for key, text in REASONS.items() if key in label), "see the figures below.")
        lines.append(f"- **{label}**: {reason}")
    return lines + [""]


REASONS = {
    "kept-alive": "the server writes headers and body apart without TCP_NODELAY (the 40 ms tax); core/tcp.py "
                  "must be on every server class that serves HTTP here.",
    "throughput": "each attempt holds its worker for the shop's 1 s plus pickup, the claim and the writes around the "
                  "call; with more workers than cores those overheads queue for the CPU. It would take the callback "
                  "mode (below), or an asynchronous HTTP client in the worker, not more processes on 2 cores.",
    "errors": "see the load section.",
}

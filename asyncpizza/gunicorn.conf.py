"""gunicorn's settings for the production profile (`make serve`, `python manage.py serve`).

gthread workers: a request waits on the database, not the CPU, so each process serves several at once on
threads, and keeps connections alive (gunicorn's sync workers close every connection, and cannot hold a
slow client without blocking). The number of processes and the address come from the command line.
"""

wsgi_app = "asyncpizza.wsgi:application"
worker_class = "gthread"
threads = 8
# A client may keep its connection 5 s between requests (htmx polls the status page every few seconds).
keepalive = 5
# The longest honest request is a synchronous-mode order: one shop call (SHOP_TIMEOUT_S, 10 s by default).
timeout = 30
graceful_timeout = 20
# Recycle a process now and then, so that a slow leak cannot grow without bound.
max_requests = 5000
max_requests_jitter = 500
# Errors and start-up to stderr; the access log is the reverse proxy's job (it costs a write per request).
errorlog = "-"
loglevel = "warning"
# gunicorn sets TCP_NODELAY on its listening socket, which every accepted connection inherits on Linux.

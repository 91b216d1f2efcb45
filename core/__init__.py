"""Plumbing every app of the project shares: strict JSON input, webhook signing, backoff, the queue's
primitives, the client's address, rate limiting, TCP options, durations;
the worker cluster that replaces its processes when one dies (`cluster`).

Nothing here knows about pizzas or orders; feature apps import from here, never the other way round.
"""

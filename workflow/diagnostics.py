"""What an attempt keeps of a failure, bounded so that one bad answer cannot fill the database: the
exception's type and the end of its traceback (the frames nearest the error), and the start of the shop's
answer."""

import traceback as tb

TRACEBACK_LIMIT = 8_000  # characters: the end of the traceback, where the error is
BODY_LIMIT = 2_048  # characters of the shop's answer


def attempt_details(*, error: BaseException | None = None, body: str = "") -> dict:
    """The StoreAttempt fields error_type, traceback and response_body for an error and/or an answer."""
    details = {"response_body": body_start(body)}
    if error is not None:
        details["error_type"] = exception_type(error)
        details["traceback"] = bounded_traceback(error)
    return details


def shop_error_details(error) -> dict:
    """For a ShopError: its type and the shop's answer; the traceback only when something raised under it
    (a timeout, a lost connection, a bug of ours), since a shop's answer has no traceback worth reading."""
    caused = (error.__cause__ or error.__context__) is not None
    return {
        "error_type": exception_type(error),
        "traceback": bounded_traceback(error) if caused else "",
        "response_body": body_start(error.body),
    }


def exception_type(error: BaseException) -> str:
    """The error's qualified name, with the underlying cause's when one raised it (a timeout under ours)."""
    name = _qualified(error)
    cause = error.__cause__ or error.__context__
    return f"{name} (from {_qualified(cause)})"[:200] if cause is not None else name[:200]


def bounded_traceback(error: BaseException) -> str:
    text = "".join(tb.format_exception(error))
    if len(text) <= TRACEBACK_LIMIT:
        return text
    return f"[… {len(text) - TRACEBACK_LIMIT} characters cut …]\n" + text[-TRACEBACK_LIMIT:]


def body_start(body: str | bytes | None) -> str:
    if not body:
        return ""
    if isinstance(body, bytes):
        body = body[: BODY_LIMIT * 4].decode("utf-8", errors="replace")
    return body[:BODY_LIMIT] + ("…" if len(body) > BODY_LIMIT else "")


def _qualified(error: BaseException) -> str:
    kind = type(error)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def plain_words(error_text: str) -> str:
    """What a customer is told of an error: its first clause, in words ("the shop's answer was lost"),
    without what follows it (the exception's name, the library's message, the shop's body). Those stay on
    the attempt for staff (the admin's attempt page)."""
    return error_text.split(": ", 1)[0].split(" (", 1)[0].strip()

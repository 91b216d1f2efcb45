"""Cancellation in each state, over loopback against the real stack (web, worker cluster, shop simulator):
a customer orders through the form, the shop's knobs hold the order in one state, the customer cancels
through the status page's confirm step. Prints, per state, what the customer saw at the end, what the shop
holds, and the mails the customer got (the demo's mailbox).

Run: .venv/bin/python -m bench.cancellations
"""

import email
import email.policy
import time

import requests

from trainer.simulation import FormCustomer, _between, made_up_customer

from .stack import Stack

FINAL = {"confirmed", "failed", "cancelled"}

# (state asked for, the shop's knobs, the status to wait for before cancelling, knobs to set right after)
CASES = [
    ("waiting to retry (shop down: refused at the door)", {"down_for_s": 15}, "waiting_retry", {}),
    ("waiting to retry (an answer lost)", {"lost_response_rate": 1.0}, "waiting_retry", {"lost_response_rate": 0.0}),
    ("sending (the attempt in flight)", {"latency_s": 4}, "sending", {}),
    ("awaiting the shop's callback", {"mode": "callback", "latency_s": 20}, "awaiting_callback", {}),
    ("confirmed, inside the shop's cancel window", {"cancel_window_s": 300}, "confirmed", {}),
    ("confirmed, past the shop's cancel window", {"cancel_window_s": 0}, "confirmed", {}),
]
HEALTHY = {"failure_rate": 0.0, "latency_s": 0.0, "lost_response_rate": 0.0, "down": False, "mode": "sync",
           "cancel_window_s": 300}


def cancel_through_the_page(customer: FormCustomer, location: str) -> int:
    page = customer.session.get(f"{customer.web_url}{location}cancel/", timeout=10).text
    token = _between(page, 'name="csrfmiddlewaretoken" value="', '"')
    response = customer.session.post(
        f"{customer.web_url}{location}cancel/", data={"csrfmiddlewaretoken": token},
        headers={"Referer": f"{customer.web_url}{location}cancel/"}, allow_redirects=False, timeout=10,
    )
    return response.status_code


def wait_for(customer, location, statuses, timeout=60) -> str:
    deadline = time.monotonic() + timeout
    status = customer.status(location)
    while status not in statuses and time.monotonic() < deadline:
        time.sleep(0.1)
        status = customer.status(location)
    return status


def mails_to(stack, address: str) -> list[str]:
    subjects = []
    for path in sorted((stack.var_dir / "mail").glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if address in str(message["To"]):
            subjects.append(str(message["Subject"]).rsplit(" (", 1)[0])
    return subjects


def main():
    rows = []
    with Stack("cancellations", SHOP_CALLBACK_DEADLINE_S=60) as stack:
        customer = FormCustomer(stack.web_url)
        for number, (state, knobs, wait_status, after) in enumerate(CASES):
            stack.configure_shop(**{**HEALTHY, **knobs})
            fields = made_up_customer(number)
            fields["email"] = f"cancel{number}@example.com"
            location = customer.submit(fields).location
            at_cancel = wait_for(customer, location, {wait_status}, timeout=30)
            if after:
                stack.configure_shop(**after)
            answer = cancel_through_the_page(customer, location)
            final = wait_for(customer, location, FINAL, timeout=120)
            page = customer.session.get(f"{stack.web_url}{location}", timeout=10).text
            if final == "confirmed" and "Too late to cancel" in page:
                final = "confirmed (too late to cancel)"
            public_id = location.rstrip("/").rsplit("/", 1)[1]
            key_entries = [e for e in stack.shop_ledger() if e.get("reference") == public_id]
            shop = ", ".join(e["status"] for e in key_entries) or "nothing"
            time.sleep(2)  # the mail job
            rows.append((state, at_cancel, answer, final, shop, "; ".join(mails_to(stack, fields["email"]))))
            stack.configure_shop(**HEALTHY)
    print("\n## Cancellation by state (the customer cancels through the status page's confirm step)\n")
    print("| state asked for | status when cancelled | answer | the customer sees at the end | the shop holds | mails |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(str(cell) for cell in row) + " |")


if __name__ == "__main__":
    main()

"""The admin login locks a username out from an address after AXES_FAILURE_LIMIT (10) wrong passwords:
even the right password is refused then, with a page that says why and how to get unlocked; another
address is not locked; an admin unlocks it (`axes_reset_username`, or the admin's Access attempts)."""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db
LOGIN = "/admin/login/?next=/admin/"
PASSWORD = "the-right-staff-password-7"


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_user("rosa", password=PASSWORD, is_staff=True, is_superuser=True)


def log_in(client, password, address="192.0.2.10"):
    return client.post(LOGIN, {"username": "rosa", "password": password, "next": "/admin/"}, REMOTE_ADDR=address)


def test_the_tenth_wrong_password_locks_out_and_then_even_the_right_one_is_refused(client, staff):
    answers = [log_in(client, f"wrong-{n}").status_code for n in range(1, 11)]
    assert answers == [200] * 9 + [429]  # the login form again nine times; the tenth failure locks
    locked = log_in(client, PASSWORD)
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "Too many failed logins" in page and "<strong>rosa</strong>" in page and "after 10 wrong passwords" in page
    assert "python manage.py axes_reset_username rosa" in page
    assert "_auth_user_id" not in client.session


def test_the_lock_is_for_the_username_from_that_address_only(client, staff):
    for n in range(10):
        log_in(client, f"wrong-{n}")
    assert log_in(client, PASSWORD, address="198.51.100.20").status_code == 302  # another address: in


def test_an_admin_unlocks_with_axes_reset_username(client, staff):
    for n in range(10):
        log_in(client, f"wrong-{n}")
    assert log_in(client, PASSWORD).status_code == 429
    call_command("axes_reset_username", "rosa")
    assert log_in(client, PASSWORD).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_a_success_before_the_limit_starts_the_count_again(client, staff):
    for n in range(9):
        log_in(client, f"wrong-{n}")
    assert log_in(client, PASSWORD).status_code == 302
    client.logout()
    assert [log_in(client, f"again-{n}").status_code for n in range(9)] == [200] * 9


def test_admins_see_and_delete_lockouts_in_the_admin(client, staff):
    for n in range(10):
        log_in(client, f"wrong-{n}")
    admin = get_user_model().objects.create_superuser("ops", password="another-admin-password-3")
    client.force_login(admin)
    listing = client.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and "rosa" in listing.content.decode()
    [attempt] = AccessAttempt.objects.filter(username="rosa")
    deleted = client.post("/admin/axes/accessattempt/",
                          {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"})
    assert deleted.status_code == 302 and not AccessAttempt.objects.exists()
    client.logout()
    assert log_in(client, PASSWORD).status_code == 302


def test_a_made_up_x_forwarded_for_does_not_dodge_the_lock(client, staff):
    """Without a trusted proxy the address is REMOTE_ADDR (core.client_address), for django-axes as
    for the order rate limit: a client writing a new X-Forwarded-For each time is still one address."""
    for n in range(10):
        client.post(LOGIN, {"username": "rosa", "password": f"wrong-{n}", "next": "/admin/"},
                    REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    answer = client.post(LOGIN, {"username": "rosa", "password": PASSWORD, "next": "/admin/"},
                         REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR="198.51.100.77")
    assert answer.status_code == 429

"""Sign-in lockout: one username from one address is locked after 10 failures; one address
is locked after 50 failures whatever the usernames (password spraying). Nobody can lock
another person's account from elsewhere.

Each client below is one address (REMOTE_ADDR), as django-axes sees it.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from remit.customers.models import Role
from tests.factories import make_customer
from tests.integration.test_portal_support import PASSWORD, portal_user

pytestmark = pytest.mark.django_db

LOGIN = "/portal/login/"
A, B = "198.51.100.1", "198.51.100.2"


def from_address(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


def sign_in(client: Client, username: str, password: str):
    return client.post(LOGIN, {"username": username, "password": password})


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def alice() -> User:
    return portal_user((make_customer(), Role.ACCOUNTS_PAYABLE))


def test_ten_failures_from_one_address_do_not_lock_the_account_from_another(alice):
    attacker, owner = from_address(A), from_address(B)
    for _ in range(10):
        sign_in(attacker, alice.username, "guess")

    locked = sign_in(attacker, alice.username, PASSWORD)
    assert locked.status_code == 429
    assert "too many failed sign-ins from your address" in locked.content.decode()
    assert not signed_in(attacker)

    answer = sign_in(owner, alice.username, PASSWORD)
    assert answer.status_code == 302 and signed_in(owner)


def test_nine_failures_and_then_the_right_password_signs_in_and_starts_the_count_again(alice):
    client = from_address(A)
    for _ in range(9):
        assert sign_in(client, alice.username, "guess").status_code == 200
    assert sign_in(client, alice.username, PASSWORD).status_code == 302
    client.post(reverse("portal:logout"))
    for _ in range(9):
        assert sign_in(client, alice.username, "guess").status_code == 200
    assert sign_in(client, alice.username, PASSWORD).status_code == 302


def test_one_address_trying_many_usernames_is_locked_after_50_failures(alice):
    sprayer = from_address(A)
    for n in range(50):
        sign_in(sprayer, f"user{n}", "Summer2026!")  # four tries each, at most

    # Now even a right password for an account it never tried is refused from there...
    locked = sign_in(sprayer, alice.username, PASSWORD)
    assert locked.status_code == 429 and not signed_in(sprayer)
    # ...and not from elsewhere.
    elsewhere = from_address(B)
    assert sign_in(elsewhere, alice.username, PASSWORD).status_code == 302


def test_below_the_address_limit_other_users_at_that_address_sign_in(alice):
    office = from_address(A)
    for n in range(49):
        sign_in(office, f"user{n % 5}", "typo")
    assert sign_in(office, alice.username, PASSWORD).status_code == 302


def test_signing_in_to_ones_own_account_does_not_clear_the_addresss_count(alice):
    sprayer = from_address(A)
    for n in range(45):
        sign_in(sprayer, f"user{n}", "Summer2026!")
    assert sign_in(sprayer, alice.username, PASSWORD).status_code == 302
    sprayer.post(reverse("portal:logout"))
    for n in range(5):
        sign_in(sprayer, f"other{n}", "Summer2026!")
    assert sign_in(sprayer, alice.username, PASSWORD).status_code == 429


def test_the_address_limit_is_a_setting(alice, settings):
    settings.REMIT_SIGNIN_ADDRESS_FAILURE_LIMIT = 3
    sprayer = from_address(A)
    for name in ("ann", "bob", "cy"):
        sign_in(sprayer, name, "x")
    assert sign_in(sprayer, alice.username, PASSWORD).status_code == 429


def test_the_back_office_locks_by_the_same_rule():
    staff = User.objects.create_user("clerk", password="a-long-test-password", is_staff=True)
    attacker, owner = from_address(A), from_address(B)
    url = reverse("backoffice:login")
    for _ in range(10):
        attacker.post(url, {"username": staff.username, "password": "wrong"})
    right = {"username": staff.username, "password": "a-long-test-password"}
    assert attacker.post(url, right).status_code == 429
    assert owner.post(url, right).status_code == 302


def test_behind_a_proxy_the_address_is_the_one_the_proxy_passes(alice, settings):
    settings.REMIT_CLIENT_ADDRESS_HEADER = "X-Real-IP"
    proxy = from_address("127.0.0.1")  # every request arrives from the proxy
    for _ in range(10):
        proxy.post(LOGIN, {"username": alice.username, "password": "x"}, HTTP_X_REAL_IP=A)
    right = {"username": alice.username, "password": PASSWORD}
    assert proxy.post(LOGIN, right, HTTP_X_REAL_IP=A).status_code == 429
    assert proxy.post(LOGIN, right, HTTP_X_REAL_IP=B).status_code == 302

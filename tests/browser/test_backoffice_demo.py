"""The back office over `remit demo`'s data, as the demo's staff user sees it (the README's
screenshots come from here)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from remit.cli.demo_data import STAFF, demo_load


@pytest.fixture
def demo(transactional_db):
    demo_load()


def test_the_demo_staff_user_posts_a_lump_sum_for_delta_logistics(page: Page, shot, demo):
    page.goto("/staff/login/")
    page.get_by_label("Username").fill(STAFF.username)
    page.get_by_label("Password").fill(STAFF.password)
    page.get_by_role("button", name="Sign in").click()
    shot(page, "01-customers")

    page.get_by_label("Find a customer").press_sequentially("delta", delay=20)
    expect(page.locator("#customer-results tbody tr")).to_have_count(1)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Delta Logistics Group")
    page.wait_for_load_state()
    shot(page, "02-customer-record")

    page.keyboard.press("F8")
    window = page.locator("dialog#window")
    window.get_by_label("Notes").fill("Quarterly check from Delta AP; remittance advice attached.")
    window.get_by_label("Check/Money Order #").fill("20417")
    window.get_by_label("Total Payment Amount").fill("5,000.00")
    expect(window.locator("#total-applied")).to_have_text("$5,000.00")
    shot(page, "03-customer-payment")
    window.get_by_role("button", name=re.compile("Save")).click()
    expect(page.locator(".message.success")).to_contain_text("by Check #20417")

    page.locator("#payment-history a").first.click()
    expect(page.locator("#allocations")).to_be_visible()
    shot(page, "04-payment-detail")

"""The reports in Chromium over the demo data: AR aging with its chart and table, a
customer's drill-in, cash received, and the trend on the home page (the README's aging
screenshot comes from here)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from remit.cli.demo_data import STAFF, demo_load


@pytest.fixture
def demo(transactional_db):
    demo_load()


def sign_in(page: Page) -> None:
    page.goto("/staff/login/")
    page.get_by_label("Username").fill(STAFF.username)
    page.get_by_label("Password").fill(STAFF.password)
    page.get_by_role("button", name="Sign in").click()


def test_staff_read_the_aging_drill_into_a_customer_and_see_cash_received(page: Page, shot, demo):
    sign_in(page)
    trend = page.locator("#trend-USD")
    expect(trend.locator("tbody tr")).to_have_count(12)
    expect(page.locator("svg#trend-usd")).to_be_visible()
    expect(page.locator("#dso-USD")).to_contain_text("days")
    shot(page, "01-home-trend")

    page.get_by_role("navigation", name="Back office").get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("AR aging")
    chart = page.get_by_role("img", name="AR aging in USD")
    expect(chart).to_be_visible()
    usd = page.locator("#aging-USD")
    # The table's total row is the sum of its customers' rows, bucket by bucket.
    cells = usd.locator("tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.querySelectorAll('td')].map(td => td.textContent))"
    )
    totals = usd.locator("tfoot td").all_text_contents()

    def cents(text: str) -> int:
        return int(text.replace("$", "").replace(",", "").replace(".", ""))

    for column in range(6):
        assert sum(cents(row[column]) for row in cells) == cents(totals[column])
    page.set_viewport_size({"width": 1280, "height": 1000})
    usd.scroll_into_view_if_needed()
    usd_panel = page.locator("section[aria-labelledby='aging-USD-title']")
    usd_panel.screenshot(path=str(shot(page, "02-aging")).replace("02-aging", "02-aging-usd"))

    usd.get_by_role("link", name="Delta Logistics Group").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delta Logistics Group")
    expect(page.locator("#owed-invoices tbody tr").first).to_be_visible()
    shot(page, "03-aging-customer")

    page.get_by_role("link", name="AR aging").first.click()
    page.get_by_role("navigation", name="Reports").get_by_role("link", name="Cash received").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cash received")
    expect(page.get_by_role("img", name="Cash received in USD")).to_be_visible()
    shot(page, "04-cash-received")


def test_the_aging_csv_downloads_from_the_page(page: Page, demo):
    sign_in(page)
    page.goto("/staff/reports/aging/")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert text.startswith("currency,customer,name,current,1_30,31_60,61_90,over_90,total")
    assert "Delta Logistics Group" in text

"""The data `make bench` audits at 1,000,000 invoices (bench/audit_data.py) are the books
the services write: at 2,000 invoices the audit finds nothing, and payments made through
the services on those invoices have the rows of their generated twins (bench/audit_check.py).
"""

from __future__ import annotations

import pytest
from bench.audit_check import services_compare
from bench.audit_data import Size, books_generate, row_counts

from remit.books.audit import books_audit

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_the_audit_bench_data_are_the_books_the_services_write():
    books_generate(Size(invoices=2000, customers=20), analyze=False)

    assert row_counts()["payments"] == 1380
    assert books_audit().problems == []
    assert services_compare() == []

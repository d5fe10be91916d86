"""Reports a billing team lives by: AR aging, cash received, days sales outstanding.

Reads only: every figure comes from the invoices, allocations, payments and the journal
that the services wrote. Pure rules (the buckets, the sums, the CSV escaping, the SVG
charts) have no Django import and are unit-tested; `selectors.py` reads the database.
It sits beside `books` (it reads every app) and only the faces call it.
"""

"""Throughput benchmark of remit's payment services against the same writes in plain SQL.

`make bench` (``python -m bench.run``) runs it on a throwaway SQLite database and, when
the server at 127.0.0.1:5432 answers, on a throwaway PostgreSQL database. See bench/run.py.
"""

"""The settings of the server the browser tests drive: remit's own, as `remit serve` runs
them in production (debug off, hashed static files, a real secret key from the
environment), with one difference: the test users' passwords are hashed as the test run
hashes them (tests/conftest.py), so a test can sign in as a user it just made."""

from remit.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

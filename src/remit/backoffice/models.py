"""The back office has no tables of its own. This module exists so that Django sends the
app `post_migrate` (it skips apps without a models module), which restores the staff
groups after a flush; see apps.py."""

"""The background worker: reconciles pending gateway payments every few minutes and runs
the daily settlement at the cut-off, through django-tasks' database backend.

It sits beside the faces (it calls payment services, nothing calls it): `remit worker`
starts it; the web server only serves.
"""

"""The gateway boundary: one protocol, the built-in sandbox, and the registry that picks one.

Payments import this app; this app imports only `remit.core`.
"""

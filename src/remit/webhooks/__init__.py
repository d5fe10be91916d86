"""The face a payment gateway calls: Stripe's webhook (`/webhooks/stripe/`) and the
sandbox gateway's own tokenising endpoint (`/sandbox-gateway/v1/tokens`).

A face like the portal and the API: it may import payments (a webhook brings a payment up
to date through the payments service) and everything below; no other face imports it.
"""

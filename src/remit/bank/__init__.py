"""Cash application: the bank's statements and lockbox files in, each credit matched to its
customer and invoices, the certain ones posted, the rest queued for a clerk; deposits."""

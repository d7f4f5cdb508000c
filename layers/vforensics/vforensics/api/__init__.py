"""The HTTP API: presigned uploads, analysis status and reports, metadata, compare, batches.

One Powertools resolver (``routes``) serves API Gateway's HTTP API (payload v2) in the
``functions/api`` Lambda and ``vforensics serve`` locally; the modules beside it hold what each
route does, with no forensic logic of their own.
"""

"""Claims tables."""

from smarthealth.claims import submission_models  # noqa: F401  (submission log tables)

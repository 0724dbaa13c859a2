"""Analytics tables."""

from smarthealth.analytics import alarm_models  # noqa: F401  (surveillance alarms)

"""Surveillance alarms (being built)."""

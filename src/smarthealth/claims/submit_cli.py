"""Commands of `smarthealth claims` (being built)."""

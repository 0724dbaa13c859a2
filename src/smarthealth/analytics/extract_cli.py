"""Analytics commands (being built)."""

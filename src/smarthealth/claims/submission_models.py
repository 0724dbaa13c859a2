"""Submissions to the BHXH gateway and the Hanoi hub, kept for reconciliation."""

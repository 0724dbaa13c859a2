"""Synthetic Hanoi: facilities, population and history for the demo and benchmarks."""

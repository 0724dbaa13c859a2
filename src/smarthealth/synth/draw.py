"""Deterministic drawing helpers: weighted tables and unique-number permutations."""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Iterable, Sequence
from itertools import accumulate
from typing import Generic, TypeVar

T = TypeVar("T")


class Weighted(Generic[T]):
    """A table of values with relative weights, drawn with one random() call."""

    def __init__(self, pairs: Iterable[tuple[T, float]]) -> None:
        items = list(pairs)
        self.values: Sequence[T] = [value for value, _ in items]
        self.cumulative = list(accumulate(weight for _, weight in items))
        self.total = self.cumulative[-1]

    def draw(self, rng: random.Random) -> T:
        return self.values[bisect(self.cumulative, rng.random() * self.total)]


class Permutation:
    """A bijection of 0..size-1 (an affine map mod size), so drawn numbers never repeat."""

    def __init__(self, size: int, rng: random.Random) -> None:
        self.size = size
        self.multiplier = self._coprime(size, rng)
        self.offset = rng.randrange(size)

    @staticmethod
    def _coprime(size: int, rng: random.Random) -> int:
        from math import gcd

        while True:
            candidate = rng.randrange(size // 3, size)
            if gcd(candidate, size) == 1:
                return candidate

    def __call__(self, index: int) -> int:
        if not 0 <= index < self.size:
            raise ValueError(f"index {index} outside 0..{self.size - 1}")
        return (self.multiplier * index + self.offset) % self.size

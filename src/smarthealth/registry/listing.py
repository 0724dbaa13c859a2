"""Paged, filtered listings with accent-insensitive text search (Vietnamese 'Hà Nội' ~ 'ha noi')."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.registry.schemas import Page

T = TypeVar("T")


def fold(text: str | None) -> str:
    """Lower-case text without diacritics; đ becomes d."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


async def paginate(
    session: AsyncSession,
    stmt: Select,
    *,
    id_column: Any,
    search_columns: Sequence[Any],
    q: str | None,
    page: int,
    page_size: int,
    to_out: Callable[[Any], T],
) -> Page[T]:
    """One page of `stmt`'s rows; `q` keeps rows whose search columns contain it, ignoring accents.

    The text match runs in Python over (id, searched text) pairs so that it behaves the same on
    SQLite and PostgreSQL without extensions; registry tables are small enough for that."""
    offset = (page - 1) * page_size
    needle = fold(q.strip()) if q else ""
    if needle:
        pairs = (await session.execute(stmt.with_only_columns(id_column, *search_columns))).all()
        matched = [row[0] for row in pairs if any(needle in fold(v) for v in row[1:])]
        total = len(matched)
        ids = matched[offset:offset + page_size]
        rows = (await session.execute(stmt.where(id_column.in_(ids)))).all() if ids else []
    else:
        count_stmt = select(func.count()).select_from(stmt.order_by(None).subquery())
        total = int(await session.scalar(count_stmt) or 0)
        rows = (await session.execute(stmt.offset(offset).limit(page_size))).all()
    return Page[Any](items=[to_out(row) for row in rows], total=total, page=page,
                     page_size=page_size)

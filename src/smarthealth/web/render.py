"""Render Jinja2 pages in the request's language (Babel catalogues) with Hanoi-time filters."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from smarthealth.core import i18n

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
LANG_COOKIE = "sh_lang"


@cache
def environment(lang: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(i18n.translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.filters["local_time"] = i18n.local_time
    env.filters["local_date"] = i18n.local_date
    env.filters["vnd"] = i18n.format_vnd
    return env


def request_language(request: Request) -> str:
    return i18n.pick_language(
        request.query_params.get("lang"), request.cookies.get(LANG_COOKIE),
        request.headers.get("accept-language"),
    )


def language_url(request: Request, lang: str) -> str:
    """The current page in another language, keeping its filters and page number."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return request.url.path + "?" + urlencode([*params, ("lang", lang)])


def render(request: Request, template: str, context: dict[str, Any] | None = None,
           status_code: int = 200) -> HTMLResponse:
    """A page in the request's language; `?lang=` also remembers the choice in a cookie."""
    lang = request_language(request)
    principal = getattr(request.state, "principal", None)
    ctx = {"request": request, "lang": lang, "principal": principal, "path": request.url.path,
           "language_urls": {code: language_url(request, code) for code in i18n.LANGUAGES}}
    ctx.update(context or {})
    html = environment(lang).get_template(template).render(ctx)
    response = HTMLResponse(html, status_code=status_code)
    if request.query_params.get("lang") in i18n.LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response

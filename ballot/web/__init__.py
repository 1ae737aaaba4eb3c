"""The web client: five pages served by the API server, and their static files.

Pages (``ballot/web/pages/*.html``): the public results board (``/``), the delegation page
(``/delegation``), the secretariat console (``/secretariat``), the teller page (``/teller``)
and the verifier (``/verify``). Browser modules live in ``static/js``; ``@noble/curves`` and
``@noble/hashes`` (and ``@paulmillr/qr``, the QR codes) are served from the project's ``node_modules`` under ``/static/vendor/`` and resolved by an
import map inlined in each page — the only inline script, allowed by its hash in the CSP.

A Web Worker sees no import map, so the modules a worker loads are also served under
``/static/worker/`` with each ``@noble/…`` specifier rewritten to its URL there
(:func:`worker_module`): the same files, the same bytes otherwise.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from functools import lru_cache
from pathlib import Path

from aiohttp import web
from aiohttp.typedefs import Handler

ROOT = Path(__file__).resolve().parent
#: Route → page name; ``pages/<name>.html`` holds the page's own content.
PAGES = {
    "/": "board",
    "/delegation": "delegation",
    "/secretariat": "secretariat",
    "/teller": "teller",
    "/verify": "verify",
}
#: What every page shares: head (styles, import map, module), navigation, footer.
LAYOUT = ROOT / "pages" / "_layout.html"
_INLINE_SCRIPT = re.compile(rb"<script type=\"importmap\">(.*?)</script>", re.S)


def node_modules() -> Path:
    """Where the npm packages are (``BALLOT_NODE_MODULES`` or the repository's)."""
    configured = os.environ.get("BALLOT_NODE_MODULES")
    return Path(configured) if configured else ROOT.parent.parent / "node_modules"


def script_hashes(html: bytes) -> list[str]:
    """CSP hashes (base64 SHA-256) of a page's inline import maps."""
    return [
        base64.b64encode(hashlib.sha256(m).digest()).decode() for m in _INLINE_SCRIPT.findall(html)
    ]


def render_page(name: str) -> bytes:
    """Page ``name``: the layout with ``{{page}}`` set to the name (its title's i18n key and
    its module, ``/static/js/<name>.js``) around the page's own content (``{{main}}``)."""
    content = (ROOT / "pages" / f"{name}.html").read_text("utf-8")
    layout = LAYOUT.read_text("utf-8")
    return layout.replace("{{page}}", name).replace("{{main}}", content).encode("utf-8")


def _page(name: str) -> Handler:
    html = render_page(name)  # rendered once at start: pages are part of the release

    async def serve(request: web.Request) -> web.StreamResponse:
        return web.Response(
            body=html,
            content_type="text/html",
            charset="utf-8",
            headers={"X-Script-Hashes": " ".join(script_hashes(html))},
        )

    return serve


#: Where a worker's modules are served: ``js/…`` (ours) and ``vendor/@noble/{curves,hashes}/…``.
WORKER_PREFIX = "/static/worker/"
_NOBLE_SPECIFIER = re.compile(rb"""((?:\bfrom|\bimport)\s*)(['"])@noble/(curves|hashes)/""")


@lru_cache(maxsize=256)
def worker_module(path: str) -> bytes | None:
    """The module at ``path`` under :data:`WORKER_PREFIX` with its ``@noble/`` imports made
    URLs, or ``None`` if there is no such JavaScript file (only ``.js`` files inside our
    ``static/js`` or the two vendored packages are served; no path leaves them)."""
    if not path.endswith(".js"):
        return None
    if path.startswith("js/"):
        base, rest = ROOT / "static" / "js", path[3:]
    elif path.startswith(("vendor/@noble/curves/", "vendor/@noble/hashes/")):
        package, rest = path.split("/")[2], path.split("/", 3)[3]
        base = node_modules() / "@noble" / package
    else:
        return None
    base = base.resolve()
    file = (base / rest).resolve()
    if not file.is_relative_to(base) or not file.is_file():
        return None
    return _NOBLE_SPECIFIER.sub(
        rb"\1\2" + WORKER_PREFIX.encode() + rb"vendor/@noble/\3/", file.read_bytes()
    )


async def _worker_module(request: web.Request) -> web.StreamResponse:
    body = worker_module(request.match_info["path"])
    if body is None:
        raise web.HTTPNotFound()
    return web.Response(body=body, content_type="text/javascript", charset="utf-8")


def install(app: web.Application) -> None:
    """Add the pages and static routes to ``app``."""
    for route, name in PAGES.items():
        if (ROOT / "pages" / f"{name}.html").exists():
            app.router.add_get(route, _page(name))
    app.router.add_get(WORKER_PREFIX + "{path:.+}", _worker_module)
    app.router.add_static("/static/", ROOT / "static", follow_symlinks=False)
    for scope, package in (("@noble", "curves"), ("@noble", "hashes"), ("@paulmillr", "qr")):
        folder = node_modules() / scope / package
        if folder.exists():
            app.router.add_static(f"/static/vendor/{scope}/{package}/", folder)

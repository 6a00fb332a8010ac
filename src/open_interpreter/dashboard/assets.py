"""The dashboard's static files and the chart library, served from installed packages.

Our own CSS and JavaScript live in ``dashboard/static`` (package data); the chart library
is plotly.js as shipped inside the ``plotly`` Python package, so nothing is fetched from
a CDN. Files are read once, offered gzip-compressed to clients that accept it, and
revalidated with an ETag (ours) or cached for a year under a versioned URL (plotly.js).
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.metadata
import importlib.util
import mimetypes
import threading
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request, Response

STATIC_DIR = Path(__file__).parent / "static"
_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Asset:
    """A file ready to serve: its bytes, gzip-compressed bytes, type and ETag."""

    body: bytes
    gzipped: bytes
    media_type: str
    etag: str

    @classmethod
    def read(cls, path: Path) -> Asset:
        """Load ``path`` and compress it once."""
        body = path.read_bytes()
        media_type = _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
        return cls(
            body=body,
            gzipped=gzip.compress(body, compresslevel=6, mtime=0),
            media_type=f"{media_type or 'application/octet-stream'}; charset=utf-8",
            etag=f'"{hashlib.sha256(body).hexdigest()[:20]}"',
        )

    def response(self, request: Request, cache_control: str) -> Response:
        """A 200 (gzip when accepted) or, when the client's copy is current, a 304."""
        headers = {"ETag": self.etag, "Cache-Control": cache_control, "Vary": "Accept-Encoding"}
        if request.headers.get("if-none-match") == self.etag:
            return Response(status_code=304, headers=headers)
        if "gzip" in request.headers.get("accept-encoding", ""):
            headers["Content-Encoding"] = "gzip"
            return Response(self.gzipped, media_type=self.media_type, headers=headers)
        return Response(self.body, media_type=self.media_type, headers=headers)


class AssetCache:
    """Assets by name, each read (and compressed) on first use."""

    def __init__(self) -> None:
        self._assets: dict[str, Asset] = {}
        self._lock = threading.Lock()

    def get(self, name: str, path: Path) -> Asset:
        """The asset ``name``, read from ``path`` the first time."""
        with self._lock:
            if name not in self._assets:
                self._assets[name] = Asset.read(path)
            return self._assets[name]


_cache = AssetCache()


def static_files() -> dict[str, Path]:
    """Our static files by name (only these can be served: no path comes from a client)."""
    return {path.name: path for path in sorted(STATIC_DIR.iterdir()) if path.is_file()}


_FILES = static_files()


def plotly_bundle() -> Path | None:
    """The ``plotly.min.js`` inside the installed ``plotly`` package, or None without it."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "package_data" / "plotly.min.js"
    return path if path.is_file() else None


def plotly_url() -> str:
    """The versioned URL pages load the chart library from."""
    try:
        version = importlib.metadata.version("plotly")
    except importlib.metadata.PackageNotFoundError:
        version = "missing"
    return f"/static/vendor/plotly-{version}.min.js"


@router.get("/static/vendor/plotly-{version}.min.js")
def plotly_js(version: str, request: Request) -> Response:
    """plotly.js from the installed ``plotly`` package, cached by the browser for a year."""
    path = plotly_bundle()
    if path is None:
        raise HTTPException(404, "the plotly package is not installed: pip install plotly")
    asset = _cache.get("vendor/plotly.min.js", path)
    return asset.response(request, "public, max-age=31536000, immutable")


@router.get("/static/{name}")
def static_file(name: str, request: Request) -> Response:
    """One of the dashboard's own CSS / JavaScript files (revalidated on every load)."""
    path = _FILES.get(name)
    if path is None:
        raise HTTPException(404, f"no static file {name!r}")
    return _cache.get(name, path).response(request, "no-cache")

"""The web dashboard served by ``oi serve`` at ``/``.

Runs (live training curves, throughput, ETA, logs, comparisons), evaluation reports,
the model registry, resource use, a playground and a prompt lab: HTML pages rendered by
the server and filled by small scripts that call the ``/v1`` API. Charts use the
plotly.js bundle of the installed ``plotly`` package; nothing comes from a CDN.

Example:
    >>> from fastapi import FastAPI
    >>> from open_interpreter.dashboard import router
    >>> FastAPI().include_router(router)  # doctest: +SKIP
"""

from fastapi import APIRouter

from open_interpreter.dashboard import assets, pages

router = APIRouter()
router.include_router(assets.router)
router.include_router(pages.router)

__all__ = ["router"]

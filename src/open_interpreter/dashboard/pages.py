"""The dashboard's pages: server-rendered shells that small scripts fill from the API.

Each page arrives as HTML with its headings, controls and empty tables, so it shows at
once; its script then calls the same ``/v1`` API as any client, with the API key the
page asked for once and keeps in the browser's ``localStorage`` (none with ``--no-auth``).
The pages hold no data themselves, so they need no key.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from open_interpreter import __version__
from open_interpreter.dashboard.assets import plotly_url

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@dataclass(frozen=True)
class NavItem:
    """One entry of the navigation bar."""

    key: str
    path: str
    label: str


NAV = (
    NavItem("runs", "/", "Runs"),
    NavItem("models", "/models", "Models"),
    NavItem("evaluation", "/evaluation", "Evaluation"),
    NavItem("resources", "/resources", "Resources"),
    NavItem("playground", "/playground", "Playground"),
    NavItem("prompt-lab", "/prompt-lab", "Prompt lab"),
    NavItem("studies", "/studies", "Studies"),
    NavItem("assistant", "/assistant", "Assistant"),
    NavItem("monitor", "/monitor", "Monitor"),
    NavItem("recommend", "/recommend", "Recommend"),
)


def render(request: Request, template: str, *, nav: str, title: str, **context: Any):
    """Render a page of the dashboard with the shared layout's context."""
    settings = request.app.state.oi.settings
    return TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "nav": NAV,
            "active": nav,
            "title": title,
            "auth": settings.auth,
            "version": __version__,
            "plotly_url": plotly_url(),
            **context,
        },
        headers={"Cache-Control": "no-cache"},
    )


GENERATIVE = frozenset({"causal-lm", "seq2seq"})


def local_models() -> list[Any]:
    """The base models this server offers: the catalogue, its model store, the Hugging Face
    cache (:func:`~open_interpreter.models.inventory.list_models`; no weights are read)."""
    from open_interpreter.models.inventory import list_models

    return list_models()


def ready_generators(request: Request) -> list[dict[str, str]]:
    """The pretrained generative models ready on this server that its API will serve (name,
    task, description), each name once: a catalogue model converted into the store is listed
    by both. Models in the Hugging Face cache only where the server allows the Hub."""
    allow_hub = bool(getattr(request.app.state.oi.settings, "allow_hub", False))
    ready: dict[str, dict[str, str]] = {}
    for m in local_models():
        served = m.source != "hf-cache" or allow_hub
        if served and m.kind in GENERATIVE and m.status.startswith("ready") and m.name not in ready:
            ready[m.name] = {"name": m.name, "task": m.kind, "description": m.description}
    return list(ready.values())


@router.get("/")
def runs_page(request: Request):
    """Every fine-tune run: filter, sort, compare, and launch a new one."""
    return render(request, "runs.html", nav="runs", title="Runs", base_models=local_models())


@router.get("/runs/{job_id}")
def run_page(request: Request, job_id: str):
    """One run, live: curves, throughput, ETA, validation metrics, logs, final report."""
    return render(request, "run.html", nav="runs", title=f"Run {job_id}", job_id=job_id)


@router.get("/compare")
def compare_page(request: Request):
    """Two or more runs on the same charts (``?ids=ft_a,ft_b``)."""
    return render(request, "compare.html", nav="runs", title="Compare runs")


@router.get("/models")
def models_page(request: Request):
    """Registered models and versions: metrics, lineage, exports, promote and roll back."""
    settings = request.app.state.oi.settings
    return render(
        request,
        "models.html",
        nav="models",
        title="Models",
        backend=settings.backend,
        onnx_precision=settings.onnx_precision,
    )


@router.get("/evaluation")
def evaluation_page(request: Request):
    """Per-label scores, confusion matrix, before/after and entity scores of a version."""
    return render(request, "evaluation.html", nav="evaluation", title="Evaluation")


@router.get("/resources")
def resources_page(request: Request):
    """CPU, memory and GPU use of the server and of each job over time."""
    return render(request, "resources.html", nav="resources", title="Resources")


@router.get("/playground")
def playground_page(request: Request):
    """Try a model on typed text: labels with scores, entities in the text, or a chat
    (with a registered generative model or a pretrained one that is ready here)."""
    return render(
        request,
        "playground.html",
        nav="playground",
        title="Playground",
        pretrained=ready_generators(request),
    )


@router.get("/prompt-lab")
def prompt_lab_page(request: Request):
    """Render a prompt template on a few inputs (answered by a registered generative model
    or a pretrained one that is ready here); run a prompt evaluation."""
    return render(
        request,
        "prompt_lab.html",
        nav="prompt-lab",
        title="Prompt lab",
        pretrained=ready_generators(request),
    )


@router.get("/studies")
def studies_page(request: Request):
    """Hyperparameter studies: trials (state, settings, score, epochs, pruned at, duration,
    run), optimisation history, scores per epoch, parallel coordinates, importances."""
    return render(request, "studies.html", nav="studies", title="Studies")


@router.get("/assistant")
def assistant_page(request: Request):
    """Support assistants: chat with citations and feedback, the retrieval debug view
    (BM25, dense and fused ranks of each candidate), the hand-off queue."""
    return render(request, "assistant.html", nav="assistant", title="Assistant")


@router.get("/monitor")
def monitor_page(request: Request):
    """Financial-news monitors: a series per entity or topic with its alert markers, the
    documents behind a point, the alerts; updated every 2 s while a replay runs."""
    return render(request, "monitor.html", nav="monitor", title="Monitor")


@router.get("/recommend")
def recommend_page(request: Request):
    """Recommenders: a user's history beside their recommendations and the reason for each,
    and the evaluation table of the chosen recommender's versions."""
    return render(request, "recommend.html", nav="recommend", title="Recommend")

"""The Starlette app: one route per page, every page read-only over one MLMD store."""

from __future__ import annotations

import os
from collections.abc import Callable
from urllib.parse import parse_qs

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from pipeline.lineage import LineageError
from pipeline.lineage.api import Lineage
from pipeline.registry import RegistryError
from pipeline.registry.trust import Trust

from . import audit, formatting
from .pages import data, models, prediction, version
from .timing import ServerTiming
from .verification import RecordStatuses

HERE = os.path.dirname(os.path.abspath(__file__))
# Every value from MLMD reaches the page through autoescaped templates or `tojson` data.
TEMPLATES = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.join(HERE, "templates")),
                               autoescape=True, undefined=jinja2.StrictUndefined)
formatting.install(TEMPLATES)


class LedgerUI:
    """Page handlers over one Lineage (and its registry); `trust()` is what records are checked
    against (allowed signers, legacy HMAC key), read per page so an edited allowed-signers file
    counts at once."""

    def __init__(self, lineage: Lineage, trust: Callable[[], Trust], signer=None):
        self.lineage, self.trust, self.signer = lineage, trust, signer

    def _render(self, name: str, status: int = 200, **context) -> HTMLResponse:
        return HTMLResponse(TEMPLATES.get_template(name).render(**context), status_code=status)

    def statuses(self) -> RecordStatuses:
        return RecordStatuses(self.lineage.store, self.trust())

    async def models(self, request: Request):
        return self._render("models.html", models=models.models_page(self.lineage.registry))

    async def model(self, request: Request):
        before = request.query_params.get("before", "")
        page = models.model_page(self.lineage.registry, self.statuses(),
                                 request.path_params["name"],
                                 before=int(before) if before.isdigit() else None)
        return self._render("model.html", page=page)

    def _version(self, request: Request):
        params = request.path_params
        return version.version_page(self.lineage, self.statuses(), params["name"],
                                    params["version"])

    async def version(self, request: Request):
        return self._render("version.html", page=self._version(request))

    async def audit(self, request: Request):
        bundle = audit.export_bundle(self.lineage.store, self._version(request), self.signer)
        name = f"{request.path_params['name']}@{request.path_params['version']}-audit.json"
        return Response(audit.dumps(bundle), media_type="application/json",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    async def compare(self, request: Request):
        a, b = request.query_params.get("a", ""), request.query_params.get("b", "")
        diff = self.lineage.diff(a, b)
        pages = [version.version_page(self.lineage, self.statuses(), *_split(x)) for x in (a, b)]
        return self._render("compare.html", diff=diff, pages=pages)

    async def dataset(self, request: Request):
        page = data.dataset_page(self.lineage.store, request.path_params["dsv"])
        return self._render("dataset.html", page=page)

    async def impact(self, request: Request):
        return self._render("impact.html",
                            page=data.impact_page(self.lineage, request.path_params["dsv"]))

    async def prediction(self, request: Request):
        # A plain urlencoded form: parsed here rather than pulling in python-multipart.
        form = parse_qs((await request.body()).decode("utf-8")) if request.method == "POST" else {}
        prediction_id = request.query_params.get("id", "")
        receipt_text = form.get("receipt", [""])[0]
        if not (prediction_id or receipt_text):
            return self._render("prediction.html", page=None, error="")
        try:
            page = prediction.prediction_page(self.lineage, prediction_id=prediction_id,
                                              receipt_text=receipt_text)
        except LineageError as exc:
            return self._render("prediction.html", status=400, page=None, error=str(exc))
        return self._render("prediction.html", page=page, error="")


def _split(identifier: str) -> tuple[str, int]:
    name, _, number = identifier.partition("@")
    if not number.isdigit():
        raise RegistryError(f"expected MODEL@VERSION with a number, got {identifier!r}")
    return name, int(number)


async def _not_found(request: Request, exc: Exception):
    status = 404 if isinstance(exc, (RegistryError, LineageError, KeyError)) else 400
    body = TEMPLATES.get_template("error.html").render(message=str(exc), status=status)
    return HTMLResponse(body, status_code=status)


async def _http_error(request: Request, exc: HTTPException):
    body = TEMPLATES.get_template("error.html").render(message=exc.detail, status=exc.status_code)
    return HTMLResponse(body, status_code=exc.status_code)


def create_app(lineage: Lineage, trust: Callable[[], Trust] = Trust, signer=None) -> Starlette:
    """The app over `lineage`'s store; records are checked against what `trust()` returns (by
    default no allowed signers and no HMAC key: signed records fail, legacy ones unchecked);
    audit exports are signed by `signer` (None: their evidence is unsigned)."""
    ui = LedgerUI(lineage, trust, signer)
    routes = [
        Route("/", ui.models),
        Route("/models/{name}", ui.model),
        Route("/models/{name}/versions/{version:int}", ui.version),
        Route("/models/{name}/versions/{version:int}/audit.json", ui.audit),
        Route("/compare", ui.compare),
        Route("/datasets/{dsv}", ui.dataset),
        Route("/datasets/{dsv}/impact", ui.impact),
        Route("/predictions", ui.prediction, methods=["GET", "POST"]),
        Mount("/static", StaticFiles(directory=os.path.join(HERE, "static")), name="static"),
    ]
    handlers = {RegistryError: _not_found, LineageError: _not_found, ValueError: _not_found,
                HTTPException: _http_error}
    return Starlette(routes=routes, exception_handlers=handlers,
                     middleware=[Middleware(ServerTiming)])

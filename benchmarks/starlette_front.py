"""The same Predictor behind Starlette on uvicorn: the alternative front bench_serve compares.

`python -m benchmarks.starlette_front HOME MODEL PORT`: :predict only, receipts and capture on.
"""
from __future__ import annotations

import sys

from components.infra_validator.tf_runtime import LEAN
from pipeline.paths import LedgerPaths


def app_for(predictor):
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def predict(request):
        body = await request.json()
        # Called on the event loop: for one keep-alive client the quickest Starlette can be.
        predictions = predictor.predict(body["instances"])
        return JSONResponse({"predictions": [p.outputs for p in predictions],
                             "receipts": [p.receipt.to_dict() for p in predictions]})

    name = predictor.version.model_name
    return Starlette(routes=[Route(f"/v1/models/{name}:predict", predict, methods=["POST"])])


def main(home: str, identifier: str, port: int) -> None:
    import uvicorn

    from pipeline.serving.predictor import Predictor

    with Predictor.load(identifier, LedgerPaths(home), runtime=LEAN) as predictor:
        print(f"listening on http://127.0.0.1:{port}", flush=True)
        uvicorn.run(app_for(predictor), host="127.0.0.1", port=port, log_level="warning",
                    http="httptools" if _has("httptools") else "h11",  # h11 in our lock
                    loop="uvloop" if _has("uvloop") else "asyncio")


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))

"""A small web service that embeds one drupe ServiceSession (examples/hello).

It shows the two ways to put drupe behind HTTP in your own application:

* a route of your own (``GET /greet/{name}``) that runs the pipeline with
  ``await session.arun(...)``: the run happens in a worker thread, never on
  the event loop, and sees only its own runtime parameters;
* drupe's ready-made API (``drupe_serve.create_app``) mounted under
  ``/drupe`` (``POST /drupe/runs``, ``GET /drupe/pipelines``, ...).

The session is created once, when the app starts, and closed in the app's
lifespan shutdown: a mounted app's own lifespan does not run, so the outer
app owns the session.

Run it (needs ``pip install 'drupe[serve]'``)::

    python examples/service/app.py --project examples/hello --port 8000
    curl http://127.0.0.1:8000/greet/Ada
    curl -X POST http://127.0.0.1:8000/drupe/runs -H 'Content-Type: application/json' \
        -d '{"runtime_params": {"name": "Ada"}}'

``--check`` sends a few requests in process (no network) and exits 0 when
every answer is right; the test suite runs it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

import drupe
import drupe_serve

HERE = Path(__file__).resolve().parent


def build(project: Path) -> Starlette:
    """The application: our own route plus drupe's API, around one service session."""
    session = drupe.ServiceSession.create(project_path=project)

    async def greet(request: Request) -> JSONResponse:
        name = request.path_params["name"]
        outputs = await session.arun(runtime_params={"name": name, "times": 1})
        return JSONResponse({"name": name, "stats": outputs["stats"]})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            # Waits for runs in flight, then the store marks the session closed.
            await asyncio.to_thread(session.close)

    return Starlette(
        routes=[
            Route("/greet/{name}", greet),
            Mount("/drupe", app=drupe_serve.create_app(session, close_session=False)),
        ],
        lifespan=lifespan,
    )


async def check(app: Starlette) -> None:
    import httpx

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            names = ["Ada", "Grace", "Edsger", "Barbara"]
            answers = await asyncio.gather(*(client.get(f"/greet/{name}") for name in names))
            for name, answer in zip(names, answers, strict=True):
                expected = len(f"HELLO, {name.upper()}!")
                assert answer.json()["stats"]["characters"] == expected, answer.text
            run = await client.post("/drupe/runs", json={"runtime_params": {"name": "Alan"}})
            assert run.status_code == 200, run.text
            listed = await client.get("/drupe/pipelines")
            print("greeted:", ", ".join(names))
            print("POST /drupe/runs ->", run.json()["outputs"])
            print("GET /drupe/pipelines ->", listed.json()["pipelines"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, default=HERE.parent / "hello")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--check", action="store_true", help="answer a few requests and exit")
    args = parser.parse_args()
    app = build(args.project.resolve())
    if args.check:
        asyncio.run(check(app))
        return
    import uvicorn

    uvicorn.run(app, host=args.host, port=args.port)


if __name__ == "__main__":
    sys.exit(main())

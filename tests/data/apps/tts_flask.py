"""A small Flask TTS app for the multi-worker tests, instrumented with the WSGI middleware."""

from __future__ import annotations

import os

import emotivoice_metrics as metrics
from flask import Flask, abort, request

metrics.start_metrics_server()
app = Flask("tts")


@app.post("/synthesize")
def synthesize() -> object:
    body = request.get_json(silent=True) or {}
    if not body.get("input"):
        abort(400)
    return {"pid": os.getpid()}


@app.get("/pid")
def pid() -> object:
    return {"pid": os.getpid()}


app.wsgi_app = metrics.MetricsWSGIMiddleware(app.wsgi_app)  # type: ignore[method-assign]

"""An EmotiVoice-shaped TTS server, written for the tests from the public API description of
EmotiVoice's OpenAI-compatible server (`POST /v1/audio/speech`; body input, voice, prompt,
language, model, response_format, speed). The model is a stub; everything else is a real
Starlette app. The lines marked `# metrics` are all the instrumentation it needs."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator

import emotivoice_metrics as metrics  # metrics
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

VOICES = {"8051", "9017", "6097"}
FORMATS = {"wav", "mp3"}
# Seconds the stub model takes per streamed chunk: TEST_CHUNK_SECONDS lets a test stretch an answer.
CHUNK_SECONDS = float(os.environ.get("TEST_CHUNK_SECONDS", "0.01"))


@metrics.time_inference()  # metrics
async def synthesize_chunk(text: str, voice: str, prompt: str) -> bytes:
    """The stub model: silence, a little of it per character."""
    await asyncio.sleep(CHUNK_SECONDS)
    return b"\0" * (16 * len(text))


async def speech(request: Request) -> Response:
    try:
        body = json.loads(await request.body())
    except ValueError:
        raise HTTPException(status_code=400, detail="the body is no JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("input"), str) or not body["input"]:
        raise HTTPException(status_code=400, detail="`input` is required")
    if body.get("voice", "8051") not in VOICES:
        raise HTTPException(status_code=400, detail="unknown voice")
    if body.get("response_format", "wav") not in FORMATS:
        raise HTTPException(status_code=400, detail="unsupported response_format")
    if body["input"] == "crash":
        raise RuntimeError("the model crashed")
    text, voice, prompt = body["input"], body.get("voice", "8051"), body.get("prompt", "")

    async def audio() -> AsyncIterator[bytes]:
        for sentence in text.split("。"):
            yield await synthesize_chunk(sentence, voice, prompt)

    return StreamingResponse(audio(), media_type="audio/wav")


async def pid(request: Request) -> Response:
    return JSONResponse({"pid": os.getpid()})


metrics.start_metrics_server()  # metrics
app = Starlette(routes=[Route("/v1/audio/speech", speech, methods=["POST"]), Route("/pid", pid)])
app.add_middleware(metrics.MetricsMiddleware)  # metrics

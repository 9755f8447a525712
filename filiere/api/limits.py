"""Request size and time limits, and the last-resort 500, as one pure ASGI middleware.

A body larger than its limit is refused with 413 (at once when ``Content-Length``
says so, else as soon as the excess arrives); a request still running after its time
limit is answered with 504 and its late response dropped; an error that no handler
took becomes a bare 500 problem (the connection stays usable).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Collection

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from filiere.api.problems import TYPE_PREFIX, problem_response, unexpected_response


class LimitsMiddleware:
    """Limit body size and run time; ``upload_paths`` get the larger upload limits."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body: int,
        timeout_s: float,
        max_upload_body: int,
        upload_timeout_s: float,
        upload_paths: Collection[str] = (),
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.timeout_s = timeout_s
        self.max_upload_body = max_upload_body
        self.upload_timeout_s = upload_timeout_s
        self.upload_paths = frozenset(upload_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        upload = path in self.upload_paths
        limit = self.max_upload_body if upload else self.max_body
        timeout = self.upload_timeout_s if upload else self.timeout_s
        too_large = problem_response(
            413,
            type_=TYPE_PREFIX + "too-large",
            detail=f"request body larger than {limit} bytes",
            instance=path,
            headers={"Connection": "close"},
        )
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await too_large(scope, receive, send)
                return

        state = {"started": False, "abandoned": False, "received": 0}

        async def reply(response: object) -> None:
            """Answer in the app's place (if it has not started) and drop what it sends."""
            if not state["started"]:
                state["started"] = True
                await response(scope, receive, send)  # type: ignore[operator]
            state["abandoned"] = True

        async def limited_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request" and not state["abandoned"]:
                state["received"] += len(message.get("body", b""))
                if state["received"] > limit:
                    await reply(too_large)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if state["abandoned"]:
                return
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        # A task, so that the deadline holds even while a handler runs in a thread.
        task = asyncio.ensure_future(self.app(scope, limited_receive, guarded_send))
        done, _ = await asyncio.wait({task}, timeout=timeout)
        if task not in done:
            task.add_done_callback(_discard)
            task.cancel()
            await reply(
                problem_response(
                    504,
                    type_=TYPE_PREFIX + "timeout",
                    detail=f"the request took longer than the {timeout:g} s limit",
                    instance=path,
                )
            )
            return
        try:
            task.result()
        except Exception as exc:
            if state["abandoned"]:
                return  # already answered (413): the app only noticed the disconnect
            if state["started"]:
                raise  # too late for a problem: let the server close the connection
            await reply(unexpected_response(path, exc))


def _discard(task: asyncio.Future[None]) -> None:
    with contextlib.suppress(BaseException):
        task.result()

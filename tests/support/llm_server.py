"""A local OpenAI-compatible server on 127.0.0.1 for tests and benchmarks, with fault injection.

Endpoints: ``POST /v1/chat/completions`` (JSON or SSE streaming, tool calls, ``response_format``),
``POST /v1/embeddings``, ``GET /v1/models``. Answers follow the offline rules (``app.bridges.offline_rules``), so
results are predictable. Faults are queued with :meth:`LLMServer.fault` and consumed one per request, in order:

* ``"429"`` (with ``retry_after`` seconds in a Retry-After header), ``"500"``, ``"401"``, ``"context"``
  (a 400 with ``context_length_exceeded``);
* ``"slow"``: wait ``seconds`` before the first byte, then answer normally;
* ``"timeout"``: wait ``seconds`` (longer than the client's timeout) and then answer;
* ``"malformed"``: a 200 whose body is not JSON;
* ``"disconnect"``: streams send ``after`` chunks and drop the connection (non-streams drop it at once);
* ``"content"``: answer with the given ``content`` text instead of the rules' answer;
* ``"after"``: hold the answer until a request whose last message is ``text`` has arrived (at most 10 s), so a test
  can order two concurrent calls.

A client that hangs up while the server waits (``delay`` or a slow fault) is noted in ``abandoned``: that is how
tests see that a cancelled call's HTTP request really stopped.

A fault queued with ``when="text"`` waits for the request whose last message is exactly that text.

Like an obedient model, a request whose system message says "...JSON schema:\n{schema}" (the structured-output
instruct path) gets a JSON instance of that schema.

``delay`` (seconds) applies to every answer (the parallel-workflow benchmark uses 0.2 s).
Usage: ``with LLMServer() as server: ... api_base=server.url``.
"""

from __future__ import annotations

import json
import logging
import select
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from app.bridges import offline_rules

log = logging.getLogger(__name__)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no 40 ms Nagle/delayed-ACK stalls

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        log.debug(format, *args)

    # plumbing --------------------------------------------------------------------------------------------------
    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload).encode()
        self._send_raw(status, body, "application/json", headers)

    def _send_raw(self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def _error(
        self, status: int, message: str, etype: str, code: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        self._send_json(status, {"error": {"message": message, "type": etype, "code": code, "param": None}}, headers)

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(2)
        except OSError:
            pass

    def _read_body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        return json.loads(raw or b"{}")

    # endpoints -------------------------------------------------------------------------------------------------
    def do_GET(self) -> None:  # noqa: N802
        if self.path.rstrip("/").endswith("/models"):
            self._send_json(200, {"object": "list", "data": [{"id": "test-model", "object": "model"}]})
        else:
            self._error(404, "not found", "invalid_request_error")

    def do_POST(self) -> None:  # noqa: N802
        body = self._read_body()
        self.server.owner.record(self.path, body, dict(self.headers))
        self.server.owner.enter()
        try:
            self._post(body)
        finally:
            self.server.owner.leave()

    def _post(self, body: dict[str, Any]) -> None:
        fault = self.server.owner.next_fault(body)
        delay = self.server.owner.delay
        if fault and fault["kind"] in ("slow", "timeout"):
            delay += float(fault.get("seconds", 0.5 if fault["kind"] == "slow" else 5.0))
        if fault and fault["kind"] == "after":
            self.server.owner.wait_for_request(str(fault["text"]), 10.0)
        if delay and not self._wait_unless_abandoned(delay):
            self.server.owner.note_abandoned(self.path, body)
            self.close_connection = True
            return
        if fault and self._fault(fault, body):
            return
        if self.path.rstrip("/").endswith("/embeddings"):
            self._embeddings(body)
        elif self.path.rstrip("/").endswith("/chat/completions"):
            self._chat(body, fault)
        else:
            self._error(404, f"no endpoint {self.path}", "invalid_request_error")

    def _wait_unless_abandoned(self, seconds: float) -> bool:
        """Sleep ``seconds`` before answering; False as soon as the client closes the connection (a cancelled
        request: the client gave up, and a real provider would stop generating)."""
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return True
            readable, _, _ = select.select([self.connection], [], [], min(left, 0.05))
            if readable:
                try:
                    if self.connection.recv(1, socket.MSG_PEEK) == b"":
                        return False
                except OSError:
                    return False
                time.sleep(min(left, 0.05))  # a pipelined request is waiting: not a close

    def _fault(self, fault: dict[str, Any], body: dict[str, Any]) -> bool:
        kind = fault["kind"]
        if kind == "429":
            self._error(
                429,
                "Rate limit reached for requests",
                "rate_limit_error",
                "rate_limit_exceeded",
                {"Retry-After": str(fault.get("retry_after", 1))},
            )
        elif kind == "500":
            self._error(500, "The server had an error while processing your request", "server_error")
        elif kind == "401":
            self._error(401, "Incorrect API key provided", "invalid_request_error", "invalid_api_key")
        elif kind == "context":
            self._error(
                400,
                "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.",
                "invalid_request_error",
                "context_length_exceeded",
            )
        elif kind == "malformed":
            self._send_raw(200, b'{"id": "x", "choices": [ {not json', "application/json")
        elif kind == "disconnect" and not body.get("stream"):
            self._drop()
        else:
            return False
        return True

    def _answer(self, body: dict[str, Any], fault: dict[str, Any] | None) -> dict[str, Any]:
        answer = offline_rules.reply(body.get("model", "test-model"), body.get("messages") or [], body)
        if fault and fault["kind"] == "content":
            answer = dict(answer, content=fault["content"], tool_calls=[], finish_reason="stop")
        elif not body.get("response_format") and not answer["tool_calls"]:
            schema = _instructed_schema(body.get("messages") or [])
            if schema is not None:  # a model that follows "reply with JSON matching this schema"
                user = next((m for m in reversed(body["messages"]) if m.get("role") == "user"), {})
                value = offline_rules.instance_for(schema, offline_rules.text_of(user.get("content")))
                answer = dict(answer, content=json.dumps(value))
        return answer

    def _chat(self, body: dict[str, Any], fault: dict[str, Any] | None) -> None:
        answer = self._answer(body, fault)
        model = body.get("model", "test-model")
        if body.get("stream"):
            self._stream(body, answer, fault)
            return
        message: dict[str, Any] = {"role": "assistant", "content": answer["content"]}
        if answer["tool_calls"]:
            message["tool_calls"] = answer["tool_calls"]
        self._send_json(
            200,
            {
                "id": "chatcmpl-test",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [{"index": 0, "message": message, "finish_reason": answer["finish_reason"]}],
                "usage": answer["usage"],
            },
        )

    def _stream(self, body: dict[str, Any], answer: dict[str, Any], fault: dict[str, Any] | None) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        model = body.get("model", "test-model")
        base = {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": int(time.time()), "model": model}
        events: list[dict[str, Any]] = [
            dict(base, choices=[{"index": 0, "delta": {"role": "assistant"}, "finish_reason": None}])
        ]
        for piece in offline_rules.stream_pieces(answer["content"] or ""):
            events.append(dict(base, choices=[{"index": 0, "delta": {"content": piece}, "finish_reason": None}]))
        for i, call in enumerate(answer["tool_calls"]):
            events.append(
                dict(
                    base, choices=[{"index": 0, "delta": {"tool_calls": [dict(call, index=i)]}, "finish_reason": None}]
                )
            )
        events.append(dict(base, choices=[{"index": 0, "delta": {}, "finish_reason": answer["finish_reason"]}]))
        if (body.get("stream_options") or {}).get("include_usage"):
            events.append(dict(base, choices=[], usage=answer["usage"]))
        cut = int(fault.get("after", 2)) if fault and fault["kind"] == "disconnect" else None
        for n, event in enumerate(events):
            if cut is not None and n >= cut:
                self._write_chunk(b'data: {"id": "chatcmpl-te')  # half an event, then the line drops
                self._drop()
                return
            self._write_chunk(f"data: {json.dumps(event)}\n\n".encode())
            if self.server.owner.chunk_delay:
                time.sleep(self.server.owner.chunk_delay)
        self._write_chunk(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _embeddings(self, body: dict[str, Any]) -> None:
        texts = body.get("input")
        texts = [texts] if isinstance(texts, str) else list(texts or [])
        data = [
            {"object": "embedding", "index": i, "embedding": offline_rules.embedding(str(t))}
            for i, t in enumerate(texts)
        ]
        tokens = sum(offline_rules.count_tokens(str(t)) for t in texts)
        self._send_json(
            200,
            {
                "object": "list",
                "data": data,
                "model": body.get("model", "test-embed"),
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            },
        )


def _instructed_schema(messages: list[dict[str, Any]]) -> dict[str, Any] | None:
    for m in messages:
        text = offline_rules.text_of(m.get("content")) if m.get("role") == "system" else ""
        if "JSON schema:" in text:
            try:
                return json.loads(text.split("JSON schema:", 1)[1].strip())
            except ValueError:
                return None
    return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: LLMServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("client %s went away", client_address, exc_info=True)  # timeouts and drops are expected here


class LLMServer:
    """The server; ``url`` is the ``api_base`` for litellm's ``openai/`` provider."""

    def __init__(self, delay: float = 0.0, chunk_delay: float = 0.0):
        self.delay = delay
        self.chunk_delay = chunk_delay
        self.requests: list[dict[str, Any]] = []
        self.abandoned: list[dict[str, Any]] = []  # requests whose client hung up before the answer
        self.in_flight = 0  # requests being answered now
        self.max_in_flight = 0  # the most at once since the start (or reset)
        self._faults: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="llm-test-server", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def start(self) -> LLMServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> LLMServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def fault(self, kind: str, **params: Any) -> None:
        """Queue a fault for the next request (see the module docstring)."""
        with self._lock:
            self._faults.append({"kind": kind, **params})

    def next_fault(self, body: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """The first queued fault for this request: one without ``when``, or whose ``when`` text is the last
        message's content (``fault("401", when="denied")`` fails only the request that says "denied")."""
        messages = (body or {}).get("messages") or []
        last = offline_rules.text_of(messages[-1].get("content")) if messages else None
        with self._lock:
            for i, fault in enumerate(self._faults):
                if fault.get("when") is None or fault["when"] == last:
                    return self._faults.pop(i)
        return None

    def reset(self) -> None:
        with self._lock:
            self._faults.clear()
            self.requests.clear()
            self.abandoned.clear()
            self.max_in_flight = self.in_flight
        self.delay = 0.0
        self.chunk_delay = 0.0

    def record(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> None:
        with self._lock:
            self.requests.append({"path": path, "body": body, "headers": headers, "at": time.monotonic()})

    def wait_for_request(self, text: str, timeout: float) -> bool:
        """Whether a request whose last message is ``text`` arrives within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                for r in self.requests:
                    messages = r["body"].get("messages") or []
                    if messages and offline_rules.text_of(messages[-1].get("content")) == text:
                        return True
            time.sleep(0.005)
        return False

    def enter(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def note_abandoned(self, path: str, body: dict[str, Any]) -> None:
        with self._lock:
            self.abandoned.append({"path": path, "body": body})

    def chat_requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r["body"] for r in self.requests if r["path"].rstrip("/").endswith("/chat/completions")]


def main() -> None:
    """``python tests/support/llm_server.py [--delay S]``: serve until killed; prints the base URL first."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(description="local OpenAI-compatible test server")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before every answer")
    args = parser.parse_args()
    server = LLMServer(delay=args.delay).start()
    print(server.url, flush=True)
    try:
        sys.stdin.read()  # until the parent closes our stdin (or dies)
    finally:
        server.stop()


if __name__ == "__main__":
    main()

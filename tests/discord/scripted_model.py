"""An OpenAI-compatible chat endpoint on 127.0.0.1 that streams a scripted reply.

It stands in for a remote model service (like the fake Discord stands in for Discord), so the
Discord tests can know what the "model" writes. The real ChatOpenAI client, our generator,
prompt and verifier all run unchanged. A `{cite:PHRASE}` in the script becomes the number of the
prompt's passage containing PHRASE, the way a good model would cite it.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_CITE = re.compile(r"\{cite:([^}]+)\}")


class ScriptedModel:
    """Serve `/v1/chat/completions`; set `script` to [(text piece, seconds before it)]."""

    def __init__(self) -> None:
        self.script: list[tuple[str, float]] = []
        self.prompts: list[str] = []  # the user message of each request
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def pieces(self, prompt: str) -> list[tuple[str, float]]:
        """The script with each {cite:PHRASE} resolved against the prompt's numbered passages."""
        fenced = prompt.split("\n</PASSAGE-")[0]  # the question after the fence is no passage
        blocks = re.split(r"\n\[(\d+)\] ", fenced)
        numbered = {blocks[i + 1]: blocks[i + 2] for i in range(0, len(blocks) - 2, 2)}

        def cite(m: re.Match[str]) -> str:
            found = [n for n, text in numbered.items() if m[1].lower() in text.lower()]
            return f"[{found[0] if found else 99}]"

        return [(_CITE.sub(cite, text), delay) for text, delay in self.script]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        model = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                prompt = str(body["messages"][-1]["content"])
                model.prompts.append(prompt)
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for text, delay in model.pieces(prompt):
                    time.sleep(delay)
                    self._event({"role": "assistant", "content": text}, None)
                self._event({}, "stop")
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

            def _event(self, delta: dict[str, Any], finish: str | None) -> None:
                chunk = {
                    "id": "chatcmpl-scripted",
                    "object": "chat.completion.chunk",
                    "created": int(time.time()),
                    "model": "scripted",
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                }
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()

        return Handler

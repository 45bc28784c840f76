"""The local model's own process: llama.cpp's OpenAI-compatible server on 127.0.0.1.

    python -m bot.answering.generation.model_process --model FILE --port N [--threads 2] ...

Started by `LocalModelServer` (local_server.py), never by hand. Native code that crashes (a CPU
feature the build assumed, a bad model file, memory for the KV cache) then kills this process,
not the bot. It dies with its parent: its stdin is a pipe from the parent, which reaches end of
file when the parent ends in any way (SIGKILL included: the kernel closes the parent's end).
(Linux's parent-death signal is not used: it fires when the *thread* that started the child
ends, and a restart may come from a thread that does not live as long as the process.)
"""

from __future__ import annotations

import argparse
import os
import sys
import threading


def die_with_parent() -> None:
    """Exit when the parent does, however it ends."""

    def watch() -> None:
        while sys.stdin.buffer.read(1024):
            pass
        os._exit(0)  # the parent's end of the pipe closed: it is gone

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--context", type=int, default=4096)
    parser.add_argument("--batch", type=int, default=512)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    die_with_parent()
    args = parse_args(argv)
    import uvicorn
    from llama_cpp.server.app import create_app
    from llama_cpp.server.settings import ModelSettings, ServerSettings

    model = ModelSettings(
        model=args.model,
        model_alias="local",
        n_ctx=args.context,  # llama.cpp's default 512 cuts RAG prompts
        n_batch=min(args.batch, args.context),
        n_threads=args.threads,  # its default here is 1
        n_threads_batch=args.threads,  # reading the prompt: the same cores
        logits_all=False,  # the server's default computes logits for every prompt token
        rope_freq_base=0.0,  # the file's own value (LangChain's 10000 broke Qwen)
        verbose=False,
    )
    server = ServerSettings(host="127.0.0.1", port=args.port, interrupt_requests=True)
    app = create_app(server_settings=server, model_settings=[model])  # loads the model
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()

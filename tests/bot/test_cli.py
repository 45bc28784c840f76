"""The `nhsbot` command run as a subprocess: the JSON contract, batch mode, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from generate.samples import smollm2_file
from support import nhsbot

CITATION_KEYS = {
    "n",
    "title",
    "publisher",
    "published",
    "source",
    "url",
    "quote",
    "chunk_id",
    "score",
}


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory, fixture_corpus: Path) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("NHSBOT_") and k != "DISCORD_TOKEN"
    }
    env["NHSBOT_DATA_DIR"] = str(tmp_path_factory.mktemp("cli-data"))
    env["NHSBOT_CORPUS_DIR"] = str(fixture_corpus)
    done = nhsbot(["ingest"], env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "5 added, 0 changed, 0 skipped, 0 pruned, 0 failed"
    return env


def test_ingest_again_skips(cli_env: dict[str, str]) -> None:
    done = nhsbot(["ingest", "--json"], cli_env)
    report = json.loads(done.stdout)
    assert len(report["skipped"]) == 5 and report["added"] == [] and report["failed"] == []


def test_ask_json_contract(cli_env: dict[str, str]) -> None:
    done = nhsbot(["ask", "--json", "-k", "4", "who got the FDP contract?"], cli_env)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert {"question", "answer", "refused", "citations", "timings_ms"} <= set(out)
    assert out["question"] == "who got the FDP contract?" and out["refused"] is False
    assert "Palantir" in out["answer"]
    for c in out["citations"]:
        assert CITATION_KEYS <= set(c)
        assert c["quote"] and c["chunk_id"] and isinstance(c["score"], float)
    assert out["citations"][0]["source"].endswith("fdp-contract.md")
    assert out["generator"] == "extractive" and "verified_sentences" not in out


def test_ask_on_an_empty_store_says_so(cli_env: dict[str, str], tmp_path: Path) -> None:
    """Not "the nearest passages are listed below" with none listed: the store is empty."""
    env = {**cli_env, "NHSBOT_DATA_DIR": str(tmp_path)}
    done = nhsbot(["ask", "--json", "who got the FDP contract?"], env)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["refused"] is True and out["citations"] == []
    assert "listed below" not in out["answer"]
    assert "the store is empty" in done.stderr and "nhsbot ingest" in done.stderr
    assert "the store is empty" not in nhsbot(["ask", "who got it?"], cli_env).stderr


def test_check_prints_a_verdict_per_claim(cli_env: dict[str, str]) -> None:
    message = (
        "The national data opt-out applies only in England. "
        "The Federated Data Platform contract is worth up to £480 million over seven years."
    )
    done = nhsbot(["check", message], cli_env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Supported: “The national data opt-out applies only in England.”")
    assert "\nContradicted: “The Federated Data Platform contract" in done.stdout
    assert "£330 million, not £480 million" in done.stdout.replace("\n", " ")
    done = nhsbot(["check", "--json", message], cli_env)
    out = json.loads(done.stdout)
    assert out["stance"] == "contradicts"
    assert [c["stance"] for c in out["claims"]] == ["supports", "contradicts"]
    assert all(CITATION_KEYS <= set(c) for c in out["citations"])
    done = nhsbot(["check", "  "], cli_env)
    assert done.returncode == 2 and "error:" in done.stderr and not done.stdout


def test_ask_batch_from_stdin(cli_env: dict[str, str]) -> None:
    questions = "who got the FDP contract?\n\nwhere does the opt-out apply\n" + "y" * 1200 + "\n"
    done = nhsbot(["ask", "--json", "-"], cli_env, stdin=questions)
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(lines) == 4  # one output line per input line, the blank one included
    assert lines[0]["citations"] and lines[2]["citations"]
    assert "type a question" in lines[1]["error"] and "limit is 1000" in lines[3]["error"]
    assert done.returncode == 2


@pytest.mark.parametrize("question", ["", "z" * 1001])
def test_bad_question_exit_code(cli_env: dict[str, str], question: str) -> None:
    done = nhsbot(["ask", question], cli_env)
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and done.stdout == ""


def test_question_length_limit_is_configurable(cli_env: dict[str, str]) -> None:
    env = {**cli_env, "NHSBOT_MAX_QUESTION_CHARS": "20"}
    done = nhsbot(["ask", "does the opt-out cover planning?"], env)
    assert done.returncode == 2 and "limit is 20" in done.stderr


def test_sources_lists_documents(cli_env: dict[str, str]) -> None:
    docs = json.loads(nhsbot(["sources", "--json"], cli_env).stdout)
    assert len(docs) == 5
    assert {"title", "publisher", "published", "source", "url", "chunks"} <= set(docs[0])
    text = nhsbot(["sources", "wales"], cli_env).stdout
    assert "Health data in Wales" in text and "opt-out" not in text


def test_eval_prints_metrics(cli_env: dict[str, str], tmp_path: Path) -> None:
    items = [
        {
            "id": "a",
            "q": "how much is the fdp contract worth",
            "gold_docs": ["fdp-contract.md"],
            "must_contain_any": ["330"],
            "answerable": True,
        },
        {
            "id": "b",
            "q": "what is a good banana bread recipe",
            "gold_docs": [],
            "must_contain_any": [],
            "answerable": False,
        },
    ]
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(json.dumps(i) for i in items))
    done = nhsbot(["eval", str(path), "--json"], cli_env)
    metrics = json.loads(done.stdout)
    assert metrics["hit@5"] == 1.0 and metrics["mrr"] == 1.0 and metrics["answer_hit"] == 1.0
    assert {"refusal_accuracy", "false_refusals"} <= set(metrics)
    assert metrics["generator"] == "extractive" and 0 < metrics["latency_p50_ms"]
    assert metrics["latency_p50_ms"] <= metrics["latency_p95_ms"]

    # Side by side with the local model (SmolLM2: plumbing only, its answers are poor).
    env = {**cli_env, "NHSBOT_LLM_MODEL": str(smollm2_file()), "NHSBOT_LLM_MAX_TOKENS": "48"}
    env["NHSBOT_LLM_TIMEOUT_S"] = "600"  # the model must finish, even on a loaded machine
    done = nhsbot(["eval", str(path), "--json", "--llm", "extractive,llamacpp"], env)
    assert done.returncode == 0, done.stderr
    table = json.loads(done.stdout)
    assert set(table) == {"extractive", "llamacpp"}
    assert table["extractive"]["answer_hit"] == metrics["answer_hit"]
    generated = table["llamacpp"]
    assert {"verified_share", "fallbacks", "generated_shown", "latency_p95_ms"} <= set(generated)
    assert 0.0 <= generated["verified_share"] <= 1.0
    assert generated["generated_shown"] + generated["fallbacks"] > 0  # the model was asked
    assert generated["refusal_accuracy"] == table["extractive"]["refusal_accuracy"]
    text = nhsbot(["eval", str(path), "--llm", "extractive,llamacpp"], env).stdout
    assert "verified_share" in text and "extractive" in text.splitlines()[0]


def test_ask_json_with_a_local_model(cli_env: dict[str, str]) -> None:
    env = {**cli_env, "NHSBOT_LLM": "llamacpp", "NHSBOT_LLM_MODEL": str(smollm2_file())}
    env |= {"NHSBOT_LLM_MAX_TOKENS": "48", "NHSBOT_LLM_TIMEOUT_S": "600"}
    done = nhsbot(["ask", "--json", "who got the FDP contract?"], env)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["generator"] in ("llamacpp", "extractive-fallback")
    kept, checked = out["verified_sentences"]["kept"], out["verified_sentences"]["checked"]
    assert 0 <= kept <= checked and "generate" in out["timings_ms"]
    for c in out["citations"]:
        assert CITATION_KEYS <= set(c)


def test_unknown_generator_is_a_clear_error(cli_env: dict[str, str]) -> None:
    done = nhsbot(["ask", "who got the FDP contract?"], {**cli_env, "NHSBOT_LLM": "gpt"})
    assert done.returncode == 2 and "invalid setting" in done.stderr and "llm" in done.stderr
    done = nhsbot(["eval", "q.jsonl", "--llm", "gpt"], cli_env)
    assert done.returncode == 2 and "unknown generator" in done.stderr


def test_chat_follow_up(cli_env: dict[str, str]) -> None:
    done = nhsbot(["chat"], cli_env, stdin="how do I set the opt-out?\nquit\n")
    assert done.returncode == 0
    assert "0300 303 5678" in done.stdout or "NHS App" in done.stdout
    assert "Sources:" in done.stdout


def test_chat_warms_up_before_its_prompt(cli_env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "chat"],
        input="quit\n",
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # one stream: what was written first comes first
        text=True,
        env={**cli_env, "NHSBOT_LOG_LEVEL": "INFO"},
        timeout=300,
    )
    assert done.returncode == 0, done.stdout
    assert done.stdout.index("warmed up in") < done.stdout.index("nhsbot — ask about")


def test_second_writer_gets_a_clear_error(cli_env: dict[str, str]) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "chat"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env,
    )
    try:
        assert holder.stdout is not None
        holder.stdout.readline()  # the banner: the holder has the store open
        done = nhsbot(["ingest"], cli_env)
        assert done.returncode == 1
        assert (
            "in use by another nhsbot process" in done.stderr
            and "NHSBOT_CHROMA_HOST" in done.stderr
        )
    finally:
        holder.communicate("quit\n", timeout=60)
    assert nhsbot(["ingest"], cli_env).returncode == 0  # free again once the holder exits

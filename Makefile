# Each target creates the virtualenv it needs (Python 3.10+ and PyPI access required).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

# Extra venvs (tests/ci/NAME.txt), each running its own test files; see tests/ci/README.md.
SUITES := verl trl tf4 tf510 olddatasets
# verl 0.9.1 (tests/ci/verl.txt): reward wiring, managers, agent loop and recipe in verl's own code.
TESTS_verl := tests/test_verl_integration.py tests/test_layout.py rlla_4k_gpt/trainers/verl_agent_loop.py
# The gpt-oss chat template on transformers 4.57.x and on verl 0.9.1's pin (5.10.4).
TESTS_tf4 := tests/test_chat_template.py tests/test_tokenizer.py
TESTS_tf510 := tests/test_chat_template.py tests/test_tokenizer.py
# TRL 1.16 (tests/ci/trl.txt): GRPOTrainer on CPU with the recipe in examples/trl/, and what it renders
# for a conversational prompt.
TESTS_trl := tests/test_trl.py tests/test_trl_template.py

.PHONY: demo test test-core bench bench-reward clean

$(BIN)/rlla-4k-gpt: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

demo: $(BIN)/rlla-4k-gpt  ## build the embedded 80-row sample and print a summary
	$(BIN)/rlla-4k-gpt build --sample --out build/rl-sample

test: test-core $(addprefix test-,$(SUITES))  ## run the whole test suite, every venv

test-core: $(BIN)/rlla-4k-gpt  ## the main venv's suite
	$(BIN)/python -m pytest -q

.PRECIOUS: .venv-%/stamp
.venv-%/stamp: tests/ci/%.txt pyproject.toml
	$(PYTHON) -m venv .venv-$*
	.venv-$*/bin/python -m pip install --quiet --upgrade pip
	.venv-$*/bin/python -m pip install --quiet -r tests/ci/$*.txt
	touch $@

test-%: .venv-%/stamp  ## one extra venv's suite (tests/ci/%.txt)
	RLLA_REQUIRE=$* .venv-$*/bin/python -m pytest -q $(TESTS_$*)

# A client-only venv with datasets 4.6 (no Json feature), driven from the main venv's test.
test-olddatasets: .venv-olddatasets/stamp $(BIN)/rlla-4k-gpt
	RLLA_REQUIRE=olddatasets RLLA_OLD_DATASETS=.venv-olddatasets/bin/python $(BIN)/python -m pytest -q tests/test_old_datasets.py

bench: $(BIN)/rlla-4k-gpt  ## print build throughput and peak memory
	$(BIN)/python scripts/bench_build.py

bench-reward: $(BIN)/rlla-4k-gpt  ## print reward scores/s, worst-case time and metric compute time
	$(BIN)/python scripts/bench_reward.py

clean:
	rm -rf build .pytest_cache

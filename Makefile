# Each target creates the virtualenv it needs (Python 3.10+ and PyPI access required).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test bench bench-reward clean

$(BIN)/rlla-4k-gpt: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

demo: $(BIN)/rlla-4k-gpt  ## build the embedded 80-row sample and print a summary
	$(BIN)/rlla-4k-gpt build --sample --on-error skip --out build/rl-sample

test: $(BIN)/rlla-4k-gpt  ## run the whole test suite
	$(BIN)/python -m pytest -q

bench: $(BIN)/rlla-4k-gpt  ## print build throughput and peak memory
	$(BIN)/python scripts/bench_build.py

bench-reward: $(BIN)/rlla-4k-gpt  ## print reward scores/s, worst-case time and metric compute time
	$(BIN)/python scripts/bench_reward.py

clean:
	rm -rf build .pytest_cache

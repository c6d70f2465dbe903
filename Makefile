# Two entry points for a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/rotokit demo -o demo_out

# Lint and types first (seconds to a few minutes), then the layer contracts, then the tests.
test: $(STAMP)
	$(BIN)/ruff format --check app model effects tests bench
	$(BIN)/ruff check app model effects tests bench
	$(BIN)/mypy
	QT_QPA_PLATFORM=offscreen $(BIN)/lint-imports
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q --durations=25

# The exports read by their consumers that are not rotokit dependencies: Ultralytics (AGPL-3.0,
# loads the YOLO export) and TrackEval (MIT, reads MOTS/DAVIS). Both wheels require
# opencv-python, which would overwrite our opencv-python-headless (same cv2 module), so they are
# installed without dependencies, plus their other requirements.
CONSUMERS := ultralytics ultralytics-thop trackeval
CONSUMER_DEPS := matplotlib scipy polars tabulate

test-consumers: $(STAMP)
	$(BIN)/pip install -q --no-deps $(CONSUMERS)
	$(BIN)/pip install -q $(CONSUMER_DEPS)
	QT_QPA_PLATFORM=offscreen YOLO_OFFLINE=1 $(BIN)/python -m pytest -q -rs \
		tests/export/test_ultralytics_consumer.py tests/export/test_trackeval_readers.py

.PHONY: install demo test test-consumers

# Everything the project needs is installed from here: a virtualenv with the package, the
# Debian packages (ffmpeg, chromium), and the real servers the test suite runs against.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
SERVICES_DIR ?= /tmp/heritage-services
export HERITAGE_SERVICES_DIR := $(SERVICES_DIR)

.PHONY: install system-deps demo test test-fast lint services-up services-down bench bench-ocr clean

$(BIN)/heritage: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	# iiif-prezi3 (the IIIF community's Presentation 3 models, used by the tests as a validator)
	# pins Pillow <= 12.0 in every release; it runs fine on newer Pillow, so install it alone.
	$(BIN)/pip install --quiet --no-deps 'iiif-prezi3>=3.1'
	touch $@

install: $(BIN)/heritage

system-deps:
	scripts/system-deps.sh

## The embedded default, no servers: ingest samples/, serve, print the address.
demo: install system-deps
	$(BIN)/heritage demo

## The whole test suite, real services included (MinIO, Elasticsearch, OpenSearch, Redis, ffmpeg, Chromium).
test: install system-deps lint
	scripts/services.sh up
	. $(SERVICES_DIR)/env && $(BIN)/python -m pytest; status=$$?; scripts/services.sh down; exit $$status

## Unit and embedded tests only (no servers): tests marked `services` are left out.
test-fast: install
	$(BIN)/python -m pytest -m "not services"

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

services-up:
	scripts/services.sh up

services-down:
	scripts/services.sh down

bench: install system-deps
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python bench/bench_images.py --workers 2
	$(BIN)/python bench/bench_search.py

## OCR engines on the labelled page set (Tesseract from Debian, RapidOCR's wheel with its models).
bench-ocr: install
	$(BIN)/python bench/bench_ocr.py

clean:
	rm -rf $(VENV) heritage-data .pytest_cache .ruff_cache

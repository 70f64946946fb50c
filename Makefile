# spamlaw: `make run` sets everything up and audits samples/; `make test` sets up and runs the suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# What WeasyPrint needs on Debian: Pango, HarfBuzz subsetting (about 5x faster font
# subsetting than the fontTools fallback) and fonts: DejaVu, plus Noto for every script
# spam arrives in (Arabic, Hebrew, Thai, ... in fonts-noto-core; Chinese, Japanese and
# Korean in fonts-noto-cjk; about 130 MB installed together). poppler-utils and qpdf let
# the tests read exhibits back with independent tools.
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-noto-core fonts-noto-cjk poppler-utils qpdf
# OCR of the pictures a message carries (checker/ocr.py): the tesserocr wheel bundles
# libtesseract; Debian supplies the language data for the footers spam is written in.
OCR_LANGUAGES := eng spa deu fra por ita nld chi-sim chi-tra jpn kor rus
SYSTEM_PACKAGES += tesseract-ocr $(addprefix tesseract-ocr-,$(OCR_LANGUAGES))

.PHONY: run test setup system-deps lint rules-check bench clean

run: setup
	$(BIN)/spamlaw audit samples/ --fail-on never

test: setup
	$(BIN)/ruff check checker tests bench
	$(BIN)/spamlaw rules lint rules/
	$(BIN)/spamlaw rules test rules/
	$(BIN)/pytest -q

setup: system-deps $(STAMP)

system-deps:
	@missing=""; \
	if command -v dpkg-query >/dev/null 2>&1; then \
	  for p in $(SYSTEM_PACKAGES); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	  done; \
	fi; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing system packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "WeasyPrint and OCR need system packages that are missing. Run:"; \
	    echo "  sudo apt-get install -y$$missing"; \
	    exit 1; \
	  fi; \
	fi

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

lint: setup
	$(BIN)/ruff check checker tests bench

bench: setup
	$(BIN)/python bench/parse.py
	$(BIN)/python bench/audit.py
	$(BIN)/python bench/exhibit.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache

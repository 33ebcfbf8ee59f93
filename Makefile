# dcreview: two entry points on a fresh Debian/Ubuntu machine.
#   make run   - create .venv, install everything, open the viewer on the built-in demo case
#   make test  - install test needs (Debian GL/X packages when root), run the whole suite headless
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

DEBIAN_PACKAGES := xvfb xauth libegl1 libgl1 libosmesa6 libglib2.0-0 libdbus-1-3 libfontconfig1 \
	libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 \
	libxcb-randr0 libxcb-render-util0 libxcb-xinerama0 libxcb-image0 dcmtk dicom3tools nsis \
	invesalius-examples orthanc orthanc-dicomweb

.PHONY: run test system-deps venv lint clean model

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

run: system-deps $(STAMP)
	$(VENV)/bin/dcreview

system-deps:
	@if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
		if [ -n "$$missing" ]; then \
			echo "installing Debian packages: $$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		fi; \
	else \
		echo "not root: make sure these Debian packages are installed: $(DEBIAN_PACKAGES)"; \
	fi

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

test: system-deps $(STAMP) lint
	@echo "== pass 1: everything but the slow tests, offscreen Qt + OSMesa"
	env QT_QPA_PLATFORM=offscreen VTK_DEFAULT_OPENGL_WINDOW=vtkOSOpenGLRenderWindow \
		$(PY) -m pytest -m "not slow" --durations=15
	@echo "== pass 2: the GUI tests again under Xvfb (the GLX path users take)"
	env -u VTK_DEFAULT_OPENGL_WINDOW QT_QPA_PLATFORM=xcb \
		xvfb-run -a -s "-screen 0 1280x1024x24" $(PY) -m pytest -m "gui and not slow" \
		--durations=15
	@echo "== pass 3: slow: installers and the wheel, built, installed and smoke-tested"
	$(PY) -m pytest -m slow --durations=15

# Retrain the demo model on phantoms (CPU, a few minutes) and evaluate it on held-out phantoms.
model: $(STAMP)
	$(PY) -m pip install --quiet -e '.[train]'
	$(PY) -m inference.training.train_demo --out inference/data/models
	$(PY) -m inference.training.evaluate_demo inference/data/models/dcreview-demo-phantom.card.json

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info

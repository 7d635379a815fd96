# Nabla: `make demo` trains on the shipped MNIST digits; `make test` runs the tests.
# Both install what is missing first (OpenBLAS, zlib, libcrypto, libpng and libjpeg through apt-get) and build in release mode.

SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Compile for the CPU's vector units: the default x86-64 target has only 128-bit SSE and no FMA.
ARCH_FLAGS := $(shell if [ "$$(uname -m)" = x86_64 ] && grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo; then \
	echo "-Xswiftc -target-cpu -Xswiftc haswell -Xcc -mavx2 -Xcc -mfma"; fi)
RELEASE := -c release $(ARCH_FLAGS)
BIN := .build/release

# `make build MPI=1` (or `make mpi`) builds with the MPI package trait: `nabla search` under mpirun
# spreads its trials over the ranks. `make test` builds with it by default, so that the cluster
# tests run (`make test MPI=0` skips them, and the Open MPI install).
TEST_MPI := $(if $(MPI),$(MPI),1)
traits = $(if $(filter 1,$(1)),--traits MPI)

.PHONY: demo test lint bench deps deps-mpi build mpi clean

deps:
	@if ! [ -e /usr/include/cblas.h ] && ! ls /usr/include/*/cblas.h >/dev/null 2>&1 || ! dpkg -s libopenblas-dev >/dev/null 2>&1 || ! dpkg -s zlib1g-dev >/dev/null 2>&1 || ! dpkg -s libssl-dev >/dev/null 2>&1 || ! dpkg -s libpng-dev >/dev/null 2>&1 || ! dpkg -s libjpeg62-turbo-dev >/dev/null 2>&1; then \
		echo "Installing OpenBLAS, zlib, OpenSSL's libcrypto, libpng and libjpeg-turbo (apt-get)..."; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq libopenblas-dev zlib1g-dev libssl-dev libpng-dev libjpeg62-turbo-dev; \
	fi
	@command -v $(SWIFT) >/dev/null || { echo "Swift is not installed: see https://www.swift.org/install/linux/"; exit 1; }

deps-mpi:
	@if ! dpkg -s libopenmpi-dev >/dev/null 2>&1 || ! command -v mpirun >/dev/null; then \
		echo "Installing Open MPI (apt-get)..."; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq libopenmpi-dev openmpi-bin; \
	fi

build: deps $(if $(filter 1,$(MPI)),deps-mpi)
	$(SWIFT) build $(RELEASE) $(call traits,$(MPI)) --product nabla

mpi:
	$(MAKE) build MPI=1

DEMO_MODEL := conv(16, 5, pad: 2), relu, maxpool(2), conv(32, 5, pad: 2), relu, maxpool(2), linear(10)

demo: build
	$(BIN)/nabla train --data mnist-5k --model "$(DEMO_MODEL)" --epochs 8 --lr 0.02 --out runs/demo

# The style check: lines of at most 180 characters, Swift files of at most 400 lines (scripts/lint.sh).
lint:
	scripts/lint.sh

test: lint deps $(if $(filter 1,$(TEST_MPI)),deps-mpi)
	scripts/ensure-python-deps.sh
	scripts/ensure-chromium.sh
	$(SWIFT) build $(RELEASE) $(call traits,$(TEST_MPI)) --build-tests -Xswiftc -enable-testing
	# --no-parallel: OpenBLAS's thread count is process-wide and convolutions set it to 1 while
	# they run (ConvolutionOps.swift), and sgemm's last bits depend on it; tests that compare two
	# runs bit for bit (resume == uninterrupted, same seed == same numbers) must not share the
	# process with a convolution running at the same time. Costs ~7 s on 2 cores.
	$(SWIFT) test $(RELEASE) $(call traits,$(TEST_MPI)) -Xswiftc -enable-testing --skip-build --no-parallel

bench: deps
	scripts/ensure-python-deps.sh   # NumPy, for the reference of the training workloads
	@# PyTorch, the peer of the training workloads: Debian's build, for Debian's /usr/bin/python3.
	@/usr/bin/python3 -c "import torch" 2>/dev/null || { echo "Installing PyTorch (python3-torch, apt-get)..."; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq python3-torch; }
	$(SWIFT) build $(RELEASE) --product NablaBench
	$(SWIFT) build $(RELEASE) --product nabla
	$(BIN)/NablaBench
	@# End to end: one Fashion-MNIST epoch of the demo CNN, nabla train against PyTorch, two rounds in turns.
	NABLA=$(BIN)/nabla Benchmarks/fashion-epoch.sh 2

clean:
	rm -rf .build

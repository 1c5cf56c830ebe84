# SPDX-License-Identifier: GPL-2.0
#
# Build, boot and test the series. See README.
#
#   make              install what is missing, prepare the base kernel, apply
#                     the series, build the test kernel and boot it (demo)
#   make check        run every test; ends with "N passed, N failed"
#   make bench        measure the transports side by side in one guest
#   make shell        an interactive shell in the test kernel (QEMU)
#   make bisect-check every patch of the series builds (x86 test config)
#   make randconfig-check  a seeded sweep of the series' options (SEED=, COUNT=)
#   make soak         the long runs: a million fuzzed rings, 1000 lifecycles
#   make htmldocs-check    the kernel's htmldocs for the series' pages, no
#                     warning about the series' files (out/docs)
#   make series       write the patch series to out/series/
#   make kernel-tree  the kernel git tree with the series as commits (out/linux)
#   make import       bring commits made in out/linux back into this tree
#
# KERNEL_SRC=DIR builds on another kernel tree instead of Debian's
# linux-source-6.12 (run "make distclean" when switching).

OUT		:= out
KERNEL_SRC	?=
export KERNEL_SRC

HARNESS		:= harness
SERIES_PY	:= python3 $(HARNESS)/series.py

.PHONY: all deps base kernel-tree kernel demo check bench shell bisect-check \
	randconfig-check soak htmldocs-check series import clean distclean

all: demo

deps:
	@$(HARNESS)/install-deps

base: deps
	@$(HARNESS)/prepare-base $(OUT)

kernel-tree: base
	@$(SERIES_PY) build --kernel $(OUT)/linux

kernel: kernel-tree
	@$(HARNESS)/build-kernel $(OUT)

demo: kernel
	@$(HARNESS)/demo $(OUT)

check: kernel
	@$(HARNESS)/check $(OUT)

bench: kernel
	@$(HARNESS)/bench/run $(OUT)

shell: kernel
	@$(HARNESS)/shell $(OUT)

bisect-check: kernel
	@$(HARNESS)/bisect-check $(OUT)

randconfig-check: kernel-tree
	@$(HARNESS)/randconfig $(OUT) $(or $(SEED),1) $(or $(COUNT),8)

soak: kernel
	@$(HARNESS)/soak $(OUT)

htmldocs-check: kernel-tree
	@$(HARNESS)/htmldocs-check $(OUT)

series: kernel-tree
	@$(SERIES_PY) format --kernel $(OUT)/linux --out $(OUT)/series

import:
	@$(SERIES_PY) import --kernel $(OUT)/linux

clean:
	rm -rf $(OUT)/build $(OUT)/docs $(OUT)/guest $(OUT)/series $(OUT)/check $(OUT)/vringh_test \
		$(OUT)/bench $(OUT)/arm64 $(OUT)/bisect $(OUT)/soak
	-git -C $(OUT)/linux worktree prune 2>/dev/null

distclean:
	rm -rf $(OUT)

#!/usr/bin/env bash
# A slice of the VM conformance suite: the seed revision's KASAN kernel
# (built and cached on first use, ~5 min on an idle machine), its stored
# counterexamples and 10 random walks. The full suite: kernel/README.md.
set -euo pipefail
bash kernel/ci-vm.sh seed 10

#!/usr/bin/env bash
# A slice of the VM conformance suite: the seed revision's KASAN kernel
# (built and cached on first use, ~5 min on an idle machine), its stored
# counterexamples and 10 random walks. The full suite: kernel/README.md.
# A failed boot is retried once (qemu under TCG on a loaded machine has
# been seen to lose a report once); a second failure fails CI.
set -euo pipefail
if ! bash kernel/ci-vm.sh seed 10; then
	echo "vm-seed: first attempt failed; retrying once"
	bash kernel/ci-vm.sh seed 10
fi

#!/usr/bin/env bash
# VM conformance slice: builds the seed revision's KASAN kernel (cached in
# ~/.cache/cabacheck), boots it under qemu and replays the stored
# counterexamples plus a few random walks. Installs its own packages.
# Usage: kernel/ci-vm.sh [REVISION] [WALKS]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
rev="${1:-seed}"
walks="${2:-10}"
go build -o bin/cabacheck ./cmd/cabacheck
bin/cabacheck conform vm --revision "$rev" --walks "$walks" --out "conform-out/vm-$rev"
CABACHECK_VM=1 go test -count=1 -run TestVMCounterexamples ./kernel

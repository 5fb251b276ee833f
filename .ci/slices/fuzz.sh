#!/usr/bin/env bash
# A short run of each parser fuzzer, so that they cannot rot; the seed
# corpora (and any crasher kept in testdata/fuzz) also run in go test.
set -euo pipefail
go test -run XXX -fuzz FuzzParse -fuzztime 15s ./scenario/
go test -run XXX -fuzz FuzzReadJSON -fuzztime 15s ./traces/

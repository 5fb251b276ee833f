#!/usr/bin/env bash
# The Beam engine (the nested module beam/, issue 16): its quick tests, on
# Beam's in-process Prism runner, against the native explorer (every
# revision at 3 and 4 tasks, the toy model at MAXP=6, resume after a
# cancel and after a SIGKILL). The main module's go test ./... does not
# enter the nested module, so it runs here. The first build downloads and
# compiles the Beam SDK's modules (a few minutes on a 2-core machine).
set -euo pipefail
cd "$(dirname "$0")/../../beam"
export GOFLAGS="${GOFLAGS:-} -mod=readonly"
go mod download
unformatted="$(gofmt -l .)"
if [ -n "$unformatted" ]; then
	echo "gofmt would change:"; echo "$unformatted"; exit 1
fi
go vet ./...
go build ./...
go test -count=1 ./...

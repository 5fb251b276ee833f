#!/usr/bin/env bash
# The HTML trace report in a real browser: headless Chromium (Debian's
# chromium package, installed here if missing) renders the v3 NoDanglingCaba
# counterexample; the test checks the screenshot is not blank and the DOM,
# after the page's script ran, holds every step and the failing clause.
# CI=true turns the test's skip (no Chromium) into a failure.
set -euo pipefail
if ! command -v chromium >/dev/null 2>&1; then
	echo "== installing chromium for the HTML report test"
	apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
CI=true go test -count=1 -run 'TestHTMLInChromium' ./traces/

#!/usr/bin/env bash
# Runs one fuzz target, package:Target, for FUZZTIME with one fuzzing worker
# (make fuzz runs one target per CPU at once). A run that fails without
# writing a failing input is Go's fuzzing engine stopping at the -fuzztime
# boundary (golang/go#51484, #56238), not a finding: it is run once more,
# and fails the target only if it fails again. A failing input written
# fails it at once (and `go test ./...` replays it from then on).
set -uo pipefail
target="$1"; name="${target##*:}"; pkg="${target%%:*}"
log=$(mktemp); trap 'rm -f "$log"' EXIT
for try in 1 2; do
	if ${GO:-go} test -run '^$' -fuzz "^$name\$" -fuzztime "${FUZZTIME:-30s}" -parallel 1 "$pkg" > "$log" 2>&1; then
		echo "fuzz: $name ($pkg, ${FUZZTIME:-30s}): $(tail -1 "$log")"
		exit 0
	fi
	grep -E '^(--- FAIL|FAIL|panic)|^[[:space:]]+' "$log" | tail -8
	if grep -q 'Failing input written to' "$log" || [ "$try" = 2 ]; then
		echo "fuzz: $name ($pkg) FAILED"
		exit 1
	fi
	echo "fuzz: $name stopped with no failing input written (the fuzzing engine at the -fuzztime boundary); once more"
done

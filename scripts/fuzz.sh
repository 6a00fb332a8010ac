#!/usr/bin/env bash
# The long fuzz of the API behind docs/reliability.md ("Fuzzing"): tests/serving/test_fuzz.py
# with many more examples, every scope, on SQLite and on PostgreSQL (started here, as
# `make test` does). Prints a table of what was sent and what came back.
#   scripts/fuzz.sh [EXAMPLES [SCENARIOS]]   examples per operation and mode (default 50),
#                                            link-following scenarios per run (default 50)
# About 11 minutes on 2 cores with the defaults. The runs are also written, one JSON line
# each, to $OI_FUZZ_REPORT (default test-output/fuzz.jsonl).
set -euo pipefail
cd "$(dirname "$0")/.."
export OI_FUZZ_EXAMPLES=${1:-50} OI_FUZZ_SCENARIOS=${2:-50} OI_FUZZ_STEPS=${OI_FUZZ_STEPS:-10}
export OI_FUZZ_REPORT=${OI_FUZZ_REPORT:-test-output/fuzz.jsonl}
mkdir -p "$(dirname "$OI_FUZZ_REPORT")"
: >"$OI_FUZZ_REPORT"
OI_TEST_DATABASE_URL=$(./scripts/postgres.sh | tail -n 1)
export OI_TEST_DATABASE_URL
status=0
.venv/bin/pytest -q tests/serving/test_fuzz.py || status=$?
.venv/bin/python - "$OI_FUZZ_REPORT" <<'PY'
import json
import sys

runs = [json.loads(line) for line in open(sys.argv[1])]
print("| scope | database | operations | cases | links | scenarios | steps | 2xx | 4xx | 5xx |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for run in sorted(runs, key=lambda r: (r["database"], r["scope"])):
    counts = {family: 0 for family in "245"}
    for status, n in run["statuses"].items():
        counts[status[0]] = counts.get(status[0], 0) + n
    cells = [run["scope"], run["database"], run["operations"], run["cases"], run["links"]]
    cells += [run["scenarios"], run["steps"], counts["2"], counts["4"], counts["5"]]
    print("| " + " | ".join(f"{c:,}" if isinstance(c, int) else c for c in cells) + " |")
for run in runs:
    for failure in run["failures"]:
        print(f"{run['scope']} on {run['database']}: {failure}")
PY
exit "$status"

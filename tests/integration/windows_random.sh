#!/usr/bin/env bash
#
# windows_random — sluice's windowed aggregation against the Spark reference
# model (tests/reference/spark_windows.py), batch by batch, on random queries
# and inputs (time windows, then session windows too, then unions of two
# sources): see windows_random.py. WINDOWS_SEEDS (default 200) and
# WINDOWS_FIRST_SEED (default 1) choose the seeds; a failure names the seed.

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require python3

python3 "$(dirname "$0")/windows_random.py" "${WINDOWS_SEEDS:-200}" "${WINDOWS_FIRST_SEED:-1}" ||
	it_fail "sluice and the reference disagree (above)"
# the same seeds again, a quarter of the queries now session windows
python3 "$(dirname "$0")/windows_random.py" "${WINDOWS_SEEDS:-200}" "${WINDOWS_FIRST_SEED:-1}" --sessions ||
	it_fail "sluice and the reference disagree on session windows (above)"
# and again, each case a UNION ALL of two sources with their own watermarks
python3 "$(dirname "$0")/windows_random.py" "${WINDOWS_SEEDS:-200}" "${WINDOWS_FIRST_SEED:-1}" --sessions --union ||
	it_fail "sluice and the reference disagree on unions of two sources (above)"
exit 0

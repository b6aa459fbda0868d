#!/usr/bin/env bash
#
# combiner_epochs — an ingest core judges its combiner at every epoch cut.
# Four files of the same 10,000 keys, one row each, one file a batch
# (max_files_per_trigger = 1), on one ingest core: the first batch leaves
# 10,000 groups for 10,000 rows in the combiner (fewer than two rows a
# group), so the core ships plain rows from then on (stat rows_combined
# stays at the first file's 10,000 of 40,000); every key still counts 4.
# Then files whose keys repeat (5,000 keys, three rows each) keep the
# combiner on: every row combined, one partial a key a batch.

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require timeout

run_query() { # DIR -> $IT_TMP/out, $IT_TMP/err
	cat >"$IT_TMP/q.sql" <<SQL
CREATE SOURCE t WITH (connector = 'file', path = '$1', format = 'text', max_files_per_trigger = 1);
CREATE SINK c WITH (connector = 'console', output_mode = 'update', trigger = 'available_now',
                    num_rows = 100000)
AS SELECT value, count(*) AS n FROM t GROUP BY value;
SQL
	local rc=0
	timeout 60 "$SLUICE" run "$IT_TMP/q.sql" --stats --ingest-cores 0 --agg-cores 1 \
		>"$IT_TMP/out" 2>"$IT_TMP/err" || rc=$?
	((rc == 0)) || { tail -n 5 "$IT_TMP/err" >&2; it_fail "sluice exited $rc (expected 0)"; }
}

# 1. distinct keys: combining stops after the first batch
mkdir -p "$IT_TMP/distinct"
for f in 1 2 3 4; do
	seq -f 'key%05g' 0 9999 >"$IT_TMP/distinct/f$f.txt"
	touch -d "2026-01-01 00:0$f:00" "$IT_TMP/distinct/f$f.txt"
done
run_query "$IT_TMP/distinct"
it_expect_stat "$IT_TMP/err" batches 4
it_expect_stat "$IT_TMP/err" rows_in 40000
it_expect_stat "$IT_TMP/err" rows_combined 10000
it_expect_stat "$IT_TMP/err" partials_shipped 10000
it_expect_stat "$IT_TMP/err" state_rows 10000
it_last_table "$IT_TMP/out" | awk -F '\t' '$2 != 4 { bad++ } END { exit !(NR == 10000 && bad == 0) }' ||
	it_fail "the last batch does not show 10,000 keys counted 4 each"
it_log "distinct keys: plain rows after the first batch, counts exact: ok"

# 2. repeated keys: combining pays, every row is folded
mkdir -p "$IT_TMP/repeated"
for f in 1 2 3 4; do
	for r in 1 2 3; do seq -f 'key%05g' 0 4999; done >"$IT_TMP/repeated/f$f.txt"
	touch -d "2026-01-01 00:0$f:00" "$IT_TMP/repeated/f$f.txt"
done
run_query "$IT_TMP/repeated"
it_expect_stat "$IT_TMP/err" rows_in 60000
it_expect_stat "$IT_TMP/err" rows_combined 60000
it_expect_stat "$IT_TMP/err" partials_shipped 20000
it_last_table "$IT_TMP/out" | awk -F '\t' '$2 != 12 { bad++ } END { exit !(NR == 5000 && bad == 0) }' ||
	it_fail "the last batch does not show 5,000 keys counted 12 each"
it_log "repeated keys: every row combined, counts exact: ok"
exit 0

#!/usr/bin/env bash
#
# combiner_pool — an ingest core that both ships rows (the combiner's bypass
# on high-cardinality keys) and partial aggregates (when it combines again)
# uses its whole pool of blocks, row blocks and partial blocks alike, and the
# aggregator returns every one of them on the return ring. With tiny rings
# (SET ring_slots = 2) the return ring used to be sized for the row blocks
# only and overflowed: "aggregator core 0 stopped: No space left on device".
# 8 M words over 1 M distinct: the run must end cleanly with every row in.

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require timeout

cat >"$IT_TMP/q.sql" <<'SQL'
SET ring_slots = 2;
CREATE SOURCE lines
  WITH (connector = 'generator', words = 1000000, words_per_line = 8, rows = 1000000, seed = 2);
CREATE SINK c WITH (connector = 'console', output_mode = 'complete', trigger = 'available_now',
                    num_rows = 1)
AS SELECT word, count(*) AS n FROM (SELECT explode(split(value, ' ')) AS word FROM lines)
   GROUP BY word;
SQL
rc=0
timeout 60 "$SLUICE" run "$IT_TMP/q.sql" --stats >"$IT_TMP/out" 2>"$IT_TMP/err" || rc=$?
((rc == 0)) || { tail -n 5 "$IT_TMP/err" >&2; it_fail "sluice exited $rc (expected 0)"; }
[[ $(it_stat "$IT_TMP/err" rows_in) == 1000000 ]] || it_fail "stat rows_in is not 1000000"
groups=$(it_stat "$IT_TMP/err" state_rows)
[[ $(it_stat "$IT_TMP/err" output_rows) == "$groups" ]] || it_fail "complete mode did not output every group"
((groups > 900000)) || it_fail "only $groups distinct words of 1 M (expected most of them)"
it_log "tiny rings, bypass and partials: $groups groups, clean end: ok"
exit 0

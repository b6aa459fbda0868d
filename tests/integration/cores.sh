#!/usr/bin/env bash
#
# cores — where sluice runs its threads, and what it says about CPUs it
# cannot use. Every case runs the same available_now word count over the
# generator and compares the final table with `sluice gen-text` + awk.
#
#   - `taskset -c 0 sluice run` (one CPU allowed): the default cores are
#     chosen among the CPUs the process may use (both on CPU 0), and the
#     counts are right; likewise `taskset -c 1` puts every core on CPU 1
#     (EXPLAIN shows it), not on CPU 0 (needs 2 CPUs);
#   - `--ingest-cores 0 --agg-cores 0`: both kinds of core share CPU 0;
#   - `--agg-cores 7` (a CPU this process cannot use) is refused with exit
#     status 1 or 2, no batch, and a message that names CPU 7 and says what
#     to do; the fix it suggests must name CPUs the process may use (also
#     checked under `taskset -c 1` with `--agg-cores 0`, needs 2 CPUs);
#   - `SET shards = 4;` with `--agg-cores 0,1` (needs 2 CPUs): 4 shards on
#     2 aggregator cores give the right counts;
#   - sixteen threads on any machine: 8 ingest and 8 aggregator threads
#     (the allowed CPUs listed again and again), 16 shards, right counts.
# Cases that need more CPUs than this process may use are skipped; the
# script then exits 77 after running the others.

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require awk timeout taskset python3

# The CPUs this process may run on (taskset, cgroups), e.g. "0 1".
read -r -a ALLOWED < <(python3 -c 'import os; print(" ".join(map(str, sorted(os.sched_getaffinity(0)))))')
NCPU=${#ALLOWED[@]}
((NCPU >= 1)) || it_fail "cannot read this process's CPU affinity"
SKIPPED=()
allowed() { # is CPU $1 one this process may use?
	local c
	for c in "${ALLOWED[@]}"; do [[ $c == "$1" ]] && return 0; done
	return 1
}

"$SLUICE" gen-text --words 300 --words-per-line 6 --rows 30000 --seed 11 >"$IT_TMP/text" ||
	it_fail "gen-text failed"
it_expected_counts "$IT_TMP/text" >"$IT_TMP/want"

# $1 = statements before the query (SET ...).
query() {
	cat <<EOF
$1
CREATE SOURCE lines
  WITH (connector = 'generator', words = 300, words_per_line = 6, rows = 30000,
        seed = 11);

CREATE SINK word_counts
  WITH (connector = 'console', output_mode = 'complete', trigger = 'available_now',
        num_rows = 100000)
AS SELECT word, count(*) AS count
   FROM (SELECT explode(split(value, ' ')) AS word FROM lines)
   GROUP BY word
   ORDER BY word;
EOF
}
query "" >"$IT_TMP/q.sql"
query "SET shards = 4;" >"$IT_TMP/q4.sql"

# run_ok NAME SQL [PREFIX...] -- [FLAGS...]: run PREFIX sluice run SQL FLAGS,
# expect exit 0 and the right counts. Leaves NAME.out / NAME.err.
run_ok() {
	local name=$1 sql=$2 rc
	shift 2
	local prefix=()
	while (($# > 0)) && [[ $1 != -- ]]; do
		prefix+=("$1")
		shift
	done
	shift
	timeout 60 "${prefix[@]}" "$SLUICE" run "$sql" "$@" >"$IT_TMP/$name.out" 2>"$IT_TMP/$name.err"
	rc=$?
	((rc == 0)) || { cat "$IT_TMP/$name.err" >&2; it_fail "$name: sluice exited $rc (expected 0)"; }
	[[ $(it_count_batches "$IT_TMP/$name.out") == 1 ]] || it_fail "$name: not exactly one batch"
	it_last_table "$IT_TMP/$name.out" >"$IT_TMP/$name.got"
	it_same "$IT_TMP/want" "$IT_TMP/$name.got" "$name: the word counts"
}

# expect_refused NAME CPU FLAG USABLE SQL [PREFIX...] -- [FLAGS...]: sluice
# must refuse to run before starting anything (exit 2, no "started" line),
# print no batch, name "CPU <CPU>" and
# suggest a fix ("--FLAG LIST" or "FLAG = LIST") whose CPUs are all among
# USABLE (the CPUs sluice may use, space-separated).
expect_refused() {
	local name=$1 cpu=$2 flag=$3 list=$4 usable=" $4 " sql=$5 rc fix c bad=""
	shift 5
	local prefix=()
	while (($# > 0)) && [[ $1 != -- ]]; do
		prefix+=("$1")
		shift
	done
	shift
	timeout 60 "${prefix[@]}" "$SLUICE" run "$sql" "$@" >"$IT_TMP/$name.out" 2>"$IT_TMP/$name.err"
	rc=$?
	((rc == 2)) || {
		cat "$IT_TMP/$name.err" >&2
		it_fail "$name: sluice exited $rc (expected 2: refused before starting)"
	}
	grep -q "started" "$IT_TMP/$name.err" && it_fail "$name: sluice said a query started although it refuses its CPUs"
	grep -q '^Batch: ' "$IT_TMP/$name.out" && it_fail "$name: sluice printed a batch although it cannot use CPU $cpu"
	grep -q "sluice: error: .*CPU $cpu\\b" "$IT_TMP/$name.err" || {
		cat "$IT_TMP/$name.err" >&2
		it_fail "$name: the error does not name CPU $cpu"
	}
	# The suggested fix: "--agg-cores 0", "--agg-cores 0-1" or "agg_cores = 0".
	fix=$(grep -o -e "--${flag//_/-} [0-9][0-9,-]*" -e "$flag = '\{0,1\}[0-9][0-9,-]*" "$IT_TMP/$name.err" |
		head -n 1 | grep -o '[0-9][0-9,-]*$')
	[[ -n $fix ]] || {
		cat "$IT_TMP/$name.err" >&2
		it_fail "$name: the error does not tell the user which CPUs to give instead (--${flag//_/-} LIST)"
	}
	for c in $(python3 -c 'import sys
out = []
for part in sys.argv[1].split(","):
    a, _, b = part.partition("-")
    out += range(int(a), int(b or a) + 1)
print(" ".join(map(str, out)))' "$fix"); do
		[[ $usable == *" $c "* ]] || bad="$bad $c"
	done
	[[ -z $bad ]] || {
		cat "$IT_TMP/$name.err" >&2
		it_fail "$name: the error suggests '--${flag//_/-} $fix', but sluice cannot use CPU(s)$bad either (it may use: $list)"
	}
}

# 1. One CPU allowed: taskset -c <first allowed CPU>.
c0=${ALLOWED[0]}
run_ok taskset_one "$IT_TMP/q.sql" taskset -c "$c0" --
grep -q "1 ingest core, 1 aggregator core" "$IT_TMP/taskset_one.err" ||
	{ cat "$IT_TMP/taskset_one.err" >&2; it_fail "taskset_one: sluice did not start 1 ingest and 1 aggregator core on the one CPU it may use"; }
it_log "taskset -c $c0: defaults on the one allowed CPU, right counts: ok"

# 1b. The one allowed CPU is not CPU 0: every core must go to it.
if ((NCPU >= 2)); then
	c1=${ALLOWED[1]}
	timeout 20 taskset -c "$c1" "$SLUICE" explain "$IT_TMP/q.sql" >"$IT_TMP/explain1.out" 2>&1 ||
		{ cat "$IT_TMP/explain1.out" >&2; it_fail "taskset -c $c1 sluice explain failed"; }
	grep -q "\[ingest core $c1 -> agg core $c1\]" "$IT_TMP/explain1.out" || {
		cat "$IT_TMP/explain1.out" >&2
		it_fail "taskset -c $c1: the plan does not put ingest and aggregation on CPU $c1"
	}
	run_ok taskset_other "$IT_TMP/q.sql" taskset -c "$c1" --
	it_log "taskset -c $c1: every core on CPU $c1, right counts: ok"
else
	SKIPPED+=("taskset on a CPU other than the first needs 2 CPUs, this process may use $NCPU")
fi

# 2. Ingest and aggregation on one shared CPU.
run_ok shared "$IT_TMP/q.sql" -- --ingest-cores "$c0" --agg-cores "$c0"
it_log "--ingest-cores $c0 --agg-cores $c0: right counts: ok"

# 3. A CPU this process cannot use: 7 on a machine with fewer CPUs, else
# the first CPU id that is not allowed.
bad=7
while allowed "$bad"; do bad=$((bad + 1)); done
expect_refused agg7 "$bad" agg_cores "${ALLOWED[*]}" "$IT_TMP/q.sql" -- --agg-cores "$bad"
it_log "--agg-cores $bad: refused, names CPU $bad and a usable fix: ok"
expect_refused ingest7 "$bad" ingest_cores "${ALLOWED[*]}" "$IT_TMP/q.sql" -- --ingest-cores "$bad"
it_log "--ingest-cores $bad: refused, names CPU $bad and a usable fix: ok"

# 4. More shards than aggregator cores: 4 shards over 2 aggregators.
if ((NCPU >= 2)); then
	run_ok shards4 "$IT_TMP/q4.sql" -- --agg-cores "$c0,$c1"
	grep -q "2 aggregator cores, 4 shards" "$IT_TMP/shards4.err" ||
		{ cat "$IT_TMP/shards4.err" >&2; it_fail "shards4: sluice did not run 4 shards on 2 aggregator cores"; }
	it_log "SET shards = 4 with --agg-cores $c0,$c1: right counts: ok"
else
	SKIPPED+=("--agg-cores with two CPUs needs 2 CPUs, this process may use $NCPU")
fi

# 4b. Sixteen threads whatever the machine: each allowed CPU listed again
# and again until there are 8 ingest and 8 aggregator threads, 16 shards
# (a CPU listed twice runs two threads). The same counts as on one core.
wide=()
for ((i = 0; i < 8; i++)); do wide+=("${ALLOWED[i % NCPU]}"); done
wide_list=$(IFS=,; echo "${wide[*]}")
query "SET shards = 16;" >"$IT_TMP/q16.sql"
run_ok sixteen "$IT_TMP/q16.sql" -- --ingest-cores "$wide_list" --agg-cores "$wide_list"
grep -q "8 ingest cores, 8 aggregator cores, 16 shards" "$IT_TMP/sixteen.err" ||
	{ cat "$IT_TMP/sixteen.err" >&2; it_fail "sixteen: sluice did not start 8 ingest and 8 aggregator threads with 16 shards"; }
it_log "8 ingest + 8 aggregator threads on CPUs $wide_list, 16 shards: right counts: ok"

# 5. The refused CPU is 0 and the process may use only another one: the
# suggested fix must not be CPU 0 again.
if ((NCPU >= 2)); then
	expect_refused agg0_on_c1 "$c0" agg_cores "$c1" "$IT_TMP/q.sql" taskset -c "$c1" -- --agg-cores "$c0"
	it_log "taskset -c $c1 --agg-cores $c0: refused, names CPU $c0 and a usable fix: ok"
else
	SKIPPED+=("refusing a CPU under taskset needs 2 CPUs, this process may use $NCPU")
fi

if ((${#SKIPPED[@]} > 0)); then
	it_skip "the other cases passed; skipped: $(printf '%s; ' "${SKIPPED[@]}")"
fi
exit 0

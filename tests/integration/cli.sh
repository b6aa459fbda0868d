#!/usr/bin/env bash
#
# cli — the command line a user meets first: exit codes (0 ok, 2 bad command
# line or SQL), error messages that name FILE, line and column, --version,
# --help, `explain`, `gen-text`, and `demo` stopped with Ctrl-C.
#
# Nothing here needs a peer: every query points at a port where nothing
# listens, so a command that wrongly started a query would fail or hang
# (bounded by `timeout`).

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require python3 awk timeout

# run_cli WANT_RC ARGS...: run sluice, keep stdout/stderr in $IT_TMP/o, e.
run_cli() {
	local want=$1 rc
	shift
	timeout 20 "$SLUICE" "$@" >"$IT_TMP/o" 2>"$IT_TMP/e" </dev/null
	rc=$?
	if ((rc != want)); then
		printf -- '--- stdout\n' >&2; head -n 20 "$IT_TMP/o" >&2
		printf -- '--- stderr\n' >&2; head -n 20 "$IT_TMP/e" >&2
		it_fail "sluice $* exited $rc, expected $want"
	fi
}

dead_port=$(it_free_port) || exit 1

# --- version and help ----------------------------------------------------
version=$(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" "$SRCDIR/meson.build" | head -n 1)
[[ -n $version ]] || it_fail "cannot read the project version from $SRCDIR/meson.build"
run_cli 0 --version
grep -q "^sluice.*$version" "$IT_TMP/o" || it_fail "--version printed '$(head -c 200 "$IT_TMP/o")', not sluice $version"

run_cli 0 --help
for cmd in run demo explain gen-text; do
	grep -q -- "$cmd" "$IT_TMP/o" || it_fail "--help does not mention '$cmd'"
done

# --- bad command lines: exit 2, "sluice: error: ..." on stderr -----------
good=$IT_TMP/good.sql
it_wordcount_sql "host = '127.0.0.1', port = $dead_port" "trigger = 'available_now'" >"$good"
run_cli 2 # no command at all: the usage, on stderr
grep -q '^usage: sluice' "$IT_TMP/e" || it_fail "sluice without a command did not print its usage on stderr"
[[ -s $IT_TMP/o ]] && it_fail "sluice without a command wrote to stdout"
bad_cmdlines=(
	"frobnicate"                         # unknown command
	"--bogus"                            # unknown flag
	"run"                                # run without a file
	"run $good --bogus"                  # unknown flag after the file
	"run $good --ingest-cores"           # flag without its value
	"run $good --shards notanumber"      # value that is not a number
	"run $IT_TMP/does-not-exist.sql"     # missing file
	"explain"                            # explain without a file
	"gen-text --words"                   # flag without its value
	"gen-text --words-per-line 0"        # nonsense value
	"gen-text --words 1000"              # endless text: needs --rows or --bytes
)
for c in "${bad_cmdlines[@]}"; do
	# shellcheck disable=SC2086 # word splitting of the table entry is meant
	run_cli 2 $c
	grep -q '^sluice: error: ' "$IT_TMP/e" || it_fail "sluice $c: stderr lacks 'sluice: error: ...': $(head -c 300 "$IT_TMP/e")"
done
run_cli 2 run "$IT_TMP/does-not-exist.sql"
grep -q 'does-not-exist.sql' "$IT_TMP/e" || it_fail "the error for a missing file does not name the file"

# --- bad SQL: exit 2, "sluice: error: FILE: line L, column C: what" ------
# Each case: a name, the SQL, the text whose first character the error must
# point at ("" = any line and column), and what the message must say.
sql_case() {
	local name=$1 sql=$2 at=$3 what=$4 f line col
	f=$IT_TMP/$name.sql
	printf '%s\n' "$sql" >"$f"
	run_cli 2 run "$f"
	if [[ -n $at ]]; then
		line=$(awk -v a="$at" 'index($0, a) { print NR; exit }' "$f")
		col=$(awk -v a="$at" 'index($0, a) { print index($0, a); exit }' "$f")
		grep -qF "sluice: error: $f: line $line, column $col: " "$IT_TMP/e" ||
			it_fail "$name: expected 'sluice: error: $f: line $line, column $col: ...', got: $(head -c 300 "$IT_TMP/e")"
	else
		grep -qE "^sluice: error: $f: line [0-9]+, column [0-9]+: " "$IT_TMP/e" ||
			it_fail "$name: expected 'sluice: error: $f: line L, column C: ...', got: $(head -c 300 "$IT_TMP/e")"
	fi
	grep -qF -- "$what" "$IT_TMP/e" || it_fail "$name: the message does not say '$what': $(head -c 300 "$IT_TMP/e")"
	# explain checks the same things before it prints anything.
	run_cli 2 explain "$f"
	[[ -s $IT_TMP/o ]] && it_fail "$name: explain printed a plan for a query it refused"
	it_log "bad SQL '$name': ok"
}

src="CREATE SOURCE lines (value STRING)
  WITH (connector = 'socket', host = '127.0.0.1', port = $dead_port);"
sql_case unknown_column "$src

CREATE SINK c WITH (connector = 'console', output_mode = 'complete')
AS SELECT word, count(*) AS count
   FROM (SELECT explode(split(wrd, ' ')) AS word FROM lines)
   GROUP BY word;" "wrd," "unknown column 'wrd'"

sql_case syntax_error "$src

CREATE SINK c WITH (connector = 'console', output_mode = 'complete')
AS SELEC word FROM lines;" "SELEC" "SELEC"

sql_case complete_without_agg "$src

CREATE SINK c WITH (connector = 'console', output_mode = 'complete')
AS SELECT value FROM lines;" "" \
	"Complete output mode not supported when there are no streaming aggregations on streaming DataFrames/Datasets"

sql_case sort_without_complete "$src

CREATE SINK c WITH (connector = 'console', output_mode = 'update')
AS SELECT value FROM lines ORDER BY value;" "" \
	"Sorting is not supported on streaming DataFrames/Datasets, unless it is on aggregated DataFrame/Dataset in Complete output mode"

sql_case unknown_connector "CREATE SOURCE lines (value STRING)
  WITH (connector = 'sockett', port = $dead_port);

CREATE SINK c WITH (connector = 'console', output_mode = 'append')
AS SELECT value FROM lines;" "" "sockett"

# --- explain: a plan, and nothing started --------------------------------
run_cli 0 explain "$good"
[[ -s $IT_TMP/o ]] || it_fail "explain printed nothing"
grep -qi 'lines' "$IT_TMP/o" || it_fail "the plan does not name the source 'lines'"
grep -qi 'word' "$IT_TMP/o" || it_fail "the plan does not name the grouping key 'word'"
grep -qi 'shard' "$IT_TMP/o" || it_fail "the plan does not say how state is sharded"
it_log "explain: ok ($(wc -l <"$IT_TMP/o") lines)"

# --- gen-text: the generator's text, deterministic by seed ---------------
run_cli 0 gen-text --words 1000 --words-per-line 8 --rows 500 --seed 3
cp "$IT_TMP/o" "$IT_TMP/g1"
awk 'NF != 8 { bad = 1 } END { exit bad || NR != 500 }' "$IT_TMP/g1" ||
	it_fail "gen-text --rows 500 --words-per-line 8 did not print 500 lines of 8 words"
awk '{ for (i = 1; i <= NF; i++) w[$i] } END { n = 0; for (k in w) n++; exit !(n > 1 && n <= 1000) }' "$IT_TMP/g1" ||
	it_fail "gen-text --words 1000 used more than 1000 distinct words (or just one)"
grep -q '  \|^ \| $' "$IT_TMP/g1" && it_fail "gen-text printed empty words (double or edge spaces)"
run_cli 0 gen-text --words 1000 --words-per-line 8 --rows 500 --seed 3
cmp -s "$IT_TMP/o" "$IT_TMP/g1" || it_fail "gen-text with the same seed printed different text"
run_cli 0 gen-text --words 1000 --words-per-line 8 --rows 500 --seed 4
cmp -s "$IT_TMP/o" "$IT_TMP/g1" && it_fail "gen-text with another seed printed the same text"
# --bytes N stops at the first line end at or past N bytes.
run_cli 0 gen-text --words 1000 --words-per-line 8 --bytes 65536 --seed 3
size=$(wc -c <"$IT_TMP/o")
((size >= 65536 && size < 65536 + 100)) || it_fail "gen-text --bytes 65536 printed $size bytes"
head -n 500 "$IT_TMP/o" | cmp -s - "$IT_TMP/g1" ||
	it_fail "gen-text --bytes and --rows with the same seed do not start with the same lines"
[[ $(tail -c 1 "$IT_TMP/o" | od -An -c | tr -d ' ') == '\n' ]] || it_fail "gen-text --bytes cut a line (no final newline)"
it_log "gen-text: ok"

# --- demo: runs until Ctrl-C, then exits 0 --------------------------------
(
	trap - INT
	exec "$SLUICE" demo --stats
) >"$IT_TMP/demo.out" 2>"$IT_TMP/demo.err" </dev/null &
dpid=$!
it_track "$dpid"
for ((i = 0; i < 150; i++)); do
	grep -q '^Batch: [0-9]' "$IT_TMP/demo.out" && break
	kill -0 "$dpid" 2>/dev/null || break
	sleep 0.1
done
grep -q '^Batch: [0-9]' "$IT_TMP/demo.out" || { cat "$IT_TMP/demo.err" >&2; it_fail "demo printed no batch within 15 s"; }
kill -INT "$dpid"
for ((i = 0; i < 100; i++)); do
	kill -0 "$dpid" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$dpid" 2>/dev/null && it_fail "demo still runs 10 s after SIGINT"
wait "$dpid"
rc=$?
((rc == 0)) || { cat "$IT_TMP/demo.err" >&2; it_fail "demo exited $rc after SIGINT, expected 0"; }
grep -q '^|' "$IT_TMP/demo.out" || it_fail "demo printed no table"
rows=$(it_stat "$IT_TMP/demo.err" rows_in) || exit 1
((rows > 0)) || it_fail "demo --stats says rows_in $rows"
it_log "demo: ok ($rows rows before Ctrl-C)"
exit 0

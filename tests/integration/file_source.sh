#!/usr/bin/env bash
#
# file_source — the file source (connector = 'file', Spark's file stream
# source) run by the real binary over a temporary directory of text files:
#   - available_now over files already there, max_files_per_trigger = 2:
#     the files are taken oldest first, two a batch (exact batch contents),
#     hidden files (.x, _x, x._COPYING_) are never read, and sluice exits 0
#     by itself; latest_first takes the newest first; a glob in path picks
#     names;
#   - the default trigger: files moved in while the query runs show up batch
#     by batch; a burst of five moved in at once is spread over at least
#     three batches of at most two files, every line exactly once; the
#     query keeps running until SIGINT (exit 0);
#   - available_now without aggregation, a second batch of more rows than
#     the rings hold: written whole (it used to hang);
#   - a processing-time trigger: files are taken when a trigger fires, so
#     two files landing between two triggers make one batch;
#   - clean_source = 'delete' and 'archive' (into source_archive_dir + the
#     file's absolute path): done once the batch is written;
#   - a file of about 10 MB read by two ingest cores (split on line
#     boundaries): every line counted exactly once (count and sum);
#   - a file that vanishes after it was noticed, before it is read: a
#     warning that names it, the query goes on;
#   - bad options: refused before anything starts (exit 2, line and column),
#     a missing directory at start (exit 1, the path and what to do).
# Timing is never asserted: every wait polls with a generous limit.

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require awk sort timeout touch

# expect_batches CASE OUT N: exactly N batches were printed.
expect_batches() {
	local nb
	nb=$(it_count_batches "$2")
	((nb == $3)) || { cat "$2" >&2; it_fail "$1: $nb batches printed (expected exactly $3)"; }
}

# put DIR NAME SECONDS LINE...: DIR/NAME with the lines, modified SECONDS
# after 2024-01-01 00:00:00 UTC, moved in whole (written under a hidden
# name first, as a producer must).
put() {
	local dir=$1 name=$2 t=$3
	shift 3
	printf '%s\n' "$@" >"$dir/.$name.part"
	touch -d "@$((1704067200 + t))" "$dir/.$name.part"
	mv "$dir/.$name.part" "$dir/$name"
}

# text_sql NAME OPTIONS SINK_OPTIONS: SELECT value FROM a file source.
text_sql() {
	cat >"$IT_TMP/$1.sql" <<EOF
CREATE SOURCE lines WITH (connector = 'file', $2);
CREATE SINK out WITH (connector = 'console', truncate = false $3)
AS SELECT value FROM lines;
EOF
}

# run_now CASE [FLAGS]: run $CASE.sql to its end (available_now); status 0.
run_now() {
	local name=$1 rc
	shift
	timeout 60 "$SLUICE" run "$IT_TMP/$name.sql" --stats "$@" >"$IT_TMP/$name.out" 2>"$IT_TMP/$name.err"
	rc=$?
	((rc == 124)) && it_fail "$name: sluice still ran after 60 s (available_now must end after the files present at start)"
	((rc == 0)) || { cat "$IT_TMP/$name.err" >&2; it_fail "$name: sluice exited $rc (expected 0)"; }
}

# start_bg CASE: run $CASE.sql in the background; its pid in BG.
start_bg() {
	local name=$1
	(
		trap - INT
		exec "$SLUICE" run "$IT_TMP/$name.sql" --stats
	) >"$IT_TMP/$name.out" 2>"$IT_TMP/$name.err" &
	BG=$!
	it_track "$BG"
}

# wait_batch CASE N: until "Batch: N" is printed (60 s at most).
wait_batch() {
	local name=$1 n=$2 i
	for ((i = 0; i < 1200; i++)); do
		grep -qx "Batch: $n" "$IT_TMP/$name.out" && return 0
		kill -0 "$BG" 2>/dev/null || { cat "$IT_TMP/$name.err" >&2; it_fail "$name: sluice exited before Batch: $n"; }
		sleep 0.05
	done
	cat "$IT_TMP/$name.out" "$IT_TMP/$name.err" >&2
	it_fail "$name: no 'Batch: $n' after 60 s"
}

# stop_bg CASE: SIGINT, then status 0 within 20 s.
stop_bg() {
	local name=$1 i rc
	kill -INT "$BG"
	for ((i = 0; i < 400; i++)); do
		kill -0 "$BG" 2>/dev/null || break
		sleep 0.05
	done
	kill -0 "$BG" 2>/dev/null && it_fail "$name: sluice still runs 20 s after SIGINT"
	wait "$BG"
	rc=$?
	((rc == 0)) || { cat "$IT_TMP/$name.err" >&2; it_fail "$name: sluice exited $rc after SIGINT (expected 0)"; }
}

# --- available_now: order, limit, hidden files ---------------------------
d=$IT_TMP/in1
mkdir -p "$d"
put "$d" e.txt 10 "e1" "e2"
put "$d" c.txt 20 "c1"
put "$d" a.txt 30 "a1"
put "$d" d.txt 40 "d1" "d2" "d3"
put "$d" b.txt 50 "b1"
printf 'hidden\n' >"$d/.dot.txt"
printf 'hidden\n' >"$d/_SUCCESS"
printf 'hidden\n' >"$d/part-0.txt._COPYING_"
text_sql burst "path = '$d', max_files_per_trigger = 2" ", trigger = 'available_now'"
run_now burst
expect_batches burst "$IT_TMP/burst.out" 3
it_expect_batch burst "$IT_TMP/burst.out" 0 e1 e2 c1
it_expect_batch burst "$IT_TMP/burst.out" 1 a1 d1 d2 d3
it_expect_batch burst "$IT_TMP/burst.out" 2 b1
[[ $(it_stat "$IT_TMP/burst.err" rows_in) == 8 ]] || it_fail "burst: stat rows_in is not 8"
[[ $(it_stat "$IT_TMP/burst.err" bytes_in) == 24 ]] || it_fail "burst: stat bytes_in is not 24"
grep -q hidden "$IT_TMP/burst.out" && it_fail "burst: a hidden file was read"
it_log "available_now, max_files_per_trigger = 2: 3 batches oldest first, hidden files skipped, exit 0: ok"

# a batch after the first that holds more rows than the rings between the
# ingest core and the engine: the engine takes them while the source still
# reads (it used to wait for the cut, which waited for the source: a hang)
db=$IT_TMP/inbig
mkdir -p "$db"
put "$db" a.txt 10 "a1" "a2"
awk 'BEGIN { for (i = 0; i < 1200000; i++) print "big" i }' >"$db/.b.part"
touch -d "@$((1704067200 + 20))" "$db/.b.part"
mv "$db/.b.part" "$db/b.txt"
cat >"$IT_TMP/bigsink.sql" <<EOF
CREATE SOURCE lines WITH (connector = 'file', path = '$db', max_files_per_trigger = 1);
CREATE SINK out WITH (connector = 'file', path = '$IT_TMP/bigout', format = 'text', trigger = 'available_now')
AS SELECT value FROM lines;
EOF
run_now bigsink
[[ $(cat "$IT_TMP"/bigout/part-*.txt | wc -l) == 1200002 ]] ||
	it_fail "bigsink: $(cat "$IT_TMP"/bigout/part-*.txt | wc -l) lines written, wanted 1200002"
[[ $(it_stat "$IT_TMP/bigsink.err" batches) == 2 ]] || it_fail "bigsink: stat batches is not 2: $(grep batches "$IT_TMP/bigsink.err")"
it_log "available_now, a second batch larger than the rings, no aggregation: written whole, exit 0: ok"

text_sql latest "path = '$d', latestFirst = true, maxFilesPerTrigger = 3" ", trigger = 'available_now'"
run_now latest
expect_batches latest "$IT_TMP/latest.out" 2
it_expect_batch latest "$IT_TMP/latest.out" 0 b1 d1 d2 d3 a1
it_expect_batch latest "$IT_TMP/latest.out" 1 c1 e1 e2
it_log "latest_first: newest first: ok"

text_sql glob "path = '$d/[ab].txt'" ", trigger = 'available_now'"
run_now glob
expect_batches glob "$IT_TMP/glob.out" 1
it_expect_batch glob "$IT_TMP/glob.out" 0 a1 b1
it_log "a glob in path: only the names it matches: ok"

# --- the default trigger: files moved in while running --------------------
d=$IT_TMP/in2
mkdir -p "$d"
text_sql live "path = '$d', max_files_per_trigger = 2" ""
start_bg live
put "$d" one.txt 1 "one-1" "one-2"
wait_batch live 0
it_expect_batch live "$IT_TMP/live.out" 0 one-1 one-2
put "$d" two.txt 2 "two-1"
wait_batch live 1
it_expect_batch live "$IT_TMP/live.out" 1 two-1
# a burst: five files moved in back to back
for i in 1 2 3 4 5; do
	printf 'burst%d-a\nburst%d-b\n' "$i" "$i" >"$IT_TMP/stage$i"
done
for i in 1 2 3 4 5; do mv "$IT_TMP/stage$i" "$d/burst$i.txt"; done
for ((i = 0; i < 1200; i++)); do
	(($(grep -c '^| *burst' "$IT_TMP/live.out") == 10)) && break
	sleep 0.05
done
sleep 0.5 # no more batches may follow
kill -0 "$BG" 2>/dev/null || { cat "$IT_TMP/live.err" >&2; it_fail "live: sluice stopped by itself"; }
stop_bg live
nb=$(it_count_batches "$IT_TMP/live.out")
((nb >= 5)) || { cat "$IT_TMP/live.out" >&2; it_fail "live: $nb batches; a burst of 5 files with max_files_per_trigger = 2 needs at least 3 after the first 2"; }
for ((b = 2; b < nb; b++)); do
	files=$(it_batch_rows "$b" "$IT_TMP/live.out" | sed 's/-[ab]$//' | sort -u | wc -l)
	((files >= 1 && files <= 2)) || it_fail "live: Batch $b holds $files files (expected 1 or 2)"
done
grep -o 'burst[0-9]-[ab]' "$IT_TMP/live.out" | sort >"$IT_TMP/live.got"
for i in 1 2 3 4 5; do printf 'burst%d-a\nburst%d-b\n' "$i" "$i"; done | sort >"$IT_TMP/live.want"
it_same "$IT_TMP/live.want" "$IT_TMP/live.got" "live: the burst's lines (each exactly once)"
it_log "default trigger: files moved in show up batch by batch, a burst spread over $((nb - 2)) batches of <= 2 files: ok"

# --- a processing-time trigger: files are taken at the triggers -----------
# Spark plans each batch at its trigger, with the files there then: two
# files that land between two triggers make one batch, not one each.
d=$IT_TMP/in_trig
mkdir -p "$d"
text_sql trig "path = '$d'" ", trigger = '5 seconds'"
start_bg trig
put "$d" a.txt 1 "a1"
wait_batch trig 0
put "$d" b.txt 2 "b1"
sleep 1
put "$d" c.txt 3 "c1"
wait_batch trig 1
stop_bg trig
it_expect_batch trig "$IT_TMP/trig.out" 0 a1
it_expect_batch trig "$IT_TMP/trig.out" 1 b1 c1
it_log "processing-time trigger: files landing between two triggers make one batch: ok"

# --- clean_source ----------------------------------------------------------
d=$IT_TMP/in3
mkdir -p "$d"
put "$d" x.txt 1 "x1"
put "$d" y.txt 2 "y1"
text_sql del "path = '$d', clean_source = 'delete', max_files_per_trigger = 1" ", trigger = 'available_now'"
run_now del
expect_batches del "$IT_TMP/del.out" 2
[[ -e $d/x.txt || -e $d/y.txt ]] && it_fail "clean_source = 'delete': the files are still there: $(ls "$d")"
put "$d" z.txt 3 "z1"
text_sql arch "path = '$d', clean_source = 'archive', source_archive_dir = '$IT_TMP/archive'" ", trigger = 'available_now'"
run_now arch
it_expect_batch arch "$IT_TMP/arch.out" 0 z1
real=$(cd "$d" && pwd -P)
[[ -f $IT_TMP/archive$real/z.txt ]] || it_fail "clean_source = 'archive': no $IT_TMP/archive$real/z.txt ($(find "$IT_TMP/archive" -type f))"
[[ -e $d/z.txt ]] && it_fail "clean_source = 'archive': z.txt is still in the source directory"
it_log "clean_source delete and archive: ok"

# --- a large file over two ingest cores -------------------------------------
d=$IT_TMP/in4
mkdir -p "$d"
n=1400000
awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) print i }' >"$d/.big"
mv "$d/.big" "$d/big.txt"
cat >"$IT_TMP/big.sql" <<EOF
CREATE SOURCE lines WITH (connector = 'file', path = '$d');
CREATE SINK out WITH (connector = 'console', output_mode = 'complete', trigger = 'available_now')
AS SELECT count(*) AS n, sum(CAST(value AS BIGINT)) AS total FROM lines;
EOF
run_now big --ingest-cores '0,0'
it_last_table "$IT_TMP/big.out" >"$IT_TMP/big.got"
printf '%s\t%s\n' "$n" "$((n * (n - 1) / 2))" >"$IT_TMP/big.want"
it_same "$IT_TMP/big.want" "$IT_TMP/big.got" "big file on two cores: count and sum"
[[ $(it_stat "$IT_TMP/big.err" bytes_in) == "$(wc -c <"$d/big.txt")" ]] || it_fail "big file: stat bytes_in is not its size"
grep -q "2 ingest cores" "$IT_TMP/big.err" || it_fail "big file: not run on 2 ingest cores: $(cat "$IT_TMP/big.err")"
it_log "a 10 MB file on two ingest cores: every line exactly once: ok"

# --- a file that vanishes before it is read ---------------------------------
# a, b, c present at start, one a batch, a trigger every 4 seconds: c is
# noticed at start and taken only after Batch 1 is written; it is removed
# in between.
d=$IT_TMP/in5
mkdir -p "$d"
put "$d" a.txt 1 "va"
put "$d" b.txt 2 "vb"
put "$d" c.txt 3 "vc"
text_sql gone "path = '$d', max_files_per_trigger = 1" ", trigger = '4 seconds'"
start_bg gone
wait_batch gone 0
rm "$d/c.txt"
wait_batch gone 1
for ((i = 0; i < 200; i++)); do
	grep -q "vanished before it was read" "$IT_TMP/gone.err" && break
	sleep 0.05
done
stop_bg gone
grep -q "sluice: source 'lines': warning: file '$d/c.txt' vanished before it was read; skipped (1 file skipped so far)" "$IT_TMP/gone.err" ||
	it_fail "vanished: no warning naming c.txt: $(cat "$IT_TMP/gone.err")"
it_expect_batch gone "$IT_TMP/gone.out" 0 va
it_expect_batch gone "$IT_TMP/gone.out" 1 vb
grep -q '| *vc' "$IT_TMP/gone.out" && it_fail "vanished: rows of c.txt were printed"
it_log "a vanished file: warned about and skipped: ok"

# --- bad options and a missing directory -----------------------------------
plan_error() {
	local what=$1 opts=$2 want=$3 rc
	printf "CREATE SOURCE s WITH (connector = 'file'%s);\nCREATE SINK k WITH (connector = 'console') AS SELECT value FROM s;\n" \
		"$opts" >"$IT_TMP/plan.sql"
	timeout 20 "$SLUICE" run "$IT_TMP/plan.sql" >/dev/null 2>"$IT_TMP/plan.err"
	rc=$?
	((rc == 2)) || it_fail "$what: sluice exited $rc (expected 2): $(cat "$IT_TMP/plan.err")"
	grep -qF "$IT_TMP/plan.sql: $want" "$IT_TMP/plan.err" ||
		it_fail "$what: expected '$want' in: $(cat "$IT_TMP/plan.err")"
}
plan_error "no path" "" "line 1, column 1: file source 's' needs option 'path'"
plan_error "max_files_per_trigger 0" ", path = 'x', max_files_per_trigger = 0" \
	"line 1, column 55: option 'max_files_per_trigger' must be a whole number of files from 1"
plan_error "both limits" ", path = 'x', maxFilesPerTrigger = 2, max_bytes_per_trigger = '1M'" \
	"line 1, column 79: options 'maxFilesPerTrigger' and 'max_bytes_per_trigger' cannot both be set (as in Spark)"
plan_error "clean_source" ", path = 'x', clean_source = 'move'" \
	"line 1, column 55: option 'clean_source' must be 'off', 'delete' or 'archive', not 'move'"
plan_error "archive without a directory" ", path = 'x', clean_source = 'archive'" \
	"line 1, column 55: clean_source = 'archive' needs option 'source_archive_dir'"
plan_error "an unknown option" ", path = 'x', max_files = 3" \
	"line 1, column 55: unknown option 'max_files' for connector 'file'"
printf "CREATE SOURCE s (n INT) WITH (connector = 'file', path = 'x');\nCREATE SINK k WITH (connector = 'console') AS SELECT n FROM s;\n" >"$IT_TMP/typed.sql"
timeout 20 "$SLUICE" run "$IT_TMP/typed.sql" >/dev/null 2>"$IT_TMP/typed.err"
rc=$?
((rc == 2)) || it_fail "a typed text source: sluice exited $rc (expected 2)"
grep -qF "line 1, column 1: file source 's' reads format 'text', whose records have one STRING column (the line), not (n INT)" "$IT_TMP/typed.err" ||
	it_fail "a typed text source: $(cat "$IT_TMP/typed.err")"

printf "CREATE SOURCE s WITH (connector = 'file', path = '%s/nowhere');\nCREATE SINK k WITH (connector = 'console') AS SELECT value FROM s;\n" \
	"$IT_TMP" >"$IT_TMP/missing.sql"
timeout 20 "$SLUICE" run "$IT_TMP/missing.sql" >/dev/null 2>"$IT_TMP/missing.err"
rc=$?
((rc == 1)) || it_fail "a missing directory: sluice exited $rc (expected 1)"
grep -q "cannot read directory '$IT_TMP/nowhere': No such file or directory; create it, or fix option 'path'" "$IT_TMP/missing.err" ||
	it_fail "a missing directory: the error does not name it: $(cat "$IT_TMP/missing.err")"
it_log "bad options and a missing directory: refused with line, column or path: ok"
exit 0

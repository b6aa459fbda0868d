#!/usr/bin/env bash
#
# s3_sink_log — a file source reading a prefix that a file sink wrote on
# S3 goes by the sink's commit log (prefix/_sluice_log/), as it does for a
# directory (Spark's _spark_metadata):
#   - a sink writes three batches; an orphan object of a failed attempt
#     (under the prefix, not in the log) and a stray object are there too;
#     a second query reading the prefix gets every committed row once and
#     never the orphan's nor the stray's;
#   - with a checkpoint, a later run of the reader takes only the batches
#     committed since (the log position restored), still no orphan;
#   - a reader started on the prefix before the sink wrote anything reads
#     through the log too (the sink's marker is there before its first
#     data object);
#   - a log entry whose GET fails (cut mid-body, no retries) is warned
#     about and read at the next listing: the streaming reader keeps going
#     and gets every row once.

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require awk sort timeout
it_s3_start bkt

obj() {
	{
		echo "name,n"
		awk -v nm="$2" -v n="$3" 'BEGIN { for (i = 1; i <= n; i++) print nm "," i }'
	} | it_s3 put "s3://bkt/$1" - || it_fail "upload of $1 failed"
}
want() {
	for x in "$@"; do awk -v nm="${x%:*}" -v n="${x#*:}" 'BEGIN { for (i = 1; i <= n; i++) print nm "\t" i }'; done | sort
}
# rows OUT: every data row a console output printed, "name<TAB>n"
rows() {
	awk '/^Batch: [0-9]+$/ { hdr = 0; next }
	     /^\|/ { if (!hdr) { hdr = 1; next }
	             split($0, f, "|"); gsub(/ /, "", f[2]); gsub(/ /, "", f[3]); print f[2] "\t" f[3] }' "$1" | sort
}
run() {
	timeout 90 "$SLUICE" run --no-socket --stats "$IT_TMP/$1.sql" >"$IT_TMP/$1.out" 2>"$IT_TMP/$1.err" ||
		{ cat "$IT_TMP/$1.err" >&2; it_fail "$1: sluice failed"; }
}

cat >"$IT_TMP/write.sql" <<SQL
CREATE SOURCE objs (name STRING, n INT)
  WITH (connector = 'file', path = 's3://bkt/in/', format = 'csv', header = true,
        max_files_per_trigger = 1, s3.endpoint = '$S3_ENDPOINT', s3.path_style = true);
CREATE SINK out WITH (connector = 'file', path = 's3://bkt/out', format = 'csv', trigger = 'available_now',
                      checkpoint = '$IT_TMP/ck-write', s3.endpoint = '$S3_ENDPOINT', s3.path_style = true)
AS SELECT name, n FROM objs;
SQL
cat >"$IT_TMP/read.sql" <<SQL
CREATE SOURCE outs (name STRING, n INT)
  WITH (connector = 'file', path = 's3://bkt/out/', format = 'csv',
        s3.endpoint = '$S3_ENDPOINT', s3.path_style = true);
CREATE SINK show WITH (connector = 'console', num_rows = 1000, trigger = 'available_now',
                       checkpoint = '$IT_TMP/ck-read')
AS SELECT name, n FROM outs;
SQL

# --- committed batches only, every row once ----------------------------------
obj in/a.csv a 3
sleep 1.1
obj in/b.csv b 4
sleep 1.1
obj in/c.csv c 5
run write
[[ $(it_s3 ls s3://bkt/out/_sluice_log/ | grep -c '_sluice_log/[0-9]') == 3 ]] || it_fail "the sink did not commit 3 batches: $(it_s3 ls s3://bkt/out/)"
# a failed attempt's leftover (the name of batch 3, never committed) and an
# object someone else put there
printf 'zzz,999\n' | it_s3 put s3://bkt/out/part-00000-000003.csv - || it_fail "upload of the orphan failed"
printf 'yyy,998\n' | it_s3 put s3://bkt/out/stray.csv - || it_fail "upload of the stray object failed"
run read
rows "$IT_TMP/read.out" >"$IT_TMP/read.got"
want a:3 b:4 c:5 >"$IT_TMP/read.want"
it_same "$IT_TMP/read.want" "$IT_TMP/read.got" "the rows read through the sink's log"
it_log "the committed rows once, no orphan, no stray object: ok"

# --- a later run from the checkpoint takes the new batches only ----------------
obj in/d.csv d 2
run write
# the sink's batch 3 replaced the orphan; a new orphan of batch 4
printf 'xxx,997\n' | it_s3 put s3://bkt/out/part-00000-000004.csv - || it_fail "upload of the orphan failed"
run read
rows "$IT_TMP/read.out" >"$IT_TMP/read2.got"
want d:2 >"$IT_TMP/read2.want"
it_same "$IT_TMP/read2.want" "$IT_TMP/read2.got" "the second run of the reader (from its checkpoint)"
it_log "a restart reads the batches committed since, once: ok"

# --- a reader started before the sink wrote anything ---------------------------
# the reader first, on an empty prefix; then a writer that has nothing to
# write yet (it opens: its marker goes up); then a failed attempt's
# leftover: with no entry in the log, only the marker says the prefix is a
# sink's output, and the reader must not take the leftover as a plain
# object; then the writer's input
sed -e "s#s3://bkt/out/#s3://bkt/late/#" -e "s#trigger = 'available_now',##" -e "s#ck-read#ck-late#" \
	"$IT_TMP/read.sql" >"$IT_TMP/late.sql"
sed -e "s#s3://bkt/out'#s3://bkt/late'#" -e "s#s3://bkt/in/#s3://bkt/in2/#" -e "s#trigger = 'available_now',##" \
	-e "s#ck-write#ck-late-w#" "$IT_TMP/write.sql" >"$IT_TMP/latew.sql"
"$SLUICE" run --no-socket "$IT_TMP/late.sql" >"$IT_TMP/late.out" 2>"$IT_TMP/late.err" &
late=$!
it_track "$late"
sleep 1.5
"$SLUICE" run --no-socket "$IT_TMP/latew.sql" >"$IT_TMP/latew.out" 2>"$IT_TMP/latew.err" &
latew=$!
it_track "$latew"
for _ in $(seq 1 100); do
	it_s3 ls s3://bkt/late/_sluice_log/ 2>/dev/null | grep -q _writer && break
	sleep 0.2
done
it_s3 ls s3://bkt/late/_sluice_log/ | grep -q _writer || { cat "$IT_TMP/latew.err" >&2; it_fail "the sink put no marker"; }
printf 'www,996\n' | it_s3 put s3://bkt/late/part-00000-000009.csv - || it_fail "upload of the orphan failed"
sleep 2.5 # the reader lists twice
obj in2/a.csv a 3
obj in2/b.csv b 4
want a:3 b:4 >"$IT_TMP/late.want"
for _ in $(seq 1 100); do
	rows "$IT_TMP/late.out" >"$IT_TMP/late.got"
	cmp -s "$IT_TMP/late.want" "$IT_TMP/late.got" && break
	sleep 0.3
done
sleep 2.5 # two more listings: nothing else may show up
kill "$late" "$latew"
wait "$late" "$latew" 2>/dev/null
rows "$IT_TMP/late.out" >"$IT_TMP/late.got"
it_same "$IT_TMP/late.want" "$IT_TMP/late.got" "a reader started before the sink's first batch"
it_log "a reader started first goes by the log (the sink's marker), never the leftover: ok"

# --- a log entry that cannot be read for a while ---------------------------------
# the reader streams the prefix through a proxy that cuts the first GET of
# the next entry mid-body, with no retries: a warning, and the entry is
# read at the next listing; every row once
sed -e "s#s3://bkt/out'#s3://bkt/cut'#" -e "s#s3://bkt/in/#s3://bkt/in3/#" -e "s#ck-write#ck-cut-w#" \
	"$IT_TMP/write.sql" >"$IT_TMP/cutw.sql"
obj in3/a.csv a 3
run cutw
it_s3_proxy "cut=cut/_sluice_log/1:1"
sed -e "s#s3://bkt/out/#s3://bkt/cut/#" -e "s#trigger = 'available_now',##" -e "s#ck-read#ck-cut#" \
	-e "s#s3.endpoint = '$S3_ENDPOINT'#s3.endpoint = '$PROXY_ENDPOINT', s3.retries = 0#" \
	"$IT_TMP/read.sql" >"$IT_TMP/cut.sql"
"$SLUICE" run --no-socket "$IT_TMP/cut.sql" >"$IT_TMP/cut.out" 2>"$IT_TMP/cut.err" &
cut=$!
it_track "$cut"
want a:3 >"$IT_TMP/cut.want"
for _ in $(seq 1 100); do
	rows "$IT_TMP/cut.out" >"$IT_TMP/cut.got"
	cmp -s "$IT_TMP/cut.want" "$IT_TMP/cut.got" && break
	sleep 0.2
done
obj in3/b.csv b 4
run cutw
want a:3 b:4 >"$IT_TMP/cut.want"
for _ in $(seq 1 100); do
	rows "$IT_TMP/cut.out" >"$IT_TMP/cut.got"
	cmp -s "$IT_TMP/cut.want" "$IT_TMP/cut.got" && break
	kill -0 "$cut" 2>/dev/null || break
	sleep 0.3
done
kill -0 "$cut" 2>/dev/null || { cat "$IT_TMP/cut.err" >&2; it_fail "the reader stopped at the cut log entry"; }
kill "$cut"
wait "$cut" 2>/dev/null
rows "$IT_TMP/cut.out" >"$IT_TMP/cut.got"
it_same "$IT_TMP/cut.want" "$IT_TMP/cut.got" "the rows after a log entry's GET was cut"
grep -q '^cut ' "$PROXY_LOG" || it_fail "the proxy cut nothing: $(cat "$PROXY_LOG")"
grep -q "warning: source 'outs': reading the commit log of 's3://bkt/cut'.*trying again every 1000 ms" "$IT_TMP/cut.err" ||
	{ cat "$IT_TMP/cut.err" >&2; it_fail "no warning about the cut log entry"; }
it_log "a log entry cut mid-body: a warning, read again at the next listing, every row once: ok"

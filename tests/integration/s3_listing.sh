#!/usr/bin/env bash
#
# s3_listing — the file source on an s3:// prefix, its listing and its
# memory, against s3rver on loopback:
#   - 2100 objects: ListObjectsV2 pages of 1000 followed by continuation
#     token, every object read once, 1000 a batch (max_files_per_trigger);
#   - an object uploaded while the query runs with a key that sorts before
#     the keys listed so far (the incremental listing's start-after does
#     not see it): found by the full listing (s3.full_list_interval);
#   - a 51 MB object read with a peak RSS less than 24 MiB above the same
#     query's over a 1 MB object: streamed through ranged GETs, never held
#     whole.

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require awk sort timeout python3
it_s3_start bkt

# obj KEY NAME ROWS: upload s3://bkt/KEY, a CSV with a header and ROWS rows
# "NAME,i" (i = 1..ROWS).
obj() {
	{
		echo "name,n"
		awk -v nm="$2" -v n="$3" 'BEGIN { for (i = 1; i <= n; i++) print nm "," i }'
	} | it_s3 put "s3://bkt/$1" - || it_fail "upload of $1 failed"
}

# src_sql NAME PATH OPTIONS SINK_OPTIONS: SELECT name, n FROM a csv source.
src_sql() {
	cat >"$IT_TMP/$1.sql" <<SQL
CREATE SOURCE objs (name STRING, n INT)
  WITH (connector = 'file', path = '$2', format = 'csv', header = true,
        s3.endpoint = '$S3_ENDPOINT', s3.path_style = true $3);
CREATE SINK out WITH (connector = 'console', num_rows = 1000 $4)
AS SELECT name, n FROM objs;
SQL
}

run_now() {
	local name=$1 rc
	shift
	timeout 60 "$SLUICE" run --no-socket --stats "$IT_TMP/$name.sql" "$@" >"$IT_TMP/$name.out" 2>"$IT_TMP/$name.err"
	rc=$?
	((rc == 0)) || { cat "$IT_TMP/$name.err" >&2; it_fail "$name: sluice exited $rc (expected 0)"; }
}

# rows OUT: every data row a console output printed, "name<TAB>n"
rows() {
	awk '/^Batch: [0-9]+$/ { hdr = 0; next }
	     /^\|/ { if (!hdr) { hdr = 1; next }
	             split($0, f, "|"); gsub(/ /, "", f[2]); gsub(/ /, "", f[3]); print f[2] "\t" f[3] }' "$1"
}

# --- a listing of several pages (ListObjectsV2 continuation tokens) ------------
it_s3 fill s3://bkt/many/m 2100 || it_fail "uploading 2100 objects failed"
cat >"$IT_TMP/many.sql" <<SQL
CREATE SOURCE objs (name STRING, n INT)
  WITH (connector = 'file', path = 's3://bkt/many/', format = 'csv', header = true,
        max_files_per_trigger = 1000, s3.endpoint = '$S3_ENDPOINT', s3.path_style = true);
CREATE SINK out WITH (connector = 'console', output_mode = 'complete', trigger = 'available_now')
AS SELECT count(*) AS c, approx_count_distinct(name) AS d, sum(n) AS s FROM objs;
SQL
run_now many
it_last_table "$IT_TMP/many.out" | cut -f1,3 >"$IT_TMP/many.got"
printf '2100\t2100\n' >"$IT_TMP/many.want"
it_same "$IT_TMP/many.want" "$IT_TMP/many.got" "2100 objects listed over 3 pages: rows"
nb=$(it_count_batches "$IT_TMP/many.out")
((nb == 3)) || it_fail "2100 objects at most 1000 a batch: $nb batches (expected 3)"
it_log "2100 objects over several listing pages, 1000 a batch: ok"

# --- an object with a smaller key than those listed: the full listing ---------
src_sql full "s3://bkt/late/" ", s3.list_interval = '100 ms', s3.full_list_interval = '1 second'" ""
obj late/m.csv m 2
"$SLUICE" run --no-socket --stats "$IT_TMP/full.sql" >"$IT_TMP/full.out" 2>"$IT_TMP/full.err" &
FULL=$!
it_track "$FULL"
for ((i = 0; i < 300; i++)); do
	[[ $(rows "$IT_TMP/full.out" | grep -c '^m') == 2 ]] && break
	sleep 0.1
done
obj late/a.csv a 3 # sorts before m: start-after 'late/m.csv' does not list it
for ((i = 0; i < 300; i++)); do
	[[ $(rows "$IT_TMP/full.out" | grep -c '^a') == 3 ]] && break
	kill -0 "$FULL" 2>/dev/null || { cat "$IT_TMP/full.err" >&2; it_fail "full listing: sluice exited"; }
	sleep 0.1
done
kill -INT "$FULL"
wait "$FULL" || { cat "$IT_TMP/full.err" >&2; it_fail "full listing: sluice did not exit 0"; }
[[ $(rows "$IT_TMP/full.out" | grep -c '^a') == 3 ]] || it_fail "an object with a smaller key was never read (the full listing)"
[[ $(rows "$IT_TMP/full.out" | wc -l) == 5 ]] || it_fail "full listing: not exactly 5 rows: $(rows "$IT_TMP/full.out")"
it_log "an object with a smaller key, found by the full listing: ok"

# --- a 51 MB object: streamed, memory bounded -----------------------------------------
awk 'BEGIN { for (i = 0; i < 3200000; i++) printf "%015d\n", i }' >"$IT_TMP/huge.txt"
it_s3 put s3://bkt/huge/huge.txt "$IT_TMP/huge.txt" || it_fail "upload of huge.txt failed"
hb=$(wc -c <"$IT_TMP/huge.txt")
head -c 1000000 "$IT_TMP/huge.txt" >"$IT_TMP/small.txt"
it_s3 put s3://bkt/small/small.txt "$IT_TMP/small.txt" || it_fail "upload of small.txt failed"
rm -f "$IT_TMP/huge.txt"
cat >"$IT_TMP/huge.sql" <<SQL
CREATE SOURCE lines WITH (connector = 'file', path = 's3://bkt/huge/',
  s3.endpoint = '$S3_ENDPOINT', s3.path_style = true);
CREATE SINK out WITH (connector = 'console', output_mode = 'complete', trigger = 'available_now')
AS SELECT count(*) AS n FROM lines;
SQL
sed 's#s3://bkt/huge/#s3://bkt/small/#' "$IT_TMP/huge.sql" >"$IT_TMP/small.sql"
run_now small
run_now huge
[[ $(it_stat "$IT_TMP/huge.err" bytes_in) == "$hb" ]] || it_fail "huge object: stat bytes_in is not its size"
# against the same query over a 1 MB object (the process's own size, and a
# sanitizer's, whatever the build): the 51 MB object may add little
rss0=$(it_stat "$IT_TMP/small.err" peak_rss_kb)
rss=$(it_stat "$IT_TMP/huge.err" peak_rss_kb)
((rss - rss0 < 24 * 1024)) || it_fail "a $hb-byte object took a peak RSS of $rss KiB, $((rss - rss0)) KiB more than a 1 MB object (it must be streamed: under 24 MiB more)"
[[ $(it_last_table "$IT_TMP/huge.out") == 3200000 ]] || it_fail "huge object: not 3200000 lines"
it_log "a $hb-byte object streamed, peak RSS $rss KiB ($rss0 KiB for a 1 MB object): ok"


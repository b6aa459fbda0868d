#!/usr/bin/env bash
#
# s3_source — the file source on an s3:// path, against s3rver on loopback
# (tests/integration/lib.sh it_s3_start):
#   - available_now, max_files_per_trigger = 2, CSV objects with a header:
#     taken in LastModified order (ties by name), two a batch, exact batch
#     contents; latest_first the newest first; max_bytes_per_trigger;
#     hidden names (_x, .x) and
#     objects under a deeper prefix are never read;
#   - the default trigger: objects uploaded while the query runs show up,
#     no batch holds more than two objects' rows, every row exactly once;
#   - a 10 MB object read by two ingest cores through ranged GETs, split on
#     line boundaries: count and sum exact;
#   - clean_source = 'delete' and 'archive' (to another prefix);
#   - bad options refused before anything starts: s3.* options on a local
#     path, a pattern in a "directory" or the bucket of an s3:// path, an
#     unknown s3.* option;
#   - a pattern of names in the path's last part (s3://bkt/pat/sales-*.csv):
#     only the matching objects, listed from the pattern's literal start;
#     a restart from the checkpoint takes only new matching objects, and
#     a checkpoint of another pattern is refused.
# Timing is never asserted: every wait polls with a generous limit.

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require awk sort timeout python3
it_s3_start bkt arch

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

# batch_names OUT: per batch, one line: the object names its rows came from,
# in row order, each once ("c b").
batch_names() {
	awk '/^Batch: [0-9]+$/ { if (seen) print line; line = ""; seen = 1; last = ""; hdr = 0; next }
	     /^\|/ { if (!hdr) { hdr = 1; next }
	             split($0, f, "|"); gsub(/ /, "", f[2]);
	             if (f[2] != last) { line = line (line == "" ? "" : " ") f[2]; last = f[2] } }
	     END { if (seen) print line }' "$1"
}

# rows OUT: every data row a console output printed, "name<TAB>n"
rows() {
	awk '/^Batch: [0-9]+$/ { hdr = 0; next }
	     /^\|/ { if (!hdr) { hdr = 1; next }
	             split($0, f, "|"); gsub(/ /, "", f[2]); gsub(/ /, "", f[3]); print f[2] "\t" f[3] }' "$1"
}

# --- order, limits, hidden names (available_now) ----------------------------
obj in/c.csv c 3
sleep 1.1
obj in/b.csv b 2
sleep 1.1
obj in/a.csv a 4
obj in/d.csv d 1
obj in/e.csv e 2
obj in/_hidden.csv h 5
obj in/.dot.csv h 5
obj in/deeper/f.csv h 5
# the expected order from the server's own LastModified times (ms), ties by name
it_s3 ls s3://bkt/in/ >"$IT_TMP/ls" || it_fail "listing failed"
order() {
	awk -F'\t' '$1 !~ /\/[._]/ && $1 !~ /deeper/ { sub(/^in\//, "", $1); sub(/\.csv$/, "", $1); print $3 "\t" $1 }' "$IT_TMP/ls" |
		sort -t$'\t' -k1,1n"$1" -k2,2 | cut -f2 | paste -sd' ' | awk '{ for (i = 1; i <= NF; i += 2) print $i (i + 1 <= NF ? " " $(i + 1) : "") }'
}
order "" >"$IT_TMP/order.want"
[[ $(head -n 1 "$IT_TMP/order.want") == "c b" ]] || it_fail "s3rver's LastModified times do not put c, b first: $(cat "$IT_TMP/ls")"
src_sql order "s3://bkt/in/" ", max_files_per_trigger = 2" ", trigger = 'available_now'"
run_now order
batch_names "$IT_TMP/order.out" >"$IT_TMP/order.got"
it_same "$IT_TMP/order.want" "$IT_TMP/order.got" "objects per batch (LastModified order, two a batch)"
rows "$IT_TMP/order.out" | grep -q '^h' && it_fail "a hidden object or one under a deeper prefix was read"
[[ $(rows "$IT_TMP/order.out" | grep -c '^[a-e]') == 12 ]] || it_fail "not exactly the 12 rows of a..e: $(cat "$IT_TMP/order.out")"
it_log "LastModified order, max_files_per_trigger, hidden names: ok ($(paste -sd'|' "$IT_TMP/order.got"))"

# latest_first: newest first (ties by name)
order "r" >"$IT_TMP/latest.want"
src_sql latest "s3://bkt/in" ", max_files_per_trigger = 2, latest_first = true" ", trigger = 'available_now'"
run_now latest
batch_names "$IT_TMP/latest.out" >"$IT_TMP/latest.got"
it_same "$IT_TMP/latest.want" "$IT_TMP/latest.got" "objects per batch with latest_first"
it_log "latest_first: ok"

# max_bytes_per_trigger: objects while the bytes stay within the limit, a
# batch's first always (c: 19 bytes, b: 15, a: 23, d: 11, e: 15: "c b", "a d e")
order "" | tr ' ' '\n' | grep . >"$IT_TMP/bytes.order"
src_sql bytes "s3://bkt/in/" ", max_bytes_per_trigger = 50" ", trigger = 'available_now'"
run_now bytes
batch_names "$IT_TMP/bytes.out" >"$IT_TMP/bytes.got"
it_s3 ls s3://bkt/in/ | awk -F'\t' '$1 ~ /^in\/[a-e]\.csv$/ { sub(/^in\//, "", $1); sub(/\.csv$/, "", $1); print $1 "\t" $2 }' >"$IT_TMP/sizes"
# the expected batches from the sizes, in the order above (Spark's takeFilesUntilMax)
awk -F'\t' 'NR == FNR { size[$1] = $2; next }
	{ if (n > 0 && total + size[$1] > 50) { print line; line = ""; n = 0; total = 0 }
	  line = line (n ? " " : "") $1; n++; total += size[$1] }
	END { if (n) print line }' "$IT_TMP/sizes" "$IT_TMP/bytes.order" >"$IT_TMP/bytes.want"
it_same "$IT_TMP/bytes.want" "$IT_TMP/bytes.got" "objects per batch with max_bytes_per_trigger = 50"
it_log "max_bytes_per_trigger: ok ($(paste -sd'|' "$IT_TMP/bytes.got"))"

# --- objects uploaded while the query runs -----------------------------------
src_sql live "s3://bkt/live/" ", max_files_per_trigger = 2, s3.list_interval = '100 ms'" ""
"$SLUICE" run --no-socket --stats "$IT_TMP/live.sql" >"$IT_TMP/live.out" 2>"$IT_TMP/live.err" &
LIVE=$!
it_track "$LIVE"
: >"$IT_TMP/live.want"
for i in 1 2 3; do
	obj "live/p$i.csv" "p$i" 3
	awk -v i="$i" 'BEGIN { for (k = 1; k <= 3; k++) print "p" i "\t" k }' >>"$IT_TMP/live.want"
	sleep 0.3
done
# a burst of five at once: spread over batches of at most two objects
for i in 4 5 6 7 8; do
	obj "live/p$i.csv" "p$i" 3
	awk -v i="$i" 'BEGIN { for (k = 1; k <= 3; k++) print "p" i "\t" k }' >>"$IT_TMP/live.want"
done
sort -o "$IT_TMP/live.want" "$IT_TMP/live.want"
for ((i = 0; i < 600; i++)); do
	n=$(rows "$IT_TMP/live.out" | grep -c '^p')
	((n >= 24)) && break
	kill -0 "$LIVE" 2>/dev/null || { cat "$IT_TMP/live.err" >&2; it_fail "live: sluice exited"; }
	sleep 0.1
done
sleep 1 # anything more would be a duplicate
kill -INT "$LIVE"
wait "$LIVE" || { cat "$IT_TMP/live.err" >&2; it_fail "live: sluice did not exit 0 on SIGINT"; }
rows "$IT_TMP/live.out" | sort >"$IT_TMP/live.got"
it_same "$IT_TMP/live.want" "$IT_TMP/live.got" "rows of the objects uploaded while the query ran"
batch_names "$IT_TMP/live.out" | awk 'NF > 2 { bad = 1; print "batch with " NF " objects: " $0 } END { exit bad }' >&2 ||
	it_fail "a batch held more than max_files_per_trigger = 2 objects"
nb=$(it_count_batches "$IT_TMP/live.out")
((nb >= 4)) || it_fail "8 objects in $nb batches (at most 2 a batch: at least 4)"
it_log "objects uploaded while the query runs: every row once, at most 2 objects a batch ($nb batches): ok"

# --- a large object over two ingest cores -----------------------------------
n=1400000
awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) print i }' >"$IT_TMP/big.txt"
it_s3 put s3://bkt/big/big.txt "$IT_TMP/big.txt" || it_fail "upload of big.txt failed"
cat >"$IT_TMP/big.sql" <<SQL
CREATE SOURCE lines WITH (connector = 'file', path = 's3://bkt/big/',
  s3.endpoint = '$S3_ENDPOINT', s3.path_style = true);
CREATE SINK out WITH (connector = 'console', output_mode = 'complete', trigger = 'available_now')
AS SELECT count(*) AS n, sum(CAST(value AS BIGINT)) AS total FROM lines;
SQL
run_now big --ingest-cores '0,0'
it_last_table "$IT_TMP/big.out" >"$IT_TMP/big.got"
printf '%s\t%s\n' "$n" "$((n * (n - 1) / 2))" >"$IT_TMP/big.want"
it_same "$IT_TMP/big.want" "$IT_TMP/big.got" "big object on two cores: count and sum"
[[ $(it_stat "$IT_TMP/big.err" bytes_in) == "$(wc -c <"$IT_TMP/big.txt")" ]] || it_fail "big object: stat bytes_in is not its size"
grep -q "2 ingest cores" "$IT_TMP/big.err" || it_fail "big object: not run on 2 ingest cores"
it_log "a 10 MB object on two ingest cores (ranged GETs): every line exactly once: ok"

# --- clean_source -------------------------------------------------------------
obj del/x.csv x 2
obj del/y.csv y 2
src_sql del "s3://bkt/del/" ", clean_source = 'delete'" ", trigger = 'available_now'"
run_now del
[[ $(rows "$IT_TMP/del.out" | grep -c '^[xy]') == 4 ]] || it_fail "clean_source = 'delete': rows not read"
[[ -z $(it_s3 ls s3://bkt/del/) ]] || it_fail "clean_source = 'delete': objects left: $(it_s3 ls s3://bkt/del/)"
obj keep/z.csv z 2
src_sql arch "s3://bkt/keep/" ", clean_source = 'archive', source_archive_dir = 's3://arch/done/'" ", trigger = 'available_now'"
run_now arch
[[ -z $(it_s3 ls s3://bkt/keep/) ]] || it_fail "clean_source = 'archive': object left in the source prefix"
it_s3 cat s3://arch/done/z.csv >"$IT_TMP/z.got" || it_fail "clean_source = 'archive': no s3://arch/done/z.csv"
grep -q '^z,2$' "$IT_TMP/z.got" || it_fail "clean_source = 'archive': archived object differs"
it_log "clean_source delete and archive: ok"

# --- a pattern of names in the last part -----------------------------------------
obj pat/sales-1.csv s1 2
obj pat/sales-2.csv s2 3
obj pat/sales-3.txt s3 4
obj pat/other-1.csv o1 5
obj pat/_sales-4.csv h 5
obj pat/sales-dir/sales-5.csv h 5
it_s3_proxy log=1
src_sql pat "s3://bkt/pat/sales-*.csv" "" ", trigger = 'available_now', checkpoint = '$IT_TMP/ck-pat'"
sed -i "s#$S3_ENDPOINT#$PROXY_ENDPOINT#" "$IT_TMP/pat.sql"
run_now pat
rows "$IT_TMP/pat.out" | sort >"$IT_TMP/pat.got"
printf 's1\t1\ns1\t2\ns2\t1\ns2\t2\ns2\t3\n' | sort >"$IT_TMP/pat.want"
it_same "$IT_TMP/pat.want" "$IT_TMP/pat.got" "the objects matching s3://bkt/pat/sales-*.csv"
grep -q '^req GET /bkt?.*prefix=pat%2Fsales-' "$PROXY_LOG" ||
	it_fail "the listing did not start from the pattern's literal part: $(grep '^req GET /bkt?' "$PROXY_LOG" | head -n 3)"
obj pat/sales-6.csv s6 1
obj pat/other-2.csv o2 1
run_now pat
rows "$IT_TMP/pat.out" >"$IT_TMP/pat2.got"
printf 's6\t1\n' >"$IT_TMP/pat2.want"
it_same "$IT_TMP/pat2.want" "$IT_TMP/pat2.got" "the new matching object after a restart"
src_sql pat3 "s3://bkt/pat/*.txt" "" ", trigger = 'available_now', checkpoint = '$IT_TMP/ck-pat'"
timeout 30 "$SLUICE" run --no-socket "$IT_TMP/pat3.sql" >"$IT_TMP/pat3.out" 2>"$IT_TMP/pat3.err" &&
	it_fail "a checkpoint of another pattern was taken"
grep -q "use a new checkpoint directory" "$IT_TMP/pat3.err" || { cat "$IT_TMP/pat3.err" >&2; it_fail "another pattern's checkpoint: not the expected message"; }
it_log "a pattern of object names: ok"

# --- bad options ---------------------------------------------------------------
bad() {
	local name=$1 want=$2 rc
	timeout 30 "$SLUICE" run --no-socket "$IT_TMP/$name.sql" >"$IT_TMP/$name.out" 2>"$IT_TMP/$name.err"
	rc=$?
	((rc == 2)) || { cat "$IT_TMP/$name.err" >&2; it_fail "$name: exit $rc (expected 2: refused before start)"; }
	grep -q -- "$want" "$IT_TMP/$name.err" || { cat "$IT_TMP/$name.err" >&2; it_fail "$name: the error does not say '$want'"; }
}
mkdir -p "$IT_TMP/local"
src_sql bad1 "$IT_TMP/local" "" ""
bad bad1 "option 's3.endpoint' applies only to an s3:// path"
src_sql bad2 "s3://bkt/in*/x.csv" "" ""
bad bad2 "has a pattern in a directory name; a pattern may match only file names"
src_sql bad2b "s3://bk*" "" ""
bad bad2b "bucket name 'bk\*' of 's3://bk\*' may hold only"
src_sql bad3 "s3://bkt/in/" ", s3.endpont = 'x'" ""
bad bad3 "unknown option 's3.endpont'"
src_sql bad4 "s3://bkt/in/" ", clean_source = 'archive', source_archive_dir = '$IT_TMP/local'" ""
bad bad4 "must be an s3:// prefix"
it_log "bad options: ok"

#!/usr/bin/env bash
#
# s3_log_compact — the commit log of a sink on S3 compacts as a
# directory's does (commit_log.h): every 10th batch's entry is a compact
# object (N.compact, every batch 0..N), and the entries of batches more
# than one interval before it are deleted:
#   - 45 batches leave 16 entry objects (29.compact, 30..38, 39.compact,
#     40..44) and the marker, not 45;
#   - a reader started on the prefix reads one compact object and the
#     plain entries after it (counted at a logging proxy: at most 11 GETs
#     of the log, not 45), and gets every row once;
#   - the writer started again goes on (batches 45..50, a compaction at 49
#     built from the compaction and the entries before it); a reader with
#     a checkpoint reads the new rows only, a fresh reader all of them.

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require awk sort timeout
it_s3_start bkt

want() { # FIRST LAST: the rows of objects FIRST..LAST ("o<k>\t<i>", i = 1..2)
	awk -v a="$1" -v b="$2" 'BEGIN { for (k = a; k <= b; k++) for (i = 1; i <= 2; i++) print "o" k "\t" i }' | sort
}
rows() {
	awk '/^Batch: [0-9]+$/ { hdr = 0; next }
	     /^\|/ { if (!hdr) { hdr = 1; next }
	             split($0, f, "|"); gsub(/ /, "", f[2]); gsub(/ /, "", f[3]); print f[2] "\t" f[3] }' "$1" | sort
}
run() {
	timeout 120 "$SLUICE" run --no-socket "$IT_TMP/$1.sql" >"$IT_TMP/$1.out" 2>"$IT_TMP/$1.err" ||
		{ cat "$IT_TMP/$1.err" >&2; it_fail "$1: sluice failed"; }
}
upload() { # FIRST LAST: objects in/oK.csv, 2 rows each, named so that key order is upload order
	local k
	for ((k = $1; k <= $2; k++)); do
		printf 'name,n\no%d,1\no%d,2\n' "$k" "$k" | it_s3 put "$(printf 's3://bkt/in/%03d.csv' "$k")" - ||
			it_fail "upload of object $k failed"
	done
}

cat >"$IT_TMP/write.sql" <<SQL
CREATE SOURCE objs (name STRING, n INT)
  WITH (connector = 'file', path = 's3://bkt/in/', format = 'csv', header = true,
        max_files_per_trigger = 1, s3.endpoint = '$S3_ENDPOINT', s3.path_style = true);
CREATE SINK out WITH (connector = 'file', path = 's3://bkt/out', format = 'csv', trigger = 'available_now',
                      checkpoint = '$IT_TMP/ck-write', s3.endpoint = '$S3_ENDPOINT', s3.path_style = true)
AS SELECT name, n FROM objs;
SQL
reader() { # NAME ENDPOINT [CHECKPOINT]
	cat >"$IT_TMP/$1.sql" <<SQL
CREATE SOURCE outs (name STRING, n INT)
  WITH (connector = 'file', path = 's3://bkt/out/', format = 'csv',
        s3.endpoint = '$2', s3.path_style = true);
CREATE SINK show WITH (connector = 'console', num_rows = 1000, trigger = 'available_now' ${3:+, checkpoint = '$3'})
AS SELECT name, n FROM outs;
SQL
}

# --- 45 batches, a bounded log -------------------------------------------------
upload 0 44
run write
it_s3 ls s3://bkt/out/_sluice_log/ | awk '{ sub(/.*_sluice_log\//, "", $1); print $1 }' | sort >"$IT_TMP/log.got"
{ echo 29.compact; seq 30 38; echo 39.compact; seq 40 44; echo _writer; } | sort >"$IT_TMP/log.want"
it_same "$IT_TMP/log.want" "$IT_TMP/log.got" "the log's objects after 45 batches"
it_log "45 batches leave 16 entries and the marker: ok"

# --- a reader reads the latest compaction and what follows ----------------------
it_s3_proxy log=1
reader r1 "$PROXY_ENDPOINT" "$IT_TMP/ck-r"
run r1
rows "$IT_TMP/r1.out" >"$IT_TMP/r1.got"
want 0 44 >"$IT_TMP/r1.want"
it_same "$IT_TMP/r1.want" "$IT_TMP/r1.got" "the rows read through the compacted log"
gets=$(grep -c '^req GET [^?]*/_sluice_log/' "$PROXY_LOG")
((gets >= 6 && gets <= 11)) || it_fail "the reader read $gets log objects (the compaction and 5 entries expected, at most 11): $(grep '^req GET' "$PROXY_LOG" | grep _sluice_log)"
grep -q '^req GET [^?]*/_sluice_log/39.compact' "$PROXY_LOG" || it_fail "the reader did not start from 39.compact"
it_log "a reader started reads $gets log objects, every row once: ok"

# --- the writer goes on across the next compaction -------------------------------
upload 45 50
run write
it_s3 ls s3://bkt/out/_sluice_log/ | grep -q '_sluice_log/49.compact' || it_fail "no compaction at batch 49: $(it_s3 ls s3://bkt/out/_sluice_log/)"
it_s3 ls s3://bkt/out/_sluice_log/ | grep -q '_sluice_log/29.compact' && it_fail "29.compact was not expired after 49.compact"
run r1
rows "$IT_TMP/r1.out" >"$IT_TMP/r2.got"
want 45 50 >"$IT_TMP/r2.want"
it_same "$IT_TMP/r2.want" "$IT_TMP/r2.got" "the checkpointed reader's second run"
reader r3 "$S3_ENDPOINT"
run r3
rows "$IT_TMP/r3.out" >"$IT_TMP/r3.got"
want 0 50 >"$IT_TMP/r3.want"
it_same "$IT_TMP/r3.want" "$IT_TMP/r3.got" "a fresh reader after the writer's restart"
it_log "the writer goes on across a compaction; readers get every row once: ok"

#!/usr/bin/env bash
#
# s3_big — one large CSV object (SIZE_MB, default 10240: the issue's 10 GB;
# the stress suite runs it) in s3rver on loopback, read by the file source
# with two ingest threads (the object cut into two parts by byte range, each
# read by ranged GETs of 4 MiB): count and sums exact, and the process's
# peak memory bounded whatever the object's size (under PEAK_MB, default
# 1024: the rings, the batches and the GET buffers, not the object).
# s3rver cannot complete a multipart upload of 10 GB (its CompleteMultipart
# answers 500 after minutes of concatenating the parts), so the object is
# written straight into its store, as the file s3rver serves for the key
# (KEY._S3rver_object, with its .md5 so that a HEAD need not hash it).

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require awk timeout
SIZE_MB=${SIZE_MB:-10240}
PEAK_MB=${PEAK_MB:-1024}
it_s3_start bkt
cd "$IT_TMP" || exit 1

# rows "r<i>,<i % 1000>,<i % 7>.5" until SIZE_MB MiB, into s3rver's store;
# the expected answer computed by awk as it writes
mkdir -p "$S3_DIR/bkt/in"
obj=$S3_DIR/bkt/in/big.csv._S3rver_object
awk -v want=$((SIZE_MB * 1048576)) -v out="$obj" -v ans=want.txt 'BEGIN {
	print "name,n,x" >out
	bytes = 8
	for (i = 0; bytes < want; i++) {
		line = "r" i "," (i % 1000) "," (i % 7) ".5"
		print line >out
		bytes += length(line) + 1
		s += i % 1000
		x += (i % 7) + 0.5
	}
	printf "%d|%.0f|%.1f\n", i, s, x >ans
}' || it_fail "generating the object failed"
printf '%032x' "$SIZE_MB" >"$obj.md5"
it_s3 ls s3://bkt/in/ | grep -q "^in/big.csv	$(stat -c %s "$obj")	" ||
	it_fail "s3rver does not list the object: $(it_s3 ls s3://bkt/in/)"
it_log "object: $(stat -c %s "$obj") bytes, $(cut -d'|' -f1 want.txt) rows"

cat >q.sql <<EOF
CREATE SOURCE o (name STRING, n INT, x DOUBLE)
  WITH (connector = 'file', path = 's3://bkt/in/', format = 'csv', header = true,
        s3.endpoint = '$S3_ENDPOINT', s3.path_style = true);
CREATE SINK c WITH (connector = 'console', output_mode = 'complete', trigger = 'available_now')
AS SELECT count(*) AS rows, sum(n) AS s, sum(x) AS x FROM o;
EOF
timeout 3600 "$SLUICE" run --no-socket --stats --ingest-cores 0,1 q.sql >q.out 2>q.err ||
	{ cat q.err >&2; it_fail "sluice failed reading the object"; }
got=$(it_console_rows q.out | awk -F'|' '{ printf "%s|%s|%.1f\n", $2, $3, $4 }')
[[ $got == "$(cat want.txt)" ]] || { cat q.out >&2; it_fail "read $got, wanted $(cat want.txt)"; }
peak=$(it_stat q.err peak_rss_kb)
((peak < PEAK_MB * 1024)) || it_fail "peak memory $((peak / 1024)) MiB reading a $SIZE_MB MiB object (bound: $PEAK_MB MiB)"
it_log "$SIZE_MB MiB object, 2 ingest threads: $got exact, peak memory $((peak / 1024)) MiB, $(it_stat q.err elapsed_s) s"
it_log "ok"

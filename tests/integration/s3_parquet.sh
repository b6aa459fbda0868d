#!/usr/bin/env bash
#
# s3_parquet — format = 'parquet' on s3:// paths, against s3rver on loopback:
#   - the file sink writes Parquet objects to a bucket; one larger than
#     s3.part_size goes up as a multipart upload (counted at a logging
#     proxy); DuckDB, when tools/.duckdb/ has it, reads the objects and
#     finds the input's rows;
#   - the file source reads those objects back with two ingest threads
#     (an object over 4 MiB is split in two parts, each reading the row
#     groups whose middle byte it holds, through ranged GETs): every row
#     once;
#   - an object whose every GET is cut off stops the query with the object
#     and what to do, in the default mode PERMISSIVE too: a read that fails
#     says nothing of the file's rows, so they are not skipped as malformed.

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require awk timeout
it_s3_start bkt
cd "$IT_TMP" || exit 1

n=1200000
mkdir in
awk -v n="$n" 'BEGIN { print "id,name,v"; for (i = 0; i < n; i++) printf "%d,row-%d,%d.25\n", i, i * 7, i % 1000 }' >in/big.csv
# the expected answer of the read-back query
want=$(awk -F, 'NR > 1 { c++; s += $1; l += length($2); v += $3 } END { printf "%.0f|%.0f|%.0f|%.2f", c, s, l, v }' in/big.csv)

run_sql() {
	local name=$1 want_rc=${2:-0} rc
	timeout 180 "$SLUICE" run --no-socket "${@:3}" "$name.sql" >"$name.out" 2>"$name.err"
	rc=$?
	((rc == 124)) && it_fail "$name: sluice still ran after 180 s"
	((rc == want_rc)) || { cat "$name.err" >&2; it_fail "$name: sluice exited $rc (expected $want_rc)"; }
}

# --- the sink: Parquet objects, one of them a multipart upload ------------------
it_s3_proxy log=1
cat >w.sql <<EOF
CREATE SOURCE src (id INT, name STRING, v DOUBLE)
  WITH (connector = 'file', path = 'in/', format = 'csv', header = true);
CREATE SINK o WITH (connector = 'file', path = 's3://bkt/pq', format = 'parquet',
  parquet.row_group_size = '1M', s3.part_size = '5M', trigger = 'available_now',
  s3.endpoint = '$PROXY_ENDPOINT', s3.path_style = true)
AS SELECT id, name, v FROM src;
EOF
run_sql w
it_s3 ls s3://bkt/pq/ >ls.out || it_fail "cannot list s3://bkt/pq/"
grep -q '^pq/part-[^	]*\.parquet' ls.out || { cat ls.out >&2; it_fail "no part-*.parquet object under s3://bkt/pq/"; }
grep -q '^pq/_sluice_log/0' ls.out || { cat ls.out >&2; it_fail "no commit log entry for the batch"; }
parts=$(grep -c '^req PUT .*partNumber=' "$PROXY_LOG")
((parts >= 2)) || it_fail "the Parquet object went up in $parts parts (s3.part_size 5M: expected several): $(cat ls.out)"
grep -q '^req POST .*uploadId=' "$PROXY_LOG" || it_fail "no multipart upload was completed"
it_log "sink: $(grep -c parquet ls.out) Parquet object(s), a multipart upload of $parts parts"

if [[ -f $SRCDIR/tools/.duckdb/node_modules/@duckdb/node-api/package.json ]] && command -v node >/dev/null; then
	mkdir dl
	for k in $(awk -F'\t' '$1 ~ /\.parquet$/ { print $1 }' ls.out); do
		it_s3 cat "s3://bkt/$k" >"dl/$(basename "$k")" || it_fail "cannot download $k"
	done
	got=$(node "$SRCDIR/tests/integration/parquet_duckdb.mjs" sql \
		"SELECT count(*)::VARCHAR || '|' || sum(id)::VARCHAR || '|' || sum(length(name))::VARCHAR || '|' || printf('%.2f', sum(v)) FROM 'dl/*.parquet'") ||
		it_fail "DuckDB failed"
	[[ $got == "[\"$want\"]" ]] || it_fail "DuckDB reads $got from the sink's objects, wanted $want"
	it_log "DuckDB reads the objects: $got"
else
	it_log "DuckDB is not in tools/.duckdb/: the objects are checked by sluice's reader only"
fi

# --- the source: the objects read back by two ingest threads ----------------------
cat >r.sql <<EOF
CREATE SOURCE pq (id INT, name STRING, v DOUBLE)
  WITH (connector = 'file', path = 's3://bkt/pq/', format = 'parquet',
        s3.endpoint = '$S3_ENDPOINT', s3.path_style = true);
CREATE SINK o WITH (connector = 'console', output_mode = 'complete', trigger = 'available_now')
AS SELECT count(*) AS c, sum(id) AS s, sum(length(name)) AS l, sum(v) AS v FROM pq;
EOF
run_sql r 0 --ingest-cores 0,1
got=$(awk -F'|' '/^\|/ && $2 !~ /c/ { gsub(/ /, ""); print $2 "|" $3 "|" $4 "|" sprintf("%.2f", $5) }' r.out | tail -n 1)
[[ $got == "$want" ]] || { cat r.out >&2; it_fail "the source read $got from the objects, wanted $want"; }
it_log "source, 2 ingest threads: $got"

# --- a read that fails stops the query, PERMISSIVE or not -----------------------
key=$(awk -F'\t' '$1 ~ /\.parquet$/ { print $1; exit }' ls.out)
it_s3_proxy "cut=$key:all"
sed "s#'$S3_ENDPOINT'#'$PROXY_ENDPOINT'#" r.sql >cut.sql
timeout 180 "$SLUICE" run --no-socket cut.sql >cut.out 2>cut.err
rc=$?
((rc != 0 && rc != 124)) || { cat cut.err >&2; it_fail "cut: sluice exited $rc, expected a failure"; }
grep -q "reading 's3://bkt/$key' failed" cut.err || grep -q "'s3://bkt/$key'" cut.err ||
	{ cat cut.err >&2; it_fail "cut: the error does not name the object"; }
grep -q "counted as malformed" cut.err && { cat cut.err >&2; it_fail "cut: rows that could not be read were counted as malformed"; }
it_log "a cut object stops the query: $(grep -m1 -o "reading .*failed[^;]*" cut.err | cut -c1-160)"

it_log "ok"

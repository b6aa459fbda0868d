#!/usr/bin/env bash
#
# s3_vhost — virtual-hosted addressing (s3.path_style = false, the default,
# as AWS wants it): requests go to http://BUCKET.ENDPOINT-HOST/KEY. s3rver
# runs with --service-endpoint localhost, so it takes the bucket from a
# Host of BUCKET.s3.localhost, and libcurl resolves any *.localhost name to
# the loopback address without DNS. Through a logging proxy:
#   - the file source lists and reads CSV objects and the file sink writes
#     its objects and commit log, every request to bkt.s3.localhost with a
#     path that holds no bucket; the rows read back (path-style, straight
#     from the server) are the input's, each once;
#   - a bucket that does not exist is refused by name, as with path-style.

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require awk sort timeout
IT_S3RVER_OPTS="--service-endpoint localhost" it_s3_start bkt
cd "$IT_TMP" || exit 1

for f in a b c; do
	{
		echo "name,n"
		awk -v nm="$f" 'BEGIN { for (i = 1; i <= 100; i++) print nm "," i }'
	} >"$f.csv"
	it_s3 put "s3://bkt/in/$f.csv" "$f.csv" || it_fail "upload of $f.csv failed"
done
it_s3_proxy log=1
VHOST=http://s3.localhost:$PROXY_PORT

sql() {
	cat >"$1.sql" <<EOF
CREATE SOURCE objs (name STRING, n INT)
  WITH (connector = 'file', path = 's3://$2/in/', format = 'csv', header = true,
        s3.endpoint = '$VHOST', s3.path_style = false);
CREATE SINK out WITH (connector = 'file', path = 's3://$2/out', format = 'csv', trigger = 'available_now',
                      checkpoint = '$IT_TMP/ck-$1', s3.endpoint = '$VHOST')
AS SELECT name, n FROM objs;
EOF
}

sql vh bkt
timeout 90 "$SLUICE" run --no-socket vh.sql >vh.out 2>vh.err || { cat vh.err >&2; it_fail "sluice failed over virtual-hosted addressing"; }

# every request of sluice's: to the bucket's host, no bucket in the path
reqs=$(grep -c '^req ' "$PROXY_LOG")
((reqs >= 8)) || it_fail "only $reqs requests reached the proxy: $(cat "$PROXY_LOG")"
grep '^req ' "$PROXY_LOG" | grep -v " host=bkt\.s3\.localhost:$PROXY_PORT\$" | head -n 3 >other.txt
[[ -s other.txt ]] && it_fail "requests not to bkt.s3.localhost: $(cat other.txt)"
grep -q '^req [A-Z]* /bkt' "$PROXY_LOG" && it_fail "a request put the bucket in the path: $(grep -m1 '^req [A-Z]* /bkt' "$PROXY_LOG")"
grep -q '^req GET /in/a.csv' "$PROXY_LOG" || it_fail "no ranged GET of /in/a.csv: $(head -n 5 "$PROXY_LOG")"
grep -q '^req PUT /out/_sluice_log/0 ' "$PROXY_LOG" || it_fail "no PUT of /out/_sluice_log/0: $(grep '^req PUT' "$PROXY_LOG" | head -n 3)"
it_log "$reqs requests, all to bkt.s3.localhost with the key as the path: ok"

# the sink's objects, read back path-style straight from the server
it_s3 ls s3://bkt/out/ >ls.out || it_fail "cannot list s3://bkt/out/"
for k in $(awk -F'\t' '$1 ~ /\.csv$/ { print $1 }' ls.out); do
	it_s3 cat "s3://bkt/$k" || it_fail "cannot read $k"
done | sort >got.txt
cat a.csv b.csv c.csv | grep -v '^name,n$' | sort >want.txt
it_same want.txt got.txt "the rows the sink wrote over virtual-hosted addressing"
it_log "300 rows read and written back, each once: ok"

sql nob nobucket
timeout 60 "$SLUICE" run --no-socket nob.sql >nob.out 2>nob.err && it_fail "a missing bucket was accepted"
grep -q "bucket 'nobucket' does not exist" nob.err || { cat nob.err >&2; it_fail "the missing bucket's error does not name it"; }
it_log "a missing bucket: refused by name: ok"
it_log "ok"

#!/usr/bin/env bash
#
# s3_faults — the file source on s3:// when the bucket or the server
# misbehaves (s3rver on loopback, and tests/integration/s3_proxy.mjs in
# front of it to inject faults):
#   - wrong credentials (403): the query does not start, the error names the
#     bucket and says to check the credentials, and never holds the secret
#     (from the environment or from s3.secret_key);
#   - a bucket that does not exist: the error names it and says so;
#   - an object deleted between the listing and its read: counted
#     (files_skipped), warned about by name, the rest read exactly;
#   - the connection cut mid-object twice: retried, the exact result;
#   - the connection cut mid-object every time: after the retries the query
#     fails naming the object, and the epoch is never committed (the file
#     sink holds no row of that object);
#   - throttling (503 SlowDown on every third request): backed off, the
#     exact result.

# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
it_require_sluice
it_require awk sort timeout python3
it_s3_start bkt

obj() {
	{
		echo "name,n"
		awk -v nm="$2" -v n="$3" 'BEGIN { for (i = 1; i <= n; i++) print nm "," i }'
	} | it_s3 put "s3://bkt/$1" - || it_fail "upload of $1 failed"
}

# q NAME PATH ENDPOINT OPTIONS: count and sum of n per name, complete mode
q() {
	cat >"$IT_TMP/$1.sql" <<SQL
CREATE SOURCE objs (name STRING, n INT)
  WITH (connector = 'file', path = '$2', format = 'csv', header = true,
        s3.endpoint = '$3', s3.path_style = true $4);
CREATE SINK out WITH (connector = 'console', output_mode = 'complete', trigger = 'available_now')
AS SELECT name, count(*) AS c, sum(n) AS s FROM objs GROUP BY name ORDER BY name;
SQL
}

run() {
	local name=$1
	shift
	timeout 90 "$SLUICE" run --no-socket --stats "$IT_TMP/$name.sql" "$@" >"$IT_TMP/$name.out" 2>"$IT_TMP/$name.err"
}

for i in 1 2 3 4; do obj "in/o$i.csv" "o$i" $((i * 10)); done
# the expected table: o1..o4, count i*10, sum of 1..i*10
for i in 1 2 3 4; do k=$((i * 10)); printf 'o%s\t%s\t%s\n' "$i" "$k" $((k * (k + 1) / 2)); done >"$IT_TMP/want"

# --- wrong credentials --------------------------------------------------------
SECRET=very-secret-value-4711
q creds "s3://bkt/in/" "$S3_ENDPOINT" ""
AWS_ACCESS_KEY_ID=AKWRONG AWS_SECRET_ACCESS_KEY=$SECRET run creds
rc=$?
((rc != 0)) || it_fail "wrong credentials: sluice exited 0"
grep -q "s3://bkt/" "$IT_TMP/creds.err" || { cat "$IT_TMP/creds.err" >&2; it_fail "wrong credentials: the error does not name the bucket"; }
grep -q "access denied" "$IT_TMP/creds.err" || { cat "$IT_TMP/creds.err" >&2; it_fail "wrong credentials: the error does not say access denied"; }
grep -q "AWS_ACCESS_KEY_ID" "$IT_TMP/creds.err" || it_fail "wrong credentials: the error does not say where the credentials came from"
grep -q -- "$SECRET" "$IT_TMP/creds.err" "$IT_TMP/creds.out" && it_fail "wrong credentials: the secret key was printed"
# from the options: the same, and the secret is not printed either
q creds2 "s3://bkt/in/" "$S3_ENDPOINT" ", s3.access_key = 'AKWRONG2', s3.secret_key = '$SECRET'"
run creds2
rc=$?
((rc != 0)) || it_fail "wrong credentials (options): sluice exited 0"
grep -q "s3.access_key / s3.secret_key" "$IT_TMP/creds2.err" || { cat "$IT_TMP/creds2.err" >&2; it_fail "wrong credentials (options): the error does not name the options"; }
grep -q -- "$SECRET" "$IT_TMP/creds2.err" "$IT_TMP/creds2.out" && it_fail "wrong credentials (options): the secret key was printed"
it_log "wrong credentials: refused, bucket named, secret never printed: ok"

# --- a bucket that does not exist ----------------------------------------------
q nobucket "s3://no-such-bucket/in/" "$S3_ENDPOINT" ""
run nobucket
rc=$?
((rc != 0)) || it_fail "missing bucket: sluice exited 0"
grep -q "bucket 'no-such-bucket' does not exist" "$IT_TMP/nobucket.err" || { cat "$IT_TMP/nobucket.err" >&2; it_fail "missing bucket: the error does not say so"; }
it_log "a bucket that does not exist: ok"

# --- an object deleted between listing and reading ---------------------------
obj gone/a.csv a 5
obj gone/b.csv b 6
obj gone/c.csv c 7
it_s3_proxy delete=gone/b.csv
q gone "s3://bkt/gone/" "$PROXY_ENDPOINT" ", max_files_per_trigger = 1"
run gone || { cat "$IT_TMP/gone.err" >&2; it_fail "deleted object: sluice failed"; }
grep -q '^delete' "$PROXY_LOG" || it_fail "deleted object: the proxy deleted nothing"
it_last_table "$IT_TMP/gone.out" >"$IT_TMP/gone.got"
printf 'a\t5\t15\nc\t7\t28\n' >"$IT_TMP/gone.want"
it_same "$IT_TMP/gone.want" "$IT_TMP/gone.got" "deleted object: the other objects' rows"
[[ $(it_stat "$IT_TMP/gone.err" files_skipped) == 1 ]] || it_fail "deleted object: files_skipped is not 1"
grep -q "s3://bkt/gone/b.csv' vanished" "$IT_TMP/gone.err" || { cat "$IT_TMP/gone.err" >&2; it_fail "deleted object: no warning naming it"; }
kill "$PROXY_PID"
# gone before its read starts (the HEAD that begins a work item finds it gone)
it_s3 ls s3://bkt/gone/ | grep -q gone/b.csv && it_fail "b.csv is still there"
obj gone/b.csv b 6
rm -rf "$IT_TMP/ck-gone2"
it_s3_proxy deletehead=gone/c.csv
q gone2 "s3://bkt/gone/" "$PROXY_ENDPOINT" ", max_files_per_trigger = 1"
run gone2 || { cat "$IT_TMP/gone2.err" >&2; it_fail "deleted object (HEAD): sluice failed"; }
grep -q '^delete' "$PROXY_LOG" || it_fail "deleted object (HEAD): the proxy deleted nothing"
it_last_table "$IT_TMP/gone2.out" >"$IT_TMP/gone2.got"
printf 'a\t5\t15\nb\t6\t21\n' >"$IT_TMP/gone2.want"
it_same "$IT_TMP/gone2.want" "$IT_TMP/gone2.got" "deleted object (HEAD): the other objects' rows"
[[ $(it_stat "$IT_TMP/gone2.err" files_skipped) == 1 ]] || it_fail "deleted object (HEAD): files_skipped is not 1"
grep -q "s3://bkt/gone/c.csv' vanished" "$IT_TMP/gone2.err" || { cat "$IT_TMP/gone2.err" >&2; it_fail "deleted object (HEAD): no warning naming it"; }
kill "$PROXY_PID"
it_log "an object deleted between listing and reading: counted, warned, skipped: ok"

# --- the connection cut mid-object: retried ---------------------------------
it_s3_proxy cut=in/o3.csv:2
q cut "s3://bkt/in/" "$PROXY_ENDPOINT" ", s3.retry_backoff = '10 ms'"
run cut || { cat "$IT_TMP/cut.err" >&2; it_fail "cut twice: sluice failed"; }
[[ $(grep -c '^cut' "$PROXY_LOG") == 2 ]] || it_fail "cut twice: the proxy cut $(grep -c '^cut' "$PROXY_LOG") times"
it_last_table "$IT_TMP/cut.out" >"$IT_TMP/cut.got"
it_same "$IT_TMP/want" "$IT_TMP/cut.got" "cut twice, retried: the result"
kill "$PROXY_PID"
it_log "the connection cut mid-object twice: retried, exact: ok"

# --- the connection cut every time: the epoch fails, nothing of it counts -----
obj fail/a.csv a 5
sleep 1.1
obj fail/b.csv b 6
it_s3_proxy cut=fail/b.csv:all
cat >"$IT_TMP/fail.sql" <<SQL
CREATE SOURCE objs (name STRING, n INT)
  WITH (connector = 'file', path = 's3://bkt/fail/', format = 'csv', header = true,
        max_files_per_trigger = 1, s3.endpoint = '$PROXY_ENDPOINT', s3.path_style = true,
        s3.retries = 2, s3.retry_backoff = '10 ms');
CREATE SINK out WITH (connector = 'file', path = '$IT_TMP/fail-out', format = 'csv',
                      checkpoint = '$IT_TMP/fail-ck', trigger = 'available_now')
AS SELECT name, n FROM objs;
SQL
run fail
rc=$?
((rc != 0)) || it_fail "cut every time: sluice exited 0"
grep -q "s3://bkt/fail/b.csv" "$IT_TMP/fail.err" || { cat "$IT_TMP/fail.err" >&2; it_fail "cut every time: the error does not name the object"; }
(($(grep -c '^cut' "$PROXY_LOG") == 3)) || it_fail "cut every time: $(grep -c '^cut' "$PROXY_LOG") attempts (expected 1 + 2 retries)"
it_sink_rows "$IT_TMP/fail-out" | sort >"$IT_TMP/fail.got"
printf 'a,%s\n' 1 2 3 4 5 | sort >"$IT_TMP/fail.want"
it_same "$IT_TMP/fail.want" "$IT_TMP/fail.got" "cut every time: the sink's committed rows (a's only, nothing of b)"
kill "$PROXY_PID"
it_log "the connection cut every time: the query fails naming the object, nothing of it committed: ok"

# --- a server that stops answering: timed out, retried, then the query fails -----
it_s3_proxy stall=in/o2.csv
q stall "s3://bkt/in/" "$PROXY_ENDPOINT" ", s3.timeout = '1 second', s3.retries = 1, s3.retry_backoff = '10 ms'"
SECONDS=0
run stall
rc=$?
((rc != 0)) || it_fail "stalled server: sluice exited 0"
((SECONDS < 30)) || it_fail "stalled server: $SECONDS s before the query failed (s3.timeout 1 s, 1 retry)"
(($(grep -c '^stall' "$PROXY_LOG") == 2)) || it_fail "stalled server: $(grep -c '^stall' "$PROXY_LOG") attempts (expected 1 + 1 retry)"
grep -q "s3://bkt/in/o2.csv.*raise s3.timeout" "$IT_TMP/stall.err" || { cat "$IT_TMP/stall.err" >&2; it_fail "stalled server: the error does not name the object and s3.timeout"; }
kill "$PROXY_PID"
it_log "a server that stops answering: timed out after s3.timeout, retried, the query fails naming the object: ok"

# --- throttling ----------------------------------------------------------------
it_s3_proxy slowdown=3
q slow "s3://bkt/in/" "$PROXY_ENDPOINT" ", max_files_per_trigger = 1, s3.retry_backoff = '10 ms'"
run slow || { cat "$IT_TMP/slow.err" >&2; it_fail "throttling: sluice failed"; }
n=$(grep -c '^slowdown' "$PROXY_LOG")
((n >= 2)) || it_fail "throttling: the proxy answered SlowDown only $n times"
it_last_table "$IT_TMP/slow.out" >"$IT_TMP/slow.got"
it_same "$IT_TMP/want" "$IT_TMP/slow.got" "throttled: the result"
it_log "throttling (503 SlowDown $n times): backed off, exact: ok"

# --- the secret of s3.secret_key is never shown ---------------------------------
# (s3rver checks the access key id only, so any secret is taken)
SECRET2=option-secret-0815
SOCK=$IT_TMP/ctl.sock
SLUICECTL=$(dirname "$SLUICE")/sluicectl
cat >"$IT_TMP/shown.sql" <<SQL
CREATE SOURCE objs (name STRING, n INT)
  WITH (connector = 'file', path = 's3://bkt/in/', format = 'csv', header = true,
        s3.endpoint = '$S3_ENDPOINT', s3.path_style = true,
        s3.access_key = 'S3RVER', s3.secret_key = '$SECRET2');
CREATE SINK shown WITH (connector = 'console', output_mode = 'complete', checkpoint = '$IT_TMP/shown-ck')
AS SELECT name, count(*) AS c, sum(n) AS s FROM objs GROUP BY name ORDER BY name;
SQL
"$SLUICE" run --socket "$SOCK" --stats "$IT_TMP/shown.sql" >"$IT_TMP/shown.out" 2>"$IT_TMP/shown.err" &
SHOWN=$!
it_track "$SHOWN"
for ((i = 0; i < 300; i++)); do
	[[ $(it_last_table "$IT_TMP/shown.out" | wc -l) == 4 ]] && break
	kill -0 "$SHOWN" 2>/dev/null || { cat "$IT_TMP/shown.err" >&2; it_fail "secret: sluice exited"; }
	sleep 0.1
done
it_last_table "$IT_TMP/shown.out" >"$IT_TMP/shown.got"
it_same "$IT_TMP/want" "$IT_TMP/shown.got" "credentials from options: the result"
{
	"$SLUICECTL" --socket "$SOCK" list
	"$SLUICECTL" --socket "$SOCK" status shown
	"$SLUICECTL" --socket "$SOCK" --json status shown
	"$SLUICECTL" --socket "$SOCK" progress shown
	"$SLUICECTL" --socket "$SOCK" explain "$IT_TMP/shown.sql"
} >"$IT_TMP/shown.ctl" 2>&1
grep -q "s3.secret_key = '\*\*\*" "$IT_TMP/shown.ctl" || { cat "$IT_TMP/shown.ctl" >&2; it_fail "secret: status does not show the query's text with the secret starred out"; }
kill -INT "$SHOWN"
wait "$SHOWN" || { cat "$IT_TMP/shown.err" >&2; it_fail "secret: sluice did not exit 0"; }
grep -rl -- "$SECRET2" "$IT_TMP/shown.out" "$IT_TMP/shown.err" "$IT_TMP/shown.ctl" "$IT_TMP/shown-ck" &&
	it_fail "the secret of s3.secret_key appears in the output, the control replies or the checkpoint"
it_log "s3.secret_key: never in logs, status, progress, explain or the checkpoint: ok"

/*
 * test_s3.c — the S3 client's pure parts: SigV4 signing against AWS's
 * published examples (the expected strings are AWS's, copied from the
 * documentation, not produced by this code), URI encoding, the XML walker
 * and the answers read through it (ListObjectsV2 pages, errors), times,
 * s3:// paths, and the settings taken from options and the environment
 * (whose errors never hold the secret).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "s3.h"
#include "source.h"

#define EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* AWS S3 API reference, "Signature Calculations for the Authorization
 * Header: Transferring Payload in a Single Chunk", Example: GET Object. */
Test(s3, sign_aws_get_object_example)
{
	struct sl_s3_kv h[] = {
		{"Host", "examplebucket.s3.amazonaws.com"},
		{"Range", "bytes=0-9"},
		{"x-amz-content-sha256", EMPTY},
		{"x-amz-date", "20130524T000000Z"},
	};
	struct sl_s3_sign_req r = {.method = "GET", .path = "/test.txt", .headers = h, .nheaders = 4,
				   .payload_hash = EMPTY, .amz_date = "20130524T000000Z",
				   .region = "us-east-1", .service = "s3",
				   .access_key = "AKIAIOSFODNN7EXAMPLE",
				   .secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"};
	char auth[512], creq[2048], sts[512];
	cr_assert_eq(sl_s3_sign(&r, auth, sizeof(auth), creq, sizeof(creq), sts, sizeof(sts)), 0);
	cr_expect_str_eq(creq, "GET\n/test.txt\n\n"
			       "host:examplebucket.s3.amazonaws.com\n"
			       "range:bytes=0-9\n"
			       "x-amz-content-sha256:" EMPTY "\n"
			       "x-amz-date:20130524T000000Z\n\n"
			       "host;range;x-amz-content-sha256;x-amz-date\n" EMPTY);
	cr_expect_str_eq(sts, "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
			      "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
	cr_expect_str_eq(auth,
			 "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
			 "aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
			 "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

/* AWS SigV4 test suite, get-vanilla-query-order-key-case: the query's
 * parameters are sorted. */
Test(s3, sign_aws_test_suite_query_order)
{
	struct sl_s3_kv q[] = {{"Param2", "value2"}, {"Param1", "value1"}};
	struct sl_s3_kv h[] = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
	struct sl_s3_sign_req r = {.method = "GET", .path = "/", .query = q, .nquery = 2,
				   .headers = h, .nheaders = 2, .payload_hash = EMPTY,
				   .amz_date = "20150830T123600Z", .region = "us-east-1",
				   .service = "service", .access_key = "AKIDEXAMPLE",
				   .secret_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"};
	char auth[512], creq[1024];
	cr_assert_eq(sl_s3_sign(&r, auth, sizeof(auth), creq, sizeof(creq), NULL, 0), 0);
	cr_expect_str_eq(creq, "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\n"
			       "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" EMPTY);
	cr_expect(strstr(auth, "Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request,") !=
		  NULL, "%s", auth);
	cr_expect(strstr(auth, "SignedHeaders=host;x-amz-date,") != NULL, "%s", auth);
	cr_expect(strstr(auth, "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94"
			       "cdf2500") != NULL, "%s", auth);
	cr_expect(strstr(auth, "wJalr") == NULL);
}

Test(s3, sha256_and_uri_encode)
{
	char h[65];
	sl_s3_sha256_hex("", 0, h);
	cr_expect_str_eq(h, EMPTY);
	char out[64];
	cr_expect_eq(sl_s3_uri_encode("a b/c~d+é", strlen("a b/c~d+é"), true, out, sizeof(out)), 18);
	cr_expect_str_eq(out, "a%20b/c~d%2B%C3%A9");
	sl_s3_uri_encode("a/b", 3, false, out, sizeof(out));
	cr_expect_str_eq(out, "a%2Fb");
	cr_expect_eq(sl_s3_uri_encode("abcdef", 6, false, out, 4), -1);
}

static const char list_doc[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
	"<Name>b</Name><Prefix>in/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys>"
	"<IsTruncated>true</IsTruncated>"
	"<Contents><Key>in/a&amp;b.csv</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified>"
	"<ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag><Size>434234</Size>"
	"<StorageClass>STANDARD</StorageClass></Contents>"
	"<Contents><Key>in/&#233;t&#xE9;.csv</Key><LastModified>2024-02-29T00:00:01.5Z</LastModified>"
	"<Size>0</Size><Owner><ID>x</ID></Owner></Contents>"
	"<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
	"</ListBucketResult>";

Test(s3, list_page)
{
	struct sl_s3_page p = {0};
	cr_assert_eq(sl_s3xml_list(list_doc, strlen(list_doc), &p), 0);
	cr_assert_eq(p.n, 2);
	cr_expect_str_eq(sl_s3_page_key(&p, 0), "in/a&b.csv");
	cr_expect_eq(p.v[0].size, 434234);
	cr_expect_eq(p.v[0].mtime_ms, 1255369830000LL);
	cr_expect_str_eq(sl_s3_page_key(&p, 1), "in/\xc3\xa9t\xc3\xa9.csv");
	cr_expect_eq(p.v[1].size, 0);
	cr_expect_eq(p.v[1].mtime_ms, 1709164801500LL);
	cr_expect(p.truncated);
	cr_expect_str_eq(p.next_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
	/* the page is reused: a second document replaces the first */
	const char *last = "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>z</Key>"
			   "<Size>7</Size></Contents></ListBucketResult>";
	cr_assert_eq(sl_s3xml_list(last, strlen(last), &p), 0);
	cr_expect_eq(p.n, 1);
	cr_expect_str_eq(sl_s3_page_key(&p, 0), "z");
	cr_expect(!p.truncated);
	sl_s3_page_free(&p);
}

Test(s3, list_refuses_malformed)
{
	static const char *bad[] = {
		"<ListBucketResult><Contents><Key>a</Key></Contents>",            /* unclosed */
		"<ListBucketResult><Contents><Key>a</Size></Contents></ListBucketResult>",
		"<ListBucketResult><Contents><Key>a</Key><Size>12x</Size></Contents></ListBucketResult>",
		"<ListBucketResult><Contents><Key>a</Key><Size>99999999999999999999</Size></Contents>"
		"</ListBucketResult>",
		"<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>", /* no token */
		"<ListBucketResult><Contents><Key>a&bogus;</Key></Contents></ListBucketResult>",
		"<ListBucketResult><Contents><Key>&#0;</Key></Contents></ListBucketResult>",
		"<ListBucketResult><Contents><Key>&#xD800;</Key></Contents></ListBucketResult>",
		"<Error><Code>x</Code></Error>",
		"<a><b><c><d><e><f><g><h><i><j><k><l><m><n><o><p><q>x</q></p></o></n></m></l></k></j>"
		"</i></h></g></f></e></d></c></b></a>",
		"",
		"text",
		"<ListBucketResult></ListBucketResult><ListBucketResult></ListBucketResult>",
		"<ListBucketResult><Contents><Key>a</Key><LastModified>yesterday</LastModified>"
		"</Contents></ListBucketResult>",
	};
	struct sl_s3_page p = {0};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_lt(sl_s3xml_list(bad[i], strlen(bad[i]), &p), 0, "case %zu: %s", i, bad[i]);
	sl_s3_page_free(&p);
}

Test(s3, error_document)
{
	const char *d = "<?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code>"
			"<Message>The specified bucket does not exist</Message>"
			"<BucketName>nope</BucketName></Error>";
	char code[64], msg[128];
	cr_assert_eq(sl_s3xml_error(d, strlen(d), code, sizeof(code), msg, sizeof(msg)), 0);
	cr_expect_str_eq(code, "NoSuchBucket");
	cr_expect_str_eq(msg, "The specified bucket does not exist");
	const char *other = "<CopyObjectResult><ETag>x</ETag></CopyObjectResult>";
	cr_expect_eq(sl_s3xml_error(other, strlen(other), code, sizeof(code), msg, sizeof(msg)),
		     -ENOENT);
	const char *up = "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>"
			 "<UploadId><![CDATA[VXBsb2FkIElE]]></UploadId></InitiateMultipartUploadResult>";
	char id[64];
	cr_assert_eq(sl_s3xml_find(up, strlen(up), "UploadId", id, sizeof(id)), 0);
	cr_expect_str_eq(id, "VXBsb2FkIElE");
}

Test(s3, times)
{
	int64_t ms;
	cr_assert_eq(sl_s3_parse_time("1970-01-01T00:00:00Z", 20, &ms), 0);
	cr_expect_eq(ms, 0);
	cr_assert_eq(sl_s3_parse_time("2026-11-30T16:30:00.123Z", 24, &ms), 0);
	cr_expect_eq(ms, 1796056200123LL);
	cr_expect_lt(sl_s3_parse_time("2026-13-30T16:30:00Z", 20, &ms), 0);
	cr_expect_lt(sl_s3_parse_time("2026-11-30T16:30:00", 19, &ms), 0);
	cr_expect_lt(sl_s3_parse_time("2026-11-30 16:30:00Z", 20, &ms), 0);
}

Test(s3, urls)
{
	char b[64], p[256], err[256];
	cr_assert_eq(sl_s3_parse_url("s3://retail-landing/sales/", b, sizeof(b), p, sizeof(p), err,
				     sizeof(err)), 0);
	cr_expect_str_eq(b, "retail-landing");
	cr_expect_str_eq(p, "sales/");
	cr_assert_eq(sl_s3_parse_url("s3://bkt", b, sizeof(b), p, sizeof(p), err, sizeof(err)), 0);
	cr_expect_str_eq(p, "");
	cr_expect_lt(sl_s3_parse_url("s3://x/a", b, sizeof(b), p, sizeof(p), err, sizeof(err)), 0);
	cr_expect(strstr(err, "bucket") != NULL, "%s", err);
	cr_expect_lt(sl_s3_parse_url("s3://Upper/a", b, sizeof(b), p, sizeof(p), err, sizeof(err)), 0);
}

static struct sl_option opt(const char *k, const char *v)
{
	return (struct sl_option){.key = (char *)k, .value = (char *)v, .line = 1, .column = 2};
}

Test(s3, conf_from_options_and_environment)
{
	unsetenv("AWS_REGION");
	unsetenv("AWS_DEFAULT_REGION");
	setenv("AWS_ACCESS_KEY_ID", "AKENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "env-secret-value", 1);
	unsetenv("AWS_SESSION_TOKEN");
	struct sl_s3_conf c;
	char err[512] = "";
	struct sl_options none = {0};
	cr_assert_eq(sl_s3_conf_parse(&c, &none, NULL, err, sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(c.host, "s3.us-east-1.amazonaws.com");
	cr_expect_str_eq(c.scheme, "https");
	cr_expect_str_eq(c.access_key, "AKENV");
	cr_expect(c.creds_from_env);
	cr_expect(!c.path_style);

	struct sl_option v[] = {opt("s3.endpoint", "http://127.0.0.1:4569"),
				opt("s3.region", "eu-west-1"), opt("s3.path_style", "true"),
				opt("s3.access_key", "AKOPT"), opt("s3.secret_key", "opt-secret"),
				opt("s3.full_list_interval", "1 minute"), opt("s3.retries", "3")};
	struct sl_options o = {.v = v, .n = 7};
	static const char *const own[] = {"s3.full_list_interval", NULL};
	cr_assert_eq(sl_s3_conf_parse(&c, &o, own, err, sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(c.host, "127.0.0.1:4569");
	cr_expect_str_eq(c.scheme, "http");
	cr_expect_str_eq(c.region, "eu-west-1");
	cr_expect(c.path_style);
	cr_expect_str_eq(c.access_key, "AKOPT");
	cr_expect_str_eq(c.secret_key, "opt-secret");
	cr_expect(!c.creds_from_env);
	cr_expect_eq(c.retries, 3);

	/* unknown key, bad endpoint, half the credentials: refused, and no
	 * message holds the secret */
	struct sl_option b1[] = {opt("s3.secret_key", "opt-secret"), opt("s3.acces_key", "AK")};
	struct sl_options ob1 = {.v = b1, .n = 2};
	cr_expect_lt(sl_s3_conf_parse(&c, &ob1, NULL, err, sizeof(err)), 0);
	cr_expect(strstr(err, "s3.acces_key") != NULL, "%s", err);
	cr_expect(strstr(err, "opt-secret") == NULL, "%s", err);
	struct sl_option b2[] = {opt("s3.secret_key", "opt-secret")};
	struct sl_options ob2 = {.v = b2, .n = 1};
	cr_expect_lt(sl_s3_conf_parse(&c, &ob2, NULL, err, sizeof(err)), 0);
	cr_expect(strstr(err, "s3.access_key") != NULL, "%s", err);
	cr_expect(strstr(err, "opt-secret") == NULL, "%s", err);
	struct sl_option b3[] = {opt("s3.endpoint", "localhost:9000")};
	struct sl_options ob3 = {.v = b3, .n = 1};
	cr_expect_lt(sl_s3_conf_parse(&c, &ob3, NULL, err, sizeof(err)), 0);
	cr_expect(strstr(err, "line 1, column 2") != NULL, "%s", err);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	cr_expect_lt(sl_s3_conf_parse(&c, &none, NULL, err, sizeof(err)), 0);
	cr_expect(strstr(err, "AWS_ACCESS_KEY_ID") != NULL, "%s", err);
}

/* No server on the port: the client retries, then fails with a message
 * that names the object and the endpoint, never the secret. */
Test(s3, unreachable_endpoint_retries_then_fails)
{
	struct sl_s3_conf c = {.scheme = "http", .host = "127.0.0.1:1", .region = "us-east-1",
			       .path_style = true, .access_key = "AK", .secret_key = "sekrit-xyz",
			       .retries = 2, .backoff_ms = 1, .backoff_max_ms = 2,
			       .timeout_ms = 1000};
	struct sl_s3 *s = sl_s3_create(&c);
	cr_assert_not_null(s);
	char buf[16];
	ssize_t n = sl_s3_get_range(s, "bkt", "in/a.csv", buf, sizeof(buf), 0);
	cr_expect_lt(n, 0);
	cr_expect_eq(sl_s3_retries(s), 2);
	cr_expect(strstr(sl_s3_error(s), "s3://bkt/in/a.csv") != NULL, "%s", sl_s3_error(s));
	cr_expect(strstr(sl_s3_error(s), "127.0.0.1:1") != NULL, "%s", sl_s3_error(s));
	cr_expect(strstr(sl_s3_error(s), "sekrit") == NULL, "%s", sl_s3_error(s));
	sl_s3_destroy(s);
	sl_s3_destroy(NULL);
}

/* Path-style and virtual-hosted addressing: the Host, the canonical path
 * and the URL (key encoded, '/' kept, the query as given). */
Test(s3, addressing)
{
	struct sl_s3_conf c = {.scheme = "https", .host = "s3.eu-west-1.amazonaws.com",
			       .region = "eu-west-1"};
	struct sl_s3_kv q[] = {{"list-type", "2"}, {"prefix", "in/"}};
	char host[256], path[512], url[1024];
	cr_assert_eq(sl_s3_url(&c, "retail-landing", "sales/a b+c.csv", NULL, 0, host, sizeof(host),
			       path, sizeof(path), url, sizeof(url)), 0);
	cr_expect_str_eq(host, "retail-landing.s3.eu-west-1.amazonaws.com");
	cr_expect_str_eq(path, "/sales/a%20b%2Bc.csv");
	cr_expect_str_eq(url, "https://retail-landing.s3.eu-west-1.amazonaws.com/sales/a%20b%2Bc.csv");
	cr_assert_eq(sl_s3_url(&c, "retail-landing", NULL, q, 2, host, sizeof(host), path,
			       sizeof(path), url, sizeof(url)), 0);
	cr_expect_str_eq(path, "/");
	cr_expect_str_eq(url, "https://retail-landing.s3.eu-west-1.amazonaws.com/?list-type=2&prefix=in%2F");
	c = (struct sl_s3_conf){.scheme = "http", .host = "127.0.0.1:9000", .path_style = true};
	cr_assert_eq(sl_s3_url(&c, "bkt", "in/x.csv", NULL, 0, host, sizeof(host), path, sizeof(path),
			       url, sizeof(url)), 0);
	cr_expect_str_eq(host, "127.0.0.1:9000");
	cr_expect_str_eq(path, "/bkt/in/x.csv");
	cr_expect_str_eq(url, "http://127.0.0.1:9000/bkt/in/x.csv");
	cr_assert_eq(sl_s3_url(&c, "bkt", NULL, q, 2, host, sizeof(host), path, sizeof(path), url,
			       sizeof(url)), 0);
	cr_expect_str_eq(url, "http://127.0.0.1:9000/bkt?list-type=2&prefix=in%2F");
}

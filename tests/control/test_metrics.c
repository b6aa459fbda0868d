/*
 * test_metrics.c — the Prometheus text exposition of the daemon's queries
 * (control/metrics.c): HELP and TYPE before each family's samples, label
 * values escaped, counters and gauges, per-core samples from the last
 * batch, families left without samples when a query has no such value.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

static char *format(const struct sl_metrics_query *q, uint32_t n)
{
	struct sl_strbuf b;
	sl_strbuf_init(&b);
	cr_assert_eq(sl_metrics_format(q, n, &b), 0);
	return b.ptr;
}

Test(metrics, families_have_help_and_type_before_their_samples)
{
	struct sl_progress p = {.input_rows_per_second = 1500.5, .has_state = true,
				.state_rows_total = 42, .state_memory_bytes = 4096, .ncores = 2};
	p.cores[0] = (struct sl_progress_core){.role = 'i', .idx = 0, .input = 0, .cpu = 0,
					       .busy = 0.5, .ring_fill = 0.25, .stall_ms = 1500};
	p.cores[1] = (struct sl_progress_core){.role = 'a', .idx = 0, .cpu = 1, .busy = 0.75};
	struct sl_metrics_query q = {.name = "wc", .state = "active", .batches = 7,
				     .input_rows = 12000, .late_rows = 3, .last = &p};
	char *t = format(&q, 1);
	const char *want[] = {
		"# HELP sluice_queries Queries the daemon knows, by state.\n# TYPE sluice_queries gauge\n"
		"sluice_queries{state=\"active\"} 1\nsluice_queries{state=\"stopping\"} 0\n",
		"# TYPE sluice_query_batches_total counter\nsluice_query_batches_total{query=\"wc\"} 7\n",
		"# TYPE sluice_query_input_rows_total counter\nsluice_query_input_rows_total{query=\"wc\"} 12000\n",
		"sluice_query_late_rows_total{query=\"wc\"} 3\n",
		"# TYPE sluice_query_input_rows_per_second gauge\n"
		"sluice_query_input_rows_per_second{query=\"wc\"} 1500.5\n",
		"sluice_query_state_rows{query=\"wc\"} 42\n",
		"sluice_core_busy_ratio{query=\"wc\",role=\"ingest\",input=\"0\",index=\"0\",cpu=\"0\"} 0.5\n",
		"sluice_core_busy_ratio{query=\"wc\",role=\"aggregator\",index=\"0\",cpu=\"1\"} 0.75\n",
		"sluice_core_ring_fill_ratio{query=\"wc\",role=\"ingest\",input=\"0\",index=\"0\",cpu=\"0\"} 0.25\n",
		"sluice_core_stall_seconds{query=\"wc\",role=\"ingest\",input=\"0\",index=\"0\",cpu=\"0\"} 1.5\n",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		cr_expect(strstr(t, want[i]) != NULL, "missing:\n%s\nin:\n%s", want[i], t);
	/* the aggregator has no ring: no ring-fill sample for it */
	cr_expect(strstr(t, "sluice_core_ring_fill_ratio{query=\"wc\",role=\"aggregator\"") == NULL);
	/* every sample's family was declared before it */
	for (char *line = t; *line != '\0';) {
		char *nl = strchr(line, '\n');
		cr_assert_not_null(nl, "a line without its newline");
		if (line[0] != '#') {
			char name[128];
			size_t n = strcspn(line, "{ ");
			cr_assert_lt(n, sizeof(name));
			memcpy(name, line, n);
			name[n] = '\0';
			char decl[160];
			snprintf(decl, sizeof(decl), "# TYPE %s ", name);
			char *d = strstr(t, decl);
			cr_expect(d != NULL && d < line, "%s sampled before its TYPE", name);
		}
		line = nl + 1;
	}
	free(t);
}

Test(metrics, label_values_are_escaped)
{
	struct sl_metrics_query q = {.name = "a\"b\\c\nd", .state = "failed", .batches = 1};
	char *t = format(&q, 1);
	cr_expect(strstr(t, "sluice_query_batches_total{query=\"a\\\"b\\\\c\\nd\"} 1\n") != NULL, "%s", t);
	cr_expect(strstr(t, "sluice_queries{state=\"failed\"} 1\n") != NULL, "%s", t);
	free(t);
}

Test(metrics, a_query_before_its_first_batch_has_only_its_counters)
{
	struct sl_metrics_query q = {.name = "new", .state = "active"};
	char *t = format(&q, 1);
	cr_expect(strstr(t, "sluice_query_input_rows_total{query=\"new\"} 0\n") != NULL, "%s", t);
	cr_expect(strstr(t, "sluice_query_state_rows{query=\"new\"}") == NULL, "%s", t);
	cr_expect(strstr(t, "sluice_query_watermark_seconds{query=\"new\"}") == NULL, "%s", t);
	cr_expect(strstr(t, "# TYPE sluice_query_state_rows gauge\n") != NULL, "%s", t);
	free(t);
}

Test(metrics, no_queries_still_declares_every_family)
{
	char *t = format(NULL, 0);
	cr_expect(strstr(t, "sluice_queries{state=\"active\"} 0\n") != NULL, "%s", t);
	cr_expect(strstr(t, "# TYPE sluice_core_busy_ratio gauge\n") != NULL, "%s", t);
	free(t);
}

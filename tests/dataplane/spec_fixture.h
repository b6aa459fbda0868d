/*
 * spec_fixture.h — source specs for the source tests, as the planner hands
 * them to a connector: columns "name TYPE,name TYPE" and options
 * "key=value", the spec at line 1, column 1, option i at line 2, column
 * 10 * i + 3 (so that error messages can be checked exactly), no
 * WATERMARK. Include after <criterion/criterion.h> and "source.h".
 */
#ifndef SL_TESTS_SPEC_FIXTURE_H
#define SL_TESTS_SPEC_FIXTURE_H

#include <stdio.h>
#include <string.h>

#define SPEC_MAX_OPTIONS 16
#define SPEC_MAX_COLS 8

struct spec_buf {
	struct sl_source_spec spec;
	struct sl_option opts[SPEC_MAX_OPTIONS];
	char keys[SPEC_MAX_OPTIONS][40];
	char vals[SPEC_MAX_OPTIONS][512];
	struct sl_column_def cols[SPEC_MAX_COLS];
};

static inline enum sl_type spec_type_of(const char *t)
{
	static const struct {
		const char *name;
		enum sl_type type;
	} types[] = {{"BOOLEAN", SL_TYPE_BOOLEAN}, {"INT", SL_TYPE_INT},
		     {"BIGINT", SL_TYPE_BIGINT},   {"DOUBLE", SL_TYPE_DOUBLE},
		     {"STRING", SL_TYPE_STRING},   {"TIMESTAMP", SL_TYPE_TIMESTAMP},
		     {"ARRAY", SL_TYPE_ARRAY}};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(t, types[i].name) == 0)
			return types[i].type;
	cr_assert_fail("unknown type %s", t);
	return SL_TYPE_NULL;
}

/* The spec `name` of `connector`; cols NULL: no column list; kv: NULL or
 * NULL-terminated. */
static inline void spec_fill(struct spec_buf *b, const char *name, const char *connector,
			     const char *cols, const char *const *kv)
{
	memset(b, 0, sizeof(*b));
	snprintf(b->spec.name, sizeof(b->spec.name), "%s", name);
	snprintf(b->spec.connector, sizeof(b->spec.connector), "%s", connector);
	b->spec.line = 1;
	b->spec.column = 1;
	b->spec.watermark_col = -1;
	if (cols != NULL) {
		char tmp[256];
		snprintf(tmp, sizeof(tmp), "%s", cols);
		char *save = NULL;
		for (char *c = strtok_r(tmp, ",", &save); c != NULL;
		     c = strtok_r(NULL, ",", &save)) {
			cr_assert_lt(b->spec.schema.ncols, SPEC_MAX_COLS);
			struct sl_column_def *d = &b->cols[b->spec.schema.ncols++];
			char type[32];
			cr_assert_eq(sscanf(c, "%127s %31s", d->name, type), 2);
			d->type = spec_type_of(type);
		}
		b->spec.schema.cols = b->cols;
	}
	for (uint32_t i = 0; kv != NULL && kv[i] != NULL; i++) {
		cr_assert_lt(i, SPEC_MAX_OPTIONS);
		const char *eq = strchr(kv[i], '=');
		cr_assert(eq != NULL);
		snprintf(b->keys[i], sizeof(b->keys[i]), "%.*s", (int)(eq - kv[i]), kv[i]);
		snprintf(b->vals[i], sizeof(b->vals[i]), "%s", eq + 1);
		b->opts[i] = (struct sl_option){.key = b->keys[i], .value = b->vals[i], .line = 2,
						.column = 10 * i + 3};
		b->spec.options.n++;
	}
	b->spec.options.v = b->opts;
}

#endif

/* types.c — names of the SQL types, as Spark prints them. */
#include "types.h"

const char *sl_type_name(enum sl_type t)
{
	static const char *const names[SL_TYPE__COUNT] = {
		[SL_TYPE_NULL] = "VOID",      [SL_TYPE_BOOLEAN] = "BOOLEAN",
		[SL_TYPE_INT] = "INT",        [SL_TYPE_BIGINT] = "BIGINT",
		[SL_TYPE_DOUBLE] = "DOUBLE",  [SL_TYPE_STRING] = "STRING",
		[SL_TYPE_TIMESTAMP] = "TIMESTAMP", [SL_TYPE_ARRAY] = "ARRAY",
		[SL_TYPE_WINDOW] = "STRUCT<start: TIMESTAMP, end: TIMESTAMP>",
		[SL_TYPE_INTERVAL] = "INTERVAL DAY TO SECOND",
		[SL_TYPE_BINARY] = "BINARY",
		[SL_TYPE_HEADER] = "STRUCT<key: STRING, value: BINARY>",
	};
	if ((unsigned)t >= SL_TYPE__COUNT)
		return "?";
	return names[t];
}

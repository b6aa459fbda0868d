/* connectors.c — the built-in connectors, registered once at start-up. */
#include "sink.h"
#include "source.h"

extern const struct sl_source_ops sl_source_socket_ops;
extern const struct sl_source_ops sl_source_gen_ops;
extern const struct sl_source_ops sl_source_batches_ops;
extern const struct sl_source_ops sl_source_rate_ops;
extern const struct sl_source_ops sl_source_sales_ops;
extern const struct sl_source_ops sl_source_file_ops;
extern const struct sl_source_ops sl_source_table_ops;
extern const struct sl_source_ops sl_source_kafka_ops;
extern const struct sl_source_ops sl_source_dpdk_ops;
extern const struct sl_sink_ops sl_sink_console_ops;
extern const struct sl_sink_ops sl_sink_noop_ops;
extern const struct sl_sink_ops sl_sink_file_ops;
extern const struct sl_sink_ops sl_sink_table_ops;
extern const struct sl_sink_ops sl_sink_kafka_ops;

void sl_sources_register_builtin(void)
{
	sl_source_register(&sl_source_socket_ops);
	sl_source_register(&sl_source_gen_ops);
	sl_source_register(&sl_source_batches_ops);
	sl_source_register(&sl_source_rate_ops);
	sl_source_register(&sl_source_sales_ops);
	sl_source_register(&sl_source_file_ops);
	sl_source_register(&sl_source_table_ops);
	sl_source_register(&sl_source_kafka_ops);
	sl_source_register(&sl_source_dpdk_ops);
}

void sl_sinks_register_builtin(void)
{
	sl_sink_register(&sl_sink_console_ops);
	sl_sink_register(&sl_sink_file_ops);
	sl_sink_register(&sl_sink_table_ops);
	sl_sink_register(&sl_sink_noop_ops);
	sl_sink_register(&sl_sink_kafka_ops);
}

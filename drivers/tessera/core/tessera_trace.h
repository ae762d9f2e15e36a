/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tessera tracepoints: work submitted to a context, a context switched onto
 * and off an engine, work completed, faults. Enable with
 * /sys/kernel/tracing/events/tessera/enable.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM tessera

#if !defined(TESSERA_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define TESSERA_TRACE_H

#include <linux/tracepoint.h>

/* A doorbell gave a context new work; @was_idle: it had none before. */
TRACE_EVENT(tessera_submit,
	    TP_PROTO(u32 ctx, bool was_idle),
	    TP_ARGS(ctx, was_idle),
	    TP_STRUCT__entry(__field(u32, ctx)
			     __field(bool, was_idle)),
	    TP_fast_assign(__entry->ctx = ctx;
			   __entry->was_idle = was_idle;),
	    TP_printk("ctx=%u was_idle=%d", __entry->ctx, __entry->was_idle)
);

/* A switch onto @engine is done; the card took @switch_lat_ns for it. */
TRACE_EVENT(tessera_sched_in,
	    TP_PROTO(u32 engine, u32 ctx, u64 slice_ns, u32 switch_lat_ns),
	    TP_ARGS(engine, ctx, slice_ns, switch_lat_ns),
	    TP_STRUCT__entry(__field(u32, engine)
			     __field(u32, ctx)
			     __field(u64, slice_ns)
			     __field(u32, switch_lat_ns)),
	    TP_fast_assign(__entry->engine = engine;
			   __entry->ctx = ctx;
			   __entry->slice_ns = slice_ns;
			   __entry->switch_lat_ns = switch_lat_ns;),
	    TP_printk("engine=%u ctx=%u slice_ns=%llu switch_lat_ns=%u",
		      __entry->engine, __entry->ctx, __entry->slice_ns,
		      __entry->switch_lat_ns)
);

/* The scheduler asked @engine to switch away from @ctx. */
TRACE_EVENT(tessera_sched_out,
	    TP_PROTO(u32 engine, u32 ctx, u64 vtime, bool has_work),
	    TP_ARGS(engine, ctx, vtime, has_work),
	    TP_STRUCT__entry(__field(u32, engine)
			     __field(u32, ctx)
			     __field(u64, vtime)
			     __field(bool, has_work)),
	    TP_fast_assign(__entry->engine = engine;
			   __entry->ctx = ctx;
			   __entry->vtime = vtime;
			   __entry->has_work = has_work;),
	    TP_printk("engine=%u ctx=%u vtime=%llu has_work=%d",
		      __entry->engine, __entry->ctx, __entry->vtime, __entry->has_work)
);

/* A context's fence interrupt or its ring running empty. */
TRACE_EVENT(tessera_complete,
	    TP_PROTO(u32 ctx, u32 int_status),
	    TP_ARGS(ctx, int_status),
	    TP_STRUCT__entry(__field(u32, ctx)
			     __field(u32, int_status)),
	    TP_fast_assign(__entry->ctx = ctx;
			   __entry->int_status = int_status;),
	    TP_printk("ctx=%u int_status=0x%x", __entry->ctx, __entry->int_status)
);

/* The card faulted a context (TESSERA_FAULT_*), watchdog included. */
TRACE_EVENT(tessera_fault,
	    TP_PROTO(u32 ctx, u32 code, u32 index, u64 addr),
	    TP_ARGS(ctx, code, index, addr),
	    TP_STRUCT__entry(__field(u32, ctx)
			     __field(u32, code)
			     __field(u32, index)
			     __field(u64, addr)),
	    TP_fast_assign(__entry->ctx = ctx;
			   __entry->code = code;
			   __entry->index = index;
			   __entry->addr = addr;),
	    TP_printk("ctx=%u code=%u index=%u addr=0x%llx",
		      __entry->ctx, __entry->code, __entry->index, __entry->addr)
);

#endif /* TESSERA_TRACE_H */

/* The module is built out of tree: tell define_trace.h where this file is. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE tessera_trace
#include <trace/define_trace.h>

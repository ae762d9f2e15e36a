/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the scheduler selftests and benchmark: instances kept busy
 * with BUSY commands, engine-time windows measured with the card's own
 * per-instance busy counters (VF_BUSY_NS), and the scheduler's sysfs files.
 */
#ifndef TESSERA_SCHED_LIB_H
#define TESSERA_SCHED_LIB_H

#include <stdbool.h>
#include <stdint.h>

#include "vfio_util.h"

#define SL_RING_IOVA	0x00100000ull
#define SL_RING_ENTRIES	64

struct sl_inst {
	struct tsr_instance inst;
	struct tsr_ring ring;
	char sysdir[300];	/* /sys/bus/mdev/devices/<uuid>/tessera */
	bool ring_ready;
	int ctx;		/* its context on the card (tessera/context) */
	/* what sl_top_up() queues instead of BUSY(usec), when set */
	bool own_cmd;
	struct tessera_cmd cmd;
	/* ring the doorbell after this many entries (0: once, at the end) */
	uint32_t kick_every;
};

/* /sys/bus/pci/devices/<card>/tessera/<file> of the card named by TESSERA_PARENT or found */
int sl_card_path(char *out, size_t len, const char *file);
int sl_card_write(const char *file, const char *val);
/* a card file as a number; -1 when unreadable */
long long sl_card_read(const char *file);
/* the write's errno (0 = accepted) */
int sl_card_write_errno(const char *file, const char *val);

int sl_setup(struct sl_inst *s, const char *type);
void sl_teardown(struct sl_inst *s);
int sl_inst_write(struct sl_inst *s, const char *file, const char *val);
int sl_inst_write_errno(struct sl_inst *s, const char *file, const char *val);
long long sl_inst_read(struct sl_inst *s, const char *file);

/* VF_BUSY_NS: card time spent on the instance */
uint64_t sl_busy(struct sl_inst *s);
/*
 * fills the ring's free entries with BUSY(@usec), or with the instance's
 * own command (own_cmd), and rings the doorbell
 */
int sl_top_up(struct sl_inst *s, uint64_t usec);
/* entries queued and not yet consumed by the card */
uint32_t sl_queued(struct sl_inst *s);

/*
 * Keeps every instance in @v[0..n) saturated with BUSY(@busy_us) until
 * their summed busy time grew by @window_ns of card time; @delta[i] gets
 * each one's growth. Fails (-EIO) if one faults, -ETIMEDOUT after
 * @timeout_ms. @active[i] false: that instance is left alone (idle).
 */
int sl_window(struct sl_inst **v, const bool *active, int n, uint64_t busy_us,
	      uint64_t window_ns, uint64_t *delta, int timeout_ms);

/*
 * Slice-aligned busy times: each instance's busy time at the last switch
 * its engine finished, when no counter moves. From the card's debugfs
 * busy_at_switch, every context at one instant, else from each instance's
 * tessera/busy_at_switch in turn.
 * Instances with the same @group[i] share an engine; @seq[g] gets the
 * switch number of group g. Retries until each group is consistent.
 */
int sl_snapshot(struct sl_inst **v, const int *group, int n, uint64_t *seq, uint64_t *busy);

/*
 * As sl_window(), but the window runs from one switch to the one
 * @switches later on every engine (group), so that it holds whole slices.
 */
int sl_window_switches(struct sl_inst **v, const bool *active, const int *group, int n,
		       uint64_t busy_us, uint64_t switches, uint64_t *delta, int timeout_ms);

/* Prints the scheduler part of the card's debugfs state as "# " lines. */
void sl_dump_state(const char *card);

/* Jain's fairness index of x[0..n): 1 = perfectly even */
double sl_jain(const double *x, int n);

#endif /* TESSERA_SCHED_LIB_H */

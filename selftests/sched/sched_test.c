// SPDX-License-Identifier: GPL-2.0
/*
 * The engine scheduler as tenants and an administrator see it: shares of
 * engine time by the card's own busy counters (VF_BUSY_NS), weights and
 * policies set in sysfs while work runs, preemption on and off, and a hung
 * instance stopped by the watchdog while the others run on.
 *
 * Run on a card with one engine (the suite uses tessera-card,engines=1), so
 * that every instance shares it: with more engines instances are spread
 * over them and a share of one engine means less.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "sched_lib.h"

#define SLICE_US	5000
#define SLICE_NS	((uint64_t)SLICE_US * 1000)
#define WINDOWS		5
/* Longer than a slice, so that every switch stops a command midway. */
#define BUSY_US		12000
#define MAX_INST	3

/*
 * The card's checkpoint interval (the card's checkpoint-ns property,
 * default 100 us); the suite passes SCHED_CHECKPOINT_NS when its card spec
 * sets another one.
 */
#define DEFAULT_CHECKPOINT_NS	100000ull

/* The scheduler's design constants (drivers/tessera/lib/tessera_policy.c, core/tessera_sched.c). */
#define SLICE_MARGIN_MIN_NS	50000ull	/* tessera_sched_bound_ns(): max(slice / 8, 50 us) */
#define CATCH_UP_MAX		2		/* a catch-up slice is at most twice the slice */

FIXTURE(sched) {
	struct sl_inst inst[MAX_INST];
	long long watchdog_ms;
};

FIXTURE_SETUP(sched)
{
	char buf[32];

	memset(self->inst, 0, sizeof(self->inst));
	self->watchdog_ms = sl_card_read("watchdog_ms");
	ASSERT_LE(0, self->watchdog_ms) TH_LOG("no card tessera/ sysfs folder");
	ASSERT_EQ(0, sl_card_write("policy", "best-effort"));
	snprintf(buf, sizeof(buf), "%d", SLICE_US);
	ASSERT_EQ(0, sl_card_write("slice_us", buf));
	ASSERT_EQ(0, sl_card_write("preempt", "1"));
}

FIXTURE_TEARDOWN_PARENT(sched)
{
	char buf[32];
	int i;

	for (i = 0; i < MAX_INST; i++)
		if (self->inst[i].inst.created)
			tsr_instance_remove(&self->inst[i].inst);
	sl_card_write("policy", "best-effort");
	sl_card_write("slice_us", "1000");
	sl_card_write("preempt", "1");
	if (self->watchdog_ms >= 0) {
		snprintf(buf, sizeof(buf), "%lld", self->watchdog_ms);
		sl_card_write("watchdog_ms", buf);
	}
}

static int setup_n(struct __test_metadata *_metadata, FIXTURE_DATA(sched) *self,
		   const char *type, int n)
{
	int i, engine0 = -1;

	for (i = 0; i < n; i++) {
		if (sl_setup(&self->inst[i], type))
			return -1;
		if (i == 0)
			engine0 = sl_inst_read(&self->inst[0], "engine");
		/* Shares of one engine mean something only if they share it. */
		if (sl_inst_read(&self->inst[i], "engine") != engine0) {
			fprintf(stderr, "# instance %d is on engine %lld, instance 0 on %d\n", i,
				sl_inst_read(&self->inst[i], "engine"), engine0);
			return -1;
		}
	}
	return 0;
}

/*
 * Bad settings are refused with EINVAL and change nothing; good ones are
 * taken at once and read back.
 */
TEST_F_TIMEOUT(sched, settings_are_validated, TSR_TEST_TIMEOUT_S)
{
	char buf[128], path[300];
	struct sl_inst *a = &self->inst[0];

	ASSERT_EQ(0, setup_n(_metadata, self, "tessera-vgpu-8", 1));
	EXPECT_EQ(EINVAL, sl_card_write_errno("policy", "round-robin"));
	EXPECT_EQ(EINVAL, sl_card_write_errno("slice_us", "49"));
	EXPECT_EQ(EINVAL, sl_card_write_errno("slice_us", "100001"));
	EXPECT_EQ(EINVAL, sl_card_write_errno("slice_us", "1ms"));
	EXPECT_EQ(EINVAL, sl_card_write_errno("preempt", "maybe"));
	EXPECT_EQ(EINVAL, sl_card_write_errno("watchdog_ms", "-1"));
	EXPECT_EQ(SLICE_US, sl_card_read("slice_us"));

	EXPECT_EQ(0, sl_card_write_errno("slice_us", "50"));
	EXPECT_EQ(50, sl_card_read("slice_us"));
	EXPECT_EQ(0, sl_card_write_errno("policy", "fixed-share"));
	ASSERT_EQ(0, sl_card_path(path, sizeof(path), "policy"));
	ASSERT_EQ(0, tsr_sysfs_read(path, buf, sizeof(buf)));
	EXPECT_STREQ("best-effort equal-share [fixed-share]", buf);

	/* vgpu-8 is 1/8 of the card: weight 32/8 = 4, in sysfs and in VF_WEIGHT. */
	EXPECT_EQ(4, sl_inst_read(a, "weight"));
	EXPECT_EQ(4, tsr_reg(&a->inst, TESSERA_VF_WEIGHT));
	EXPECT_EQ(EINVAL, sl_inst_write_errno(a, "weight", "0"));
	EXPECT_EQ(EINVAL, sl_inst_write_errno(a, "weight", "65"));
	EXPECT_EQ(0, sl_inst_write_errno(a, "weight", "64"));
	EXPECT_EQ(64, sl_inst_read(a, "weight"));
	EXPECT_EQ(64, tsr_reg(&a->inst, TESSERA_VF_WEIGHT));
}

/* The driver's view of engine 0 (timer lateness, decisions), for the log. */
static void log_engine_state(struct __test_metadata *_metadata)
{
	char parent[256], path[400], line[1024];
	FILE *f;

	if (tsr_find_parent(parent, sizeof(parent)))
		return;
	snprintf(path, sizeof(path), "/sys/kernel/debug/tessera/%s/state", parent);
	f = fopen(path, "r");
	if (!f) {
		/* The test host does not mount debugfs itself. */
		mount("none", "/sys/kernel/debug", "debugfs", 0, NULL);
		f = fopen(path, "r");
	}
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "engine 0:", 9))
			TH_LOG("%s", line);
	fclose(f);
}

static uint64_t checkpoint_ns(void)
{
	const char *env = getenv("SCHED_CHECKPOINT_NS");

	return env && *env ? strtoull(env, NULL, 0) : DEFAULT_CHECKPOINT_NS;
}

/*
 * The longest one slice of one instance can run, in card time, by the
 * scheduler's design (Documentation/scheduling.rst, "Why the fairness
 * tests hold under host noise"): the policy grants at most twice the slice,
 * the card's slice bound (ENG_SLICE_NS) stops the context at most
 * max(granted / 8, 50 us) later if the host's timer is late, at the next
 * checkpoint after that. A late host costs idle engine time, never a
 * longer slice than this.
 */
static uint64_t longest_slice_ns(uint64_t slice_ns)
{
	uint64_t granted = CATCH_UP_MAX * slice_ns;
	uint64_t margin = granted / 8 > SLICE_MARGIN_MIN_NS ? granted / 8 : SLICE_MARGIN_MIN_NS;

	return granted + margin + checkpoint_ns();
}

/*
 * The largest error of instance @i's share (its weight's part @want[i] of
 * the @n weights) over a window in which the instances used @busy_ns of
 * engine time together, by the design bound: the scheduler always runs the
 * runnable instance with the lowest virtual time, so at every switch each
 * instance's virtual time is within one of its own slices of the lowest.
 * Then b_i - want_i * B (its busy time less its fair part of the sum) stays
 * in an interval of width R * (1 + (n - 2) * want_i), R the longest slice,
 * at every switch, however long the run: a window from switch to switch
 * can be off by that much, and no more, whatever the host does.
 */
static double share_bound(int n, const double *want, int i, uint64_t busy_ns)
{
	return longest_slice_ns(SLICE_NS) * (1 + (n - 2) * want[i]) / (double)busy_ns;
}

/*
 * Measures @windows windows of @slices switches each, from one switch to
 * the one @slices later (tessera/busy_at_switch: slice-aligned, by the
 * card's busy counters), and checks every instance's share of every window
 * and of the whole run against @want, with the design bound of
 * share_bound() for that window's engine time: no tolerance is tuned to a
 * quiet host, and nothing here depends on the host's clock.
 */
static void check_shares(struct __test_metadata *_metadata, FIXTURE_DATA(sched) *self,
			 int n, const double *want, int windows, int slices)
{
	struct sl_inst *v[MAX_INST];
	bool active[MAX_INST];
	uint64_t d[MAX_INST], total[MAX_INST] = { 0 }, sum, all = 0;
	double worst = 0, worst_of_bound = 0;
	int i, w;

	for (i = 0; i < n; i++) {
		v[i] = &self->inst[i];
		active[i] = true;
	}
	/* Warm-up: every instance queued and has run since the weights were set. */
	ASSERT_EQ(0, sl_window_switches(v, active, NULL, n, BUSY_US, slices, d,
					     TSR_DEADLINE_MS));
	for (w = 0; w < windows; w++) {
		char line[256];
		int len = 0;

		ASSERT_EQ(0, sl_window_switches(v, active, NULL, n, BUSY_US, slices, d,
					     TSR_DEADLINE_MS));
		sum = 0;
		for (i = 0; i < n; i++)
			sum += d[i];
		ASSERT_LT(0, sum);
		all += sum;
		for (i = 0; i < n; i++) {
			double share = (double)d[i] / sum, err = fabs(share - want[i]);
			double bound = share_bound(n, want, i, sum);

			total[i] += d[i];
			len += snprintf(line + len, sizeof(line) - len, " %.4f (+-%.4f)", share,
					bound);
			if (err > worst)
				worst = err;
			if (err / bound > worst_of_bound)
				worst_of_bound = err / bound;
			EXPECT_GE(bound, err) {
				TH_LOG("window %d: instance %d got %.4f of %llu ns, want %.4f +- %.4f",
				       w, i, share, (unsigned long long)sum, want[i], bound);
			}
		}
		TH_LOG("window %d (%llu ns of engine time): shares%s", w,
		       (unsigned long long)sum, line);
	}
	/* The error does not add up over windows: the whole run is held to its own bound. */
	for (i = 0; i < n; i++) {
		double share = (double)total[i] / all, bound = share_bound(n, want, i, all);

		TH_LOG("whole run (%llu ns): instance %d got %.4f, want %.4f +- %.4f",
		       (unsigned long long)all, i, share, want[i], bound);
		EXPECT_GE(bound, fabs(share - want[i]));
	}
	TH_LOG("largest error of a share in a window of %d switches: %.2f percentage points, %.0f%% of its bound",
	       slices, worst * 100, worst_of_bound * 100);
	log_engine_state(_metadata);
}

/*
 * Two instances with the same weight, both saturating the engine with BUSY
 * commands longer than a slice: in every window of 100 switches, and over
 * the whole run, each one's share of the engine time is a half within the
 * design bound (R / B for R the longest slice, 11.35 ms, and B the
 * window's engine time: about 2.2 percentage points per window, 0.45 over
 * the run), by the card's counters.
 */
TEST_F_TIMEOUT(sched, equal_weights_share_evenly, TSR_TEST_TIMEOUT_S)
{
	const double want[] = { 0.5, 0.5 };

	ASSERT_EQ(0, setup_n(_metadata, self, "tessera-vgpu-8", 2));
	check_shares(_metadata, self, 2, want, WINDOWS, 100);
}

/*
 * Weights 1, 2 and 4 set in sysfs while the instances exist: shares of
 * 1/7, 2/7 and 4/7 within the design bound in every window of 140
 * switches (about 1.8, 2.0 and 2.5 percentage points) and over the whole
 * run (a fifth of that).
 */
TEST_F_TIMEOUT(sched, weights_1_2_4_give_sevenths, TSR_TEST_TIMEOUT_S)
{
	const double want[] = { 1.0 / 7, 2.0 / 7, 4.0 / 7 };

	ASSERT_EQ(0, setup_n(_metadata, self, "tessera-vgpu-8", 3));
	ASSERT_EQ(0, sl_inst_write(&self->inst[0], "weight", "1"));
	ASSERT_EQ(0, sl_inst_write(&self->inst[1], "weight", "2"));
	ASSERT_EQ(0, sl_inst_write(&self->inst[2], "weight", "4"));
	check_shares(_metadata, self, 3, want, WINDOWS, 140);
}

/*
 * A (card clock, busy time) pair of @s: the busy counter is read before and
 * after the clock, so the busy time at the clock reading lies between the
 * two; *@spread gets their difference. Retried until it is at most
 * @max_spread ns (0: @s was not running, the pair is exact), so that a
 * reader preempted between the reads never skews a measurement. Keeps
 * @s's ring topped up meanwhile. 0, or -1 on a fault or past @deadline (ms).
 */
static int card_sample(struct sl_inst *s, uint64_t max_spread, long long *clock,
		       uint64_t *busy, uint64_t *spread, uint64_t deadline)
{
	for (;;) {
		uint64_t b0 = sl_busy(s), b1;
		long long c = sl_card_read("clock_ns");

		b1 = sl_busy(s);
		if (c >= 0 && b1 - b0 <= max_spread) {
			*clock = c;
			*busy = b0;
			*spread = b1 - b0;
			return 0;
		}
		if (tsr_reg(&s->inst, TESSERA_VF_STATUS) & TESSERA_VF_STATUS_FAULTED)
			return -1;
		sl_top_up(s, BUSY_US);
		if (tsr_now_ms() > deadline)
			return -1;
		usleep(500);
	}
}

/*
 * @s's busy time over at least @card_ns of card time, as a fraction of it,
 * from two card_sample()s; *@err gets the bound of the samples' error.
 * -1 on a fault or timeout.
 */
static double utilisation(struct sl_inst *s, uint64_t card_ns, uint64_t max_spread,
			  double *err)
{
	uint64_t deadline = tsr_now_ms() + TSR_DEADLINE_MS, b0, b1, e0, e1;
	long long c0, c1;

	sl_top_up(s, BUSY_US);
	if (card_sample(s, max_spread, &c0, &b0, &e0, deadline))
		return -1;
	do {
		if (card_sample(s, max_spread, &c1, &b1, &e1, deadline))
			return -1;
	} while (c1 - c0 < (long long)card_ns);
	*err = (double)(e0 + e1) / (double)(c1 - c0);
	return (double)(b1 - b0) / (double)(c1 - c0);
}

/*
 * Fixed share on one engine runs in periods of TESSERA_CARD_WEIGHT (32)
 * slices: 2.5 ms slices give a period of 80 ms, a quarter share of 20 ms.
 */
#define FIXED_SLICE_NS	2500000ull
#define FIXED_PERIOD_NS	(32 * FIXED_SLICE_NS)
#define FIXED_PERIODS	20

/*
 * Fixed share: a vgpu-4 instance holds 8/32 of the card. With its neighbour
 * idle it still gets only its quarter (the idle share stays unused), over
 * 20 periods between two exact samples (taken while it waits for its next
 * period): each period gives it its budget B once, plus at most one
 * slice's overrun that the next period pays back, and a span whose ends
 * fall anywhere in their periods holds at most one budget more or less
 * than its length's worth. So the bound is (B + margin + checkpoint) /
 * span, 1.3 percentage points, in card time. Under best effort the same
 * instance takes over 90 % of the engine.
 */
TEST_F_TIMEOUT(sched, fixed_share_leaves_idle_share_unused, TSR_TEST_TIMEOUT_S)
{
	uint64_t budget = FIXED_PERIOD_NS * 8 / 32, idle0, over;
	double u, bound, err;
	char buf[32];

	ASSERT_EQ(0, setup_n(_metadata, self, "tessera-vgpu-4", 2));
	ASSERT_EQ(8, sl_inst_read(&self->inst[0], "weight"));
	snprintf(buf, sizeof(buf), "%llu", FIXED_SLICE_NS / 1000);
	ASSERT_EQ(0, sl_card_write("slice_us", buf));
	ASSERT_EQ(0, sl_card_write("policy", "fixed-share"));
	/* A period to settle into the new policy. */
	ASSERT_LE(0, utilisation(&self->inst[0], FIXED_PERIOD_NS, 0, &err));
	idle0 = sl_busy(&self->inst[1]);
	u = utilisation(&self->inst[0], FIXED_PERIODS * FIXED_PERIOD_NS, 0, &err);
	ASSERT_LE(0, u);
	over = FIXED_SLICE_NS / 8 > SLICE_MARGIN_MIN_NS ? FIXED_SLICE_NS / 8 : SLICE_MARGIN_MIN_NS;
	bound = (double)(budget + over + checkpoint_ns()) /
		(double)(FIXED_PERIODS * FIXED_PERIOD_NS);
	TH_LOG("fixed share: busy instance used %.4f of the engine over %d periods (its share 0.25 +- %.4f)",
	       u, FIXED_PERIODS, bound);
	EXPECT_GE(bound, fabs(u - 0.25)) {
		log_engine_state(_metadata);
	}
	EXPECT_EQ(idle0, sl_busy(&self->inst[1]));

	ASSERT_EQ(0, sl_card_write("policy", "best-effort"));
	/*
	 * Running, its busy time moves while it is sampled: a spread of up
	 * to 1 % of the span each end (a slow host, the debug kernel, needs
	 * milliseconds between the reads), which err carries into the check.
	 */
	u = utilisation(&self->inst[0], 5 * FIXED_PERIOD_NS, 5 * FIXED_PERIOD_NS / 100, &err);
	ASSERT_LE(0, u);
	TH_LOG("best effort: the same instance used %.4f (+- %.4f) of the engine", u, err);
	EXPECT_LE(0.9, u + err);
}

/*
 * Preemption off: switches wait for command boundaries, so no command is
 * stopped midway however long; on: the card stops them at checkpoints.
 * Both instances get engine time either way.
 */
TEST_F_TIMEOUT(sched, preempt_off_switches_only_at_boundaries, TSR_TEST_TIMEOUT_S)
{
	struct sl_inst *v[2] = { &self->inst[0], &self->inst[1] };
	bool active[2] = { true, true };
	long long p0, p1;
	uint64_t d[2];

	ASSERT_EQ(0, setup_n(_metadata, self, "tessera-vgpu-8", 2));
	ASSERT_EQ(0, sl_card_write("preempt", "0"));
	/* Let a command that was already preempted finish before counting. */
	ASSERT_EQ(0, sl_window(v, active, 2, BUSY_US, 4 * BUSY_US * 1000ull, d,
			       TSR_DEADLINE_MS));
	p0 = sl_inst_read(v[0], "preemptions") + sl_inst_read(v[1], "preemptions");
	ASSERT_EQ(0, sl_window(v, active, 2, BUSY_US, 20 * BUSY_US * 1000ull, d,
			       TSR_DEADLINE_MS));
	p1 = sl_inst_read(v[0], "preemptions") + sl_inst_read(v[1], "preemptions");
	TH_LOG("preempt off: %lld preemptions, shares %llu/%llu ns", p1 - p0,
	       (unsigned long long)d[0], (unsigned long long)d[1]);
	EXPECT_EQ(p0, p1);
	EXPECT_LT(0, d[0]);
	EXPECT_LT(0, d[1]);

	ASSERT_EQ(0, sl_card_write("preempt", "1"));
	ASSERT_EQ(0, sl_window(v, active, 2, BUSY_US, 20 * BUSY_US * 1000ull, d,
			       TSR_DEADLINE_MS)) {
		log_engine_state(_metadata);
	}
	p1 = sl_inst_read(v[0], "preemptions") + sl_inst_read(v[1], "preemptions");
	TH_LOG("preempt on: %lld preemptions, shares %llu/%llu ns", p1 - p0,
	       (unsigned long long)d[0], (unsigned long long)d[1]);
	EXPECT_LT(p0 + 5, p1) {
		log_engine_state(_metadata);
	}
}

/*
 * A hung instance (one BUSY far beyond the watchdog bound) is stopped
 * alone: its guest reads TESSERA_FAULT_WATCHDOG in VF_FAULT_CODE and gets
 * an interrupt, the other instance's work completes, and after VF_RESET
 * the hung instance runs again.
 */
TEST_F_TIMEOUT(sched, hung_instance_is_stopped_alone, TSR_TEST_TIMEOUT_S)
{
	struct sl_inst *hung = &self->inst[0], *good = &self->inst[1];
	struct tessera_cmd c;
	uint32_t code = 0, index = 0, st = 0;
	uint64_t count, fence;
	int efd, i;

	ASSERT_EQ(0, setup_n(_metadata, self, "tessera-vgpu-8", 2));
	ASSERT_EQ(0, sl_card_write("watchdog_ms", "200"));
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, tsr_irq_enable_eventfd(&hung->inst, VFIO_PCI_MSI_IRQ_INDEX, efd));
	ASSERT_EQ(0, tsr_reg_write(&hung->inst, TESSERA_VF_INT_ENABLE, TESSERA_CTX_INT_FAULT));

	c = tsr_cmd_busy(5000000);
	tsr_ring_push(&hung->ring, &c);
	tsr_ring_fence_kick(&hung->ring, false);
	for (i = 0; i < 20; i++) {
		c = tsr_cmd_busy(20000);
		tsr_ring_push(&good->ring, &c);
	}
	fence = tsr_ring_fence_kick(&good->ring, false);

	ASSERT_EQ(0, tsr_wait_fault(&hung->inst, TSR_DEADLINE_MS, &code, &index));
	EXPECT_EQ(TESSERA_FAULT_WATCHDOG, code);
	EXPECT_EQ(0, index);
	EXPECT_EQ(1, tsr_eventfd_wait(efd, TSR_DEADLINE_MS, &count));
	EXPECT_EQ(0, tsr_wait_fence(&good->inst, fence, TSR_DEADLINE_MS, &st));
	EXPECT_EQ(0, st & TESSERA_VF_STATUS_FAULTED);
	EXPECT_EQ(1, sl_inst_read(hung, "watchdog_faults"));
	EXPECT_EQ(1, sl_inst_read(hung, "commands_faulted"));
	EXPECT_EQ(0, sl_inst_read(good, "watchdog_faults"));
	EXPECT_EQ(21, sl_inst_read(good, "commands_completed"));

	/* The guest's reset brings it back. */
	ASSERT_EQ(0, tsr_reg_write(&hung->inst, TESSERA_VF_RESET, 1));
	hung->ring.tail = 0;
	EXPECT_EQ(1, sl_inst_read(hung, "resets"));
	fence = tsr_ring_fence_kick(&hung->ring, false);
	EXPECT_EQ(0, tsr_wait_fence(&hung->inst, fence, TSR_DEADLINE_MS, &st));
	close(efd);
}

TEST_HARNESS_MAIN

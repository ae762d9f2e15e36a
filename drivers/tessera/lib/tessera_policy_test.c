// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the engine scheduling policies, against a simulated
 * engine and clock: the engine runs whatever the policy picks for its
 * slice, overrunning or underrunning it by a deterministic jitter as a real
 * card stopping at checkpoints does, and charges what it ran.
 */

#include <kunit/test.h>

#include "tessera_policy.h"

#define SIM_MAX		16
#define SLICE_NS	(1000 * 1000ULL)

struct sim_instance {
	struct tessera_policy_entity e;
	u64 busy_ns;
	/* ns of work left; U64_MAX = saturating */
	u64 work_ns;
};

struct sim {
	struct tessera_runqueue rq;
	struct sim_instance inst[SIM_MAX];
	int n;
	u64 now;
	u64 idle_ns;
	u32 jitter_seed;
	/* who ran each slice, for window checks */
	int *trace;
	int trace_len;
	int trace_cap;
	u64 *trace_ns;
};

static void sim_init(struct kunit *test, struct sim *s, enum tessera_policy_kind kind,
		     const u32 *weights, int n, u32 capacity)
{
	int i;

	memset(s, 0, sizeof(*s));
	tessera_rq_init(&s->rq, kind, SLICE_NS, capacity);
	s->n = n;
	s->jitter_seed = 12345;
	s->trace_cap = 20000;
	s->trace = kunit_kcalloc(test, s->trace_cap, sizeof(*s->trace), GFP_KERNEL);
	s->trace_ns = kunit_kcalloc(test, s->trace_cap, sizeof(*s->trace_ns), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s->trace);
	KUNIT_ASSERT_NOT_NULL(test, s->trace_ns);
	for (i = 0; i < n; i++) {
		tessera_rq_add(&s->rq, &s->inst[i].e, weights[i]);
		s->inst[i].work_ns = U64_MAX;
		tessera_rq_set_runnable(&s->rq, &s->inst[i].e, true);
	}
}

/*
 * What the engine really ran for a granted slice: a card overruns up to its
 * next checkpoint (100 us against a 1 ms slice by default), whatever the
 * slice's length. Twice that, plus early stops of up to 10%, stands in for
 * the timer's latency as well: deterministic, from -100 us to +200 us.
 */
static u64 sim_jitter(struct sim *s, u64 slice)
{
	s->jitter_seed = s->jitter_seed * 1103515245 + 12345;
	return slice - SLICE_NS / 10 + SLICE_NS * ((s->jitter_seed >> 16) % 31) / 100;
}

static int sim_index(struct sim *s, struct tessera_policy_entity *e)
{
	return container_of(e, struct sim_instance, e) - s->inst;
}

/* Run @slices scheduling decisions. */
static void sim_run(struct sim *s, int slices)
{
	while (slices--) {
		struct tessera_policy_entity *e;
		struct sim_instance *in;
		u64 slice, ran;

		e = tessera_rq_pick(&s->rq, s->now, &slice);
		if (!e) {
			/* Fixed share with nobody eligible: idle to the next period. */
			u64 next = s->rq.period_start + tessera_rq_period_ns(&s->rq);

			if (next <= s->now)
				next = s->now + SLICE_NS;
			s->idle_ns += next - s->now;
			s->now = next;
			continue;
		}
		in = &s->inst[sim_index(s, e)];
		ran = min(sim_jitter(s, slice), in->work_ns);
		tessera_rq_charge(&s->rq, e, ran);
		in->busy_ns += ran;
		s->now += ran;
		if (in->work_ns != U64_MAX) {
			in->work_ns -= ran;
			if (!in->work_ns)
				tessera_rq_set_runnable(&s->rq, e, false);
		}
		if (s->trace_len < s->trace_cap) {
			s->trace[s->trace_len] = sim_index(s, e);
			s->trace_ns[s->trace_len] = ran;
			s->trace_len++;
		}
	}
}

/* Share of busy time of instance @i in trace slices [from, to), per mille. */
static u64 sim_window_share(struct sim *s, int i, int from, int to)
{
	u64 mine = 0, all = 0;
	int k;

	for (k = from; k < to; k++) {
		all += s->trace_ns[k];
		if (s->trace[k] == i)
			mine += s->trace_ns[k];
	}
	return all ? div64_u64(mine * 1000, all) : 0;
}

/*
 * Two equal-weight saturating instances differ by at most 2% in every window
 * of 20 slices once both have run: the first round sets up the half-slice
 * lead that round robin keeps from then on.
 */
static void equal_weights_fair_over_any_20_slices(struct kunit *test)
{
	static const u32 w[] = { 4, 4 };
	struct sim *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	int from;

	KUNIT_ASSERT_NOT_NULL(test, s);
	sim_init(test, s, TESSERA_POLICY_BEST_EFFORT, w, 2, 8);
	sim_run(s, 2000);
	for (from = 2; from + 20 <= s->trace_len; from++) {
		s64 a = sim_window_share(s, 0, from, from + 20);
		s64 b = sim_window_share(s, 1, from, from + 20);
		s64 gap = abs(a - b);

		KUNIT_ASSERT_LE_MSG(test, gap, 20,
				    "window at slice %d: %lld vs %lld per mille", from, a, b);
	}
}

/* Weights 1:2:4 give shares within 2 percentage points of 1/7, 2/7, 4/7. */
static void weights_1_2_4_give_sevenths(struct kunit *test)
{
	static const u32 w[] = { 1, 2, 4 };
	struct sim *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	u64 total;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, s);
	sim_init(test, s, TESSERA_POLICY_BEST_EFFORT, w, 3, 8);
	sim_run(s, 700);
	total = s->inst[0].busy_ns + s->inst[1].busy_ns + s->inst[2].busy_ns;
	for (i = 0; i < 3; i++) {
		u64 share = div64_u64(s->inst[i].busy_ns * 1000, total);
		u64 want = w[i] * 1000 / 7;

		KUNIT_EXPECT_LE_MSG(test, abs((s64)share - (s64)want), 20,
				    "instance %d: %llu per mille, want %llu", i, share, want);
	}
}

/* Best effort is work conserving: an idle instance's share goes to the busy one. */
static void best_effort_gives_idle_share_away(struct kunit *test)
{
	static const u32 w[] = { 4, 4 };
	struct sim *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, s);
	sim_init(test, s, TESSERA_POLICY_BEST_EFFORT, w, 2, 8);
	tessera_rq_set_runnable(&s->rq, &s->inst[1].e, false);
	sim_run(s, 100);
	KUNIT_EXPECT_EQ(test, s->idle_ns, 0);
	KUNIT_EXPECT_EQ(test, s->inst[0].busy_ns, s->now);
	KUNIT_EXPECT_EQ(test, s->inst[1].busy_ns, 0);
}

/* Fixed share leaves an idle instance's share idle: the busy one gets only its own. */
static void fixed_share_leaves_idle_share_idle(struct kunit *test)
{
	static const u32 w[] = { 4, 4 };
	struct sim *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	u64 share;

	KUNIT_ASSERT_NOT_NULL(test, s);
	sim_init(test, s, TESSERA_POLICY_FIXED_SHARE, w, 2, 8);
	tessera_rq_set_runnable(&s->rq, &s->inst[1].e, false);
	sim_run(s, 400);
	share = div64_u64(s->inst[0].busy_ns * 1000, s->now);
	/* Half the card, give or take the overrun of the last slice still unpaid. */
	KUNIT_EXPECT_LE(test, share, 510);
	KUNIT_EXPECT_GE(test, share, 450);
	KUNIT_EXPECT_GT(test, s->idle_ns, 0);
}

/* Fixed share with weights 1, 2, 4 of a capacity of 8 gives 1/8, 2/8 and 4/8 of the engine. */
static void fixed_share_gives_weight_over_capacity(struct kunit *test)
{
	static const u32 w[] = { 1, 2, 4 };
	struct sim *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, s);
	sim_init(test, s, TESSERA_POLICY_FIXED_SHARE, w, 3, 8);
	sim_run(s, 1000);
	for (i = 0; i < 3; i++) {
		u64 share = div64_u64(s->inst[i].busy_ns * 1000, s->now);
		u64 want = w[i] * 1000 / 8;

		KUNIT_EXPECT_LE_MSG(test, abs((s64)share - (s64)want), 20,
				    "instance %d: %llu per mille, want %llu", i, share, want);
	}
}

/* Equal share ignores weights: 1 and 4 still split the engine evenly. */
static void equal_share_ignores_weights(struct kunit *test)
{
	static const u32 w[] = { 1, 4 };
	struct sim *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	u64 share;

	KUNIT_ASSERT_NOT_NULL(test, s);
	sim_init(test, s, TESSERA_POLICY_EQUAL_SHARE, w, 2, 8);
	sim_run(s, 400);
	share = div64_u64(s->inst[0].busy_ns * 1000, s->now);
	KUNIT_EXPECT_LE(test, abs((s64)share - 500), 20);
}

/* An instance that slept banks no credit: on waking it cannot starve the one that kept running. */
static void waking_instance_banks_no_credit(struct kunit *test)
{
	static const u32 w[] = { 4, 4 };
	struct sim *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	int start;

	KUNIT_ASSERT_NOT_NULL(test, s);
	sim_init(test, s, TESSERA_POLICY_BEST_EFFORT, w, 2, 8);
	tessera_rq_set_runnable(&s->rq, &s->inst[1].e, false);
	sim_run(s, 200);
	tessera_rq_set_runnable(&s->rq, &s->inst[1].e, true);
	start = s->trace_len;
	sim_run(s, 20);
	KUNIT_EXPECT_GE(test, sim_window_share(s, 0, start, s->trace_len), 400);
}

/*
 * A newcomer that becomes runnable while the only other instance is idle
 * for an instant (its queue empty between two jobs) starts at the
 * runqueue's clock, not at 0: at weights 1:3 the old instance keeps its
 * quarter instead of waiting until the newcomer has caught up with it.
 */
static void newcomer_starts_at_the_clock(struct kunit *test)
{
	static const u32 w[] = { 1 };
	struct sim *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	u64 share;
	int start;

	KUNIT_ASSERT_NOT_NULL(test, s);
	sim_init(test, s, TESSERA_POLICY_BEST_EFFORT, w, 1, 8);
	sim_run(s, 200);
	tessera_rq_set_runnable(&s->rq, &s->inst[0].e, false);
	tessera_rq_add(&s->rq, &s->inst[1].e, 3);
	s->inst[1].work_ns = U64_MAX;
	s->n = 2;
	tessera_rq_set_runnable(&s->rq, &s->inst[1].e, true);
	tessera_rq_set_runnable(&s->rq, &s->inst[0].e, true);
	start = s->trace_len;
	sim_run(s, 40);
	share = sim_window_share(s, 0, start, s->trace_len);
	KUNIT_EXPECT_GE(test, share, 200);
	KUNIT_EXPECT_LE(test, share, 300);
}

/*
 * Four equal instances, one of which is reset (taken out and put back, as
 * the scheduler does on VF_RESET, twice: the guest programs its ring again)
 * after every slice it runs: it keeps the lead it had, so it gets its
 * quarter, not the half it got when a reset put it back at the others'
 * virtual time.
 */
static void reset_loop_gains_nothing(struct kunit *test)
{
	static const u32 w[] = { 1, 1, 1, 1 };
	struct sim *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	struct tessera_policy_entity *e = &s->inst[3].e;
	int start, k;
	u64 share;

	KUNIT_ASSERT_NOT_NULL(test, s);
	sim_init(test, s, TESSERA_POLICY_BEST_EFFORT, w, 4, 8);
	sim_run(s, 40);
	start = s->trace_len;
	for (k = 0; k < 800; k++) {
		sim_run(s, 1);
		if (s->trace[s->trace_len - 1] != 3)
			continue;
		tessera_rq_set_runnable(&s->rq, e, false);
		tessera_rq_remove(&s->rq, e);
		tessera_rq_readd(&s->rq, e, 1);
		/* and once more before it has work: a VF_RESET, then its ring again */
		tessera_rq_remove(&s->rq, e);
		tessera_rq_readd(&s->rq, e, 1);
		tessera_rq_set_runnable(&s->rq, e, true);
	}
	share = sim_window_share(s, 3, start, s->trace_len);
	KUNIT_EXPECT_GE(test, share, 230);
	KUNIT_EXPECT_LE(test, share, 270);
}

/* Sixteen instances with weights 1..16: each runs, none waits more than about its fair gap. */
static void no_instance_starves(struct kunit *test)
{
	struct sim *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	int last[SIM_MAX], i, k;
	u32 w[SIM_MAX], sum = 0;

	KUNIT_ASSERT_NOT_NULL(test, s);
	for (i = 0; i < SIM_MAX; i++) {
		w[i] = i + 1;
		sum += w[i];
		last[i] = -1;
	}
	sim_init(test, s, TESSERA_POLICY_BEST_EFFORT, w, SIM_MAX, 8);
	sim_run(s, 3000);
	for (k = 0; k < s->trace_len; k++) {
		i = s->trace[k];
		KUNIT_ASSERT_LE_MSG(test, k - last[i], (int)(2 * sum / w[i] + SIM_MAX),
				    "instance %d waited %d slices", i, k - last[i]);
		last[i] = k;
	}
	for (i = 0; i < SIM_MAX; i++)
		KUNIT_EXPECT_GE(test, last[i], 0);
}

/* A finished instance leaves the queue's choices; the engine idles when nobody has work. */
static void nothing_runnable_picks_nothing(struct kunit *test)
{
	static const u32 w[] = { 2 };
	struct sim *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	u64 slice = 1;

	KUNIT_ASSERT_NOT_NULL(test, s);
	sim_init(test, s, TESSERA_POLICY_BEST_EFFORT, w, 1, 8);
	s->inst[0].work_ns = 3 * SLICE_NS;
	sim_run(s, 10);
	KUNIT_EXPECT_EQ(test, s->inst[0].busy_ns, 3 * SLICE_NS);
	KUNIT_EXPECT_NULL(test, tessera_rq_pick(&s->rq, s->now, &slice));
	KUNIT_EXPECT_EQ(test, slice, 0);
}

/* Settings from sysfs: names parse, bad names, weights and slices are refused. */
static void settings_are_validated(struct kunit *test)
{
	struct tessera_runqueue rq;
	struct tessera_policy_entity e;
	enum tessera_policy_kind kind;

	tessera_rq_init(&rq, TESSERA_POLICY_BEST_EFFORT, SLICE_NS, 8);
	tessera_rq_add(&rq, &e, 1);
	KUNIT_EXPECT_EQ(test, tessera_policy_parse("fixed-share\n", &kind), 0);
	KUNIT_EXPECT_EQ(test, kind, TESSERA_POLICY_FIXED_SHARE);
	KUNIT_EXPECT_EQ(test, tessera_policy_parse("equal-share", &kind), 0);
	KUNIT_EXPECT_EQ(test, kind, TESSERA_POLICY_EQUAL_SHARE);
	KUNIT_EXPECT_EQ(test, tessera_policy_parse("fair", &kind), -EINVAL);
	KUNIT_EXPECT_EQ(test, tessera_policy_parse("", &kind), -EINVAL);
	KUNIT_EXPECT_STREQ(test, tessera_policy_name(TESSERA_POLICY_BEST_EFFORT),
			   "best-effort");
	KUNIT_EXPECT_EQ(test, tessera_rq_set_weight(&rq, &e, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, tessera_rq_set_weight(&rq, &e, TESSERA_WEIGHT_MAX + 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, tessera_rq_set_weight(&rq, &e, 7), 0);
	KUNIT_EXPECT_EQ(test, e.weight, 7);
	KUNIT_EXPECT_EQ(test, tessera_rq_set_slice(&rq, TESSERA_SLICE_MIN_NS - 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, tessera_rq_set_slice(&rq, TESSERA_SLICE_MAX_NS + 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, tessera_rq_set_slice(&rq, 250 * 1000), 0);
	KUNIT_EXPECT_EQ(test, rq.slice_ns, 250 * 1000);
}

static struct kunit_case tessera_policy_cases[] = {
	KUNIT_CASE(equal_weights_fair_over_any_20_slices),
	KUNIT_CASE(weights_1_2_4_give_sevenths),
	KUNIT_CASE(best_effort_gives_idle_share_away),
	KUNIT_CASE(fixed_share_leaves_idle_share_idle),
	KUNIT_CASE(fixed_share_gives_weight_over_capacity),
	KUNIT_CASE(equal_share_ignores_weights),
	KUNIT_CASE(waking_instance_banks_no_credit),
	KUNIT_CASE(newcomer_starts_at_the_clock),
	KUNIT_CASE(reset_loop_gains_nothing),
	KUNIT_CASE(no_instance_starves),
	KUNIT_CASE(nothing_runnable_picks_nothing),
	KUNIT_CASE(settings_are_validated),
	{}
};

static struct kunit_suite tessera_policy_suite = {
	.name = "tessera_policy",
	.test_cases = tessera_policy_cases,
};

kunit_test_suite(tessera_policy_suite);

MODULE_DESCRIPTION("KUnit tests for Tessera's engine scheduling policies");
MODULE_LICENSE("GPL");

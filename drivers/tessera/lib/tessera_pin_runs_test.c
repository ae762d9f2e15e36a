// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the mediator's range cache of pinned runs (tessera_pin_runs.c).
 */
#include <kunit/test.h>

#include "tessera_pin_runs.h"

struct runs_fixture {
	struct tessera_pin_runs runs;
	struct tessera_pin_run run[8];
	unsigned int used;
};

static void add(struct runs_fixture *f, unsigned long first, unsigned long last)
{
	tessera_pin_runs_insert(&f->runs, &f->run[f->used++], first, last);
}

static int runs_init(struct kunit *test)
{
	struct runs_fixture *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);

	if (!f)
		return -ENOMEM;
	tessera_pin_runs_init(&f->runs);
	test->priv = f;
	return 0;
}

/* Nothing pinned: a range is one gap, cut at one pin call's worth. */
static void gap_of_nothing_is_the_range_in_calls(struct kunit *test)
{
	struct runs_fixture *f = test->priv;
	unsigned long a, b;

	KUNIT_ASSERT_TRUE(test, tessera_pin_runs_gap(&f->runs, 100, 107, 512, &a, &b));
	KUNIT_EXPECT_EQ(test, 100UL, a);
	KUNIT_EXPECT_EQ(test, 107UL, b);
	KUNIT_ASSERT_TRUE(test, tessera_pin_runs_gap(&f->runs, 0, 2000, 512, &a, &b));
	KUNIT_EXPECT_EQ(test, 0UL, a);
	KUNIT_EXPECT_EQ(test, 511UL, b);
	/* the last page frame there is */
	KUNIT_ASSERT_TRUE(test, tessera_pin_runs_gap(&f->runs, ULONG_MAX, ULONG_MAX, 512, &a, &b));
	KUNIT_EXPECT_EQ(test, ULONG_MAX, a);
	KUNIT_EXPECT_EQ(test, ULONG_MAX, b);
}

/* Gaps stop at the next run and start after the runs that cover the start. */
static void gaps_go_around_runs(struct kunit *test)
{
	struct runs_fixture *f = test->priv;
	unsigned long a, b;

	add(f, 10, 19);
	add(f, 20, 24);		/* adjacent to the first */
	add(f, 30, 39);
	KUNIT_ASSERT_TRUE(test, tessera_pin_runs_gap(&f->runs, 0, 100, 512, &a, &b));
	KUNIT_EXPECT_EQ(test, 0UL, a);
	KUNIT_EXPECT_EQ(test, 9UL, b);
	KUNIT_ASSERT_TRUE(test, tessera_pin_runs_gap(&f->runs, 12, 100, 512, &a, &b));
	KUNIT_EXPECT_EQ(test, 25UL, a);
	KUNIT_EXPECT_EQ(test, 29UL, b);
	KUNIT_ASSERT_TRUE(test, tessera_pin_runs_gap(&f->runs, 35, 100, 512, &a, &b));
	KUNIT_EXPECT_EQ(test, 40UL, a);
	KUNIT_EXPECT_EQ(test, 100UL, b);
	KUNIT_ASSERT_TRUE(test, tessera_pin_runs_gap(&f->runs, 35, 100, 4, &a, &b));
	KUNIT_EXPECT_EQ(test, 40UL, a);
	KUNIT_EXPECT_EQ(test, 43UL, b);
	/* covered whole, by one run or by adjacent ones */
	KUNIT_EXPECT_FALSE(test, tessera_pin_runs_gap(&f->runs, 31, 39, 512, &a, &b));
	KUNIT_EXPECT_FALSE(test, tessera_pin_runs_gap(&f->runs, 10, 24, 512, &a, &b));
	KUNIT_EXPECT_EQ(test, 3UL, f->runs.count);
	KUNIT_EXPECT_EQ(test, 25UL, f->runs.pages);
}

/* An unmap that cuts runs grows to their ends; one between runs does not. */
static void widen_takes_whole_runs(struct kunit *test)
{
	static const struct {
		unsigned long first, last, want_first, want_last;
		bool cuts;
	} cases[] = {
		{ 15, 35, 10, 39, true },	/* into two runs */
		{ 32, 33, 30, 39, true },	/* inside one run */
		{ 5, 70, 5, 70, true },		/* over all of them: unchanged */
		{ 20, 29, 20, 29, false },	/* between two runs */
	};
	struct runs_fixture *f = test->priv;
	unsigned long a, b;
	unsigned int i;

	add(f, 10, 19);
	add(f, 30, 39);
	add(f, 50, 59);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		a = cases[i].first;
		b = cases[i].last;
		KUNIT_EXPECT_EQ(test, cases[i].cuts, tessera_pin_runs_widen(&f->runs, &a, &b));
		KUNIT_EXPECT_EQ(test, cases[i].want_first, a);
		KUNIT_EXPECT_EQ(test, cases[i].want_last, b);
	}
}

/* Runs come out in order of their start; removing one opens its gap again. */
static void remove_reopens_the_gap(struct kunit *test)
{
	struct runs_fixture *f = test->priv;
	struct tessera_pin_run *run;
	unsigned long a, b;

	add(f, 30, 39);
	add(f, 10, 19);
	run = tessera_pin_runs_first(&f->runs, 0, 100);
	KUNIT_ASSERT_NOT_NULL(test, run);
	KUNIT_EXPECT_EQ(test, 10UL, run->node.start);
	KUNIT_EXPECT_EQ(test, 10UL, tessera_pin_run_pages(run));
	tessera_pin_runs_remove(&f->runs, run);
	KUNIT_ASSERT_TRUE(test, tessera_pin_runs_gap(&f->runs, 0, 100, 512, &a, &b));
	KUNIT_EXPECT_EQ(test, 0UL, a);
	KUNIT_EXPECT_EQ(test, 29UL, b);
	KUNIT_EXPECT_EQ(test, 1UL, f->runs.count);
	KUNIT_EXPECT_EQ(test, 10UL, f->runs.pages);
	KUNIT_EXPECT_NULL(test, tessera_pin_runs_first(&f->runs, 0, 29));
}

static struct kunit_case tessera_pin_runs_cases[] = {
	KUNIT_CASE(gap_of_nothing_is_the_range_in_calls),
	KUNIT_CASE(gaps_go_around_runs),
	KUNIT_CASE(widen_takes_whole_runs),
	KUNIT_CASE(remove_reopens_the_gap),
	{}
};

static struct kunit_suite tessera_pin_runs_suite = {
	.name = "tessera_pin_runs",
	.init = runs_init,
	.test_cases = tessera_pin_runs_cases,
};

kunit_test_suite(tessera_pin_runs_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for Tessera's pin runs");

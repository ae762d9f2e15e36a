// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: card regions for vFPGA instances (tessera_fpga_turns.c).
 */
#include <kunit/test.h>

#include "tessera_fpga_turns.h"

/* Owned outright (share 1): an empty 4-region card takes 4, 2 or 1 instances. */
static void tessera_turns_owned_counts(struct kunit *test)
{
	unsigned int empty[4] = { 0, 0, 0, 0 }, two_owned[4] = { 1, 0, 1, 0 };

	KUNIT_EXPECT_EQ(test, 4U, tessera_fpga_turns_fit(empty, 4, 1, 1));
	KUNIT_EXPECT_EQ(test, 2U, tessera_fpga_turns_fit(empty, 4, 1, 2));
	KUNIT_EXPECT_EQ(test, 1U, tessera_fpga_turns_fit(empty, 4, 1, 4));
	KUNIT_EXPECT_EQ(test, 1U, tessera_fpga_turns_fit(two_owned, 4, 1, 2));
	KUNIT_EXPECT_EQ(test, 0U, tessera_fpga_turns_fit(two_owned, 4, 1, 4));
}

/* Shared in turns: every turn counts, but one instance's regions are distinct. */
static void tessera_turns_shared_counts(struct kunit *test)
{
	unsigned int empty[4] = { 0, 0, 0, 0 }, lopsided[4] = { 2, 2, 0, 0 };

	KUNIT_EXPECT_EQ(test, 8U, tessera_fpga_turns_fit(empty, 4, 2, 1));
	KUNIT_EXPECT_EQ(test, 4U, tessera_fpga_turns_fit(empty, 4, 2, 2));
	KUNIT_EXPECT_EQ(test, 2U, tessera_fpga_turns_fit(empty, 4, 2, 4));
	/* four free turns, but on two regions only: no 4-region instance */
	KUNIT_EXPECT_EQ(test, 0U, tessera_fpga_turns_fit(lopsided, 4, 2, 4));
	KUNIT_EXPECT_EQ(test, 2U, tessera_fpga_turns_fit(lopsided, 4, 2, 2));
}

/* The least loaded regions are chosen, distinct, lowest number on a tie. */
static void tessera_turns_pick_least_loaded(struct kunit *test)
{
	unsigned int tenants[4] = { 2, 0, 1, 0 }, phys[2] = { 9, 9 };

	KUNIT_ASSERT_TRUE(test, tessera_fpga_turns_pick(tenants, 4, 3, 2, phys));
	KUNIT_EXPECT_EQ(test, 1U, phys[0]);
	KUNIT_EXPECT_EQ(test, 3U, phys[1]);
}

/* A full region is never chosen; too few regions with room refuses. */
static void tessera_turns_full_regions_refused(struct kunit *test)
{
	unsigned int tenants[4] = { 2, 2, 1, 0 }, phys[3];

	KUNIT_EXPECT_FALSE(test, tessera_fpga_turns_pick(tenants, 4, 2, 3, phys));
	KUNIT_EXPECT_TRUE(test, tessera_fpga_turns_pick(tenants, 4, 2, 2, phys));
	KUNIT_EXPECT_EQ(test, 3U, phys[0]);
	KUNIT_EXPECT_EQ(test, 2U, phys[1]);
}

/* Degenerate requests fit nothing and never loop: count 0, more than the card. */
static void tessera_turns_degenerate(struct kunit *test)
{
	unsigned int empty[4] = { 0, 0, 0, 0 };

	KUNIT_EXPECT_EQ(test, 0U, tessera_fpga_turns_fit(empty, 4, 2, 0));
	KUNIT_EXPECT_EQ(test, 0U, tessera_fpga_turns_fit(empty, 4, 2, 5));
	KUNIT_EXPECT_FALSE(test, tessera_fpga_turns_pick(empty, 4, 0, 1, NULL));
}

static struct kunit_case tessera_turns_cases[] = {
	KUNIT_CASE(tessera_turns_owned_counts),
	KUNIT_CASE(tessera_turns_shared_counts),
	KUNIT_CASE(tessera_turns_pick_least_loaded),
	KUNIT_CASE(tessera_turns_full_regions_refused),
	KUNIT_CASE(tessera_turns_degenerate),
	{}
};

static struct kunit_suite tessera_turns_suite = {
	.name = "tessera_fpga_turns",
	.test_cases = tessera_turns_cases,
};

kunit_test_suite(tessera_turns_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for Tessera's vFPGA region placement");

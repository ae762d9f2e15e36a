// SPDX-License-Identifier: GPL-2.0
/*
 * Card regions for a vFPGA instance when each card region serves up to
 * @share instance regions in turn (share 1: owned outright). An instance's
 * regions are distinct card regions, the least loaded first, so that load
 * spreads and an instance never waits for itself.
 */
#include <linux/bits.h>
#include <linux/string.h>

#include "tessera_hw.h"
#include "tessera_fpga_turns.h"

/**
 * tessera_fpga_turns_pick() - choose card regions for a new instance
 * @tenants: instance regions each card region serves now
 * @nr: card regions, at most TESSERA_MAX_REGIONS
 * @share: instance regions a card region may serve
 * @count: card regions the instance needs
 * @phys: out (may be NULL): the chosen card regions
 *
 * Return: true if @count distinct card regions with a free turn exist.
 */
bool tessera_fpga_turns_pick(const unsigned int *tenants, unsigned int nr,
			     unsigned int share, unsigned int count, unsigned int *phys)
{
	unsigned int i, r, best;
	unsigned long taken = 0;

	if (!count || count > nr || nr > TESSERA_MAX_REGIONS)
		return false;
	for (i = 0; i < count; i++) {
		best = nr;
		for (r = 0; r < nr; r++)
			if (!(taken & BIT(r)) && tenants[r] < share &&
			    (best == nr || tenants[r] < tenants[best]))
				best = r;
		if (best == nr)
			return false;
		taken |= BIT(best);
		if (phys)
			phys[i] = best;
	}
	return true;
}

/**
 * tessera_fpga_turns_fit() - how many more instances fit
 * @tenants: instance regions each card region serves now
 * @nr: card regions, at most TESSERA_MAX_REGIONS
 * @share: instance regions a card region may serve
 * @count: card regions one instance needs
 *
 * Return: instances of @count regions that tessera_fpga_turns_pick() would
 * place one after the other.
 */
unsigned int tessera_fpga_turns_fit(const unsigned int *tenants, unsigned int nr,
				    unsigned int share, unsigned int count)
{
	unsigned int load[TESSERA_MAX_REGIONS], phys[TESSERA_MAX_REGIONS], i, fit = 0;

	if (!count || count > nr || nr > TESSERA_MAX_REGIONS)
		return 0;
	memcpy(load, tenants, nr * sizeof(*load));
	while (tessera_fpga_turns_pick(load, nr, share, count, phys)) {
		for (i = 0; i < count; i++)
			load[phys[i]]++;
		fit++;
	}
	return fit;
}

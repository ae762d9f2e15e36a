// SPDX-License-Identifier: GPL-2.0
/*
 * Tessera pin runs: which guest page frames are pinned, in the runs they
 * were pinned in (tessera_pin_runs.h).
 */
#include <linux/minmax.h>

#include "tessera_pin_runs.h"

void tessera_pin_runs_init(struct tessera_pin_runs *runs)
{
	runs->tree = RB_ROOT_CACHED;
	runs->count = 0;
	runs->pages = 0;
}

/**
 * tessera_pin_runs_gap() - the first stretch of a range that no run covers
 * @runs: the runs
 * @first: first page frame of the range
 * @last: last one, >= @first
 * @max_pages: longest stretch wanted, > 0 (one pin call's worth)
 * @gap_first: out, its first page frame
 * @gap_last: out, its last: before the next run, at most @last and at most
 *	@max_pages on
 *
 * Return: false if runs cover all of [@first, @last].
 */
bool tessera_pin_runs_gap(struct tessera_pin_runs *runs, unsigned long first, unsigned long last,
			  unsigned long max_pages, unsigned long *gap_first,
			  unsigned long *gap_last)
{
	struct interval_tree_node *node;
	unsigned long pfn = first, end;

	/* Runs do not overlap: step over the ones that cover the start. */
	for (;;) {
		node = interval_tree_iter_first(&runs->tree, pfn, pfn);
		if (!node)
			break;
		if (node->last >= last)
			return false;
		pfn = node->last + 1;
	}
	end = last;
	if (end - pfn >= max_pages)
		end = pfn + max_pages - 1;
	node = interval_tree_iter_first(&runs->tree, pfn, end);
	if (node)
		end = node->start - 1;	/* the first run after pfn: none starts at pfn */
	*gap_first = pfn;
	*gap_last = end;
	return true;
}

/* Record a run of [@first, @last], which no other run overlaps. */
void tessera_pin_runs_insert(struct tessera_pin_runs *runs, struct tessera_pin_run *run,
			     unsigned long first, unsigned long last)
{
	run->node.start = first;
	run->node.last = last;
	interval_tree_insert(&run->node, &runs->tree);
	runs->count++;
	runs->pages += last - first + 1;
}

void tessera_pin_runs_remove(struct tessera_pin_runs *runs, struct tessera_pin_run *run)
{
	interval_tree_remove(&run->node, &runs->tree);
	runs->count--;
	runs->pages -= tessera_pin_run_pages(run);
}

/* A run overlapping [@first, @last], the lowest; NULL if none. */
struct tessera_pin_run *tessera_pin_runs_first(struct tessera_pin_runs *runs,
					       unsigned long first, unsigned long last)
{
	struct interval_tree_node *node = interval_tree_iter_first(&runs->tree, first, last);

	return node ? container_of(node, struct tessera_pin_run, node) : NULL;
}

/**
 * tessera_pin_runs_widen() - a range grown to the whole of every run it cuts
 * @runs: the runs
 * @first: in and out: first page frame
 * @last: in and out: last one
 *
 * A run is unpinned whole, so taking back part of one takes all of it.
 * Runs do not overlap: the runs at the two ends are the only ones that can
 * stick out.
 *
 * Return: whether any run overlaps the range.
 */
bool tessera_pin_runs_widen(struct tessera_pin_runs *runs, unsigned long *first,
			    unsigned long *last)
{
	struct interval_tree_node *node = interval_tree_iter_first(&runs->tree, *first, *last);
	struct interval_tree_node *end;

	if (!node)
		return false;
	*first = min(*first, node->start);
	end = interval_tree_iter_first(&runs->tree, *last, *last);
	if (end)
		*last = max(*last, end->last);
	return true;
}

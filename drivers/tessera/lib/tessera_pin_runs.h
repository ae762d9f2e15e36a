/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Runs of guest page frames, each pinned by one vfio_pin_pages() call and
 * unpinned whole: the range cache of the mediator's pins. Pure logic over
 * the kernel's interval tree (no VFIO, no PCI), so KUnit runs it under UML.
 *
 * Runs never overlap. What is pinned is found by tessera_pin_runs_gap()
 * (the part of a range no run covers yet), and an unmap that cuts a run
 * takes all of it: tessera_pin_runs_widen().
 */
#ifndef TESSERA_PIN_RUNS_H
#define TESSERA_PIN_RUNS_H

#include <linux/interval_tree.h>
#include <linux/types.h>

/* What one vfio_pin_pages() call may take (VFIO_PIN_PAGES_MAX_ENTRIES). */
#define TESSERA_PIN_RUN_MAX_PAGES	512

/**
 * struct tessera_pin_run - guest page frames pinned together
 * @node: [start, last], in struct tessera_pin_runs::tree
 */
struct tessera_pin_run {
	struct interval_tree_node node;
};

/**
 * struct tessera_pin_runs - one instance's runs
 * @tree: the runs, by guest page frame
 * @count: runs in @tree
 * @pages: page frames they cover
 */
struct tessera_pin_runs {
	struct rb_root_cached tree;
	unsigned long count;
	unsigned long pages;
};

static inline unsigned long tessera_pin_run_pages(const struct tessera_pin_run *run)
{
	return run->node.last - run->node.start + 1;
}

void tessera_pin_runs_init(struct tessera_pin_runs *runs);
bool tessera_pin_runs_gap(struct tessera_pin_runs *runs, unsigned long first, unsigned long last,
			  unsigned long max_pages, unsigned long *gap_first,
			  unsigned long *gap_last);
void tessera_pin_runs_insert(struct tessera_pin_runs *runs, struct tessera_pin_run *run,
			     unsigned long first, unsigned long last);
void tessera_pin_runs_remove(struct tessera_pin_runs *runs, struct tessera_pin_run *run);
struct tessera_pin_run *tessera_pin_runs_first(struct tessera_pin_runs *runs,
					       unsigned long first, unsigned long last);
bool tessera_pin_runs_widen(struct tessera_pin_runs *runs, unsigned long *first,
			    unsigned long *last);

#endif /* TESSERA_PIN_RUNS_H */

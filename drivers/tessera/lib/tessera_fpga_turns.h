/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which card regions a new vFPGA instance gets when regions are shared in
 * turns: pure logic over per-region tenant counts, no PCI or VFIO, so
 * KUnit runs it under UML.
 */
#ifndef TESSERA_FPGA_TURNS_H
#define TESSERA_FPGA_TURNS_H

#include <linux/types.h>

bool tessera_fpga_turns_pick(const unsigned int *tenants, unsigned int nr,
			     unsigned int share, unsigned int count, unsigned int *phys);
unsigned int tessera_fpga_turns_fit(const unsigned int *tenants, unsigned int nr,
				    unsigned int share, unsigned int count);

#endif /* TESSERA_FPGA_TURNS_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * tessera-bar2: fill or check an instance's device-memory slice through VFIO,
 * for the real-client tests (the host side of "the nested guest wrote a
 * pattern into BAR2; is it in the slice?").
 *
 *   tessera-bar2 fill  UUID SEED [BYTES]   write the pattern from offset 0
 *   tessera-bar2 check UUID SEED [BYTES]   exit 0 when the slice holds it
 *   tessera-bar2 zero  UUID [BYTES]        exit 0 when the slice reads zero
 *
 * BYTES defaults to the whole slice. The pattern is the one
 * selftests/clients/bar2-poke.c writes: word i (32 bits) = SEED ^ (i * 0x9e3779b9).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio_util.h"

static uint32_t word_at(uint32_t seed, uint64_t i)
{
	return seed ^ (uint32_t)(i * 0x9e3779b9u);
}

int main(int argc, char **argv)
{
	struct tsr_instance inst;
	uint64_t bytes, i, bad = 0;
	uint32_t seed = 0, *buf;
	const char *verb;
	int ret;

	if (argc < 3) {
		fprintf(stderr, "usage: %s fill|check|zero UUID [SEED] [BYTES]\n", argv[0]);
		return 2;
	}
	verb = argv[1];
	memset(&inst, 0, sizeof(inst));
	snprintf(inst.uuid, sizeof(inst.uuid), "%s", argv[2]);
	inst.container_fd = inst.group_fd = inst.device_fd = -1;
	if (strcmp(verb, "zero")) {
		if (argc < 4) {
			fprintf(stderr, "%s: %s needs a SEED\n", argv[0], verb);
			return 2;
		}
		seed = strtoul(argv[3], NULL, 0);
	}
	ret = tsr_instance_open(&inst);
	if (!ret)
		ret = tsr_enable_device(&inst);
	if (ret) {
		fprintf(stderr, "%s: cannot open instance %s: %s\n", argv[0], inst.uuid,
			strerror(-ret));
		return 1;
	}
	bytes = inst.vram_size;
	if (argc > (strcmp(verb, "zero") ? 4 : 3))
		bytes = strtoull(argv[strcmp(verb, "zero") ? 4 : 3], NULL, 0);
	if (bytes > inst.vram_size || bytes % 4) {
		fprintf(stderr, "%s: bad length %llu\n", argv[0], (unsigned long long)bytes);
		return 2;
	}
	buf = malloc(bytes ? bytes : 4);
	if (!buf)
		return 1;
	if (!strcmp(verb, "fill")) {
		for (i = 0; i < bytes / 4; i++)
			buf[i] = word_at(seed, i);
		ret = tsr_bar2_pwrite(&inst, 0, buf, bytes);
	} else {
		ret = tsr_bar2_pread(&inst, 0, buf, bytes);
		for (i = 0; !ret && i < bytes / 4; i++) {
			uint32_t want = strcmp(verb, "zero") ? word_at(seed, i) : 0;

			if (buf[i] != want && bad++ < 4)
				fprintf(stderr, "%s: word %llu = 0x%08x, want 0x%08x\n",
					argv[0], (unsigned long long)i, buf[i], want);
		}
	}
	if (ret) {
		fprintf(stderr, "%s: BAR2 access failed: %s\n", argv[0], strerror(-ret));
		return 1;
	}
	tsr_instance_close(&inst);
	if (bad) {
		fprintf(stderr, "%s: %llu of %llu words differ\n", argv[0],
			(unsigned long long)bad, (unsigned long long)(bytes / 4));
		return 1;
	}
	printf("%s: %s %llu bytes of %s: ok\n", argv[0], verb,
	       (unsigned long long)bytes, inst.uuid);
	return 0;
}

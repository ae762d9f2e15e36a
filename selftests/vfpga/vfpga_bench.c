// SPDX-License-Identifier: GPL-2.0
/*
 * vFPGA benchmark, run inside the test host by scripts/bench-fpga.sh:
 *
 *   reconfig  reconfiguration card time (VF_RGN_CONFIG_NS) against image
 *             size, and against the time the card's modelled bandwidth
 *             predicts (--config-bw KiB/ms, the card property)
 *   scale     aggregate CRC32 throughput of 1..R instances each owning a
 *             region, all running at once
 *   shared    (tessera.ko vfpga_share=2) R instances, one per card region,
 *             then 2R instances time-sharing the R regions, for slice
 *             lengths short to long: throughput against the R-instance
 *             run, the fraction of region time lost to reconfiguration
 *             (VF_RGN_SHARE_NS over region time) and the shortest slice
 *             that loses under 10%
 *
 * Output: "# " comment lines with the figures and one "bench: key=value"
 * line per figure for scripts to pick up.
 *
 *   vfpga_bench [--mode space|shared] [--config-bw KIB_PER_MS]
 *               [--sizes-mib 1,2,4,8] [--jobs N] [--slices-ms 1,2,5,...]
 *               [--image-kib N]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vfio_util.h"
#include "vfpga_util.h"

#define IMG_IOVA	0x00100000ull
#define MAX_INSTANCES	TESSERA_MAX_REGIONS

static int load_image(struct tsr_instance *inst, struct tsr_dma_buf *img, uint32_t fn,
		      uint64_t payload, uint64_t *config_ns)
{
	size_t size = vf_image_build(img->va, fn, payload, (uint32_t)payload, VF_IMAGE_GOOD);
	uint32_t status = 0;
	int ret;

	ret = vf_configure(inst, 0, img->iova, size, 120000, &status);
	if (ret)
		return ret;
	if (status != TESSERA_RGN_CFG_LOADED) {
		fprintf(stderr, "# load of %zu bytes: status %u\n", size, status);
		return -EIO;
	}
	*config_ns = vf_rgn_reg64(inst, 0, TESSERA_VF_RGN_CONFIG_NS_LO);
	return 0;
}

static int bench_reconfig(unsigned int config_bw, const char *sizes_mib)
{
	struct tsr_instance inst;
	struct tsr_dma_buf img;
	uint32_t cap;
	char *list = strdup(sizes_mib), *tok, *save = NULL;
	double worst = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
	unsigned int npts = 0;
	int ret;

	ret = tsr_instance_setup(&inst, "tessera-vfpga-1");
	if (ret)
		return ret;
	cap = tsr_reg(&inst, TESSERA_VF_REGION_CAPACITY);
	ret = tsr_dma_alloc(&inst, &img, IMG_IOVA, cap + (1 << 20));
	if (ret)
		goto out;
	printf("# reconfiguration time vs image size (region capacity %u KiB, modelled bandwidth %u KiB/ms)\n",
	       cap >> 10, config_bw);
	printf("# %10s %14s %14s %8s\n", "MiB", "card ns", "model ns", "ratio");
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		uint64_t bytes = strtoull(tok, NULL, 0) << 20, best = UINT64_MAX, ns;
		uint64_t payload = bytes - TESSERA_BITSTREAM_HEADER_SIZE;
		double model, ratio;
		int rep;

		if (payload > cap) {
			printf("# %s MiB exceeds the region capacity: skipped\n", tok);
			continue;
		}
		for (rep = 0; rep < 3; rep++) {
			ret = load_image(&inst, &img, TESSERA_FN_CRC32, payload, &ns);
			if (ret)
				goto out;
			if (ns < best)
				best = ns;
		}
		model = (double)bytes * 1e6 / ((double)config_bw * 1024);
		ratio = best / model;
		if (ratio - 1 > worst || 1 - ratio > worst)
			worst = ratio > 1 ? ratio - 1 : 1 - ratio;
		printf("  %10s %14llu %14.0f %8.4f\n", tok, (unsigned long long)best, model, ratio);
		printf("bench: reconfig_ns_%sMiB=%llu\n", tok, (unsigned long long)best);
		sx += bytes / 1048576.0;
		sy += best;
		sxx += (bytes / 1048576.0) * (bytes / 1048576.0);
		sxy += (bytes / 1048576.0) * best;
		npts++;
	}
	if (npts >= 2) {
		double slope = (npts * sxy - sx * sy) / (npts * sxx - sx * sx);
		double icept = (sy - slope * sx) / npts;

		printf("# linear fit: %.0f ns per MiB + %.0f ns; model %.0f ns per MiB; worst deviation from the model %.2f%%\n",
		       slope, icept, 1048576.0 * 1e6 / ((double)config_bw * 1024), worst * 100);
		printf("bench: reconfig_ns_per_mib=%.0f\n", slope);
		printf("bench: reconfig_worst_model_deviation_pct=%.2f\n", worst * 100);
	}
out:
	free(list);
	tsr_instance_teardown(&inst);
	return ret;
}

static int bench_scale(unsigned int jobs, uint64_t bytes)
{
	struct tsr_instance inst[MAX_INSTANCES];
	struct tsr_dma_buf img[MAX_INSTANCES];
	struct vf_user_pages up[MAX_INSTANCES];
	uint64_t args[TESSERA_RGN_USER_NUM_ARGS] = { 0, tsr_vram_dva(0), 0, bytes };
	char parent[256];
	long avail = 0;
	double base = 0;
	unsigned int n, k, i, j;
	int ret;

	ret = tsr_find_parent(parent, sizeof(parent));
	ret = ret ?: tsr_type_available(parent, "tessera-vfpga-1", &avail);
	if (ret)
		return ret;
	n = avail < MAX_INSTANCES ? avail : MAX_INSTANCES;
	memset(inst, 0, sizeof(inst));
	for (i = 0; i < n; i++) {
		uint64_t ns;

		ret = tsr_instance_setup(&inst[i], "tessera-vfpga-1");
		ret = ret ?: tsr_bar2_map(&inst[i]);
		ret = ret ?: tsr_dma_alloc(&inst[i], &img[i], IMG_IOVA, 1 << 20);
		ret = ret ?: vf_map_user_pages(&inst[i], &up[i], false);
		ret = ret ?: load_image(&inst[i], &img[i], TESSERA_FN_CRC32, 64 << 10, &ns);
		if (ret)
			goto out;
		if (inst[i].vram_size < bytes) {
			ret = -ENOSPC;
			goto out;
		}
		memset(inst[i].bar2, 0x5a + i, bytes);
	}
	printf("# aggregate CRC32 throughput, k instances each owning one region, %u jobs of %llu KiB each\n",
	       jobs, (unsigned long long)bytes >> 10);
	printf("# %3s %10s %12s %10s %12s\n", "k", "wall ms", "MiB/s", "vs k=1", "card busy/wall");
	for (k = 1; k <= n; k++) {
		uint64_t t0 = tsr_now_ms(), wall, busy0[MAX_INSTANCES], busy = 0;
		double mibs;

		for (i = 0; i < k; i++)
			busy0[i] = vf_rgn_reg64(&inst[i], 0, TESSERA_VF_RGN_BUSY_NS_LO);
		for (j = 0; j < jobs; j++) {
			for (i = 0; i < k; i++)
				vf_job_start(&up[i], 0, args);
			for (i = 0; i < k; i++) {
				if (vf_job_wait(&up[i], 0, 120000) !=
				    TESSERA_RGN_JOB_DONE) {
					ret = -EIO;
					goto out;
				}
			}
		}
		wall = tsr_now_ms() - t0;
		for (i = 0; i < k; i++)
			busy += vf_rgn_reg64(&inst[i], 0, TESSERA_VF_RGN_BUSY_NS_LO) - busy0[i];
		mibs = (double)k * jobs * bytes / 1048576.0 / (wall ? wall : 1) * 1000;
		if (k == 1)
			base = mibs;
		printf("  %3u %10llu %12.1f %10.2f %12.2f\n", k, (unsigned long long)wall, mibs,
		       mibs / base, busy / 1e6 / (wall ? wall : 1));
		printf("bench: scale_k%u_mib_per_s=%.1f\n", k, mibs);
	}
out:
	for (i = 0; i < n; i++) {
		vf_unmap_user_pages(&up[i]);
		tsr_instance_teardown(&inst[i]);
	}
	return ret;
}

/* ---- time-sharing ---- */

struct tenant {
	struct tsr_instance inst;
	struct tsr_dma_buf img;
	struct vf_user_pages up;
	uint64_t jobs;
	uint64_t share0, busy0;
};

static int tenant_add(struct tenant *t, uint64_t image_bytes, uint64_t job_bytes)
{
	uint64_t ns;
	int ret;

	memset(t, 0, sizeof(*t));
	ret = tsr_instance_setup(&t->inst, "tessera-vfpga-1");
	ret = ret ?: tsr_bar2_map(&t->inst);
	ret = ret ?: tsr_dma_alloc(&t->inst, &t->img, IMG_IOVA, image_bytes + (1 << 20));
	ret = ret ?: vf_map_user_pages(&t->inst, &t->up, true);
	ret = ret ?: load_image(&t->inst, &t->img, TESSERA_FN_CRC32,
				image_bytes - TESSERA_BITSTREAM_HEADER_SIZE, &ns);
	if (!ret && t->inst.vram_size < job_bytes)
		ret = -ENOSPC;
	if (!ret)
		memset(t->inst.bar2, 0x3c, job_bytes);
	return ret;
}

/*
 * Keeps a CRC32 job outstanding on every tenant for @ms; returns the wall
 * time and counts the jobs done per tenant.
 */
static int run_all(struct tenant *t, unsigned int n, uint64_t job_bytes, uint64_t ms,
		   uint64_t *wall)
{
	uint64_t args[TESSERA_RGN_USER_NUM_ARGS] = { 0, tsr_vram_dva(0), 0, job_bytes };
	struct timespec poll = { .tv_nsec = 200000 };
	uint64_t t0 = tsr_now_ms(), end = t0 + ms;
	unsigned int i, running = n;
	bool stopping = false;

	for (i = 0; i < n; i++) {
		t[i].jobs = 0;
		t[i].share0 = vf_rgn_reg64(&t[i].inst, 0, TESSERA_VF_RGN_SHARE_NS_LO);
		t[i].busy0 = vf_rgn_reg64(&t[i].inst, 0, TESSERA_VF_RGN_BUSY_NS_LO);
		vf_job_start(&t[i].up, 0, args);
	}
	/* After the deadline no new job starts; the outstanding ones finish. */
	while (running) {
		stopping = tsr_now_ms() >= end;
		running = 0;
		for (i = 0; i < n; i++) {
			uint32_t st = vf_user_rd32(&t[i].up, 0, TESSERA_RGN_USER_JOB_STATUS);

			if (st == TESSERA_RGN_JOB_RUNNING) {
				running++;
				continue;
			}
			if (st != TESSERA_RGN_JOB_DONE && st != TESSERA_RGN_JOB_IDLE) {
				fprintf(stderr, "# tenant %u: job status %u\n", i, st);
				return -EIO;
			}
			if (st == TESSERA_RGN_JOB_DONE && !(t[i].jobs & (1ull << 63))) {
				t[i].jobs++;
				if (stopping) {
					t[i].jobs |= 1ull << 63;	/* finished for this run */
					continue;
				}
				vf_job_start(&t[i].up, 0, args);
				running++;
			}
		}
		if (tsr_now_ms() > end + 120000)
			return -ETIMEDOUT;
		nanosleep(&poll, NULL);
	}
	*wall = tsr_now_ms() - t0;
	for (i = 0; i < n; i++)
		t[i].jobs &= ~(1ull << 63);
	return 0;
}

static int set_slice_us(unsigned int us)
{
	char val[16];

	snprintf(val, sizeof(val), "%u", us);
	return tsr_sysfs_write("/sys/module/tessera_mdev/parameters/vfpga_slice_us", val);
}

static int bench_shared(const char *slices_ms, uint64_t image_kib, unsigned int config_bw)
{
	static struct tenant t[2 * MAX_INSTANCES];
	uint64_t image = image_kib << 10, job = 1 << 20, wall, base_mibs = 0;
	char parent[256], buf[16], *list = strdup(slices_ms), *tok, *save = NULL;
	long avail = 0;
	unsigned int share, regions, n = 0, i;
	double reload_ms = (double)image / ((double)config_bw * 1024), best_slice = -1;
	int ret;

	ret = tsr_sysfs_read("/sys/module/tessera_mdev/parameters/vfpga_share", buf, sizeof(buf));
	share = ret ? 1 : strtoul(buf, NULL, 10);
	ret = tsr_find_parent(parent, sizeof(parent));
	ret = ret ?: tsr_type_available(parent, "tessera-vfpga-1", &avail);
	if (ret)
		goto out;
	if (share < 2) {
		printf("# time-sharing: tessera.ko has vfpga_share=%u, nothing to measure\n", share);
		ret = -EINVAL;
		goto out;
	}
	regions = avail / share;
	if (regions > MAX_INSTANCES)
		regions = MAX_INSTANCES;

	/* R tenants, one per card region: the reference. */
	for (; n < regions; n++) {
		ret = tenant_add(&t[n], image, job);
		if (ret)
			goto out;
	}
	ret = set_slice_us(100000) ?: run_all(t, n, job, 3000, &wall);
	if (ret)
		goto out;
	for (i = 0; i < n; i++)
		base_mibs += t[i].jobs;
	base_mibs = base_mibs * job * 1000 / (wall ? wall : 1) >> 20;
	printf("# time-sharing: %u card regions, %u KiB images (a reload is %.1f ms at %u KiB/ms), CRC32 jobs of %llu KiB\n",
	       regions, (unsigned int)image_kib, reload_ms, config_bw,
	       (unsigned long long)job >> 10);
	printf("# R=%u instances, one per region: %llu MiB/s\n", regions,
	       (unsigned long long)base_mibs);
	printf("bench: shared_r_mib_per_s=%llu\n", (unsigned long long)base_mibs);

	for (; n < 2 * regions; n++) {
		ret = tenant_add(&t[n], image, job);
		if (ret)
			goto out;
	}
	printf("# 2R=%u instances on R=%u regions:\n", n, regions);
	printf("# %9s %8s %10s %10s %12s %12s\n", "slice ms", "wall ms", "MiB/s", "vs R",
	       "reload loss", "turns/region/s");
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		double slice = strtod(tok, NULL), loss, mibs;
		uint64_t jobs = 0, share_ns = 0, ms = slice * 40 < 2500 ? 2500 : slice * 40;

		ret = set_slice_us(slice * 1000) ?: run_all(t, n, job, ms, &wall);
		if (ret)
			goto out;
		for (i = 0; i < n; i++) {
			jobs += t[i].jobs;
			share_ns += vf_rgn_reg64(&t[i].inst, 0, TESSERA_VF_RGN_SHARE_NS_LO) -
				    t[i].share0;
		}
		mibs = (double)jobs * job * 1000 / (wall ? wall : 1) / 1048576.0;
		loss = share_ns / 1e6 / ((double)regions * wall);
		printf("  %9s %8llu %10.1f %10.2f %11.1f%% %12.1f\n", tok, (unsigned long long)wall,
		       mibs, base_mibs ? mibs / base_mibs : 0, loss * 100,
		       share_ns / 1e6 / reload_ms / regions / (wall / 1000.0));
		printf("bench: shared_slice_%sms_loss_pct=%.1f\n", tok, loss * 100);
		printf("bench: shared_slice_%sms_mib_per_s=%.1f\n", tok, mibs);
		if (loss < 0.10 && best_slice < 0)
			best_slice = slice;
	}
	if (best_slice >= 0)
		printf("# shortest slice with under 10%% of region time lost to reloads: %g ms\n",
		       best_slice);
	else
		printf("# no slice measured loses under 10%% to reloads\n");
	printf("bench: shared_slice_under_10pct_ms=%g\n", best_slice);
	ret = 0;
out:
	for (i = 0; i < n; i++)
		tsr_instance_teardown(&t[i].inst);
	free(list);
	return ret;
}

/*
 * Aggregate CRC32 throughput of k = 1, 2, 4, ... instances on the card's
 * regions time-shared (tessera.ko's vfpga_share = S, so up to S x regions
 * instances), each kept with one 1 MiB job outstanding for @ms: what a card
 * gives as tenants are added beyond its regions.
 */
static int bench_scale_shared(uint64_t ms)
{
	/* tessera_mdev takes vfpga_share up to 8 */
	static struct tenant t[8 * MAX_INSTANCES];
	uint64_t job = 1 << 20, wall;
	unsigned int n = 0, k, i;
	double base = 0;
	char parent[256];
	long avail = 0;
	int ret;

	ret = tsr_find_parent(parent, sizeof(parent));
	ret = ret ?: tsr_type_available(parent, "tessera-vfpga-1", &avail);
	if (ret)
		return ret;
	if (avail > (long)(sizeof(t) / sizeof(t[0])))
		avail = sizeof(t) / sizeof(t[0]);
	for (n = 0; n < (unsigned int)avail; n++) {
		ret = tenant_add(&t[n], 64 << 10, job);
		if (ret)
			goto out;
	}
	printf("# aggregate CRC32 throughput of k vfpga-1 instances on the card's regions, time-shared (%u instances in all), one 1 MiB job outstanding on each for %llu ms\n",
	       n, (unsigned long long)ms);
	printf("# %3s %10s %12s %10s %14s\n", "k", "wall ms", "MiB/s", "vs k=1", "region busy/wall");
	for (k = 1; k <= n; k = k < n && 2 * k > n ? n : 2 * k) {
		uint64_t jobs = 0, busy = 0;
		double mibs;

		ret = run_all(t, k, job, ms, &wall);
		if (ret)
			goto out;
		for (i = 0; i < k; i++) {
			jobs += t[i].jobs;
			busy += vf_rgn_reg64(&t[i].inst, 0, TESSERA_VF_RGN_BUSY_NS_LO) - t[i].busy0;
		}
		mibs = (double)jobs * job / 1048576.0 / (wall ? wall : 1) * 1000;
		if (k == 1)
			base = mibs;
		printf("  %3u %10llu %12.1f %10.2f %14.2f\n", k, (unsigned long long)wall, mibs,
		       mibs / base, busy / 1e6 / (wall ? wall : 1));
		printf("bench: shared_scale_k%u_mib_per_s=%.1f\n", k, mibs);
		if (k == n)
			break;
	}
out:
	for (i = 0; i < n; i++) {
		vf_unmap_user_pages(&t[i].up);
		tsr_instance_teardown(&t[i].inst);
	}
	return ret;
}

int main(int argc, char **argv)
{
	unsigned int config_bw = 195, jobs = 8;
	const char *sizes = "1,2,4,8", *mode = "space", *slices = "1,2,5,10,20,50,100";
	uint64_t image_kib = 1024;
	int i, ret;

	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--config-bw"))
			config_bw = strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--sizes-mib"))
			sizes = argv[i + 1];
		else if (!strcmp(argv[i], "--jobs"))
			jobs = strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--mode"))
			mode = argv[i + 1];
		else if (!strcmp(argv[i], "--slices-ms"))
			slices = argv[i + 1];
		else if (!strcmp(argv[i], "--image-kib"))
			image_kib = strtoull(argv[i + 1], NULL, 0);
	}
	if (!strcmp(mode, "scale-shared")) {
		ret = bench_scale_shared(3000);
		if (ret)
			printf("bench: error=scale-shared %d\n", ret);
		return !!ret;
	}
	if (!strcmp(mode, "shared")) {
		ret = bench_shared(slices, image_kib, config_bw);
		if (ret)
			printf("bench: error=shared %d\n", ret);
		return !!ret;
	}
	ret = bench_reconfig(config_bw, sizes);
	if (ret) {
		printf("bench: error=reconfig %d\n", ret);
		return 1;
	}
	ret = bench_scale(jobs, 4 << 20);
	if (ret) {
		printf("bench: error=scale %d\n", ret);
		return 1;
	}
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * CPU-only unit test of libtessera: no device, no driver.
 *
 * 1. The command encoder: each tsr_cmd_*() against the byte layout that
 *    tessera_hw.h's "Commands" section gives (opcode at byte 0, flags at 1,
 *    reserved u16 at 2, param u32 at 4, arg[i] u64 at 8 + 8 i, little
 *    endian, every unused byte zero), the BO list it builds, and the
 *    arguments it refuses.
 * 2. The GEMM checker: Freivalds and full accept a right product and
 *    reject one with a single wrong element, exact and inexact inputs.
 *
 * The test reads bytes, not struct tessera_cmd, so that it checks the
 * library's encoding against the spec and not against itself.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera.h"
#include "tessera_hw.h"

static int failures, checks;

#define CHECK(cond, ...) do {						\
	checks++;							\
	if (!(cond)) {							\
		failures++;						\
		printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);	\
		printf(__VA_ARGS__);					\
		printf("\n");						\
	}								\
} while (0)

/* The spec's layout, as offsets: the test's own reading of tessera_hw.h. */
_Static_assert(offsetof(struct tessera_cmd, opcode) == 0, "opcode");
_Static_assert(offsetof(struct tessera_cmd, flags) == 1, "flags");
_Static_assert(offsetof(struct tessera_cmd, reserved) == 2, "reserved");
_Static_assert(offsetof(struct tessera_cmd, param) == 4, "param");
_Static_assert(offsetof(struct tessera_cmd, arg) == 8, "arg");
_Static_assert(sizeof(struct tessera_cmd) == 64, "size");

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

struct want_cmd {
	uint8_t opcode;
	uint8_t flags;
	uint32_t param;
	uint64_t arg[7];
};

/* Command @idx of @cb must be exactly @w, byte for byte, reserved bytes zero. */
static void check_cmd(const struct tsr_cmdbuf *cb, uint32_t idx, const struct want_cmd *w,
		      const char *name)
{
	const uint8_t *p = (const uint8_t *)tsr_cmdbuf_data(cb) + (size_t)idx * 64;
	int i;

	CHECK(p[0] == w->opcode, "%s: opcode %#x, want %#x", name, p[0], w->opcode);
	CHECK(p[1] == w->flags, "%s: flags %#x, want %#x", name, p[1], w->flags);
	CHECK(p[2] == 0 && p[3] == 0, "%s: reserved %#x %#x not zero", name, p[2], p[3]);
	CHECK(le32(p + 4) == w->param, "%s: param %#x, want %#x", name, le32(p + 4), w->param);
	for (i = 0; i < 7; i++)
		CHECK(le64(p + 8 + 8 * i) == w->arg[i], "%s: arg%d %#llx, want %#llx", name, i,
		      (unsigned long long)le64(p + 8 + 8 * i), (unsigned long long)w->arg[i]);
}

/* A BO made by hand: tests only (no device, no mapping). */
static struct tsr_bo fake_bo(uint32_t handle, uint64_t dva, uint64_t size, uint32_t flags)
{
	struct tsr_bo bo = { .dev = NULL, .size = size, .dva = dva, .cpu = NULL,
			     .handle = handle, .flags = flags };
	return bo;
}

static void test_encoding(void)
{
	struct tsr_bo a = fake_bo(11, 0x100000, 0x10000, 0);
	struct tsr_bo b = fake_bo(12, 0x200000, 0x10000, TSR_BO_DEVICE_READ_ONLY);
	struct tsr_bo c = fake_bo(13, 0x4000000000ull, 0x40000, 0);
	struct tsr_cmdbuf *cb;
	const uint32_t *handles;
	uint32_t nh, i;
	int ret;

	ret = tsr_cmdbuf_new(NULL, 16, &cb);
	CHECK(ret == 0, "tsr_cmdbuf_new: %d", ret);
	if (ret)
		return;
	/* Make leftovers visible: every byte a command leaves must be written zero. */
	memset((void *)tsr_cmdbuf_data(cb), 0xa5, 16 * 64);

	ret = tsr_cmd_nop(cb);
	CHECK(ret == 0, "nop: %d", ret);
	check_cmd(cb, 0, &(struct want_cmd){ .opcode = TESSERA_OP_NOP }, "NOP");

	ret = tsr_cmd_fence(cb, &c, 0x18, 0x1122334455667788ull);
	CHECK(ret == 0, "fence: %d", ret);
	check_cmd(cb, 1, &(struct want_cmd){ .opcode = TESSERA_OP_FENCE,
		  .arg = { 0x4000000018ull, 0x1122334455667788ull } }, "FENCE");

	ret = tsr_cmd_fence(cb, NULL, 0, 42);
	CHECK(ret == 0, "fence without address: %d", ret);
	check_cmd(cb, 2, &(struct want_cmd){ .opcode = TESSERA_OP_FENCE, .arg = { 0, 42 } },
		  "FENCE (no address)");

	ret = tsr_cmd_fill(cb, &a, 0x100, 0x200, 0xdeadbeef);
	CHECK(ret == 0, "fill: %d", ret);
	check_cmd(cb, 3, &(struct want_cmd){ .opcode = TESSERA_OP_FILL, .param = 0xdeadbeef,
		  .arg = { 0x100100, 0x200 } }, "FILL");

	ret = tsr_cmd_copy(cb, &a, 0x1000, &b, 0x20, 0x800);
	CHECK(ret == 0, "copy: %d", ret);
	check_cmd(cb, 4, &(struct want_cmd){ .opcode = TESSERA_OP_COPY,
		  .arg = { 0x101000, 0x200020, 0x800 } }, "COPY");

	/* A[3][5] in a, B[5][7] in b, C[3][7] in c. */
	ret = tsr_cmd_gemm(cb, &a, 0x40, &b, 0, &c, 0x100, 3, 7, 5, 0);
	CHECK(ret == 0, "gemm: %d", ret);
	check_cmd(cb, 5, &(struct want_cmd){ .opcode = TESSERA_OP_GEMM,
		  .arg = { 0x100040, 0x200000, 0x4000000100ull, 3, 7, 5 } }, "GEMM");

	ret = tsr_cmd_gemm(cb, &a, 0, &b, 0, &c, 0, 2048, 16, 1, TSR_GEMM_ACCUMULATE);
	CHECK(ret == 0, "gemm accumulate: %d", ret);
	check_cmd(cb, 6, &(struct want_cmd){ .opcode = TESSERA_OP_GEMM,
		  .flags = TESSERA_GEMM_ACCUMULATE,
		  .arg = { 0x100000, 0x200000, 0x4000000000ull, 2048, 16, 1 } },
		  "GEMM accumulate");

	ret = tsr_cmd_elemwise(cb, TSR_EW_MUL, &c, 0, &a, 4, &b, 8, 100);
	CHECK(ret == 0, "elemwise mul: %d", ret);
	check_cmd(cb, 7, &(struct want_cmd){ .opcode = TESSERA_OP_ELEMWISE,
		  .param = TESSERA_EW_MUL,
		  .arg = { 0x4000000000ull, 0x100004, 0x200008, 100 } }, "ELEMWISE MUL");

	ret = tsr_cmd_elemwise(cb, TSR_EW_RELU, &c, 0x400, &c, 0x800, NULL, 0, 256);
	CHECK(ret == 0, "elemwise relu: %d", ret);
	check_cmd(cb, 8, &(struct want_cmd){ .opcode = TESSERA_OP_ELEMWISE,
		  .param = TESSERA_EW_RELU,
		  .arg = { 0x4000000400ull, 0x4000000800ull, 0, 256 } }, "ELEMWISE RELU");

	ret = tsr_cmd_busy(cb, 2500000);
	CHECK(ret == 0, "busy: %d", ret);
	check_cmd(cb, 9, &(struct want_cmd){ .opcode = TESSERA_OP_BUSY, .arg = { 2500000 } },
		  "BUSY");

	CHECK(tsr_cmdbuf_count(cb) == 10, "count %u", tsr_cmdbuf_count(cb));

	/* The BO list: each once, in first-use order (c, a, b). */
	handles = tsr_cmdbuf_bo_handles(cb, &nh);
	CHECK(nh == 3, "%u BOs listed", nh);
	if (nh == 3)
		CHECK(handles[0] == 13 && handles[1] == 11 && handles[2] == 12,
		      "BO list %u %u %u", handles[0], handles[1], handles[2]);

	/* Refusals: each leaves the buffer as it was. */
#define REFUSED(call, err) do {							\
		uint32_t before = tsr_cmdbuf_count(cb), hb;			\
		tsr_cmdbuf_bo_handles(cb, &hb);					\
		ret = (call);							\
		CHECK(ret == (err), "%s: %d, want %d (%s)", #call, ret, err,	\
		      tsr_last_error());					\
		CHECK(tsr_cmdbuf_count(cb) == before, "%s added a command", #call); \
		tsr_cmdbuf_bo_handles(cb, &nh);					\
		CHECK(nh == hb, "%s added a BO", #call);			\
	} while (0)

	struct tsr_bo d = fake_bo(14, 0x300000, 0x1000, 0);

	REFUSED(tsr_cmd_fence(cb, &d, 4, 1), -EINVAL);			/* misaligned */
	REFUSED(tsr_cmd_fence(cb, &d, 0x1000, 1), -EINVAL);		/* past the end */
	REFUSED(tsr_cmd_fence(cb, &b, 0, 1), -EINVAL);			/* read-only */
	REFUSED(tsr_cmd_fill(cb, &d, 0, 6, 0), -EINVAL);		/* not a multiple of 4 */
	REFUSED(tsr_cmd_fill(cb, &d, 0xffc, 8, 0), -EINVAL);		/* crosses the end */
	REFUSED(tsr_cmd_fill(cb, &d, UINT64_MAX - 3, 8, 0), -EINVAL);	/* wraps */
	REFUSED(tsr_cmd_fill(cb, &b, 0, 4, 0), -EINVAL);		/* read-only */
	REFUSED(tsr_cmd_copy(cb, &d, 0, &d, 0x10, 0x20), -EINVAL);	/* overlap */
	REFUSED(tsr_cmd_copy(cb, &b, 0, &d, 0, 4), -EINVAL);		/* read-only dst */
	REFUSED(tsr_cmd_gemm(cb, &a, 0, &b, 0, &c, 0, 0, 4, 4, 0), -EINVAL);
	REFUSED(tsr_cmd_gemm(cb, &a, 0, &b, 0, &c, 0, 4, 2049, 4, 0), -EINVAL);
	REFUSED(tsr_cmd_gemm(cb, &a, 0, &b, 0, &c, 0, 4, 4, 4, 2), -EINVAL);	/* flag */
	REFUSED(tsr_cmd_gemm(cb, &a, 0, &b, 0, &d, 0, 33, 32, 4, 0), -EINVAL);	/* C too big */
	REFUSED(tsr_cmd_gemm(cb, &a, 0, &b, 0, &b, 0, 4, 4, 4, 0), -EINVAL);	/* C read-only */
	REFUSED(tsr_cmd_elemwise(cb, 3, &d, 0, &d, 0, &d, 0, 4), -EINVAL);
	REFUSED(tsr_cmd_elemwise(cb, TSR_EW_RELU, &d, 0, &a, 0, &a, 0, 4), -EINVAL);
	REFUSED(tsr_cmd_elemwise(cb, TSR_EW_ADD, &d, 0, &a, 0, NULL, 0, 4), -EINVAL);
	REFUSED(tsr_cmd_busy(cb, TSR_MAX_BUSY_US + 1), -EINVAL);

	/* Bounds themselves are accepted. */
	ret = tsr_cmd_busy(cb, TSR_MAX_BUSY_US);
	CHECK(ret == 0, "busy at the bound: %d", ret);
	ret = tsr_cmd_fill(cb, &d, 0, 0x1000, 0);
	CHECK(ret == 0, "fill of the whole BO: %d", ret);
	handles = tsr_cmdbuf_bo_handles(cb, &nh);
	CHECK(nh == 4 && handles[3] == 14, "d listed after its first use (%u BOs)", nh);

	/* Full, then reset. */
	for (i = tsr_cmdbuf_count(cb); i < 16; i++)
		CHECK(tsr_cmd_nop(cb) == 0, "nop %u", i);
	REFUSED(tsr_cmd_nop(cb), -ENOSPC);
	CHECK(tsr_submit(cb, NULL, 0, 0) == -ENODEV, "a host buffer is not submittable");
	tsr_cmdbuf_reset(cb);
	tsr_cmdbuf_bo_handles(cb, &nh);
	CHECK(tsr_cmdbuf_count(cb) == 0 && nh == 0, "reset: %u commands, %u BOs",
	      tsr_cmdbuf_count(cb), nh);
	CHECK(tsr_submit(cb, NULL, 0, 0) == -ENODEV, "submit of a host buffer");

	tsr_cmdbuf_free(cb);

	CHECK(tsr_cmdbuf_new(NULL, 4097, &cb) == -EINVAL, "capacity above the host default");
}

static void test_strerror(void)
{
	static const int errs[] = { -EINVAL, -ENOENT, -ENOMEM, -EFAULT, -EINTR, -ETIME,
				    -EIO, -ETIMEDOUT, -ECANCELED, -EACCES, -ENOTTY, -ENOSPC,
				    -12345 };
	unsigned int call, i;

	for (call = TSR_CALL_ANY; call <= TSR_CALL_SYNCOBJ; call++)
		for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
			const char *s = tsr_strerror(call, errs[i]);

			CHECK(s && *s, "tsr_strerror(%u, %d) empty", call, errs[i]);
		}
	CHECK(strncmp(tsr_strerror(TSR_CALL_SUBMIT, -EINVAL), "a command was refused", 21) == 0,
	      "%s", tsr_strerror(TSR_CALL_SUBMIT, -EINVAL));
	CHECK(strstr(tsr_strerror(TSR_CALL_JOB, -ETIMEDOUT), "hung") != NULL, "%s",
	      tsr_strerror(TSR_CALL_JOB, -ETIMEDOUT));
	CHECK(tsr_strerror(TSR_CALL_JOB, EIO) == tsr_strerror(TSR_CALL_JOB, -EIO), "sign");
	CHECK(strcmp(tsr_errno_name(-ETIMEDOUT), "ETIMEDOUT") == 0, "%s",
	      tsr_errno_name(-ETIMEDOUT));
	CHECK(strcmp(tsr_backend_name(TSR_BACKEND_VF), "vf") == 0, "vf");
	CHECK(strcmp(tsr_backend_name(TSR_BACKEND_HOST), "host") == 0, "host");
}

static uint64_t rng = 0x5eed;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* C = A B in fp32, with the dot product summed backwards: another order than the checker's. */
static void gemm_f32(const float *a, const float *b, float *c, uint32_t m, uint32_t n, uint32_t k)
{
	uint32_t i, j, l;

	for (i = 0; i < m; i++)
		for (j = 0; j < n; j++) {
			float s = 0;

			for (l = k; l-- > 0;)
				s += a[i * k + l] * b[l * n + j];
			c[i * n + j] = s;
		}
}

static void test_check_one(uint32_t m, uint32_t n, uint32_t k, bool integers)
{
	float *a = malloc(sizeof(float) * m * k), *b = malloc(sizeof(float) * k * n);
	float *c = malloc(sizeof(float) * m * n);
	struct tsr_check_result res;
	size_t i;
	int ret, t;

	for (i = 0; i < (size_t)m * k; i++)
		a[i] = integers ? (float)((int)(next() % 9) - 4) : (float)(next() % 20001) / 10000 - 1;
	for (i = 0; i < (size_t)k * n; i++)
		b[i] = integers ? (float)((int)(next() % 9) - 4) : (float)(next() % 20001) / 10000 - 1;
	gemm_f32(a, b, c, m, n, k);

	ret = tsr_gemm_check(a, b, c, m, n, k, TSR_CHECK_FREIVALDS, 2, 1, &res);
	CHECK(ret == 0, "%ux%ux%u %s: freivalds refused a right product: row %ld got %g want %g tol %g",
	      m, n, k, integers ? "int" : "float", res.bad_row, res.got, res.want, res.tol);
	CHECK(res.exact == integers, "exact %d", res.exact);
	CHECK(res.rounds == 2, "rounds %u", res.rounds);
	ret = tsr_gemm_check(a, b, c, m, n, k, TSR_CHECK_FULL, 0, 0, &res);
	CHECK(ret == 0, "%ux%ux%u %s: full refused a right product: [%ld][%ld] got %g want %g tol %g",
	      m, n, k, integers ? "int" : "float", res.bad_row, res.bad_col, res.got, res.want,
	      res.tol);

	/* One wrong element, in a few places, wrong by a little and by a lot. */
	for (t = 0; t < 6; t++) {
		size_t row = (t == 0) ? 0 : (t == 1) ? m - 1 : next() % m;
		size_t col = (t == 0) ? 0 : (t == 1) ? n - 1 : next() % n;
		size_t at = row * n + col;
		float saved = c[at];
		/*
		 * Integers: off by one, always caught. Floats: Freivalds' bound
		 * sums |A| (|B| |r|), about n times looser than one element's,
		 * so it is given an error far outside it; the full check must
		 * also catch a small one (0.01, above its k u sum |a b|).
		 */
		float delta = integers ? 1.0f : 1000.0f;

		c[at] = saved + delta;
		ret = tsr_gemm_check(a, b, c, m, n, k, TSR_CHECK_FREIVALDS, 2, (uint64_t)t, &res);
		CHECK(ret == 1, "freivalds accepted C[%zu][%zu] off by %g", row, col, delta);
		CHECK(ret != 1 || res.bad_row == (long)row, "freivalds blamed row %ld, not %zu",
		      res.bad_row, row);
		ret = tsr_gemm_check(a, b, c, m, n, k, TSR_CHECK_FULL, 0, 0, &res);
		CHECK(ret == 1 && res.bad_row == (long)row && res.bad_col == (long)col,
		      "full: %d at [%ld][%ld], want [%zu][%zu]", ret, res.bad_row, res.bad_col,
		      row, col);
		if (!integers) {
			c[at] = saved + 0.01f;
			ret = tsr_gemm_check(a, b, c, m, n, k, TSR_CHECK_FULL, 0, 0, &res);
			CHECK(ret == 1, "full accepted C[%zu][%zu] off by 0.01 (tol %g)", row, col,
			      res.tol);
		}
		c[at] = saved;
	}
	if (integers) {
		/* A fraction, and a NaN: not an fp32 integer product. */
		float saved = c[n + 1 < m * n ? n + 1 : 0];

		c[n + 1 < m * n ? n + 1 : 0] = saved + 0.5f;
		CHECK(tsr_gemm_check(a, b, c, m, n, k, TSR_CHECK_FREIVALDS, 2, 7, NULL) == 1,
		      "a half accepted");
		c[n + 1 < m * n ? n + 1 : 0] = NAN;
		CHECK(tsr_gemm_check(a, b, c, m, n, k, TSR_CHECK_FREIVALDS, 2, 7, NULL) == 1,
		      "a NaN accepted");
		c[n + 1 < m * n ? n + 1 : 0] = saved;
	} else {
		c[0] = NAN;
		CHECK(tsr_gemm_check(a, b, c, m, n, k, TSR_CHECK_FREIVALDS, 2, 7, NULL) == 1,
		      "a NaN accepted (float)");
		CHECK(tsr_gemm_check(a, b, c, m, n, k, TSR_CHECK_FULL, 2, 7, NULL) == 1,
		      "a NaN accepted (float, full)");
	}
	CHECK(tsr_gemm_check(a, b, c, m, n, k, TSR_CHECK_NONE, 0, 0, NULL) == 0, "none");
	free(a);
	free(b);
	free(c);
}

static void test_check(void)
{
	test_check_one(64, 64, 64, true);
	test_check_one(37, 53, 129, true);
	test_check_one(1, 1, 1, true);
	test_check_one(200, 8, 2048, true);	/* the exactness bound at k = 2048 */
	test_check_one(64, 64, 64, false);
	test_check_one(33, 17, 500, false);
	CHECK(tsr_gemm_check(NULL, NULL, NULL, 0, 1, 1, TSR_CHECK_FULL, 0, 0, NULL) == -EINVAL,
	      "zero dimension");
}

int main(void)
{
	test_encoding();
	test_strerror();
	test_check();
	printf("test_libtessera: %d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}

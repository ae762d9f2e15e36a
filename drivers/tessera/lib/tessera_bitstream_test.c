// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for bitstream validation: a valid image passes, and each way
 * an image can be corrupt or forbidden is refused with its own status.
 */

#include <kunit/test.h>
#include <linux/crc32.h>
#include <linux/sizes.h>
#include <linux/unaligned.h>

#include "tessera_bitstream.h"

#define PAYLOAD		4096
#define CAPACITY	SZ_1M
#define ALLOW_ALL	(BIT(TESSERA_FN_VADD) | BIT(TESSERA_FN_CRC32) | BIT(TESSERA_FN_GEMM_TILE))

/* A valid image of function @fn with a deterministic payload. */
static u8 *make_image(struct kunit *test, u32 fn, u64 payload)
{
	u8 *img = kunit_kzalloc(test, TESSERA_BITSTREAM_HEADER_SIZE + payload, GFP_KERNEL);
	u8 *body = img + TESSERA_BITSTREAM_HEADER_SIZE;
	u64 i;

	KUNIT_ASSERT_NOT_NULL(test, img);
	for (i = 0; i < payload; i++)
		body[i] = (u8)(i * 131 + fn);
	put_unaligned_le32(TESSERA_BITSTREAM_MAGIC, img + 0);
	put_unaligned_le16(TESSERA_BITSTREAM_VERSION, img + 4);
	put_unaligned_le16(TESSERA_BITSTREAM_HEADER_SIZE, img + 6);
	put_unaligned_le32(fn, img + 8);
	put_unaligned_le64(payload, img + 16);
	put_unaligned_le32(crc32_le(~0U, body, payload) ^ ~0U, img + 24);
	return img;
}

static u32 check(const u8 *img, u64 size, u32 allowed, u32 *fn)
{
	return tessera_bitstream_check(img, size, allowed, CAPACITY, fn);
}

/* A well-formed image of an allowed function is accepted and names its function. */
static void valid_image_loads(struct kunit *test)
{
	u8 *img = make_image(test, TESSERA_FN_CRC32, PAYLOAD);
	u32 fn = 0;
	u64 size = TESSERA_BITSTREAM_HEADER_SIZE + PAYLOAD;

	KUNIT_EXPECT_EQ(test, check(img, size, ALLOW_ALL, &fn), 0);
	KUNIT_EXPECT_EQ(test, fn, TESSERA_FN_CRC32);
}

/* Wrong magic, version, header size or non-zero reserved fields: ERR_MAGIC. */
static void bad_header_refused(struct kunit *test)
{
	u64 size = TESSERA_BITSTREAM_HEADER_SIZE + PAYLOAD;
	static const unsigned int offsets[] = { 0, 4, 6, 12, 28 };
	unsigned int i;
	u32 fn;

	for (i = 0; i < ARRAY_SIZE(offsets); i++) {
		u8 *img = make_image(test, TESSERA_FN_VADD, PAYLOAD);

		img[offsets[i]] ^= 0x40;
		KUNIT_EXPECT_EQ_MSG(test, check(img, size, ALLOW_ALL, &fn),
				    TESSERA_RGN_CFG_ERR_MAGIC, "header byte %u", offsets[i]);
	}
}

/* Function ids the card does not have: ERR_FUNCTION. */
static void unknown_function_refused(struct kunit *test)
{
	u64 size = TESSERA_BITSTREAM_HEADER_SIZE + PAYLOAD;
	u32 fn;

	KUNIT_EXPECT_EQ(test, check(make_image(test, TESSERA_FN_NONE, PAYLOAD), size, ~0U, &fn),
			TESSERA_RGN_CFG_ERR_FUNCTION);
	KUNIT_EXPECT_EQ(test, check(make_image(test, TESSERA_NUM_FUNCTIONS, PAYLOAD), size, ~0U,
				    &fn), TESSERA_RGN_CFG_ERR_FUNCTION);
}

/* A real function this instance's type may not load: FORBIDDEN. */
static void forbidden_function_refused(struct kunit *test)
{
	u8 *img = make_image(test, TESSERA_FN_GEMM_TILE, PAYLOAD);
	u32 fn;

	KUNIT_EXPECT_EQ(test, check(img, TESSERA_BITSTREAM_HEADER_SIZE + PAYLOAD,
				    BIT(TESSERA_FN_VADD) | BIT(TESSERA_FN_CRC32), &fn),
			TESSERA_VF_RGN_CFG_FORBIDDEN);
}

/* Sizes that disagree, exceed the region, or leave no payload: ERR_SIZE. */
static void bad_sizes_refused(struct kunit *test)
{
	u8 *img = make_image(test, TESSERA_FN_VADD, PAYLOAD);
	u8 *big = make_image(test, TESSERA_FN_VADD, CAPACITY + 4096);
	u32 fn;
	u64 size = TESSERA_BITSTREAM_HEADER_SIZE + PAYLOAD;

	KUNIT_EXPECT_EQ(test, check(img, size - 1, ALLOW_ALL, &fn), TESSERA_RGN_CFG_ERR_SIZE);
	KUNIT_EXPECT_EQ(test, check(img, TESSERA_BITSTREAM_HEADER_SIZE - 1, ALLOW_ALL, &fn),
			TESSERA_RGN_CFG_ERR_SIZE);
	KUNIT_EXPECT_EQ(test, check(big, TESSERA_BITSTREAM_HEADER_SIZE + CAPACITY + 4096,
				    ALLOW_ALL, &fn), TESSERA_RGN_CFG_ERR_SIZE);
	/* A payload size that makes header + payload wrap is refused, not wrapped. */
	put_unaligned_le64(U64_MAX - 8, img + 16);
	KUNIT_EXPECT_EQ(test, check(img, size, ALLOW_ALL, &fn), TESSERA_RGN_CFG_ERR_SIZE);
	put_unaligned_le64(0, img + 16);
	KUNIT_EXPECT_EQ(test, check(img, TESSERA_BITSTREAM_HEADER_SIZE, ALLOW_ALL, &fn),
			TESSERA_RGN_CFG_ERR_SIZE);
}

/* One flipped payload bit, or a wrong stored CRC: ERR_CHECKSUM. */
static void corrupt_payload_refused(struct kunit *test)
{
	u64 size = TESSERA_BITSTREAM_HEADER_SIZE + PAYLOAD;
	u8 *img = make_image(test, TESSERA_FN_VADD, PAYLOAD);
	u32 fn;

	img[TESSERA_BITSTREAM_HEADER_SIZE + PAYLOAD / 2] ^= 1;
	KUNIT_EXPECT_EQ(test, check(img, size, ALLOW_ALL, &fn), TESSERA_RGN_CFG_ERR_CHECKSUM);
	img = make_image(test, TESSERA_FN_VADD, PAYLOAD);
	img[24] ^= 0x80;
	KUNIT_EXPECT_EQ(test, check(img, size, ALLOW_ALL, &fn), TESSERA_RGN_CFG_ERR_CHECKSUM);
}

static struct kunit_case tessera_bitstream_cases[] = {
	KUNIT_CASE(valid_image_loads),
	KUNIT_CASE(bad_header_refused),
	KUNIT_CASE(unknown_function_refused),
	KUNIT_CASE(forbidden_function_refused),
	KUNIT_CASE(bad_sizes_refused),
	KUNIT_CASE(corrupt_payload_refused),
	{}
};

static struct kunit_suite tessera_bitstream_suite = {
	.name = "tessera_bitstream",
	.test_cases = tessera_bitstream_cases,
};

kunit_test_suite(tessera_bitstream_suite);

MODULE_DESCRIPTION("KUnit tests for Tessera's bitstream validation");
MODULE_LICENSE("GPL");

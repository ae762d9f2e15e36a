// SPDX-License-Identifier: GPL-2.0
/*
 * Bitstream image validation. The card checks an image again as it loads
 * it; the mediator checks first so that a guest's bad image never costs
 * the card reconfiguration time, and so that a function the instance's
 * type may not load is refused, which the card cannot know.
 */

#include <linux/bits.h>
#include <linux/crc32.h>
#include <linux/stddef.h>
#include <linux/unaligned.h>

#include "tessera_bitstream.h"

#define HDR_FIELD(image, field) \
	((image) + offsetof(struct tessera_bitstream_header, field))

/**
 * tessera_bitstream_check() - whether an image may be loaded
 * @image: the whole image, header first, in host memory
 * @image_size: bytes at @image
 * @allowed_functions: bit n set = function n may be loaded
 * @capacity: largest payload the region takes
 * @function: out, the image's function id when it is valid
 *
 * Return: 0 if the image is valid and allowed, else the status the guest
 * sees: TESSERA_RGN_CFG_ERR_* or TESSERA_VF_RGN_CFG_FORBIDDEN.
 */
u32 tessera_bitstream_check(const u8 *image, u64 image_size, u32 allowed_functions,
			    u64 capacity, u32 *function)
{
	u64 payload_size;
	u32 fn;

	if (image_size < TESSERA_BITSTREAM_HEADER_SIZE)
		return TESSERA_RGN_CFG_ERR_SIZE;
	if (get_unaligned_le32(HDR_FIELD(image, magic)) != TESSERA_BITSTREAM_MAGIC ||
	    get_unaligned_le16(HDR_FIELD(image, version)) != TESSERA_BITSTREAM_VERSION ||
	    get_unaligned_le16(HDR_FIELD(image, header_size)) != TESSERA_BITSTREAM_HEADER_SIZE ||
	    get_unaligned_le32(HDR_FIELD(image, flags)) ||
	    get_unaligned_le32(HDR_FIELD(image, reserved)))
		return TESSERA_RGN_CFG_ERR_MAGIC;

	fn = get_unaligned_le32(HDR_FIELD(image, function_id));
	if (fn == TESSERA_FN_NONE || fn >= TESSERA_NUM_FUNCTIONS)
		return TESSERA_RGN_CFG_ERR_FUNCTION;
	if (!(allowed_functions & BIT(fn)))
		return TESSERA_VF_RGN_CFG_FORBIDDEN;

	payload_size = get_unaligned_le64(HDR_FIELD(image, payload_size));
	if (!payload_size || payload_size > capacity ||
	    payload_size != image_size - TESSERA_BITSTREAM_HEADER_SIZE)
		return TESSERA_RGN_CFG_ERR_SIZE;

	/* zlib's CRC32: the kernel's crc32_le with pre- and post-inversion. */
	if ((crc32_le(~0U, image + TESSERA_BITSTREAM_HEADER_SIZE, payload_size) ^ ~0U) !=
	    get_unaligned_le32(HDR_FIELD(image, payload_crc32)))
		return TESSERA_RGN_CFG_ERR_CHECKSUM;

	*function = fn;
	return 0;
}

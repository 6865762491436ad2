/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "tz-array.h"

G_BEGIN_DECLS

/* The IDX format of MNIST and Fashion-MNIST, raw or gzip-compressed
 * (detected by the gzip magic): magic 0x0000 TT DD with type code TT (0x08
 * u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64), DD big-endian
 * dimension sizes, then big-endian data. Errors name the file:
 * TZ_ERROR_CORRUPT for a wrong magic, an unknown type, no dimensions, a
 * truncated file or trailing bytes, or a damaged gzip stream (its CRC is
 * checked); TZ_ERROR_UNSUPPORTED for more than TZ_ARRAY_MAX_DIMS
 * dimensions; TZ_ERROR_TOO_LARGE past 4 GiB of data; G_FILE_ERROR when the
 * file cannot be read. Data comes back in native byte order. */
TzArray *tz_idx_read (const char  *path,
                      GError     **error);

G_END_DECLS

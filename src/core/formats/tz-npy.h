/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "tz-array.h"

G_BEGIN_DECLS

/* numpy's .npy format, versions 1.0, 2.0 and 3.0: the header dictionary
 * ('descr', 'fortran_order', 'shape') is parsed by a small strict parser,
 * never evaluated. Supported descr: '|b1', '|u1', '|i1', '<u2' ... '<i8',
 * '<f2', '<f4', '<f8', '>' variants (byte-swapped on reading) and '<U<n>'.
 * Fortran-ordered arrays are transposed to C order. Object arrays ('|O')
 * are refused with TZ_ERROR_UNSUPPORTED. @display_name names the source in
 * messages (e.g. "features.npz: train_x.npy"). Errors: TZ_ERROR_CORRUPT for
 * a bad magic, a malformed header (anything but the three keys, once each,
 * as a Python dict literal), a negative dimension, or data shorter or
 * longer than the shape needs; TZ_ERROR_UNSUPPORTED for another format
 * version, an unknown or structured dtype, or more than TZ_ARRAY_MAX_DIMS
 * dimensions; TZ_ERROR_TOO_LARGE for a header over 1 MiB or a shape whose
 * size overflows. Data that needs neither byte-swapping nor transposing is
 * shared with @bytes, not copied. */
TzArray    *tz_npy_parse       (GBytes        *bytes,
                                const char    *display_name,
                                GError       **error);
/* Version 1.0 (or 2.0 when the header needs it), C order, native byte
 * order, the header padded as numpy pads it (data 64-byte aligned).
 * %TZ_DTYPE_BF16, which numpy lacks, is written as '<f4' (exactly). */
GBytes     *tz_npy_serialize   (TzArray       *array);

/* Reads every member of an .npz archive (numpy's savez or savez_compressed):
 * returns name (without ".npy") -> TzArray* (g_hash_table_unref). Members
 * not ending in ".npy" are skipped; errors are those of the zip reader and
 * tz_npy_parse(), naming the archive and the member; two members of the
 * same name are TZ_ERROR_CORRUPT. */
GHashTable *tz_npz_read        (const char    *path,
                                GError       **error);
/* Writes an uncompressed .npz (as numpy.savez) atomically: a temporary file
 * in the same folder, fsync, rename. TZ_ERROR_INVALID_ARGUMENT for an empty,
 * non-UTF-8 or repeated name (nothing is written); G_FILE_ERROR when the
 * file cannot be written. */
gboolean    tz_npz_write       (const char        *path,
                                const char *const *names,
                                TzArray *const    *arrays,
                                guint              n_arrays,
                                GError           **error);

G_END_DECLS

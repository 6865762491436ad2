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
 * messages (e.g. "features.npz: train_x.npy"). */
TzArray    *tz_npy_parse       (GBytes        *bytes,
                                const char    *display_name,
                                GError       **error);
/* Version 1.0 (or 2.0 when the header needs it), C order. */
GBytes     *tz_npy_serialize   (TzArray       *array);

/* Reads every member of an .npz archive (numpy's savez or savez_compressed):
 * returns name (without ".npy") -> TzArray*. */
GHashTable *tz_npz_read        (const char    *path,
                                GError       **error);
/* Writes an uncompressed .npz (as numpy.savez) atomically: a temporary file
 * in the same folder, fsync, rename. */
gboolean    tz_npz_write       (const char        *path,
                                const char *const *names,
                                TzArray *const    *arrays,
                                guint              n_arrays,
                                GError           **error);

G_END_DECLS

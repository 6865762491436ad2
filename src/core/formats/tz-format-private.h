/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "tz-array.h"

G_BEGIN_DECLS

/* Helpers shared by the readers and writers of src/core/formats; not part
 * of the public API. */

/* The name to put in messages for a path (UTF-8 even when the file name
 * is not). */
char     *tz_format_display_name        (const char    *path);

/* Product of @ndim dimensions; FALSE when one is negative or the product
 * (times @item_size) does not fit in a gsize. */
gboolean  tz_format_checked_size        (guint          ndim,
                                         const gint64  *shape,
                                         gsize          item_size,
                                         gsize         *n_elements,
                                         gsize         *n_bytes);

/* Reverses the byte order of @n_items items of @item_size bytes in place
 * (@item_size 1, 2, 4 or 8). */
void      tz_format_swap_bytes          (guint8        *data,
                                         gsize          n_items,
                                         gsize          item_size);

/* FALSE when JSON @text nests arrays and objects deeper than @max_depth.
 * json-glib parses recursively, so a hostile header of a million "[" would
 * overflow the stack; this scan is what stands in the way. */
gboolean  tz_format_json_depth_ok       (const char    *text,
                                         gsize          length,
                                         guint          max_depth);

/* IEEE half and bfloat16 bit patterns to float (exact). */
float     tz_half_to_float              (guint16        bits);
float     tz_bfloat16_to_float          (guint16        bits);

/* A file written under a temporary name in the destination folder and
 * renamed over the destination only after fsync, so that a crash leaves
 * either the old file or the new one, never a torn one. */
typedef struct _TzAtomicFile TzAtomicFile;

TzAtomicFile *tz_atomic_file_new        (const char    *path,
                                         GError       **error);
const char   *tz_atomic_file_get_temp_path (TzAtomicFile *self);
/* Closes the descriptor so that another writer (libzip) can replace the
 * temporary file; tz_atomic_file_commit() then reopens it to fsync. */
void          tz_atomic_file_release_fd (TzAtomicFile  *self);
gboolean      tz_atomic_file_write      (TzAtomicFile  *self,
                                         const void    *data,
                                         gsize          size,
                                         GError       **error);
gboolean      tz_atomic_file_commit     (TzAtomicFile  *self,
                                         GError       **error);
/* Removes the temporary file unless the commit succeeded. */
void          tz_atomic_file_free       (TzAtomicFile  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TzAtomicFile, tz_atomic_file_free)

G_END_DECLS

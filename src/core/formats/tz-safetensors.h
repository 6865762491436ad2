/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "tz-array.h"

G_BEGIN_DECLS

/* The safetensors format: an 8-byte little-endian header length, a JSON
 * header mapping tensor names to {dtype, shape, data_offsets} (plus an
 * optional "__metadata__" object of strings), then the data. The file is
 * memory-mapped; the header is validated in full on opening: length within
 * the file and below 100 MiB, valid JSON, known dtypes (BOOL, U8, I8, U16,
 * I16, U32, I32, U64, I64, F16, BF16, F32, F64), offsets inside the data
 * area, not overlapping, and matching dtype size x shape. Any lie is
 * TZ_ERROR_CORRUPT naming the file and the tensor; a dtype we do not know
 * (or more than TZ_ARRAY_MAX_DIMS dimensions) is TZ_ERROR_UNSUPPORTED, a
 * header over 100 MiB TZ_ERROR_TOO_LARGE, and an unreadable file
 * G_FILE_ERROR. Gaps between tensors are allowed. */
typedef struct _TzSafetensors TzSafetensors;

TzSafetensors *tz_safetensors_open          (const char     *path,
                                             GError        **error);
void           tz_safetensors_free          (TzSafetensors  *self);

/* Tensor names in header order (NULL-terminated, owned by @self). */
const char *const *tz_safetensors_get_names (TzSafetensors  *self);
gboolean       tz_safetensors_has           (TzSafetensors  *self,
                                             const char     *name);
/* A view of the mapped data (no copy, unless the tensor sits at an offset
 * misaligned for its dtype); it keeps the mapping alive after
 * tz_safetensors_free(). G_IO_ERROR_NOT_FOUND if absent. */
TzArray       *tz_safetensors_get           (TzSafetensors  *self,
                                             const char     *name,
                                             GError        **error);
/* A "__metadata__" value, or NULL. */
const char    *tz_safetensors_get_metadata  (TzSafetensors  *self,
                                             const char     *key);

/* Writes atomically (temporary file, fsync, rename). @metadata maps
 * string -> string and may be NULL. %TZ_DTYPE_UNICODE arrays are refused
 * with TZ_ERROR_UNSUPPORTED (safetensors has no strings: put them in
 * metadata); a repeated, non-UTF-8 or "__metadata__" name is
 * TZ_ERROR_INVALID_ARGUMENT. As the reference writer does, the header is
 * compact JSON padded with spaces to a multiple of 8 bytes and the data is
 * laid out largest element size first, then by name, so that every tensor
 * is aligned for its dtype. */
gboolean       tz_safetensors_write         (const char        *path,
                                             const char *const *names,
                                             TzArray *const    *arrays,
                                             guint              n_arrays,
                                             GHashTable        *metadata,
                                             GError           **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TzSafetensors, tz_safetensors_free)

G_END_DECLS

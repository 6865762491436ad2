/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * TzDType:
 *
 * Element types of the arrays that Tsuzuki reads and writes (numpy .npy,
 * safetensors, IDX). Data is always held in native (little-endian) byte
 * order and C (row-major) order; readers convert on the way in.
 * %TZ_DTYPE_UNICODE is numpy's fixed-width `<U` strings (UCS-4), whose
 * item size is 4 times the width.
 */
typedef enum
{
  TZ_DTYPE_BOOL,
  TZ_DTYPE_U8,
  TZ_DTYPE_I8,
  TZ_DTYPE_U16,
  TZ_DTYPE_I16,
  TZ_DTYPE_U32,
  TZ_DTYPE_I32,
  TZ_DTYPE_U64,
  TZ_DTYPE_I64,
  TZ_DTYPE_F16,
  TZ_DTYPE_BF16,
  TZ_DTYPE_F32,
  TZ_DTYPE_F64,
  TZ_DTYPE_UNICODE,
} TzDType;

#define TZ_ARRAY_MAX_DIMS 8

/* An immutable, reference-counted n-dimensional array. */
typedef struct _TzArray TzArray;

/* The safetensors name of @dtype ("BOOL", "U8", ... "F64"), or "UNICODE"
 * for numpy strings (which safetensors lacks). */
const char *tz_dtype_to_string       (TzDType        dtype);
/* The inverse of tz_dtype_to_string(); FALSE for an unknown name. */
gboolean    tz_dtype_from_string     (const char    *name,
                                      TzDType       *dtype);
/* Bytes per element; for %TZ_DTYPE_UNICODE, 4 (one UCS-4 code point: an
 * array's item size is 4 x its width). */
gsize       tz_dtype_get_size        (TzDType        dtype);

/* Takes a reference on @data, which must hold exactly
 * item_size * prod(shape) bytes (item_size is the dtype's size, or for
 * %TZ_DTYPE_UNICODE the given @item_size; it is ignored for other dtypes).
 * Fails with TZ_ERROR_CORRUPT on a size mismatch, TZ_ERROR_TOO_LARGE on an
 * overflowing shape, and TZ_ERROR_INVALID_ARGUMENT on more than
 * TZ_ARRAY_MAX_DIMS dimensions, a negative dimension or a unicode item size
 * that is not a positive multiple of 4. The data of every array is aligned
 * for its element type: @data that is not is copied. The messages name no
 * file: readers check shapes first or prefix the file name. */
TzArray    *tz_array_new             (TzDType        dtype,
                                      gsize          item_size,
                                      guint          ndim,
                                      const gint64  *shape,
                                      GBytes        *data,
                                      GError       **error);
/* Copies @data (prod(shape) elements; the shape must be valid). */
TzArray    *tz_array_new_float32     (guint          ndim,
                                      const gint64  *shape,
                                      const float   *data);
TzArray    *tz_array_new_int64       (guint          ndim,
                                      const gint64  *shape,
                                      const gint64  *data);
/* A 1-D %TZ_DTYPE_UNICODE array, as numpy stores a list of str: the
 * width is that of the longest string (at least 1), shorter ones padded
 * with NULs. @strv must be valid UTF-8. */
TzArray    *tz_array_new_strv        (const char *const *strv);

TzArray    *tz_array_ref             (TzArray       *self);
void        tz_array_unref           (TzArray       *self);

TzDType        tz_array_get_dtype       (TzArray *self);
gsize          tz_array_get_item_size   (TzArray *self);
guint          tz_array_get_ndim        (TzArray *self);
const gint64  *tz_array_get_shape       (TzArray *self);
gint64         tz_array_get_n_elements  (TzArray *self);
/* Native byte order, C order, aligned for the dtype. */
gconstpointer  tz_array_get_data        (TzArray *self,
                                         gsize   *size);
/* The data (transfer none: g_bytes_ref() it to keep it). */
GBytes        *tz_array_get_bytes       (TzArray *self);

/* Conversions; each returns newly allocated memory (g_free) with
 * n_elements entries, or NULL with TZ_ERROR_UNSUPPORTED for a dtype that does
 * not convert (strings to numbers, floats to integers). Booleans convert
 * to 0 and 1. tz_array_to_int64() fails with TZ_ERROR_TOO_LARGE on a U64
 * value beyond G_MAXINT64. */
float      *tz_array_to_float32      (TzArray       *self,
                                      GError       **error);
gint64     *tz_array_to_int64        (TzArray       *self,
                                      GError       **error);
/* A 1-D unicode array to UTF-8 strings (trailing NULs dropped), a
 * NULL-terminated vector (g_strfreev). TZ_ERROR_UNSUPPORTED for another
 * dtype, TZ_ERROR_DIMENSION_MISMATCH when not 1-D, TZ_ERROR_CORRUPT for a
 * code point that is not a Unicode scalar value or a NUL inside a string. */
char      **tz_array_to_strv         (TzArray       *self,
                                      GError       **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TzArray, tz_array_unref)

G_END_DECLS

/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-formats"

#include "config.h"

#include <math.h>
#include <string.h>

#include "tz-array.h"
#include "tz-error.h"
#include "tz-format-private.h"

struct _TzArray
{
  TzDType dtype;
  gsize item_size;
  guint ndim;
  gint64 shape[TZ_ARRAY_MAX_DIMS];
  gsize n_elements;
  GBytes *data;
};

static const struct
{
  const char *name;
  gsize size;
} dtype_info[] = {
  [TZ_DTYPE_BOOL] = { "BOOL", 1 },
  [TZ_DTYPE_U8] = { "U8", 1 },
  [TZ_DTYPE_I8] = { "I8", 1 },
  [TZ_DTYPE_U16] = { "U16", 2 },
  [TZ_DTYPE_I16] = { "I16", 2 },
  [TZ_DTYPE_U32] = { "U32", 4 },
  [TZ_DTYPE_I32] = { "I32", 4 },
  [TZ_DTYPE_U64] = { "U64", 8 },
  [TZ_DTYPE_I64] = { "I64", 8 },
  [TZ_DTYPE_F16] = { "F16", 2 },
  [TZ_DTYPE_BF16] = { "BF16", 2 },
  [TZ_DTYPE_F32] = { "F32", 4 },
  [TZ_DTYPE_F64] = { "F64", 8 },
  [TZ_DTYPE_UNICODE] = { "UNICODE", 4 },
};

static gboolean
dtype_is_valid (TzDType dtype)
{
  return (guint) dtype < G_N_ELEMENTS (dtype_info);
}

const char *
tz_dtype_to_string (TzDType dtype)
{
  g_return_val_if_fail (dtype_is_valid (dtype), NULL);

  return dtype_info[dtype].name;
}

gboolean
tz_dtype_from_string (const char *name,
                      TzDType    *dtype)
{
  g_return_val_if_fail (name != NULL, FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (dtype_info); i++)
    {
      if (strcmp (dtype_info[i].name, name) == 0)
        {
          if (dtype != NULL)
            *dtype = (TzDType) i;
          return TRUE;
        }
    }

  return FALSE;
}

gsize
tz_dtype_get_size (TzDType dtype)
{
  g_return_val_if_fail (dtype_is_valid (dtype), 0);

  return dtype_info[dtype].size;
}

static void
tz_array_clear (gpointer data)
{
  TzArray *self = data;

  g_clear_pointer (&self->data, g_bytes_unref);
}

/* Every array's data is aligned for its element type, so that callers may
 * read it through a typed pointer; data that is not (a tensor at an odd
 * offset in a mapped file) is copied into fresh, aligned memory. */
static GBytes *
ensure_aligned (GBytes *data,
                gsize   alignment)
{
  gsize size = 0;
  gconstpointer p = g_bytes_get_data (data, &size);

  if (((guintptr) p % alignment) == 0)
    return g_bytes_ref (data);

  return g_bytes_new (p, size);
}

TzArray *
tz_array_new (TzDType        dtype,
              gsize          item_size,
              guint          ndim,
              const gint64  *shape,
              GBytes        *data,
              GError       **error)
{
  TzArray *self;
  gsize n_elements = 0;
  gsize n_bytes = 0;

  g_return_val_if_fail (dtype_is_valid (dtype), NULL);
  g_return_val_if_fail (ndim == 0 || shape != NULL, NULL);
  g_return_val_if_fail (data != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (ndim > TZ_ARRAY_MAX_DIMS)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                   "An array of %u dimensions exceeds the limit of %u",
                   ndim, TZ_ARRAY_MAX_DIMS);
      return NULL;
    }

  for (guint i = 0; i < ndim; i++)
    {
      if (shape[i] < 0)
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                       "Dimension %u of an array is negative (%" G_GINT64_FORMAT ")",
                       i, shape[i]);
          return NULL;
        }
    }

  if (dtype == TZ_DTYPE_UNICODE)
    {
      if (item_size == 0 || item_size % 4 != 0)
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                       "A unicode array needs an item size that is a positive multiple of 4, not %" G_GSIZE_FORMAT,
                       item_size);
          return NULL;
        }
    }
  else
    item_size = dtype_info[dtype].size;

  if (!tz_format_checked_size (ndim, shape, item_size, &n_elements, &n_bytes))
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_TOO_LARGE,
                   "An array shape whose size overflows");
      return NULL;
    }

  if (g_bytes_get_size (data) != n_bytes)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                   "An array of %s with %" G_GSIZE_FORMAT " elements needs %" G_GSIZE_FORMAT " bytes, not %" G_GSIZE_FORMAT,
                   dtype_info[dtype].name, n_elements, n_bytes,
                   g_bytes_get_size (data));
      return NULL;
    }

  self = g_atomic_rc_box_new0 (TzArray);
  self->dtype = dtype;
  self->item_size = item_size;
  self->ndim = ndim;
  if (ndim > 0)
    memcpy (self->shape, shape, ndim * sizeof (gint64));
  self->n_elements = n_elements;
  self->data = ensure_aligned (data, dtype_info[dtype].size);

  return self;
}

static TzArray *
new_copy (TzDType        dtype,
          guint          ndim,
          const gint64  *shape,
          gconstpointer  data)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  gsize n_bytes = 0;
  TzArray *self;

  if (!tz_format_checked_size (ndim, shape, dtype_info[dtype].size, NULL, &n_bytes))
    {
      g_critical ("%s: the shape is negative or overflows", G_STRFUNC);
      return NULL;
    }

  g_return_val_if_fail (data != NULL || n_bytes == 0, NULL);

  bytes = g_bytes_new (data, n_bytes);
  self = tz_array_new (dtype, 0, ndim, shape, bytes, &error);
  if (self == NULL)
    g_critical ("%s: %s", G_STRFUNC, error->message);

  return self;
}

TzArray *
tz_array_new_float32 (guint          ndim,
                      const gint64  *shape,
                      const float   *data)
{
  g_return_val_if_fail (ndim <= TZ_ARRAY_MAX_DIMS, NULL);
  g_return_val_if_fail (ndim == 0 || shape != NULL, NULL);

  return new_copy (TZ_DTYPE_F32, ndim, shape, data);
}

TzArray *
tz_array_new_int64 (guint          ndim,
                    const gint64  *shape,
                    const gint64  *data)
{
  g_return_val_if_fail (ndim <= TZ_ARRAY_MAX_DIMS, NULL);
  g_return_val_if_fail (ndim == 0 || shape != NULL, NULL);

  return new_copy (TZ_DTYPE_I64, ndim, shape, data);
}

TzArray *
tz_array_new_strv (const char *const *strv)
{
  g_autoptr(GBytes) bytes = NULL;
  guint32 *codes;
  gsize n = 0;
  gsize width = 1;
  gint64 shape[1];

  g_return_val_if_fail (strv != NULL, NULL);

  for (n = 0; strv[n] != NULL; n++)
    {
      g_return_val_if_fail (g_utf8_validate (strv[n], -1, NULL), NULL);
      width = MAX (width, (gsize) g_utf8_strlen (strv[n], -1));
    }

  codes = g_new0 (guint32, MAX (n * width, 1));
  for (gsize i = 0; i < n; i++)
    {
      gsize j = 0;

      for (const char *p = strv[i]; *p != '\0'; p = g_utf8_next_char (p))
        codes[i * width + j++] = g_utf8_get_char (p);
    }

  bytes = g_bytes_new_take (codes, n * width * 4);
  shape[0] = (gint64) n;

  return tz_array_new (TZ_DTYPE_UNICODE, width * 4, 1, shape, bytes, NULL);
}

TzArray *
tz_array_ref (TzArray *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_atomic_rc_box_acquire (self);
}

void
tz_array_unref (TzArray *self)
{
  g_return_if_fail (self != NULL);

  g_atomic_rc_box_release_full (self, tz_array_clear);
}

TzDType
tz_array_get_dtype (TzArray *self)
{
  g_return_val_if_fail (self != NULL, TZ_DTYPE_U8);

  return self->dtype;
}

gsize
tz_array_get_item_size (TzArray *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->item_size;
}

guint
tz_array_get_ndim (TzArray *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->ndim;
}

const gint64 *
tz_array_get_shape (TzArray *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->shape;
}

gint64
tz_array_get_n_elements (TzArray *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return (gint64) self->n_elements;
}

gconstpointer
tz_array_get_data (TzArray *self,
                   gsize   *size)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_bytes_get_data (self->data, size);
}

GBytes *
tz_array_get_bytes (TzArray *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->data;
}

float
tz_half_to_float (guint16 h)
{
  guint32 sign = (guint32) (h & 0x8000) << 16;
  guint32 exponent = (h >> 10) & 0x1f;
  guint32 mantissa = h & 0x3ff;
  guint32 bits;
  float f;

  if (exponent == 0)
    {
      /* Zero or subnormal: mantissa x 2^-24 is exact in float. */
      f = ldexpf ((float) mantissa, -24);
      return sign != 0 ? -f : f;
    }
  else if (exponent == 31)
    bits = sign | 0x7f800000u | (mantissa << 13);
  else
    bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);

  memcpy (&f, &bits, sizeof f);

  return f;
}

float
tz_bfloat16_to_float (guint16 h)
{
  guint32 bits = (guint32) h << 16;
  float f;

  memcpy (&f, &bits, sizeof f);

  return f;
}

static gboolean
unsupported_conversion (TzArray     *self,
                        const char  *target,
                        GError     **error)
{
  g_set_error (error, TZ_ERROR, TZ_ERROR_UNSUPPORTED,
               "An array of %s cannot be converted to %s",
               dtype_info[self->dtype].name, target);
  return FALSE;
}

float *
tz_array_to_float32 (TzArray  *self,
                     GError  **error)
{
  gconstpointer data;
  gsize n;
  g_autofree float *out = NULL;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (self->dtype == TZ_DTYPE_UNICODE)
    {
      unsupported_conversion (self, "float32", error);
      return NULL;
    }

  n = self->n_elements;
  data = g_bytes_get_data (self->data, NULL);
  out = g_try_new (float, MAX (n, 1));
  if (out == NULL)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_TOO_LARGE,
                   "Not enough memory to convert %" G_GSIZE_FORMAT " elements to float32", n);
      return NULL;
    }

#define CONVERT(ctype, expr) \
  G_STMT_START { \
    const ctype *src = data; \
    for (gsize i = 0; i < n; i++) \
      { \
        ctype v = src[i]; \
        out[i] = (expr); \
      } \
  } G_STMT_END

  switch (self->dtype)
    {
    case TZ_DTYPE_BOOL: CONVERT (guint8, v != 0 ? 1.0f : 0.0f); break;
    case TZ_DTYPE_U8: CONVERT (guint8, (float) v); break;
    case TZ_DTYPE_I8: CONVERT (gint8, (float) v); break;
    case TZ_DTYPE_U16: CONVERT (guint16, (float) v); break;
    case TZ_DTYPE_I16: CONVERT (gint16, (float) v); break;
    case TZ_DTYPE_U32: CONVERT (guint32, (float) v); break;
    case TZ_DTYPE_I32: CONVERT (gint32, (float) v); break;
    case TZ_DTYPE_U64: CONVERT (guint64, (float) v); break;
    case TZ_DTYPE_I64: CONVERT (gint64, (float) v); break;
    case TZ_DTYPE_F16: CONVERT (guint16, tz_half_to_float (v)); break;
    case TZ_DTYPE_BF16: CONVERT (guint16, tz_bfloat16_to_float (v)); break;
    case TZ_DTYPE_F32: if (n > 0) memcpy (out, data, n * sizeof (float)); break;
    case TZ_DTYPE_F64: CONVERT (double, (float) v); break;
    case TZ_DTYPE_UNICODE:
    default:
      g_assert_not_reached ();
    }

#undef CONVERT

  return g_steal_pointer (&out);
}

gint64 *
tz_array_to_int64 (TzArray  *self,
                   GError  **error)
{
  gconstpointer data;
  gsize n;
  g_autofree gint64 *out = NULL;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  switch (self->dtype)
    {
    case TZ_DTYPE_F16:
    case TZ_DTYPE_BF16:
    case TZ_DTYPE_F32:
    case TZ_DTYPE_F64:
    case TZ_DTYPE_UNICODE:
      unsupported_conversion (self, "int64", error);
      return NULL;

    default:
      break;
    }

  n = self->n_elements;
  data = g_bytes_get_data (self->data, NULL);
  out = g_try_new (gint64, MAX (n, 1));
  if (out == NULL)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_TOO_LARGE,
                   "Not enough memory to convert %" G_GSIZE_FORMAT " elements to int64", n);
      return NULL;
    }

#define CONVERT(ctype) \
  G_STMT_START { \
    const ctype *src = data; \
    for (gsize i = 0; i < n; i++) \
      out[i] = (gint64) src[i]; \
  } G_STMT_END

  switch (self->dtype)
    {
    case TZ_DTYPE_BOOL:
      {
        const guint8 *src = data;

        for (gsize i = 0; i < n; i++)
          out[i] = src[i] != 0;
      }
      break;
    case TZ_DTYPE_U8: CONVERT (guint8); break;
    case TZ_DTYPE_I8: CONVERT (gint8); break;
    case TZ_DTYPE_U16: CONVERT (guint16); break;
    case TZ_DTYPE_I16: CONVERT (gint16); break;
    case TZ_DTYPE_U32: CONVERT (guint32); break;
    case TZ_DTYPE_I32: CONVERT (gint32); break;
    case TZ_DTYPE_I64: if (n > 0) memcpy (out, data, n * sizeof (gint64)); break;
    case TZ_DTYPE_U64:
      {
        const guint64 *src = data;

        for (gsize i = 0; i < n; i++)
          {
            if (src[i] > (guint64) G_MAXINT64)
              {
                g_set_error (error, TZ_ERROR, TZ_ERROR_TOO_LARGE,
                             "Element %" G_GSIZE_FORMAT " of a U64 array (%" G_GUINT64_FORMAT ") does not fit in int64",
                             i, src[i]);
                return NULL;
              }
            out[i] = (gint64) src[i];
          }
      }
      break;
    case TZ_DTYPE_F16:
    case TZ_DTYPE_BF16:
    case TZ_DTYPE_F32:
    case TZ_DTYPE_F64:
    case TZ_DTYPE_UNICODE:
    default:
      g_assert_not_reached ();
    }

#undef CONVERT

  return g_steal_pointer (&out);
}

char **
tz_array_to_strv (TzArray  *self,
                  GError  **error)
{
  g_autoptr(GPtrArray) strv = NULL;
  const guint32 *codes;
  gsize width;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (self->dtype != TZ_DTYPE_UNICODE)
    {
      unsupported_conversion (self, "strings", error);
      return NULL;
    }

  if (self->ndim != 1)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_DIMENSION_MISMATCH,
                   "A list of strings must be a 1-D array, not %u-D",
                   self->ndim);
      return NULL;
    }

  width = self->item_size / 4;
  codes = g_bytes_get_data (self->data, NULL);
  strv = g_ptr_array_new_full (self->n_elements + 1, g_free);

  for (gsize i = 0; i < self->n_elements; i++)
    {
      const guint32 *item = codes + i * width;
      gsize length = width;
      g_autoptr(GError) local_error = NULL;
      char *utf8;

      /* numpy pads short strings with NULs; a NUL before the last
       * non-NUL code point would silently cut a C string short. */
      while (length > 0 && item[length - 1] == 0)
        length--;

      for (gsize j = 0; j < length; j++)
        {
          guint32 c = item[j];

          if (c == 0 || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
            {
              g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                           "String %" G_GSIZE_FORMAT " holds an invalid code point U+%04X at position %" G_GSIZE_FORMAT,
                           i, c, j);
              return NULL;
            }
        }

      utf8 = g_ucs4_to_utf8 ((const gunichar *) item, (glong) length, NULL, NULL, &local_error);
      if (utf8 == NULL)
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                       "String %" G_GSIZE_FORMAT " is not valid Unicode: %s",
                       i, local_error->message);
          return NULL;
        }

      g_ptr_array_add (strv, utf8);
    }

  g_ptr_array_add (strv, NULL);

  return (char **) g_ptr_array_free (g_steal_pointer (&strv), FALSE);
}

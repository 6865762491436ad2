/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-formats"

#include "config.h"

#include <string.h>

#include <zlib.h>

#include "tz-error.h"
#include "tz-format-private.h"
#include "tz-idx.h"

#define IDX_MAX_DATA_SIZE ((guint64) 4 * 1024 * 1024 * 1024)

/* A byte source over either the raw file or its gzip stream, so that the
 * header and the data are read the same way in both cases. */
typedef struct
{
  const char *display_name;
  const guint8 *raw;
  gsize raw_size;
  gsize raw_offset;
  gboolean gzip;
  gboolean stream_ended;
  z_stream zs;
} Source;

static gboolean
source_init (Source        *source,
             const char    *display_name,
             const guint8  *raw,
             gsize          raw_size,
             GError       **error)
{
  memset (source, 0, sizeof *source);
  source->display_name = display_name;
  source->raw = raw;
  source->raw_size = raw_size;
  source->gzip = raw_size >= 2 && raw[0] == 0x1f && raw[1] == 0x8b;

  if (source->gzip)
    {
      /* 16 + 15: a gzip wrapper (its CRC and length are checked at the
       * end of the stream) around a full-size window. */
      if (inflateInit2 (&source->zs, 16 + MAX_WBITS) != Z_OK)
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_TOO_LARGE,
                       "%s: cannot start the gzip decoder", display_name);
          source->gzip = FALSE;
          return FALSE;
        }
      source->zs.next_in = (Bytef *) raw;
      source->zs.avail_in = 0;
    }

  return TRUE;
}

static void
source_clear (Source *source)
{
  if (source->gzip)
    inflateEnd (&source->zs);
}

/* Reads up to @size bytes; returns how many arrived (fewer only at the end
 * of the data), or -1 with @error set on a damaged gzip stream. */
static gssize
source_read (Source   *source,
             guint8   *buffer,
             gsize     size,
             GError  **error)
{
  gsize got = 0;

  if (!source->gzip)
    {
      gsize n = MIN (size, source->raw_size - source->raw_offset);

      if (n > 0)
        memcpy (buffer, source->raw + source->raw_offset, n);
      source->raw_offset += n;
      return (gssize) n;
    }

  while (got < size && !source->stream_ended)
    {
      int status;
      gsize before_out;

      if (source->zs.avail_in == 0)
        {
          gsize left = source->raw_size - (gsize) (source->zs.next_in - source->raw);

          source->zs.avail_in = (uInt) MIN (left, (gsize) G_MAXUINT32);
        }

      source->zs.next_out = buffer + got;
      source->zs.avail_out = (uInt) MIN (size - got, (gsize) G_MAXUINT32);
      before_out = source->zs.avail_out;

      status = inflate (&source->zs, Z_NO_FLUSH);
      got += before_out - source->zs.avail_out;

      if (status == Z_STREAM_END)
        {
          gsize left = source->raw_size - (gsize) (source->zs.next_in - source->raw);

          /* gzip allows several members back to back (gzip -c a b). */
          if (left == 0)
            source->stream_ended = TRUE;
          else if (inflateReset (&source->zs) != Z_OK)
            {
              g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                           "%s: cannot restart the gzip decoder", source->display_name);
              return -1;
            }
        }
      else if (status == Z_BUF_ERROR)
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                       "%s: the gzip stream is truncated", source->display_name);
          return -1;
        }
      else if (status != Z_OK)
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                       "%s: the gzip stream is damaged: %s",
                       source->display_name,
                       source->zs.msg != NULL ? source->zs.msg : "unknown error");
          return -1;
        }
    }

  return (gssize) got;
}

static TzDType
idx_type (guint8  code,
          gsize  *size)
{
  switch (code)
    {
    case 0x08: *size = 1; return TZ_DTYPE_U8;
    case 0x09: *size = 1; return TZ_DTYPE_I8;
    case 0x0B: *size = 2; return TZ_DTYPE_I16;
    case 0x0C: *size = 4; return TZ_DTYPE_I32;
    case 0x0D: *size = 4; return TZ_DTYPE_F32;
    case 0x0E: *size = 8; return TZ_DTYPE_F64;
    default: *size = 0; return TZ_DTYPE_U8;
    }
}

static TzArray *
read_idx (Source      *source,
          GError     **error)
{
  const char *display_name = source->display_name;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree guint8 *data = NULL;
  guint8 magic[4];
  guint8 dims[4 * TZ_ARRAY_MAX_DIMS];
  gint64 shape[TZ_ARRAY_MAX_DIMS];
  gsize item_size;
  gsize n_elements = 0;
  gsize n_bytes = 0;
  guint ndim;
  TzDType dtype;
  guint8 extra;
  gssize n;
  TzArray *array;

  n = source_read (source, magic, sizeof magic, error);
  if (n < 0)
    return NULL;
  if (n < (gssize) sizeof magic)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                   "%s: too short for an IDX header", display_name);
      return NULL;
    }

  if (magic[0] != 0 || magic[1] != 0)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                   "%s: not an IDX file (the magic number starts %02x %02x, not 00 00)",
                   display_name, magic[0], magic[1]);
      return NULL;
    }

  dtype = idx_type (magic[2], &item_size);
  if (item_size == 0)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                   "%s: unknown IDX type code 0x%02x", display_name, magic[2]);
      return NULL;
    }

  ndim = magic[3];
  if (ndim == 0)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                   "%s: an IDX file with no dimensions", display_name);
      return NULL;
    }
  if (ndim > TZ_ARRAY_MAX_DIMS)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_UNSUPPORTED,
                   "%s: an IDX file of %u dimensions (at most %u are supported)",
                   display_name, ndim, TZ_ARRAY_MAX_DIMS);
      return NULL;
    }

  n = source_read (source, dims, 4 * ndim, error);
  if (n < 0)
    return NULL;
  if (n < (gssize) (4 * ndim))
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                   "%s: the IDX header is truncated in its dimension sizes", display_name);
      return NULL;
    }

  for (guint i = 0; i < ndim; i++)
    {
      guint32 v;

      memcpy (&v, dims + 4 * i, 4);
      shape[i] = GUINT32_FROM_BE (v);
    }

  if (!tz_format_checked_size (ndim, shape, item_size, &n_elements, &n_bytes) ||
      n_bytes > IDX_MAX_DATA_SIZE)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_TOO_LARGE,
                   "%s: the IDX dimensions describe more than 4 GiB of data", display_name);
      return NULL;
    }

  /* A raw file can be checked against its size before any allocation;
   * a gzip stream only by decoding it. */
  if (!source->gzip && source->raw_size - source->raw_offset < n_bytes)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                   "%s: the IDX data is truncated: %" G_GSIZE_FORMAT " bytes of %" G_GSIZE_FORMAT,
                   display_name, source->raw_size - source->raw_offset, n_bytes);
      return NULL;
    }

  data = g_try_malloc (MAX (n_bytes, 1));
  if (data == NULL)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_TOO_LARGE,
                   "%s: not enough memory for %" G_GSIZE_FORMAT " bytes of IDX data",
                   display_name, n_bytes);
      return NULL;
    }

  n = source_read (source, data, n_bytes, error);
  if (n < 0)
    return NULL;
  if ((gsize) n < n_bytes)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                   "%s: the IDX data is truncated: %" G_GSSIZE_FORMAT " bytes of %" G_GSIZE_FORMAT,
                   display_name, n, n_bytes);
      return NULL;
    }

  /* Reading on to the end also makes zlib check the gzip CRC. */
  n = source_read (source, &extra, 1, error);
  if (n < 0)
    return NULL;
  if (n > 0)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                   "%s: trailing bytes after the IDX data", display_name);
      return NULL;
    }

  if (G_BYTE_ORDER == G_LITTLE_ENDIAN && item_size > 1)
    tz_format_swap_bytes (data, n_elements, item_size);

  bytes = g_bytes_new_take (g_steal_pointer (&data), n_bytes);
  array = tz_array_new (dtype, 0, ndim, shape, bytes, &local_error);
  if (array == NULL)
    {
      g_set_error (error, local_error->domain, local_error->code,
                   "%s: %s", display_name, local_error->message);
      return NULL;
    }

  return array;
}

TzArray *
tz_idx_read (const char  *path,
             GError     **error)
{
  g_autoptr(GMappedFile) mapped = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *display_name = NULL;
  Source source;
  TzArray *array;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  display_name = tz_format_display_name (path);
  mapped = g_mapped_file_new (path, FALSE, &local_error);
  if (mapped == NULL)
    {
      g_set_error (error, local_error->domain, local_error->code,
                   "%s: %s", display_name, local_error->message);
      return NULL;
    }

  if (!source_init (&source, display_name,
                    (const guint8 *) g_mapped_file_get_contents (mapped),
                    g_mapped_file_get_length (mapped),
                    error))
    return NULL;

  array = read_idx (&source, error);
  source_clear (&source);

  return array;
}

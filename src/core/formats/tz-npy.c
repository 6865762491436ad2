/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-formats"

#include "config.h"

#include <string.h>

#include <zip.h>

#include "tz-error.h"
#include "tz-format-private.h"
#include "tz-npy.h"
#include "tz-zip-reader.h"

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
/* numpy itself refuses headers over 10000 bytes by default; a megabyte
 * leaves room for odd writers while bounding what we scan. */
#define NPY_MAX_HEADER_LEN (1024 * 1024)
#define NPY_ALIGN 64
/* The largest member of an .npz we agree to inflate; the real bound is
 * memory, which the zip reader checks with g_try_malloc(). */
#define NPZ_MAX_MEMBER_SIZE ((gsize) G_MAXSSIZE)

typedef struct
{
  const char *display_name;
  const char *start;
  const char *p;
  const char *end;
} Parser;

typedef struct
{
  gboolean has_descr;
  gboolean has_fortran_order;
  gboolean has_shape;
  char *descr;
  gboolean fortran_order;
  guint ndim;
  gint64 shape[TZ_ARRAY_MAX_DIMS];
} Header;

static gboolean
corrupt (Parser      *parser,
         GError     **error,
         const char  *reason)
{
  g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
               "%s: malformed .npy header: %s",
               parser->display_name, reason);
  return FALSE;
}

static void
skip_space (Parser *parser)
{
  while (parser->p < parser->end &&
         (*parser->p == ' ' || *parser->p == '\t' ||
          *parser->p == '\n' || *parser->p == '\r'))
    parser->p++;
}

static gboolean
expect (Parser      *parser,
        char         c,
        GError     **error)
{
  skip_space (parser);
  if (parser->p >= parser->end || *parser->p != c)
    {
      g_autofree char *reason = g_strdup_printf ("expected “%c” at offset %" G_GSSIZE_FORMAT,
                                                 c, (gssize) (parser->p - parser->start));
      return corrupt (parser, error, reason);
    }
  parser->p++;

  return TRUE;
}

static gboolean
peek (Parser *parser,
      char    c)
{
  skip_space (parser);

  return parser->p < parser->end && *parser->p == c;
}

/* A Python string literal without escapes: the only strings a header
 * holds are dtype codes and key names. */
static char *
parse_string (Parser  *parser,
              GError **error)
{
  const char *start;
  char quote;

  skip_space (parser);
  if (parser->p >= parser->end || (*parser->p != '\'' && *parser->p != '"'))
    {
      corrupt (parser, error, "expected a quoted string");
      return NULL;
    }

  quote = *parser->p++;
  start = parser->p;
  while (parser->p < parser->end && *parser->p != quote)
    {
      if (*parser->p == '\\' || (guchar) *parser->p < 0x20)
        {
          corrupt (parser, error, "escapes and control characters are not allowed in strings");
          return NULL;
        }
      parser->p++;
    }

  if (parser->p >= parser->end)
    {
      corrupt (parser, error, "unterminated string");
      return NULL;
    }

  parser->p++;

  return g_strndup (start, (gsize) (parser->p - 1 - start));
}

static gboolean
parse_word (Parser     *parser,
            const char *word)
{
  gsize len = strlen (word);

  skip_space (parser);
  if ((gsize) (parser->end - parser->p) < len || memcmp (parser->p, word, len) != 0)
    return FALSE;

  /* "Truely" is not True. */
  if ((gsize) (parser->end - parser->p) > len && g_ascii_isalnum (parser->p[len]))
    return FALSE;

  parser->p += len;

  return TRUE;
}

static gboolean
parse_dimension (Parser  *parser,
                 gint64  *value,
                 GError **error)
{
  guint64 v = 0;
  const char *start;

  skip_space (parser);
  start = parser->p;

  if (parser->p < parser->end && *parser->p == '-')
    return corrupt (parser, error, "a negative dimension");

  while (parser->p < parser->end && g_ascii_isdigit (*parser->p))
    {
      guint digit = (guint) (*parser->p - '0');

      if (v > ((guint64) G_MAXINT64 - digit) / 10)
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_TOO_LARGE,
                       "%s: a dimension in the .npy header does not fit in 64 bits",
                       parser->display_name);
          return FALSE;
        }
      v = v * 10 + digit;
      parser->p++;
    }

  if (parser->p == start)
    return corrupt (parser, error, "expected a dimension");

  if (parser->p - start > 1 && *start == '0')
    return corrupt (parser, error, "a dimension with a leading zero");

  *value = (gint64) v;

  return TRUE;
}

static gboolean
parse_shape (Parser  *parser,
             Header  *header,
             GError **error)
{
  gboolean trailing_comma = FALSE;

  if (!expect (parser, '(', error))
    return FALSE;

  header->ndim = 0;
  while (!peek (parser, ')'))
    {
      gint64 value;

      if (header->ndim == TZ_ARRAY_MAX_DIMS)
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_UNSUPPORTED,
                       "%s: arrays of more than %u dimensions are not supported",
                       parser->display_name, TZ_ARRAY_MAX_DIMS);
          return FALSE;
        }

      if (!parse_dimension (parser, &value, error))
        return FALSE;

      header->shape[header->ndim++] = value;
      trailing_comma = FALSE;

      if (peek (parser, ','))
        {
          parser->p++;
          trailing_comma = TRUE;
        }
      else if (!peek (parser, ')'))
        return corrupt (parser, error, "expected “,” or “)” in the shape");
    }
  parser->p++;

  /* "(3)" is the number 3 in Python, not a tuple. */
  if (header->ndim == 1 && !trailing_comma)
    return corrupt (parser, error, "a one-dimensional shape needs a trailing comma");

  return TRUE;
}

static gboolean
parse_header (Parser  *parser,
              Header  *header,
              GError **error)
{
  if (!expect (parser, '{', error))
    return FALSE;

  while (!peek (parser, '}'))
    {
      g_autofree char *key = NULL;

      key = parse_string (parser, error);
      if (key == NULL)
        return FALSE;

      if (!expect (parser, ':', error))
        return FALSE;

      if (strcmp (key, "descr") == 0 && !header->has_descr)
        {
          if (peek (parser, '['))
            {
              g_set_error (error, TZ_ERROR, TZ_ERROR_UNSUPPORTED,
                           "%s: structured (record) arrays are not supported",
                           parser->display_name);
              return FALSE;
            }
          header->descr = parse_string (parser, error);
          if (header->descr == NULL)
            return FALSE;
          header->has_descr = TRUE;
        }
      else if (strcmp (key, "fortran_order") == 0 && !header->has_fortran_order)
        {
          if (parse_word (parser, "True"))
            header->fortran_order = TRUE;
          else if (parse_word (parser, "False"))
            header->fortran_order = FALSE;
          else
            return corrupt (parser, error, "fortran_order is neither True nor False");
          header->has_fortran_order = TRUE;
        }
      else if (strcmp (key, "shape") == 0 && !header->has_shape)
        {
          if (!parse_shape (parser, header, error))
            return FALSE;
          header->has_shape = TRUE;
        }
      else
        {
          g_autofree char *reason = g_strdup_printf ("unexpected or repeated key “%s”", key);
          return corrupt (parser, error, reason);
        }

      if (peek (parser, ','))
        parser->p++;
      else if (!peek (parser, '}'))
        return corrupt (parser, error, "expected “,” or “}” after a value");
    }
  parser->p++;

  skip_space (parser);
  if (parser->p != parser->end)
    return corrupt (parser, error, "text after the closing brace");

  if (!header->has_descr || !header->has_fortran_order || !header->has_shape)
    return corrupt (parser, error, "it lacks one of 'descr', 'fortran_order' and 'shape'");

  return TRUE;
}

/* Maps a numpy dtype string to ours; sets *swap when the data is in the
 * opposite byte order to ours. */
static gboolean
parse_descr (const char  *display_name,
             const char  *descr,
             TzDType     *dtype,
             gsize       *item_size,
             gboolean    *swap,
             GError     **error)
{
  static const struct
  {
    const char *code;
    TzDType dtype;
  } codes[] = {
    { "b1", TZ_DTYPE_BOOL },
    { "u1", TZ_DTYPE_U8 },
    { "i1", TZ_DTYPE_I8 },
    { "u2", TZ_DTYPE_U16 },
    { "i2", TZ_DTYPE_I16 },
    { "u4", TZ_DTYPE_U32 },
    { "i4", TZ_DTYPE_I32 },
    { "u8", TZ_DTYPE_U64 },
    { "i8", TZ_DTYPE_I64 },
    { "f2", TZ_DTYPE_F16 },
    { "f4", TZ_DTYPE_F32 },
    { "f8", TZ_DTYPE_F64 },
  };
  char order = descr[0];
  const char *code;
  gboolean big_endian_data;

  if (order != '<' && order != '>' && order != '|' && order != '=')
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                   "%s: the dtype “%s” has no byte-order mark",
                   display_name, descr);
      return FALSE;
    }
  code = descr + 1;

  if (code[0] == 'O')
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_UNSUPPORTED,
                   "%s: an object array (dtype “%s”), which numpy stores as a pickle; pickles are never loaded",
                   display_name, descr);
      return FALSE;
    }

  big_endian_data = order == '>' || (order == '=' && G_BYTE_ORDER == G_BIG_ENDIAN);

  if (code[0] == 'U')
    {
      guint64 width = 0;

      if (order == '|' || !g_ascii_isdigit (code[1]) ||
          !g_ascii_string_to_unsigned (code + 1, 10, 1, G_MAXSIZE / 4, &width, NULL))
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_UNSUPPORTED,
                       "%s: the string dtype “%s” is not supported",
                       display_name, descr);
          return FALSE;
        }

      *dtype = TZ_DTYPE_UNICODE;
      *item_size = (gsize) width * 4;
      *swap = big_endian_data != (G_BYTE_ORDER == G_BIG_ENDIAN);
      return TRUE;
    }

  for (guint i = 0; i < G_N_ELEMENTS (codes); i++)
    {
      if (strcmp (code, codes[i].code) != 0)
        continue;

      *dtype = codes[i].dtype;
      *item_size = tz_dtype_get_size (*dtype);

      if (order == '|' && *item_size != 1)
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                       "%s: the multi-byte dtype “%s” has no byte order",
                       display_name, descr);
          return FALSE;
        }

      *swap = *item_size > 1 && big_endian_data != (G_BYTE_ORDER == G_BIG_ENDIAN);
      return TRUE;
    }

  g_set_error (error, TZ_ERROR, TZ_ERROR_UNSUPPORTED,
               "%s: the dtype “%s” is not supported",
               display_name, descr);
  return FALSE;
}

/* Fortran (column-major) data to C (row-major) order. */
static void
transpose_to_c_order (const guint8  *src,
                      guint8        *dst,
                      guint          ndim,
                      const gint64  *shape,
                      gsize          n_elements,
                      gsize          item_size)
{
  gsize f_stride[TZ_ARRAY_MAX_DIMS];
  gsize index[TZ_ARRAY_MAX_DIMS] = { 0 };
  gsize offset = 0;

  g_assert (ndim <= TZ_ARRAY_MAX_DIMS);

  for (guint k = 0; k < ndim; k++)
    f_stride[k] = k == 0 ? 1 : f_stride[k - 1] * (gsize) shape[k - 1];

  for (gsize i = 0; i < n_elements; i++)
    {
      memcpy (dst + i * item_size, src + offset * item_size, item_size);

      /* Advance the C-order multi-index, last axis fastest. */
      for (guint k = ndim; k-- > 0;)
        {
          index[k]++;
          offset += f_stride[k];
          if (index[k] < (gsize) shape[k])
            break;
          offset -= index[k] * f_stride[k];
          index[k] = 0;
        }
    }
}

TzArray *
tz_npy_parse (GBytes      *bytes,
              const char  *display_name,
              GError     **error)
{
  g_autoptr(GBytes) data = NULL;
  g_autoptr(GError) local_error = NULL;
  const guint8 *raw;
  gsize size = 0;
  guint major;
  gsize header_len;
  gsize header_start;
  gsize data_start;
  gsize n_elements = 0;
  gsize n_bytes = 0;
  Parser parser;
  Header header = { 0 };
  TzDType dtype;
  gsize item_size = 0;
  gboolean swap = FALSE;
  TzArray *array;

  g_return_val_if_fail (bytes != NULL, NULL);
  g_return_val_if_fail (display_name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  raw = g_bytes_get_data (bytes, &size);

  if (size < NPY_MAGIC_LEN + 2 || memcmp (raw, NPY_MAGIC, NPY_MAGIC_LEN) != 0)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                   "%s: not a .npy array (no \\x93NUMPY magic)", display_name);
      return NULL;
    }

  major = raw[6];
  if (major < 1 || major > 3 || raw[7] != 0)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_UNSUPPORTED,
                   "%s: .npy format version %u.%u is not supported",
                   display_name, raw[6], raw[7]);
      return NULL;
    }

  if (major == 1)
    {
      if (size < 10)
        goto truncated;
      header_len = (gsize) raw[8] | ((gsize) raw[9] << 8);
      header_start = 10;
    }
  else
    {
      if (size < 12)
        goto truncated;
      header_len = (gsize) raw[8] | ((gsize) raw[9] << 8) |
                   ((gsize) raw[10] << 16) | ((gsize) raw[11] << 24);
      header_start = 12;
    }

  if (header_len > NPY_MAX_HEADER_LEN)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_TOO_LARGE,
                   "%s: the .npy header claims %" G_GSIZE_FORMAT " bytes, over the limit of %d",
                   display_name, header_len, NPY_MAX_HEADER_LEN);
      return NULL;
    }

  if (size - header_start < header_len)
    goto truncated;

  parser.display_name = display_name;
  parser.start = (const char *) raw + header_start;
  parser.p = parser.start;
  parser.end = parser.p + header_len;
  if (!parse_header (&parser, &header, error))
    {
      g_free (header.descr);
      return NULL;
    }

  if (!parse_descr (display_name, header.descr, &dtype, &item_size, &swap, error))
    {
      g_free (header.descr);
      return NULL;
    }
  g_clear_pointer (&header.descr, g_free);

  if (!tz_format_checked_size (header.ndim, header.shape, item_size, &n_elements, &n_bytes))
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_TOO_LARGE,
                   "%s: the shape in the .npy header overflows", display_name);
      return NULL;
    }

  data_start = header_start + header_len;
  if (size - data_start != n_bytes)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                   "%s: the header's shape needs %" G_GSIZE_FORMAT " bytes of data but the array holds %" G_GSIZE_FORMAT,
                   display_name, n_bytes, size - data_start);
      return NULL;
    }

  if (!swap && !(header.fortran_order && header.ndim > 1))
    data = g_bytes_new_from_bytes (bytes, data_start, n_bytes);
  else
    {
      g_autofree guint8 *buffer = g_try_malloc (MAX (n_bytes, 1));

      if (buffer == NULL)
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_TOO_LARGE,
                       "%s: not enough memory for %" G_GSIZE_FORMAT " bytes",
                       display_name, n_bytes);
          return NULL;
        }

      if (header.fortran_order && header.ndim > 1)
        transpose_to_c_order (raw + data_start, buffer, header.ndim, header.shape,
                              n_elements, item_size);
      else if (n_bytes > 0)
        memcpy (buffer, raw + data_start, n_bytes);

      if (swap)
        {
          if (dtype == TZ_DTYPE_UNICODE)
            tz_format_swap_bytes (buffer, n_bytes / 4, 4);
          else
            tz_format_swap_bytes (buffer, n_elements, item_size);
        }

      data = g_bytes_new_take (g_steal_pointer (&buffer), n_bytes);
    }

  array = tz_array_new (dtype, item_size, header.ndim, header.shape, data, &local_error);
  if (array == NULL)
    {
      g_set_error (error, local_error->domain, local_error->code,
                   "%s: %s", display_name, local_error->message);
      return NULL;
    }

  return array;

truncated:
  g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
               "%s: the .npy header is truncated", display_name);
  return NULL;
}

static const char *
numpy_descr (TzDType  dtype,
             gsize    item_size,
             char    *buffer,
             gsize    buffer_size)
{
  char order = G_BYTE_ORDER == G_LITTLE_ENDIAN ? '<' : '>';
  const char *code;

  switch (dtype)
    {
    case TZ_DTYPE_BOOL: return "|b1";
    case TZ_DTYPE_U8: return "|u1";
    case TZ_DTYPE_I8: return "|i1";
    case TZ_DTYPE_U16: code = "u2"; break;
    case TZ_DTYPE_I16: code = "i2"; break;
    case TZ_DTYPE_U32: code = "u4"; break;
    case TZ_DTYPE_I32: code = "i4"; break;
    case TZ_DTYPE_U64: code = "u8"; break;
    case TZ_DTYPE_I64: code = "i8"; break;
    case TZ_DTYPE_F16: code = "f2"; break;
    case TZ_DTYPE_F32: code = "f4"; break;
    case TZ_DTYPE_F64: code = "f8"; break;
    case TZ_DTYPE_UNICODE:
      g_snprintf (buffer, buffer_size, "%cU%" G_GSIZE_FORMAT, order, item_size / 4);
      return buffer;
    case TZ_DTYPE_BF16:
    default:
      g_assert_not_reached ();
    }

  g_snprintf (buffer, buffer_size, "%c%s", order, code);

  return buffer;
}

GBytes *
tz_npy_serialize (TzArray *array)
{
  g_autoptr(TzArray) widened = NULL;
  g_autoptr(GString) header = NULL;
  g_autoptr(GByteArray) out = NULL;
  char descr_buffer[32];
  const char *descr;
  const gint64 *shape;
  guint ndim;
  gconstpointer data;
  gsize data_size = 0;
  gsize prefix_len;
  gsize total;

  g_return_val_if_fail (array != NULL, NULL);

  /* numpy has no bfloat16; float32 holds every bfloat16 value exactly. */
  if (tz_array_get_dtype (array) == TZ_DTYPE_BF16)
    {
      g_autofree float *values = tz_array_to_float32 (array, NULL);

      g_return_val_if_fail (values != NULL, NULL);
      widened = tz_array_new_float32 (tz_array_get_ndim (array),
                                      tz_array_get_shape (array),
                                      values);
      array = widened;
    }

  ndim = tz_array_get_ndim (array);
  shape = tz_array_get_shape (array);
  descr = numpy_descr (tz_array_get_dtype (array), tz_array_get_item_size (array),
                       descr_buffer, sizeof descr_buffer);

  /* The same text numpy.save writes, keys sorted, so that both tools
   * produce comparable files. */
  header = g_string_new (NULL);
  g_string_append_printf (header, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
  for (guint i = 0; i < ndim; i++)
    {
      g_string_append_printf (header, "%s%" G_GINT64_FORMAT, i > 0 ? ", " : "", shape[i]);
      if (ndim == 1)
        g_string_append_c (header, ',');
    }
  g_string_append (header, "), }");

  /* Pad with spaces and end with a newline so the data starts on a
   * 64-byte boundary, as numpy does. */
  prefix_len = NPY_MAGIC_LEN + 2 + 2;
  total = prefix_len + header->len + 1;
  /* Version 1.0 stores the header length in 16 bits. */
  if (total + NPY_ALIGN - prefix_len > 65535)
    {
      prefix_len = NPY_MAGIC_LEN + 2 + 4;
      total = prefix_len + header->len + 1;
    }
  while (total % NPY_ALIGN != 0)
    {
      g_string_append_c (header, ' ');
      total++;
    }
  g_string_append_c (header, '\n');

  data = tz_array_get_data (array, &data_size);
  out = g_byte_array_sized_new ((guint) MIN (prefix_len + header->len + data_size, G_MAXUINT));
  g_byte_array_append (out, (const guint8 *) NPY_MAGIC, NPY_MAGIC_LEN);
  if (prefix_len == NPY_MAGIC_LEN + 2 + 2)
    {
      guint8 version_and_len[4] = { 1, 0, header->len & 0xff, (header->len >> 8) & 0xff };

      g_byte_array_append (out, version_and_len, sizeof version_and_len);
    }
  else
    {
      guint8 version_and_len[6] = { 2, 0,
                                    header->len & 0xff, (header->len >> 8) & 0xff,
                                    (header->len >> 16) & 0xff, (header->len >> 24) & 0xff };

      g_byte_array_append (out, version_and_len, sizeof version_and_len);
    }
  g_byte_array_append (out, (const guint8 *) header->str, (guint) header->len);

  /* GByteArray lengths are guint; large arrays go through a plain
   * buffer instead. */
  if (data_size <= G_MAXUINT - out->len)
    {
      if (data_size > 0)
        g_byte_array_append (out, data, (guint) data_size);
      return g_byte_array_free_to_bytes (g_steal_pointer (&out));
    }
  else
    {
      gsize head = out->len;
      guint8 *buffer = g_malloc (head + data_size);

      memcpy (buffer, out->data, head);
      memcpy (buffer + head, data, data_size);
      return g_bytes_new_take (buffer, head + data_size);
    }
}

static gboolean
has_suffix (const char *name,
            const char *suffix)
{
  return g_str_has_suffix (name, suffix) && strlen (name) > strlen (suffix);
}

GHashTable *
tz_npz_read (const char  *path,
             GError     **error)
{
  g_autoptr(TzZipReader) reader = NULL;
  g_autoptr(GHashTable) arrays = NULL;
  guint n_entries;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  reader = tz_zip_reader_open (path, error);
  if (reader == NULL)
    return NULL;

  arrays = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                  (GDestroyNotify) tz_array_unref);
  n_entries = tz_zip_reader_get_n_entries (reader);

  for (guint i = 0; i < n_entries; i++)
    {
      const char *entry = tz_zip_reader_get_entry_name (reader, i);
      g_autoptr(GBytes) bytes = NULL;
      g_autofree char *display_name = NULL;
      g_autofree char *key = NULL;
      TzArray *array;

      /* numpy.load returns other members as raw bytes; they carry no
       * array, so they are skipped. */
      if (!has_suffix (entry, ".npy"))
        continue;

      key = g_strndup (entry, strlen (entry) - 4);
      if (g_hash_table_contains (arrays, key))
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                       "%s: the array “%s” appears twice",
                       tz_zip_reader_get_display_name (reader), key);
          return NULL;
        }

      bytes = tz_zip_reader_read_entry (reader, entry, NPZ_MAX_MEMBER_SIZE, error);
      if (bytes == NULL)
        return NULL;

      display_name = g_strdup_printf ("%s: %s", tz_zip_reader_get_display_name (reader), entry);
      array = tz_npy_parse (bytes, display_name, error);
      if (array == NULL)
        return NULL;

      g_hash_table_insert (arrays, g_steal_pointer (&key), array);
    }

  return g_steal_pointer (&arrays);
}

static gboolean
zip_write_error (const char  *display_name,
                 const char  *what,
                 zip_error_t *zerror,
                 GError     **error)
{
  int system_errno = zip_error_code_system (zerror);
  int sys_type = zip_error_system_type (zerror);

  if (sys_type == ZIP_ET_SYS && system_errno != 0)
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (system_errno),
                 "%s: %s: %s", display_name, what, zip_error_strerror (zerror));
  else
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                 "%s: %s: %s", display_name, what, zip_error_strerror (zerror));

  return FALSE;
}

gboolean
tz_npz_write (const char        *path,
              const char *const *names,
              TzArray *const    *arrays,
              guint              n_arrays,
              GError           **error)
{
  g_autoptr(TzAtomicFile) file = NULL;
  g_autoptr(GPtrArray) buffers = NULL;
  g_autoptr(GHashTable) seen = NULL;
  g_autofree char *display_name = NULL;
  zip_t *archive;
  int zerrno = 0;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (n_arrays == 0 || names != NULL, FALSE);
  g_return_val_if_fail (n_arrays == 0 || arrays != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  display_name = tz_format_display_name (path);
  seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < n_arrays; i++)
    {
      g_return_val_if_fail (names[i] != NULL, FALSE);
      g_return_val_if_fail (arrays[i] != NULL, FALSE);

      if (names[i][0] == '\0' || !g_utf8_validate (names[i], -1, NULL) ||
          !g_hash_table_add (seen, (gpointer) names[i]))
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                       "%s: the array name “%s” is empty, not UTF-8 or repeated",
                       display_name, names[i]);
          return FALSE;
        }
    }

  file = tz_atomic_file_new (path, error);
  if (file == NULL)
    return FALSE;
  tz_atomic_file_release_fd (file);

  archive = zip_open (tz_atomic_file_get_temp_path (file), ZIP_TRUNCATE, &zerrno);
  if (archive == NULL)
    {
      zip_error_t zerror;

      zip_error_init_with_code (&zerror, zerrno);
      zip_write_error (display_name, "cannot create the archive", &zerror, error);
      zip_error_fini (&zerror);
      return FALSE;
    }

  /* libzip reads the sources only in zip_close(), so the serialised
   * arrays must stay alive until then. */
  buffers = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  for (guint i = 0; i < n_arrays; i++)
    {
      g_autofree char *entry = g_strconcat (names[i], ".npy", NULL);
      GBytes *bytes = tz_npy_serialize (arrays[i]);
      gconstpointer data;
      gsize size = 0;
      zip_source_t *source;
      zip_int64_t index;

      g_ptr_array_add (buffers, bytes);
      data = g_bytes_get_data (bytes, &size);

      source = zip_source_buffer (archive, data, size, 0);
      if (source == NULL)
        goto fail;

      index = zip_file_add (archive, entry, source, ZIP_FL_ENC_UTF_8);
      if (index < 0)
        {
          zip_source_free (source);
          goto fail;
        }

      if (zip_set_file_compression (archive, (zip_uint64_t) index, ZIP_CM_STORE, 0) != 0)
        goto fail;
    }

  if (zip_close (archive) != 0)
    goto fail;

  return tz_atomic_file_commit (file, error);

fail:
  zip_write_error (display_name, "cannot write the archive", zip_get_error (archive), error);
  zip_discard (archive);
  return FALSE;
}

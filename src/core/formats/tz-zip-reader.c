/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-formats"

#include "config.h"

#include <gio/gio.h>
#include <zip.h>

#include "tz-error.h"
#include "tz-format-private.h"
#include "tz-zip-reader.h"

struct _TzZipReader
{
  char *display_name;
  /* Owned: the archive bytes, which libzip reads in place, and the
   * archive itself. */
  GBytes *bytes;
  zip_t *archive;
  /* Entry names in archive order (UTF-8, as libzip reports them), and
   * name -> index + 1 for the first entry of each name. */
  GPtrArray *names;
  GHashTable *index_by_name;
};

/* Which of our error codes a libzip error means. Errors of the archive's
 * contents are TZ_ERROR_CORRUPT unless they name a feature libzip lacks. */
static void
set_zip_error (GError           **error,
               const char        *display_name,
               const char        *member,
               const char        *what,
               const zip_error_t *zerror)
{
  int code = zip_error_code_zip (zerror);
  /* zip_error_strerror() wants a mutable error to cache its string in. */
  zip_error_t copy;
  GQuark domain = TZ_ERROR;
  int tz_code = TZ_ERROR_CORRUPT;

  switch (code)
    {
    case ZIP_ER_COMPNOTSUPP:
    case ZIP_ER_ENCRNOTSUPP:
    case ZIP_ER_NOPASSWD:
    case ZIP_ER_WRONGPASSWD:
    case ZIP_ER_OPNOTSUPP:
      tz_code = TZ_ERROR_UNSUPPORTED;
      break;

    case ZIP_ER_MEMORY:
      tz_code = TZ_ERROR_TOO_LARGE;
      break;

    default:
      break;
    }

  zip_error_init_with_code (&copy, code);
  if (member != NULL)
    g_set_error (error, domain, tz_code, "%s: %s “%s”: %s",
                 display_name, what, member, zip_error_strerror (&copy));
  else
    g_set_error (error, domain, tz_code, "%s: %s: %s",
                 display_name, what, zip_error_strerror (&copy));
  zip_error_fini (&copy);
}

static TzZipReader *
open_bytes (GBytes      *bytes,
            char        *display_name,
            GError     **error)
{
  g_autoptr(TzZipReader) self = NULL;
  zip_source_t *source;
  zip_error_t zerror;
  gconstpointer data;
  gsize size = 0;
  zip_int64_t n_entries;

  self = g_new0 (TzZipReader, 1);
  self->display_name = display_name;
  self->bytes = g_bytes_ref (bytes);
  self->names = g_ptr_array_new_with_free_func (g_free);
  self->index_by_name = g_hash_table_new (g_str_hash, g_str_equal);

  data = g_bytes_get_data (bytes, &size);

  /* libzip takes an empty file for an empty archive, but even an empty
   * archive has a 22-byte end record: an empty file is not a zip. */
  if (size == 0)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                   "%s: not a valid zip archive: the file is empty",
                   self->display_name);
      return NULL;
    }

  zip_error_init (&zerror);
  source = zip_source_buffer_create (data, size, 0, &zerror);
  if (source == NULL)
    {
      set_zip_error (error, self->display_name, NULL, "cannot read the archive", &zerror);
      zip_error_fini (&zerror);
      return NULL;
    }

  /* ZIP_CHECKCONS compares every local header with the central
   * directory, which catches archives that lie about their members. */
  self->archive = zip_open_from_source (source, ZIP_RDONLY | ZIP_CHECKCONS, &zerror);
  if (self->archive == NULL)
    {
      zip_source_free (source);
      set_zip_error (error, self->display_name, NULL, "not a valid zip archive", &zerror);
      zip_error_fini (&zerror);
      return NULL;
    }
  zip_error_fini (&zerror);

  n_entries = zip_get_num_entries (self->archive, 0);
  if (n_entries < 0 || n_entries > G_MAXUINT)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                   "%s: the archive claims %" G_GINT64_FORMAT " entries",
                   self->display_name, (gint64) n_entries);
      return NULL;
    }

  for (zip_int64_t i = 0; i < n_entries; i++)
    {
      const char *name = zip_get_name (self->archive, (zip_uint64_t) i, 0);
      char *copy;

      if (name == NULL || !g_utf8_validate (name, -1, NULL))
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                       "%s: entry %" G_GINT64_FORMAT " has no valid name",
                       self->display_name, (gint64) i);
          return NULL;
        }

      copy = g_strdup (name);
      g_ptr_array_add (self->names, copy);
      if (!g_hash_table_contains (self->index_by_name, copy))
        g_hash_table_insert (self->index_by_name, copy, GSIZE_TO_POINTER ((gsize) i + 1));
    }

  return g_steal_pointer (&self);
}

TzZipReader *
tz_zip_reader_open (const char  *path,
                    GError     **error)
{
  g_autoptr(GMappedFile) mapped = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) local_error = NULL;
  char *display_name;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  display_name = tz_format_display_name (path);
  mapped = g_mapped_file_new (path, FALSE, &local_error);
  if (mapped == NULL)
    {
      g_set_error (error, local_error->domain, local_error->code,
                   "%s: %s", display_name, local_error->message);
      g_free (display_name);
      return NULL;
    }

  bytes = g_mapped_file_get_bytes (mapped);

  return open_bytes (bytes, display_name, error);
}

TzZipReader *
tz_zip_reader_open_bytes (GBytes      *bytes,
                          const char  *display_name,
                          GError     **error)
{
  g_return_val_if_fail (bytes != NULL, NULL);
  g_return_val_if_fail (display_name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return open_bytes (bytes, g_strdup (display_name), error);
}

void
tz_zip_reader_free (TzZipReader *self)
{
  if (self == NULL)
    return;

  if (self->archive != NULL)
    zip_discard (self->archive);
  g_clear_pointer (&self->index_by_name, g_hash_table_unref);
  g_clear_pointer (&self->names, g_ptr_array_unref);
  g_clear_pointer (&self->bytes, g_bytes_unref);
  g_free (self->display_name);
  g_free (self);
}

const char *
tz_zip_reader_get_display_name (TzZipReader *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->display_name;
}

guint
tz_zip_reader_get_n_entries (TzZipReader *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->names->len;
}

const char *
tz_zip_reader_get_entry_name (TzZipReader *self,
                              guint        index)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (index >= self->names->len)
    return NULL;

  return g_ptr_array_index (self->names, index);
}

static gboolean
lookup (TzZipReader *self,
        const char  *name,
        zip_uint64_t *index)
{
  gpointer value = g_hash_table_lookup (self->index_by_name, name);

  if (value == NULL)
    return FALSE;

  *index = GPOINTER_TO_SIZE (value) - 1;

  return TRUE;
}

gboolean
tz_zip_reader_has_entry (TzZipReader *self,
                         const char  *name)
{
  zip_uint64_t index;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  return lookup (self, name, &index);
}

gint64
tz_zip_reader_get_entry_size (TzZipReader *self,
                              const char  *name)
{
  zip_uint64_t index;
  zip_stat_t st;

  g_return_val_if_fail (self != NULL, -1);
  g_return_val_if_fail (name != NULL, -1);

  if (!lookup (self, name, &index))
    return -1;

  zip_stat_init (&st);
  if (zip_stat_index (self->archive, index, 0, &st) != 0 ||
      (st.valid & ZIP_STAT_SIZE) == 0 ||
      st.size > G_MAXINT64)
    return -1;

  return (gint64) st.size;
}

GBytes *
tz_zip_reader_read_entry (TzZipReader  *self,
                          const char   *name,
                          gsize         max_size,
                          GError      **error)
{
  g_autofree guint8 *buffer = NULL;
  zip_uint64_t index;
  zip_stat_t st;
  zip_file_t *file;
  gsize size;
  gsize got = 0;
  guint8 extra;
  zip_int64_t n;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!lookup (self, name, &index))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "%s: no member “%s”", self->display_name, name);
      return NULL;
    }

  zip_stat_init (&st);
  if (zip_stat_index (self->archive, index, 0, &st) != 0)
    {
      set_zip_error (error, self->display_name, name, "cannot inspect member",
                     zip_get_error (self->archive));
      return NULL;
    }

  if ((st.valid & ZIP_STAT_SIZE) == 0)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                   "%s: member “%s” has no declared size",
                   self->display_name, name);
      return NULL;
    }

  /* The declared size is checked before any allocation, so that a small
   * archive cannot make us reserve gigabytes. */
  if (st.size > max_size)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_TOO_LARGE,
                   "%s: member “%s” is %" G_GUINT64_FORMAT " bytes, more than the limit of %" G_GSIZE_FORMAT,
                   self->display_name, name, (guint64) st.size, max_size);
      return NULL;
    }

  size = (gsize) st.size;
  buffer = g_try_malloc (MAX (size, 1));
  if (buffer == NULL)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_TOO_LARGE,
                   "%s: not enough memory for member “%s” (%" G_GSIZE_FORMAT " bytes)",
                   self->display_name, name, size);
      return NULL;
    }

  file = zip_fopen_index (self->archive, index, 0);
  if (file == NULL)
    {
      set_zip_error (error, self->display_name, name, "cannot open member",
                     zip_get_error (self->archive));
      return NULL;
    }

  while (got < size)
    {
      n = zip_fread (file, buffer + got, size - got);
      if (n < 0)
        {
          set_zip_error (error, self->display_name, name, "cannot read member",
                         zip_file_get_error (file));
          zip_fclose (file);
          return NULL;
        }
      if (n == 0)
        break;
      got += (gsize) n;
    }

  if (got != size)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                   "%s: member “%s” ends after %" G_GSIZE_FORMAT " of its %" G_GSIZE_FORMAT " bytes",
                   self->display_name, name, got, size);
      zip_fclose (file);
      return NULL;
    }

  /* libzip verifies the CRC only when a read reaches the end of the
   * member, so one more read both checks it and catches a member that
   * inflates to more than it declared. */
  n = zip_fread (file, &extra, 1);
  if (n < 0)
    {
      set_zip_error (error, self->display_name, name, "cannot read member",
                     zip_file_get_error (file));
      zip_fclose (file);
      return NULL;
    }
  if (n > 0)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                   "%s: member “%s” holds more than the %" G_GSIZE_FORMAT " bytes it declares",
                   self->display_name, name, size);
      zip_fclose (file);
      return NULL;
    }

  zip_fclose (file);

  return g_bytes_new_take (g_steal_pointer (&buffer), size);
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-engine"

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "tz-error.h"
#include "tz-feature-cache.h"

#define MAGIC "TZFC"
#define VERSION 1
#define MAX_RECIPE_LENGTH 65536

typedef struct
{
  guint8 key[TZ_FEATURE_CACHE_KEY_SIZE];
  float  features[];
} Entry;

struct _TzFeatureCache
{
  gatomicrefcount  ref_count;
  GMutex           mutex;
  char            *recipe;
  guint            dim;
  char            *path;
  FILE            *file;
  GHashTable      *entries;  /* Entry* (key) -> same Entry*, owned */
  guint64          n_hits;
  guint64          n_misses;
};

static guint
entry_hash (gconstpointer data)
{
  const Entry *entry = data;
  guint hash;

  /* The key is a SHA-256 digest: any four of its bytes are uniform. */
  memcpy (&hash, entry->key, sizeof hash);
  return hash;
}

static gboolean
entry_equal (gconstpointer a,
             gconstpointer b)
{
  return memcmp (((const Entry *) a)->key, ((const Entry *) b)->key,
                 TZ_FEATURE_CACHE_KEY_SIZE) == 0;
}

static gsize
record_size (guint dim)
{
  return TZ_FEATURE_CACHE_KEY_SIZE + sizeof (float) * (gsize) dim;
}

static void
add_entry (TzFeatureCache *self,
           const guint8   *key,
           const float    *features)
{
  Entry *entry = g_malloc (sizeof (Entry) + sizeof (float) * self->dim);

  memcpy (entry->key, key, TZ_FEATURE_CACHE_KEY_SIZE);
  memcpy (entry->features, features, sizeof (float) * self->dim);
  if (!g_hash_table_add (self->entries, entry))
    g_free (entry);
}

static GBytes *
make_header (const char *recipe,
             guint       dim)
{
  GByteArray *header = g_byte_array_new ();
  guint32 fields[3] = {
    GUINT32_TO_LE (VERSION),
    GUINT32_TO_LE (dim),
    GUINT32_TO_LE ((guint32) strlen (recipe)),
  };

  g_byte_array_append (header, (const guint8 *) MAGIC, 4);
  g_byte_array_append (header, (const guint8 *) fields, sizeof fields);
  g_byte_array_append (header, (const guint8 *) recipe, (guint) strlen (recipe));
  return g_byte_array_free_to_bytes (header);
}

/* Reads an existing cache file into memory; returns the length of its
 * whole records (header included), where appending resumes. */
static gboolean
load_file (TzFeatureCache  *self,
           GBytes          *expected_header,
           gsize           *valid_length,
           GError         **error)
{
  g_autoptr(GMappedFile) mapped = NULL;
  const guint8 *data;
  gsize size, header_size, n_records, record;
  guint32 fields[3];

  mapped = g_mapped_file_new (self->path, FALSE, error);
  if (mapped == NULL)
    return FALSE;
  data = (const guint8 *) g_mapped_file_get_contents (mapped);
  size = g_mapped_file_get_length (mapped);

  if (size < 16 || memcmp (data, MAGIC, 4) != 0)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                   "%s is not a Tsuzuki feature cache", self->path);
      return FALSE;
    }
  memcpy (fields, data + 4, sizeof fields);
  if (GUINT32_FROM_LE (fields[0]) != VERSION)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_UNSUPPORTED,
                   "%s is a feature cache of version %u; this Tsuzuki reads version %u",
                   self->path, GUINT32_FROM_LE (fields[0]), VERSION);
      return FALSE;
    }
  header_size = g_bytes_get_size (expected_header);
  if (size < header_size ||
      memcmp (data, g_bytes_get_data (expected_header, NULL), header_size) != 0)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                   "%s holds features of another recipe or dimension (%u values)",
                   self->path, GUINT32_FROM_LE (fields[1]));
      return FALSE;
    }

  record = record_size (self->dim);
  n_records = (size - header_size) / record;
  for (gsize i = 0; i < n_records; i++)
    {
      const guint8 *p = data + header_size + i * record;
      g_autofree float *features = g_new (float, self->dim);

      memcpy (features, p + TZ_FEATURE_CACHE_KEY_SIZE, sizeof (float) * self->dim);
      add_entry (self, p, features);
    }
  *valid_length = header_size + n_records * record;
  if (*valid_length != size)
    g_message ("%s: dropped a partial record of %" G_GSIZE_FORMAT " bytes at its end",
               self->path, size - *valid_length);
  return TRUE;
}

static gboolean
open_file (TzFeatureCache  *self,
           const char      *folder,
           GError         **error)
{
  g_autoptr(GBytes) header = make_header (self->recipe, self->dim);
  g_autofree char *digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, self->recipe, -1);
  g_autofree char *name = NULL;
  gsize valid_length = 0;
  int saved_errno;

  if (g_mkdir_with_parents (folder, 0755) != 0)
    {
      saved_errno = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "Cannot create the feature cache folder %s: %s",
                   folder, g_strerror (saved_errno));
      return FALSE;
    }
  digest[16] = '\0';
  name = g_strconcat (digest, ".tzfc", NULL);
  self->path = g_build_filename (folder, name, NULL);

  if (g_file_test (self->path, G_FILE_TEST_EXISTS))
    {
      if (!load_file (self, header, &valid_length, error))
        return FALSE;
      self->file = g_fopen (self->path, "r+b");
      if (self->file != NULL &&
          (ftruncate (fileno (self->file), (off_t) valid_length) != 0 ||
           fseeko (self->file, 0, SEEK_END) != 0))
        g_clear_pointer (&self->file, fclose);
    }
  else
    {
      self->file = g_fopen (self->path, "wb");
      if (self->file != NULL &&
          (fwrite (g_bytes_get_data (header, NULL), 1, g_bytes_get_size (header), self->file)
             != g_bytes_get_size (header) ||
           fflush (self->file) != 0))
        g_clear_pointer (&self->file, fclose);
    }

  if (self->file == NULL)
    {
      saved_errno = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "Cannot write the feature cache %s: %s", self->path, g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

TzFeatureCache *
tz_feature_cache_new (const char  *recipe,
                      guint        dim,
                      const char  *folder,
                      GError     **error)
{
  TzFeatureCache *self;

  g_return_val_if_fail (recipe != NULL, NULL);
  g_return_val_if_fail (dim > 0, NULL);

  if (strlen (recipe) > MAX_RECIPE_LENGTH)
    {
      g_set_error_literal (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                           "A feature recipe is limited to 64 KiB of text");
      return NULL;
    }

  self = g_new0 (TzFeatureCache, 1);
  g_atomic_ref_count_init (&self->ref_count);
  g_mutex_init (&self->mutex);
  self->recipe = g_strdup (recipe);
  self->dim = dim;
  self->entries = g_hash_table_new_full (entry_hash, entry_equal, g_free, NULL);

  if (folder != NULL && !open_file (self, folder, error))
    {
      tz_feature_cache_unref (self);
      return NULL;
    }
  return self;
}

TzFeatureCache *
tz_feature_cache_ref (TzFeatureCache *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
tz_feature_cache_unref (TzFeatureCache *self)
{
  if (self == NULL || !g_atomic_ref_count_dec (&self->ref_count))
    return;
  if (self->file != NULL)
    fclose (self->file);
  g_hash_table_unref (self->entries);
  g_mutex_clear (&self->mutex);
  g_free (self->recipe);
  g_free (self->path);
  g_free (self);
}

const char *
tz_feature_cache_get_recipe (TzFeatureCache *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->recipe;
}

guint
tz_feature_cache_get_dim (TzFeatureCache *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->dim;
}

const char *
tz_feature_cache_get_path (TzFeatureCache *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->path;
}

guint
tz_feature_cache_get_n_entries (TzFeatureCache *self)
{
  guint n;

  g_return_val_if_fail (self != NULL, 0);
  g_mutex_lock (&self->mutex);
  n = g_hash_table_size (self->entries);
  g_mutex_unlock (&self->mutex);
  return n;
}

guint64
tz_feature_cache_get_n_hits (TzFeatureCache *self)
{
  guint64 n;

  g_return_val_if_fail (self != NULL, 0);
  g_mutex_lock (&self->mutex);
  n = self->n_hits;
  g_mutex_unlock (&self->mutex);
  return n;
}

guint64
tz_feature_cache_get_n_misses (TzFeatureCache *self)
{
  guint64 n;

  g_return_val_if_fail (self != NULL, 0);
  g_mutex_lock (&self->mutex);
  n = self->n_misses;
  g_mutex_unlock (&self->mutex);
  return n;
}

gboolean
tz_feature_cache_lookup (TzFeatureCache *self,
                         const guint8   *key,
                         float          *out)
{
  Entry probe;
  const Entry *found;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (key != NULL && out != NULL, FALSE);

  /* Hashing and comparing read only the key, so a probe needs no room
   * for features. */
  memcpy (probe.key, key, TZ_FEATURE_CACHE_KEY_SIZE);
  g_mutex_lock (&self->mutex);
  found = g_hash_table_lookup (self->entries, &probe);
  if (found != NULL)
    {
      memcpy (out, found->features, sizeof (float) * self->dim);
      self->n_hits++;
    }
  else
    self->n_misses++;
  g_mutex_unlock (&self->mutex);
  return found != NULL;
}

gboolean
tz_feature_cache_insert (TzFeatureCache  *self,
                         const guint8    *key,
                         const float     *features,
                         GError         **error)
{
  Entry probe;
  gboolean ok = TRUE;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (key != NULL && features != NULL, FALSE);

  memcpy (probe.key, key, TZ_FEATURE_CACHE_KEY_SIZE);
  g_mutex_lock (&self->mutex);
  if (!g_hash_table_contains (self->entries, &probe))
    {
      add_entry (self, key, features);
      if (self->file != NULL)
        {
          /* Whole records only: on a short write, cut the file back so
           * that later appends stay aligned. */
          off_t before = ftello (self->file);

          if (fwrite (key, 1, TZ_FEATURE_CACHE_KEY_SIZE, self->file) != TZ_FEATURE_CACHE_KEY_SIZE ||
              fwrite (features, sizeof (float), self->dim, self->file) != self->dim ||
              fflush (self->file) != 0)
            {
              int saved_errno = errno;

              clearerr (self->file);
              if (before >= 0 && ftruncate (fileno (self->file), before) == 0)
                fseeko (self->file, before, SEEK_SET);
              g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                           "Cannot add to the feature cache %s: %s",
                           self->path, g_strerror (saved_errno));
              ok = FALSE;
            }
        }
    }
  g_mutex_unlock (&self->mutex);
  return ok;
}

void
tz_feature_cache_key_for_data (gconstpointer  data,
                               gsize          size,
                               guint8        *key)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  gsize length = TZ_FEATURE_CACHE_KEY_SIZE;

  g_return_if_fail (data != NULL || size == 0);
  g_return_if_fail (key != NULL);

  g_checksum_update (checksum, data, (gssize) size);
  g_checksum_get_digest (checksum, key, &length);
}

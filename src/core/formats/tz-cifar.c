/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-formats"

#include "config.h"

#include <string.h>

#include "tz-cifar.h"
#include "tz-error.h"
#include "tz-format-private.h"

#define PLANE_SIZE (TZ_CIFAR_IMAGE_SIZE * TZ_CIFAR_IMAGE_SIZE)
#define IMAGE_BYTES (3 * PLANE_SIZE)
#define CIFAR_SUBFOLDER "cifar-10-batches-bin"
#define META_NAME "batches.meta.txt"
#define TEST_NAME "test_batch.bin"

static GMappedFile *
map_file (const char  *path,
          const char  *display_name,
          GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  GMappedFile *mapped = g_mapped_file_new (path, FALSE, &local_error);

  if (mapped == NULL)
    {
      g_set_error (error, local_error->domain, local_error->code,
                   "%s: %s", display_name, local_error->message);
      return NULL;
    }

  return mapped;
}

/* A mapped batch file whose size and labels have been checked. */
typedef struct
{
  GMappedFile *mapped;
  gsize n_records;
} Batch;

static void
batch_clear (Batch *batch)
{
  g_clear_pointer (&batch->mapped, g_mapped_file_unref);
}

static gboolean
batch_open (Batch       *batch,
            const char  *path,
            GError     **error)
{
  g_autofree char *display_name = tz_format_display_name (path);
  g_autoptr(GMappedFile) mapped = map_file (path, display_name, error);
  const guint8 *data;
  gsize size;
  gsize n_records;

  if (mapped == NULL)
    return FALSE;

  data = (const guint8 *) g_mapped_file_get_contents (mapped);
  size = g_mapped_file_get_length (mapped);

  if (size == 0)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                   "%s: the file is empty, not a CIFAR-10 batch", display_name);
      return FALSE;
    }

  if (size % TZ_CIFAR_RECORD_SIZE != 0)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                   "%s: %" G_GSIZE_FORMAT " bytes is not a whole number of "
                   "%d-byte CIFAR-10 records (the file is truncated or is not "
                   "a CIFAR-10 batch)",
                   display_name, size, TZ_CIFAR_RECORD_SIZE);
      return FALSE;
    }

  n_records = size / TZ_CIFAR_RECORD_SIZE;
  for (gsize r = 0; r < n_records; r++)
    {
      guint8 label = data[r * TZ_CIFAR_RECORD_SIZE];

      if (label >= TZ_CIFAR_N_CLASSES)
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                       "%s: record %" G_GSIZE_FORMAT " has label %u, but "
                       "CIFAR-10 labels run from 0 to %d",
                       display_name, r, label, TZ_CIFAR_N_CLASSES - 1);
          return FALSE;
        }
    }

  batch->mapped = g_steal_pointer (&mapped);
  batch->n_records = n_records;
  return TRUE;
}

/* Concatenates the records of @batches into images (planes turned into
 * interleaved pixels) and labels. */
static void
batches_to_arrays (const Batch  *batches,
                   guint         n_batches,
                   TzArray     **images_out,
                   TzArray     **labels_out)
{
  g_autoptr(GBytes) image_bytes = NULL;
  g_autoptr(GBytes) label_bytes = NULL;
  guint8 *images;
  guint8 *labels;
  gsize n = 0;
  gsize done = 0;
  gint64 image_shape[4] = { 0, TZ_CIFAR_IMAGE_SIZE, TZ_CIFAR_IMAGE_SIZE, 3 };
  gint64 label_shape[1] = { 0 };

  for (guint b = 0; b < n_batches; b++)
    n += batches[b].n_records;

  images = g_malloc (n * IMAGE_BYTES);
  labels = g_malloc (MAX (n, 1));

  for (guint b = 0; b < n_batches; b++)
    {
      const guint8 *data = (const guint8 *) g_mapped_file_get_contents (batches[b].mapped);

      for (gsize r = 0; r < batches[b].n_records; r++, done++)
        {
          const guint8 *record = data + r * TZ_CIFAR_RECORD_SIZE;
          const guint8 *red = record + 1;
          const guint8 *green = red + PLANE_SIZE;
          const guint8 *blue = green + PLANE_SIZE;
          guint8 *out = images + done * IMAGE_BYTES;

          labels[done] = record[0];
          for (gsize p = 0; p < PLANE_SIZE; p++)
            {
              out[3 * p + 0] = red[p];
              out[3 * p + 1] = green[p];
              out[3 * p + 2] = blue[p];
            }
        }
    }

  image_shape[0] = (gint64) n;
  label_shape[0] = (gint64) n;
  image_bytes = g_bytes_new_take (images, n * IMAGE_BYTES);
  label_bytes = g_bytes_new_take (labels, n);

  /* The sizes match the shapes by construction. */
  *images_out = tz_array_new (TZ_DTYPE_U8, 0, 4, image_shape, image_bytes, NULL);
  *labels_out = tz_array_new (TZ_DTYPE_U8, 0, 1, label_shape, label_bytes, NULL);
  g_assert (*images_out != NULL && *labels_out != NULL);
}

gboolean
tz_cifar_read_batch (const char  *path,
                     TzArray    **images,
                     TzArray    **labels,
                     GError     **error)
{
  Batch batch = { NULL, 0 };

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (images != NULL, FALSE);
  g_return_val_if_fail (labels != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  *images = NULL;
  *labels = NULL;

  if (!batch_open (&batch, path, error))
    return FALSE;

  batches_to_arrays (&batch, 1, images, labels);
  batch_clear (&batch);
  return TRUE;
}

char **
tz_cifar_read_class_names (const char  *path,
                           GError     **error)
{
  g_autofree char *display_name = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GPtrArray) names = NULL;
  g_auto(GStrv) lines = NULL;
  gsize length;
  guint n_lines;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  display_name = tz_format_display_name (path);

  if (!g_file_get_contents (path, &contents, &length, &local_error))
    {
      g_set_error (error, local_error->domain, local_error->code,
                   "%s: %s", display_name, local_error->message);
      return NULL;
    }

  if (!g_utf8_validate_len (contents, length, NULL))
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                   "%s: the class names are not UTF-8 text (or hold a NUL byte)",
                   display_name);
      return NULL;
    }

  lines = g_strsplit (contents, "\n", -1);
  n_lines = g_strv_length (lines);
  for (guint i = 0; i < n_lines; i++)
    g_strchomp (lines[i]);

  /* The original file ends in blank lines. */
  while (n_lines > 0 && lines[n_lines - 1][0] == '\0')
    n_lines--;

  if (n_lines != TZ_CIFAR_N_CLASSES)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                   "%s: %u class names, but CIFAR-10 has %d (one per line)",
                   display_name, n_lines, TZ_CIFAR_N_CLASSES);
      return NULL;
    }

  names = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < n_lines; i++)
    {
      if (lines[i][0] == '\0')
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                       "%s: line %u is blank; every class needs a name",
                       display_name, i + 1);
          return NULL;
        }
      g_ptr_array_add (names, g_strdup (lines[i]));
    }
  g_ptr_array_add (names, NULL);

  return (char **) g_ptr_array_free (g_steal_pointer (&names), FALSE);
}

/* The folder holding the files: @folder itself, or the
 * cifar-10-batches-bin inside it when @folder lacks the meta file but the
 * subfolder has it. */
static char *
resolve_folder (const char *folder)
{
  g_autofree char *meta = g_build_filename (folder, META_NAME, NULL);
  g_autofree char *nested = NULL;
  g_autofree char *nested_meta = NULL;

  if (g_file_test (meta, G_FILE_TEST_EXISTS))
    return g_strdup (folder);

  nested = g_build_filename (folder, CIFAR_SUBFOLDER, NULL);
  nested_meta = g_build_filename (nested, META_NAME, NULL);
  if (g_file_test (nested_meta, G_FILE_TEST_EXISTS))
    return g_steal_pointer (&nested);

  return g_strdup (folder);
}

TzCifar *
tz_cifar_load (const char  *folder,
               GError     **error)
{
  g_autoptr(TzCifar) self = NULL;
  g_autofree char *root = NULL;
  g_autofree char *meta_path = NULL;
  Batch batches[TZ_CIFAR_N_TRAIN_BATCHES + 1] = { { NULL, 0 } };
  gboolean ok = TRUE;

  g_return_val_if_fail (folder != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  root = resolve_folder (folder);
  self = g_new0 (TzCifar, 1);

  meta_path = g_build_filename (root, META_NAME, NULL);
  self->class_names = tz_cifar_read_class_names (meta_path, error);
  if (self->class_names == NULL)
    return NULL;

  /* Every file is checked before anything is allocated, so that a bad
   * test batch costs no 150 MB copy of the training images. */
  for (guint i = 0; ok && i <= TZ_CIFAR_N_TRAIN_BATCHES; i++)
    {
      g_autofree char *name = NULL;
      g_autofree char *path = NULL;

      if (i < TZ_CIFAR_N_TRAIN_BATCHES)
        name = g_strdup_printf ("data_batch_%u.bin", i + 1);
      else
        name = g_strdup (TEST_NAME);
      path = g_build_filename (root, name, NULL);
      ok = batch_open (&batches[i], path, error);
    }

  if (ok)
    {
      batches_to_arrays (batches, TZ_CIFAR_N_TRAIN_BATCHES,
                         &self->train_images, &self->train_labels);
      batches_to_arrays (&batches[TZ_CIFAR_N_TRAIN_BATCHES], 1,
                         &self->test_images, &self->test_labels);
    }

  for (guint i = 0; i <= TZ_CIFAR_N_TRAIN_BATCHES; i++)
    batch_clear (&batches[i]);

  if (!ok)
    return NULL;

  return g_steal_pointer (&self);
}

void
tz_cifar_free (TzCifar *self)
{
  if (self == NULL)
    return;

  g_strfreev (self->class_names);
  g_clear_pointer (&self->train_images, tz_array_unref);
  g_clear_pointer (&self->train_labels, tz_array_unref);
  g_clear_pointer (&self->test_images, tz_array_unref);
  g_clear_pointer (&self->test_labels, tz_array_unref);
  g_free (self);
}

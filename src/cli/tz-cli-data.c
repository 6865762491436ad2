/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-cli"

#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib-unix.h>

#include "tz-array.h"
#include "tz-cifar.h"
#include "tz-cli-data.h"
#include "tz-error.h"
#include "tz-idx.h"
#include "tz-image-listing.h"

void
tz_cli_data_free (TzCliData *self)
{
  if (self == NULL)
    return;
  g_free (self->description);
  g_strfreev (self->class_names);
  g_clear_pointer (&self->paths, g_ptr_array_unref);
  g_clear_pointer (&self->images, g_ptr_array_unref);
  g_array_unref (self->labels);
  g_array_unref (self->splits);
  g_ptr_array_unref (self->skipped);
  g_free (self);
}

static TzCliData *
data_new (const char *description)
{
  TzCliData *self = g_new0 (TzCliData, 1);

  self->description = g_strdup (description);
  self->labels = g_array_new (FALSE, FALSE, sizeof (gint32));
  self->splits = g_array_new (FALSE, FALSE, sizeof (TzSplit));
  self->skipped = g_ptr_array_new_with_free_func (g_free);
  return self;
}

/* Appends the N x H x W (x C) u8 @images with their u8/i64 @labels. */
static gboolean
add_image_array (TzCliData   *self,
                 TzArray     *images,
                 TzArray     *labels,
                 TzSplit      split,
                 const char  *what,
                 GError     **error)
{
  const gint64 *shape = tz_array_get_shape (images);
  guint ndim = tz_array_get_ndim (images);
  g_autofree gint64 *y = NULL;
  const guint8 *pixels;
  guint channels;
  gsize per_image;

  if (tz_array_get_dtype (images) != TZ_DTYPE_U8 || (ndim != 3 && ndim != 4) ||
      (ndim == 4 && shape[3] != 1 && shape[3] != 3) ||
      tz_array_get_ndim (labels) != 1 || tz_array_get_shape (labels)[0] != shape[0])
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_DIMENSION_MISMATCH,
                   _("%s: expected N images of 8-bit pixels and N labels"), what);
      return FALSE;
    }
  y = tz_array_to_int64 (labels, error);
  if (y == NULL)
    return FALSE;

  channels = ndim == 4 ? (guint) shape[3] : 1;
  per_image = (gsize) shape[1] * shape[2] * channels;
  pixels = tz_array_get_data (images, NULL);
  self->grey = channels == 1;
  for (gint64 i = 0; i < shape[0]; i++)
    {
      TzImage *image;
      gint32 label = (gint32) y[i];

      if (y[i] < 0 || (guint64) y[i] >= self->n_classes)
        {
          g_autofree char *index = g_strdup_printf ("%" G_GINT64_FORMAT, i);
          g_autofree char *value = g_strdup_printf ("%" G_GINT64_FORMAT, y[i]);

          g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                       _("%s: image %s has label %s, outside 0–%u"), what, index, value,
                       self->n_classes - 1);
          return FALSE;
        }
      image = tz_image_new_from_data ((guint) shape[2], (guint) shape[1], channels,
                                      (gsize) shape[2] * channels, pixels + i * per_image, error);
      if (image == NULL)
        return FALSE;
      g_ptr_array_add (self->images, image);
      g_array_append_val (self->labels, label);
      g_array_append_val (self->splits, split);
    }
  return TRUE;
}

static TzCliData *
load_idx (const char  *folder,
          GError     **error)
{
  g_autoptr(TzCliData) self = NULL;
  static const char *const parts[][2] = {
    { "train-images-idx3-ubyte", "train-labels-idx1-ubyte" },
    { "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte" },
  };
  g_autofree char *description = g_strdup_printf ("Fashion-MNIST (%s)", folder);

  self = data_new (description);
  self->class_names = g_strdupv ((char **) tz_fashion_mnist_class_names);
  self->n_classes = 10;
  self->images = g_ptr_array_new_with_free_func ((GDestroyNotify) tz_image_free);
  for (guint p = 0; p < G_N_ELEMENTS (parts); p++)
    {
      g_autofree char *images_path = NULL;
      g_autofree char *labels_path = NULL;
      g_autoptr(TzArray) images = NULL;
      g_autoptr(TzArray) labels = NULL;

      for (guint k = 0; k < 2; k++)
        {
          g_autofree char *plain = g_build_filename (folder, parts[p][k], NULL);
          g_autofree char *gz = g_strconcat (plain, ".gz", NULL);
          char *found = g_file_test (gz, G_FILE_TEST_EXISTS) ? g_steal_pointer (&gz) : g_steal_pointer (&plain);

          if (k == 0)
            images_path = found;
          else
            labels_path = found;
        }
      images = tz_idx_read (images_path, error);
      if (images == NULL)
        return NULL;
      labels = tz_idx_read (labels_path, error);
      if (labels == NULL)
        return NULL;
      if (!add_image_array (self, images, labels, p == 0 ? TZ_SPLIT_TRAIN : TZ_SPLIT_EVAL,
                            images_path, error))
        return NULL;
    }
  return g_steal_pointer (&self);
}

static TzCliData *
load_cifar (const char  *folder,
            GError     **error)
{
  g_autoptr(TzCifar) cifar = tz_cifar_load (folder, error);
  g_autoptr(TzCliData) self = NULL;
  g_autofree char *description = NULL;

  if (cifar == NULL)
    return NULL;
  description = g_strdup_printf ("CIFAR-10 (%s)", folder);
  self = data_new (description);
  self->class_names = g_strdupv (cifar->class_names);
  self->n_classes = g_strv_length (cifar->class_names);
  self->images = g_ptr_array_new_with_free_func ((GDestroyNotify) tz_image_free);
  if (!add_image_array (self, cifar->train_images, cifar->train_labels, TZ_SPLIT_TRAIN,
                        folder, error) ||
      !add_image_array (self, cifar->test_images, cifar->test_labels, TZ_SPLIT_EVAL,
                        folder, error))
    return NULL;
  return g_steal_pointer (&self);
}

static TzCliData *
load_listing (TzImageListing *listing)
{
  TzCliData *self = data_new (listing->source);

  self->class_names = g_strdupv (listing->class_names);
  self->n_classes = listing->n_classes;
  self->paths = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < listing->entries->len; i++)
    {
      const TzImageEntry *entry = &g_array_index (listing->entries, TzImageEntry, i);
      gint32 label = (gint32) entry->class_index;

      g_ptr_array_add (self->paths, g_strdup (entry->path));
      g_array_append_val (self->labels, label);
      g_array_append_val (self->splits, entry->split);
    }
  for (guint i = 0; i < listing->skipped->len; i++)
    {
      const TzSkippedFile *skipped = g_ptr_array_index (listing->skipped, i);

      g_ptr_array_add (self->skipped, g_strdup_printf ("%s: %s", skipped->path, skipped->reason));
    }
  return self;
}

static gboolean
has_file (const char *folder,
          const char *name)
{
  g_autofree char *path = g_build_filename (folder, name, NULL);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

TzCliData *
tz_cli_data_load (const char    *spec,
                  double         eval_fraction,
                  guint64        seed,
                  GCancellable  *cancellable,
                  GError       **error)
{
  g_autoptr(TzImageListing) listing = NULL;

  g_return_val_if_fail (spec != NULL, NULL);

  if (g_strcmp0 (spec, "fashion-mnist") == 0)
    return load_idx (TZ_FASHION_MNIST_DIR, error);

  if (g_file_test (spec, G_FILE_TEST_IS_DIR))
    {
      if (has_file (spec, "train-images-idx3-ubyte.gz") || has_file (spec, "train-images-idx3-ubyte"))
        return load_idx (spec, error);
      if (has_file (spec, "data_batch_1.bin") || has_file (spec, "cifar-10-batches-bin"))
        return load_cifar (spec, error);
      listing = tz_image_listing_scan_folder (spec, eval_fraction, seed, cancellable, error);
    }
  else if (g_file_test (spec, G_FILE_TEST_EXISTS))
    listing = tz_image_listing_read_list (spec, eval_fraction, seed, cancellable, error);
  else
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                   _("%s: no such folder or file (expected fashion-mnist, a folder of images "
                     "by class, a CIFAR-10 or IDX folder, or a list file)"), spec);
      return NULL;
    }
  return listing != NULL ? load_listing (listing) : NULL;
}

static gboolean
cancel_on_signal (gpointer data)
{
  g_cancellable_cancel (data);
  return G_SOURCE_CONTINUE;
}

guint
tz_cli_cancel_on_interrupt (GCancellable *cancellable)
{
  return g_unix_signal_add (SIGINT, cancel_on_signal, cancellable);
}

/* Extraction with progress ------------------------------------------------ */

typedef struct
{
  gboolean      quiet;
  gboolean      tty;
  guint         last_tenth;
  GAsyncResult *result;
} Progress;

static void
on_progress (TzEngine   *engine,
             GParamSpec *pspec,
             Progress   *progress)
{
  guint done = tz_engine_get_n_done (engine), total = tz_engine_get_n_total (engine);
  double rate = tz_engine_get_images_per_second (engine);

  if (progress->quiet || total == 0)
    return;
  if (progress->tty)
    {
      const guint width = 30;
      guint filled = (guint) ((guint64) done * width / total);
      char bar[31];

      memset (bar, '#', filled);
      memset (bar + filled, '-', width - filled);
      bar[width] = '\0';
      fputc ('\r', stderr);
      /* TRANSLATORS: a terminal progress bar: the bar, "123 of 500 images", images per second */
      fprintf (stderr, _("[%s] %s, %.0f images/s "), bar, tz_engine_get_message (engine), rate);
      if (done == total)
        fputc ('\n', stderr);
    }
  else if (done * 10 / total > progress->last_tenth || done == total)
    {
      progress->last_tenth = done * 10 / total;
      fprintf (stderr, _("%s, %.0f images/s\n"), tz_engine_get_message (engine), rate);
    }
}

static void
store_result (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  ((Progress *) user_data)->result = g_object_ref (result);
}

TzFeatureSet *
tz_cli_data_extract (TzCliData     *self,
                     TzEngine      *engine,
                     gboolean       quiet,
                     GCancellable  *cancellable,
                     GError       **error)
{
  g_autoptr(TzExtraction) extraction = NULL;
  g_autoptr(TzFeatureSet) set = NULL;
  Progress progress = { quiet, isatty (STDERR_FILENO), 0, NULL };
  gulong handler;
  guint n;

  handler = g_signal_connect (engine, "notify::n-done", G_CALLBACK (on_progress), &progress);
  if (self->paths != NULL)
    tz_engine_extract_files_async (engine, (const char *const *) self->paths->pdata,
                                   self->paths->len, cancellable, store_result, &progress);
  else
    tz_engine_extract_images_async (engine, self->images, cancellable, store_result, &progress);
  while (progress.result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_signal_handler_disconnect (engine, handler);

  extraction = self->paths != NULL
    ? tz_engine_extract_files_finish (engine, progress.result, error)
    : tz_engine_extract_images_finish (engine, progress.result, error);
  g_object_unref (progress.result);
  if (extraction == NULL)
    return NULL;
  for (guint i = 0; i < extraction->skipped->len; i++)
    g_ptr_array_add (self->skipped, g_strdup (g_ptr_array_index (extraction->skipped, i)));
  self->n_decoded = extraction->n_decoded;
  self->n_extracted = extraction->n_extracted;
  self->n_cache_hits = extraction->n_cache_hits;
  self->extract_seconds = extraction->seconds;
  if (!quiet)
    /* TRANSLATORS: features computed now, and those found in the feature cache */
    g_printerr (_("Features: %u computed, %u from the cache, in %.1f s\n"),
                extraction->n_extracted, extraction->n_cache_hits, extraction->seconds);

  set = g_new0 (TzFeatureSet, 1);
  set->dim = extraction->dim;
  set->n_classes = self->n_classes;
  set->class_names = g_strdupv (self->class_names);
  n = extraction->n_inputs;
  set->train_x = g_new (float, (gsize) MAX (n, 1) * set->dim);
  set->train_y = g_new (gint32, MAX (n, 1));
  set->test_x = g_new (float, (gsize) MAX (n, 1) * set->dim);
  set->test_y = g_new (gint32, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    {
      gboolean train = g_array_index (self->splits, TzSplit, i) == TZ_SPLIT_TRAIN;
      float *x = train ? set->train_x + set->n_train * set->dim : set->test_x + set->n_test * set->dim;
      gint32 *y = train ? set->train_y + set->n_train : set->test_y + set->n_test;

      if (!extraction->ok[i])
        continue;
      memcpy (x, extraction->features + (gsize) i * set->dim, sizeof (float) * set->dim);
      *y = g_array_index (self->labels, gint32, i);
      if (train)
        set->n_train++;
      else
        set->n_test++;
    }
  return g_steal_pointer (&set);
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-app"

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <string.h>
#include <gdk-pixbuf/gdk-pixbuf.h>

#include "tz-demo.h"
#include "tz-error.h"
#include "tz-idx.h"

#define SIDE 28

static const char *const class_names[TZ_DEMO_N_CLASSES] = {
  N_("T-shirt/top"),
  N_("Trouser"),
  N_("Pullover"),
  N_("Dress"),
  N_("Coat"),
  N_("Sandal"),
  N_("Shirt"),
  N_("Sneaker"),
  N_("Bag"),
  N_("Ankle boot"),
};

typedef struct
{
  char               *data_dir;
  char               *folder;
  guint               n_train;
  guint               n_eval;
  GMainContext       *context;
  TzDemoProgressFunc  progress;
  gpointer            progress_data;
} PrepareData;

typedef struct
{
  TzDemoProgressFunc  progress;
  gpointer            progress_data;
  guint               n_done;
  guint               n_total;
} ProgressReport;

static void
prepare_data_free (PrepareData *data)
{
  g_free (data->data_dir);
  g_free (data->folder);
  g_main_context_unref (data->context);
  g_clear_object (&data->progress_data);
  g_free (data);
}

static void
demo_images_clear (gpointer data)
{
  g_free (((TzDemoImage *) data)->path);
}

const char *
tz_demo_get_class_name (guint index)
{
  g_return_val_if_fail (index < TZ_DEMO_N_CLASSES, NULL);
  return _(class_names[index]);
}

static void
progress_report_free (ProgressReport *report)
{
  g_object_unref (report->progress_data);
  g_free (report);
}

static gboolean
report_progress (gpointer user_data)
{
  ProgressReport *report = user_data;

  report->progress (report->n_done, report->n_total, report->progress_data);
  return G_SOURCE_REMOVE;
}

static void
post_progress (PrepareData *data,
               guint        n_done,
               guint        n_total)
{
  ProgressReport *report;

  if (data->progress == NULL)
    return;
  report = g_new (ProgressReport, 1);
  report->progress = data->progress;
  report->n_done = n_done;
  report->n_total = n_total;
  report->progress_data = g_object_ref (data->progress_data);
  g_main_context_invoke_full (data->context, G_PRIORITY_DEFAULT_IDLE, report_progress, report,
                              (GDestroyNotify) progress_report_free);
}

/* Folder names must not hold "/" (T-shirt/top). */
static char *
class_folder (const char *folder,
              guint       index)
{
  g_autofree char *name = g_strdup_printf ("%u-%s", index, class_names[index]);

  g_strdelimit (name, "/ ", '-');
  return g_build_filename (folder, name, NULL);
}

/* Picks the first @wanted images of each class from one IDX pair and
 * appends them to @out; writes the PNG files unless @listing_only. */
static gboolean
take_split (PrepareData   *data,
            const char    *images_name,
            const char    *labels_name,
            TzSplit        split,
            guint          wanted,
            gboolean       listing_only,
            GArray        *out,
            guint         *n_done,
            guint          n_total,
            GCancellable  *cancellable,
            GError       **error)
{
  g_autofree char *images_path = g_build_filename (data->data_dir, images_name, NULL);
  g_autofree char *labels_path = g_build_filename (data->data_dir, labels_name, NULL);
  g_autoptr(TzArray) images = NULL;
  g_autoptr(TzArray) labels = NULL;
  guint taken[TZ_DEMO_N_CLASSES] = { 0 };
  const guint8 *pixels, *label_data;
  const gint64 *shape;
  gint64 n;

  if (listing_only)
    {
      for (guint c = 0; c < TZ_DEMO_N_CLASSES; c++)
        {
          g_autofree char *dir = class_folder (data->folder, c);

          for (guint i = 0; i < wanted; i++)
            {
              TzDemoImage image = {
                g_strdup_printf ("%s/%s/%04u.png", dir, split == TZ_SPLIT_TRAIN ? "train" : "test", i),
                c, split,
              };

              g_array_append_val (out, image);
            }
        }
      return TRUE;
    }

  if ((images = tz_idx_read (images_path, error)) == NULL ||
      (labels = tz_idx_read (labels_path, error)) == NULL)
    return FALSE;
  shape = tz_array_get_shape (images);
  if (tz_array_get_dtype (images) != TZ_DTYPE_U8 || tz_array_get_ndim (images) != 3 ||
      shape[1] != SIDE || shape[2] != SIDE || tz_array_get_dtype (labels) != TZ_DTYPE_U8 ||
      tz_array_get_ndim (labels) != 1 || tz_array_get_shape (labels)[0] != shape[0])
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                   "%s and %s are not Fashion-MNIST images and labels of the same length",
                   images_path, labels_path);
      return FALSE;
    }
  n = shape[0];
  pixels = tz_array_get_data (images, NULL);
  label_data = tz_array_get_data (labels, NULL);

  for (gint64 k = 0; k < n; k++)
    {
      guint c = label_data[k];
      g_autoptr(GdkPixbuf) pixbuf = NULL;
      g_autofree char *dir = NULL;
      g_autofree char *split_dir = NULL;
      TzDemoImage image;

      if (c >= TZ_DEMO_N_CLASSES || taken[c] >= wanted)
        continue;
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;

      dir = class_folder (data->folder, c);
      split_dir = g_build_filename (dir, split == TZ_SPLIT_TRAIN ? "train" : "test", NULL);
      if (g_mkdir_with_parents (split_dir, 0755) != 0)
        {
          int saved = errno;

          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                       "Cannot create the folder %s: %s", split_dir, g_strerror (saved));
          return FALSE;
        }
      image.path = g_strdup_printf ("%s/%04u.png", split_dir, taken[c]);
      image.class_index = c;
      image.split = split;

      /* Grey samples become RGB so that every image decodes alike. */
      pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, SIDE, SIDE);
      for (guint y = 0; y < SIDE; y++)
        for (guint x = 0; x < SIDE; x++)
          {
            guint8 v = pixels[k * SIDE * SIDE + y * SIDE + x];
            guint8 *p = gdk_pixbuf_get_pixels (pixbuf) + y * gdk_pixbuf_get_rowstride (pixbuf) + x * 3;

            p[0] = p[1] = p[2] = v;
          }
      if (!gdk_pixbuf_save (pixbuf, image.path, "png", error, NULL))
        {
          g_prefix_error (error, "%s: ", image.path);
          g_free (image.path);
          return FALSE;
        }
      g_array_append_val (out, image);
      taken[c]++;
      if (++*n_done % 50 == 0)
        post_progress (data, *n_done, n_total);
    }

  for (guint c = 0; c < TZ_DEMO_N_CLASSES; c++)
    if (taken[c] < wanted)
      {
        g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                     "%s holds only %u images of class %u, %u are needed",
                     images_path, taken[c], c, wanted);
        return FALSE;
      }
  return TRUE;
}

static gint
compare_images (gconstpointer a,
                gconstpointer b)
{
  const TzDemoImage *ia = a;
  const TzDemoImage *ib = b;

  if (ia->class_index != ib->class_index)
    return ia->class_index < ib->class_index ? -1 : 1;
  if (ia->split != ib->split)
    return ia->split == TZ_SPLIT_TRAIN ? -1 : 1;
  return strcmp (ia->path, ib->path);
}

static void
prepare_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  PrepareData *data = task_data;
  g_autofree char *stamp_name = g_strdup_printf ("complete-%u-%u", data->n_train, data->n_eval);
  g_autofree char *stamp = g_build_filename (data->folder, stamp_name, NULL);
  g_autoptr(GArray) images = g_array_new (FALSE, FALSE, sizeof (TzDemoImage));
  g_autoptr(GError) error = NULL;
  gboolean listing_only = g_file_test (stamp, G_FILE_TEST_EXISTS);
  guint n_total = TZ_DEMO_N_CLASSES * (data->n_train + data->n_eval);
  guint n_done = 0;

  g_array_set_clear_func (images, demo_images_clear);
  if (!take_split (data, "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", TZ_SPLIT_TRAIN,
                   data->n_train, listing_only, images, &n_done, n_total, cancellable, &error) ||
      !take_split (data, "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", TZ_SPLIT_EVAL,
                   data->n_eval, listing_only, images, &n_done, n_total, cancellable, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!listing_only && !g_file_set_contents (stamp, "", 0, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_array_sort (images, compare_images);
  post_progress (data, n_total, n_total);
  g_task_return_pointer (task, g_steal_pointer (&images), (GDestroyNotify) g_array_unref);
}

void
tz_demo_prepare_async (const char          *data_dir,
                       const char          *folder,
                       guint                n_train,
                       guint                n_eval,
                       GCancellable        *cancellable,
                       TzDemoProgressFunc   progress,
                       gpointer             progress_data,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  PrepareData *data;

  g_return_if_fail (data_dir != NULL);
  g_return_if_fail (folder != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, tz_demo_prepare_async);
  data = g_new0 (PrepareData, 1);
  data->data_dir = g_strdup (data_dir);
  data->folder = g_strdup (folder);
  data->n_train = n_train;
  data->n_eval = n_eval;
  data->context = g_main_context_ref_thread_default ();
  data->progress = progress;
  data->progress_data = progress_data ? g_object_ref (progress_data) : NULL;
  g_task_set_task_data (task, data, (GDestroyNotify) prepare_data_free);
  g_task_run_in_thread (task, prepare_thread);
}

GArray *
tz_demo_prepare_finish (GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

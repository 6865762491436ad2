/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-formats"

#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "tz-error.h"
#include "tz-feature-set.h"
#include "tz-format-private.h"
#include "tz-npy.h"
#include "tz-safetensors.h"
#include "tz-idx.h"

/* Without class names, the largest label decides the number of classes;
 * a bound keeps one stray label from creating millions of them. */
#define MAX_CLASSES (1 << 20)

/* Where the arrays of a feature set come from: an .npz archive or a
 * safetensors file. */
typedef struct
{
  char *display_name;
  GHashTable *npz;
  TzSafetensors *safetensors;
} Source;

static void
source_clear (Source *source)
{
  g_clear_pointer (&source->npz, g_hash_table_unref);
  g_clear_pointer (&source->safetensors, tz_safetensors_free);
  g_clear_pointer (&source->display_name, g_free);
}

static TzArray *
source_get (Source      *source,
            const char  *name,
            gboolean     optional,
            GError     **error)
{
  if (source->npz != NULL)
    {
      TzArray *array = g_hash_table_lookup (source->npz, name);

      if (array != NULL)
        return tz_array_ref (array);
    }
  else if (tz_safetensors_has (source->safetensors, name))
    return tz_safetensors_get (source->safetensors, name, error);

  if (!optional)
    g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                 "%s: the array “%s” is missing", source->display_name, name);

  return NULL;
}

void
tz_feature_set_free (TzFeatureSet *self)
{
  if (self == NULL)
    return;

  g_strfreev (self->class_names);
  g_free (self->train_x);
  g_free (self->train_y);
  g_free (self->test_x);
  g_free (self->test_y);
  g_free (self);
}

static gboolean
read_features (const char  *display_name,
               const char  *array_name,
               TzArray     *array,
               gsize       *n_rows,
               gsize       *n_columns,
               float      **values,
               GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree float *data = NULL;
  const gint64 *shape = tz_array_get_shape (array);
  gsize rows, columns;

  if (tz_array_get_ndim (array) != 2)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_DIMENSION_MISMATCH,
                   "%s: the array “%s” must be 2-D (rows x features), not %u-D",
                   display_name, array_name, tz_array_get_ndim (array));
      return FALSE;
    }

  rows = (gsize) shape[0];
  columns = (gsize) shape[1];

  if (columns == 0)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_DIMENSION_MISMATCH,
                   "%s: the array “%s” has no feature columns",
                   display_name, array_name);
      return FALSE;
    }

  if (columns > G_MAXUINT)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_TOO_LARGE,
                   "%s: the array “%s” has %" G_GSIZE_FORMAT " columns",
                   display_name, array_name, columns);
      return FALSE;
    }

  data = tz_array_to_float32 (array, &local_error);
  if (data == NULL)
    {
      g_set_error (error, local_error->domain, local_error->code,
                   "%s: the array “%s”: %s",
                   display_name, array_name, local_error->message);
      return FALSE;
    }

  for (gsize i = 0; i < rows * columns; i++)
    {
      if (!isfinite (data[i]))
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_NOT_FINITE,
                       "%s: the array “%s” holds %s at row %" G_GSIZE_FORMAT ", column %" G_GSIZE_FORMAT,
                       display_name, array_name,
                       isnan (data[i]) ? "NaN" : "infinity",
                       i / columns, i % columns);
          return FALSE;
        }
    }

  *n_rows = rows;
  *n_columns = columns;
  *values = g_steal_pointer (&data);

  return TRUE;
}

/* Checks a label vector against the rows of its feature array and the
 * class names; *max_label grows to the largest label seen. */
static gboolean
read_labels (const char  *display_name,
             const char  *array_name,
             TzArray     *array,
             const char  *rows_name,
             gsize        n_rows,
             gint64       n_names,
             gint64      *max_label,
             gint32     **values,
             GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree gint64 *labels = NULL;
  g_autofree gint32 *out = NULL;
  gsize n;

  if (tz_array_get_ndim (array) != 1)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_DIMENSION_MISMATCH,
                   "%s: the labels “%s” must be 1-D, not %u-D",
                   display_name, array_name, tz_array_get_ndim (array));
      return FALSE;
    }

  n = (gsize) tz_array_get_n_elements (array);
  if (n != n_rows)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_DIMENSION_MISMATCH,
                   "%s: “%s” holds %" G_GSIZE_FORMAT " labels but “%s” has %" G_GSIZE_FORMAT " rows",
                   display_name, array_name, n, rows_name, n_rows);
      return FALSE;
    }

  labels = tz_array_to_int64 (array, &local_error);
  if (labels == NULL)
    {
      g_set_error (error, local_error->domain, local_error->code,
                   "%s: the labels “%s”: %s",
                   display_name, array_name, local_error->message);
      return FALSE;
    }

  out = g_new (gint32, MAX (n, 1));
  for (gsize i = 0; i < n; i++)
    {
      if (labels[i] < 0)
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_UNKNOWN_CLASS,
                       "%s: “%s” holds the negative label %" G_GINT64_FORMAT " at row %" G_GSIZE_FORMAT,
                       display_name, array_name, labels[i], i);
          return FALSE;
        }

      if (n_names >= 0 && labels[i] >= n_names)
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_UNKNOWN_CLASS,
                       "%s: “%s” holds the label %" G_GINT64_FORMAT " at row %" G_GSIZE_FORMAT ", but there are only %" G_GINT64_FORMAT " class names",
                       display_name, array_name, labels[i], i, n_names);
          return FALSE;
        }

      if (labels[i] >= MAX_CLASSES)
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_TOO_LARGE,
                       "%s: “%s” holds the label %" G_GINT64_FORMAT " at row %" G_GSIZE_FORMAT ", beyond the limit of %d classes",
                       display_name, array_name, labels[i], i, MAX_CLASSES);
          return FALSE;
        }

      *max_label = MAX (*max_label, labels[i]);
      out[i] = (gint32) labels[i];
    }

  *values = g_steal_pointer (&out);

  return TRUE;
}

static char **
numbered_class_names (guint n_classes)
{
  char **names = g_new0 (char *, n_classes + 1);

  for (guint i = 0; i < n_classes; i++)
    names[i] = g_strdup_printf ("%u", i);

  return names;
}

static char **
read_class_names (Source  *source,
                  GError **error)
{
  g_autoptr(GError) local_error = NULL;

  if (source->npz != NULL)
    {
      g_autoptr(TzArray) array = source_get (source, "class_names", TRUE, NULL);
      char **names;

      if (array == NULL)
        return NULL;

      names = tz_array_to_strv (array, &local_error);
      if (names == NULL)
        g_set_error (error, local_error->domain, local_error->code,
                     "%s: the array “class_names”: %s",
                     source->display_name, local_error->message);
      return names;
    }
  else
    {
      const char *json = tz_safetensors_get_metadata (source->safetensors, "class_names");
      g_autoptr(JsonParser) parser = NULL;
      g_autoptr(GPtrArray) names = NULL;
      JsonNode *root;
      JsonArray *array;

      if (json == NULL)
        return NULL;

      parser = json_parser_new ();
      /* A list of strings nests one deep; the limit only keeps hostile
       * metadata from exhausting json-glib's recursion. */
      if (!tz_format_json_depth_ok (json, strlen (json), 8) ||
          !json_parser_load_from_data (parser, json, -1, &local_error) ||
          (root = json_parser_get_root (parser)) == NULL ||
          !JSON_NODE_HOLDS_ARRAY (root))
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                       "%s: the metadata “class_names” is not a JSON array of strings",
                       source->display_name);
          return NULL;
        }

      array = json_node_get_array (root);
      names = g_ptr_array_new_with_free_func (g_free);
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *node = json_array_get_element (array, i);

          if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
            {
              g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                           "%s: entry %u of the metadata “class_names” is not a string",
                           source->display_name, i);
              return NULL;
            }
          g_ptr_array_add (names, g_strdup (json_node_get_string (node)));
        }
      g_ptr_array_add (names, NULL);

      return (char **) g_ptr_array_free (g_steal_pointer (&names), FALSE);
    }
}

static gboolean
open_source (const char  *path,
             Source      *source,
             GError     **error)
{
  guint8 head[9] = { 0 };
  gsize n_head;
  FILE *file;
  int saved_errno;

  source->display_name = tz_format_display_name (path);

  file = g_fopen (path, "rbe");
  if (file == NULL)
    {
      saved_errno = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "%s: %s", source->display_name, g_strerror (saved_errno));
      return FALSE;
    }
  n_head = fread (head, 1, sizeof head, file);
  fclose (file);

  if (n_head >= 4 && head[0] == 'P' && head[1] == 'K' &&
      ((head[2] == 3 && head[3] == 4) || (head[2] == 5 && head[3] == 6)))
    {
      source->npz = tz_npz_read (path, error);
      return source->npz != NULL;
    }

  if (n_head == sizeof head && head[8] == '{')
    {
      source->safetensors = tz_safetensors_open (path, error);
      return source->safetensors != NULL;
    }

  g_set_error (error, TZ_ERROR, TZ_ERROR_UNSUPPORTED,
               "%s: neither an .npz archive nor a safetensors file",
               source->display_name);
  return FALSE;
}

TzFeatureSet *
tz_feature_set_load (const char  *path,
                     GError     **error)
{
  g_autoptr(TzFeatureSet) self = NULL;
  g_autoptr(TzArray) train_x = NULL;
  g_autoptr(TzArray) train_y = NULL;
  g_autoptr(TzArray) test_x = NULL;
  g_autoptr(TzArray) test_y = NULL;
  g_auto(GStrv) class_names = NULL;
  g_autoptr(GError) local_error = NULL;
  Source source = { 0 };
  gsize train_dim = 0, test_dim = 0;
  gint64 n_names = -1;
  gint64 max_label = -1;
  gboolean ok = FALSE;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_new0 (TzFeatureSet, 1);

  if (!open_source (path, &source, error))
    goto out;

  if ((train_x = source_get (&source, "train_x", FALSE, error)) == NULL ||
      (train_y = source_get (&source, "train_y", FALSE, error)) == NULL ||
      (test_x = source_get (&source, "test_x", FALSE, error)) == NULL ||
      (test_y = source_get (&source, "test_y", FALSE, error)) == NULL)
    goto out;

  class_names = read_class_names (&source, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      goto out;
    }
  if (class_names != NULL)
    n_names = g_strv_length (class_names);

  if (!read_features (source.display_name, "train_x", train_x, &self->n_train, &train_dim, &self->train_x, error) ||
      !read_features (source.display_name, "test_x", test_x, &self->n_test, &test_dim, &self->test_x, error))
    goto out;

  if (train_dim != test_dim)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_DIMENSION_MISMATCH,
                   "%s: “train_x” has %" G_GSIZE_FORMAT " columns but “test_x” has %" G_GSIZE_FORMAT,
                   source.display_name, train_dim, test_dim);
      goto out;
    }
  self->dim = (guint) train_dim;

  if (!read_labels (source.display_name, "train_y", train_y, "train_x", self->n_train,
                    n_names, &max_label, &self->train_y, error) ||
      !read_labels (source.display_name, "test_y", test_y, "test_x", self->n_test,
                    n_names, &max_label, &self->test_y, error))
    goto out;

  if (class_names != NULL)
    {
      self->n_classes = (guint) n_names;
      self->class_names = g_steal_pointer (&class_names);
    }
  else
    {
      self->n_classes = (guint) (max_label + 1);
      self->class_names = numbered_class_names (self->n_classes);
    }

  ok = TRUE;

out:
  source_clear (&source);

  return ok ? g_steal_pointer (&self) : NULL;
}

static TzArray *
borrow_array (TzDType        dtype,
              guint          ndim,
              const gint64  *shape,
              gconstpointer  data,
              gsize          size)
{
  /* Static bytes: the arrays live only while the feature set they point
   * into is being written, which spares a copy of the features. */
  g_autoptr(GBytes) bytes = g_bytes_new_static (size > 0 ? data : "", size);

  return tz_array_new (dtype, 0, ndim, shape, bytes, NULL);
}

static gboolean
check_labels_in_range (const TzFeatureSet  *self,
                       const char          *display_name,
                       const char          *array_name,
                       const gint32        *labels,
                       gsize                n,
                       GError             **error)
{
  for (gsize i = 0; i < n; i++)
    {
      if (labels[i] < 0 || (guint) labels[i] >= self->n_classes)
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_UNKNOWN_CLASS,
                       "%s: cannot save the label %d at row %" G_GSIZE_FORMAT " of “%s” with %u classes",
                       display_name, labels[i], i, array_name, self->n_classes);
          return FALSE;
        }
    }

  return TRUE;
}

gboolean
tz_feature_set_save (const TzFeatureSet  *self,
                     const char          *path,
                     GError             **error)
{
  g_autofree char *display_name = NULL;
  g_autofree char *lower = NULL;
  g_autofree gint64 *train_y = NULL;
  g_autofree gint64 *test_y = NULL;
  TzArray *arrays[5] = { NULL };
  const char *names[5] = { "train_x", "train_y", "test_x", "test_y", "class_names" };
  gint64 shape[2];
  gboolean is_npz;
  gboolean ok;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (self->class_names != NULL, FALSE);
  g_return_val_if_fail (self->n_train == 0 || (self->train_x != NULL && self->train_y != NULL), FALSE);
  g_return_val_if_fail (self->n_test == 0 || (self->test_x != NULL && self->test_y != NULL), FALSE);
  g_return_val_if_fail (g_strv_length (self->class_names) == self->n_classes, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  display_name = tz_format_display_name (path);
  lower = g_ascii_strdown (path, -1);
  if (g_str_has_suffix (lower, ".npz"))
    is_npz = TRUE;
  else if (g_str_has_suffix (lower, ".safetensors"))
    is_npz = FALSE;
  else
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                   "%s: a feature set is saved as .npz or .safetensors", display_name);
      return FALSE;
    }

  if (self->dim == 0)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_DIMENSION_MISMATCH,
                   "%s: a feature set needs at least one feature column", display_name);
      return FALSE;
    }

  if (!check_labels_in_range (self, display_name, "train_y", self->train_y, self->n_train, error) ||
      !check_labels_in_range (self, display_name, "test_y", self->test_y, self->n_test, error))
    return FALSE;

  /* Labels are stored as int64, numpy's default integer. */
  train_y = g_new (gint64, MAX (self->n_train, 1));
  for (gsize i = 0; i < self->n_train; i++)
    train_y[i] = self->train_y[i];
  test_y = g_new (gint64, MAX (self->n_test, 1));
  for (gsize i = 0; i < self->n_test; i++)
    test_y[i] = self->test_y[i];

  shape[0] = (gint64) self->n_train;
  shape[1] = self->dim;
  arrays[0] = borrow_array (TZ_DTYPE_F32, 2, shape, self->train_x,
                            self->n_train * self->dim * sizeof (float));
  arrays[1] = borrow_array (TZ_DTYPE_I64, 1, shape, train_y, self->n_train * sizeof (gint64));
  shape[0] = (gint64) self->n_test;
  arrays[2] = borrow_array (TZ_DTYPE_F32, 2, shape, self->test_x,
                            self->n_test * self->dim * sizeof (float));
  arrays[3] = borrow_array (TZ_DTYPE_I64, 1, shape, test_y, self->n_test * sizeof (gint64));

  if (is_npz)
    {
      arrays[4] = tz_array_new_strv ((const char *const *) self->class_names);
      ok = tz_npz_write (path, names, arrays, 5, error);
    }
  else
    {
      g_autoptr(GHashTable) metadata = g_hash_table_new (g_str_hash, g_str_equal);
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonGenerator) generator = json_generator_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *json = NULL;

      json_builder_begin_array (builder);
      for (guint i = 0; i < self->n_classes; i++)
        json_builder_add_string_value (builder, self->class_names[i]);
      json_builder_end_array (builder);
      root = json_builder_get_root (builder);
      json_generator_set_root (generator, root);
      json = json_generator_to_data (generator, NULL);

      g_hash_table_insert (metadata, (gpointer) "class_names", json);
      ok = tz_safetensors_write (path, names, arrays, 4, metadata, error);
    }

  for (guint i = 0; i < G_N_ELEMENTS (arrays); i++)
    g_clear_pointer (&arrays[i], tz_array_unref);

  return ok;
}

static TzArray *
read_idx_images (const char  *path,
                 gsize       *n_images,
                 gsize       *n_pixels,
                 GError     **error)
{
  g_autoptr(TzArray) array = tz_idx_read (path, error);
  g_autofree char *display_name = NULL;
  const gint64 *shape;
  gsize pixels = 1;

  if (array == NULL)
    return NULL;

  display_name = tz_format_display_name (path);

  if (tz_array_get_dtype (array) != TZ_DTYPE_U8)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_UNSUPPORTED,
                   "%s: images must be unsigned bytes, not %s",
                   display_name, tz_dtype_to_string (tz_array_get_dtype (array)));
      return NULL;
    }

  if (tz_array_get_ndim (array) < 2)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_DIMENSION_MISMATCH,
                   "%s: images need at least 2 dimensions (count x pixels), not %u",
                   display_name, tz_array_get_ndim (array));
      return NULL;
    }

  shape = tz_array_get_shape (array);
  for (guint i = 1; i < tz_array_get_ndim (array); i++)
    pixels *= (gsize) shape[i];

  if (pixels == 0 || pixels > G_MAXUINT)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_DIMENSION_MISMATCH,
                   "%s: images of %" G_GSIZE_FORMAT " pixels", display_name, pixels);
      return NULL;
    }

  *n_images = (gsize) shape[0];
  *n_pixels = pixels;

  return g_steal_pointer (&array);
}

static gboolean
load_idx_split (const char   *images_path,
                const char   *labels_path,
                gint64        n_names,
                gsize        *n_rows,
                gsize        *n_pixels,
                float       **x,
                gint32      **y,
                gint64       *max_label,
                GError      **error)
{
  g_autoptr(TzArray) images = NULL;
  g_autoptr(TzArray) labels = NULL;
  g_autofree char *images_name = NULL;
  g_autofree char *labels_name = NULL;
  g_autofree float *values = NULL;
  const guint8 *pixels;
  gsize n_images = 0;
  gsize n_labels;

  images = read_idx_images (images_path, &n_images, n_pixels, error);
  if (images == NULL)
    return FALSE;

  labels = tz_idx_read (labels_path, error);
  if (labels == NULL)
    return FALSE;

  images_name = tz_format_display_name (images_path);
  labels_name = tz_format_display_name (labels_path);
  n_labels = (gsize) tz_array_get_n_elements (labels);

  if (tz_array_get_ndim (labels) != 1 || n_labels != n_images)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_DIMENSION_MISMATCH,
                   "%s holds %" G_GSIZE_FORMAT " images but %s holds %" G_GSIZE_FORMAT " labels%s",
                   images_name, n_images, labels_name, n_labels,
                   tz_array_get_ndim (labels) != 1 ? " in more than one dimension" : "");
      return FALSE;
    }

  if (!read_labels (labels_name, "labels", labels, images_name, n_images,
                    n_names, max_label, y, error))
    return FALSE;

  values = g_try_new (float, MAX (n_images * *n_pixels, 1));
  if (values == NULL)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_TOO_LARGE,
                   "%s: not enough memory for %" G_GSIZE_FORMAT " images as floats",
                   images_name, n_images);
      g_clear_pointer (y, g_free);
      return FALSE;
    }

  pixels = tz_array_get_data (images, NULL);
  for (gsize i = 0; i < n_images * *n_pixels; i++)
    values[i] = pixels[i] / 255.0f;

  *n_rows = n_images;
  *x = g_steal_pointer (&values);

  return TRUE;
}

TzFeatureSet *
tz_feature_set_new_from_idx (const char         *train_images,
                             const char         *train_labels,
                             const char         *test_images,
                             const char         *test_labels,
                             const char *const  *class_names,
                             GError            **error)
{
  g_autoptr(TzFeatureSet) self = NULL;
  gint64 n_names = class_names != NULL ? (gint64) g_strv_length ((char **) class_names) : -1;
  gint64 max_label = -1;
  gsize train_pixels = 0;
  gsize test_pixels = 0;

  g_return_val_if_fail (train_images != NULL, NULL);
  g_return_val_if_fail (train_labels != NULL, NULL);
  g_return_val_if_fail (test_images != NULL, NULL);
  g_return_val_if_fail (test_labels != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_new0 (TzFeatureSet, 1);

  if (!load_idx_split (train_images, train_labels, n_names, &self->n_train, &train_pixels,
                       &self->train_x, &self->train_y, &max_label, error) ||
      !load_idx_split (test_images, test_labels, n_names, &self->n_test, &test_pixels,
                       &self->test_x, &self->test_y, &max_label, error))
    return NULL;

  if (train_pixels != test_pixels)
    {
      g_autofree char *train_name = tz_format_display_name (train_images);
      g_autofree char *test_name = tz_format_display_name (test_images);

      g_set_error (error, TZ_ERROR, TZ_ERROR_DIMENSION_MISMATCH,
                   "%s has images of %" G_GSIZE_FORMAT " pixels but %s of %" G_GSIZE_FORMAT,
                   train_name, train_pixels, test_name, test_pixels);
      return NULL;
    }

  self->dim = (guint) train_pixels;

  if (class_names != NULL)
    {
      self->n_classes = (guint) n_names;
      self->class_names = g_strdupv ((char **) class_names);
    }
  else
    {
      self->n_classes = (guint) (max_label + 1);
      self->class_names = numbered_class_names (self->n_classes);
    }

  return g_steal_pointer (&self);
}

const char *const tz_fashion_mnist_class_names[] = {
  "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
  "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot", NULL,
};

/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-core"

#include "config.h"

#include <math.h>
#include <string.h>

#include <cblas.h>

#include "tz-error.h"
#include "tz-gaussian-model.h"

/* Rows converted and centred at a time: large enough for dsyrk to run at
 * full speed, small enough to bound the scratch memory (see the header). */
#define CHUNK_ROWS 2048

typedef struct
{
  char   *name;
  gint64  count;
  double *mean;     /* dim */
  double *scatter;  /* packed upper triangle, row by row: dim (dim + 1) / 2 */
} TzClassStats;

struct _TzGaussianModel
{
  guint        dim;
  TzTransform  transform;
  GPtrArray   *classes;  /* TzClassStats*, owned */
};

static gsize
packed_size (guint dim)
{
  return (gsize) dim * (dim + 1) / 2;
}

static void
class_stats_free (gpointer data)
{
  TzClassStats *stats = data;

  g_free (stats->name);
  g_free (stats->mean);
  g_free (stats->scatter);
  g_free (stats);
}

static TzClassStats *
class_stats_new (const char *name,
                 guint       dim)
{
  TzClassStats *stats = g_new0 (TzClassStats, 1);

  stats->name = g_strdup (name);
  stats->mean = g_new0 (double, dim);
  stats->scatter = g_new0 (double, packed_size (dim));
  return stats;
}

static TzClassStats *
class_stats_copy (const TzClassStats *src,
                  guint               dim)
{
  TzClassStats *stats = g_new0 (TzClassStats, 1);

  stats->name = g_strdup (src->name);
  stats->count = src->count;
  stats->mean = g_memdup2 (src->mean, sizeof (double) * dim);
  stats->scatter = g_memdup2 (src->scatter, sizeof (double) * packed_size (dim));
  return stats;
}

static inline TzClassStats *
get_class (const TzGaussianModel *self,
           guint                  class_index)
{
  return g_ptr_array_index (self->classes, class_index);
}

static gboolean
check_class_index (const TzGaussianModel  *self,
                   guint                   class_index,
                   GError                **error)
{
  if (class_index >= self->classes->len)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_UNKNOWN_CLASS,
                   "No class with index %u: the model has %u classes",
                   class_index, self->classes->len);
      return FALSE;
    }
  return TRUE;
}

TzGaussianModel *
tz_gaussian_model_new (guint              dim,
                       const TzTransform *transform)
{
  TzGaussianModel *self;

  g_return_val_if_fail (dim > 0, NULL);

  self = g_new0 (TzGaussianModel, 1);
  self->dim = dim;
  if (transform != NULL)
    self->transform = *transform;
  else
    tz_transform_init_none (&self->transform);
  self->classes = g_ptr_array_new_with_free_func (class_stats_free);
  return self;
}

TzGaussianModel *
tz_gaussian_model_copy (const TzGaussianModel *self)
{
  TzGaussianModel *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = tz_gaussian_model_new (self->dim, &self->transform);
  for (guint i = 0; i < self->classes->len; i++)
    g_ptr_array_add (copy->classes, class_stats_copy (get_class (self, i), self->dim));
  return copy;
}

void
tz_gaussian_model_free (TzGaussianModel *self)
{
  if (self == NULL)
    return;
  g_ptr_array_unref (self->classes);
  g_free (self);
}

guint
tz_gaussian_model_get_dim (const TzGaussianModel *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->dim;
}

const TzTransform *
tz_gaussian_model_get_transform (const TzGaussianModel *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return &self->transform;
}

guint
tz_gaussian_model_get_n_classes (const TzGaussianModel *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->classes->len;
}

gint64
tz_gaussian_model_get_n_samples (const TzGaussianModel *self)
{
  gint64 total = 0;

  g_return_val_if_fail (self != NULL, 0);

  for (guint i = 0; i < self->classes->len; i++)
    total += get_class (self, i)->count;
  return total;
}

gsize
tz_gaussian_model_get_memory_size (const TzGaussianModel *self)
{
  gsize size;

  g_return_val_if_fail (self != NULL, 0);

  size = sizeof *self;
  for (guint i = 0; i < self->classes->len; i++)
    {
      const TzClassStats *stats = get_class (self, i);

      size += sizeof *stats + strlen (stats->name) + 1;
      size += sizeof (double) * (self->dim + packed_size (self->dim));
    }
  return size;
}

static gboolean
check_new_name (const TzGaussianModel  *self,
                const char             *name,
                gint                    except_index,
                GError                **error)
{
  gint existing;

  if (name == NULL || *name == '\0' || !g_utf8_validate (name, -1, NULL))
    {
      g_set_error_literal (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                           "A class needs a non-empty UTF-8 name");
      return FALSE;
    }
  existing = tz_gaussian_model_find_class (self, name);
  if (existing >= 0 && existing != except_index)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                   "There is already a class called “%s”", name);
      return FALSE;
    }
  return TRUE;
}

gint
tz_gaussian_model_add_class (TzGaussianModel  *self,
                             const char       *name,
                             GError          **error)
{
  g_return_val_if_fail (self != NULL, -1);
  g_return_val_if_fail (error == NULL || *error == NULL, -1);

  if (!check_new_name (self, name, -1, error))
    return -1;
  g_ptr_array_add (self->classes, class_stats_new (name, self->dim));
  return (gint) self->classes->len - 1;
}

gboolean
tz_gaussian_model_remove_class (TzGaussianModel  *self,
                                guint             class_index,
                                GError          **error)
{
  g_return_val_if_fail (self != NULL, FALSE);

  if (!check_class_index (self, class_index, error))
    return FALSE;
  g_ptr_array_remove_index (self->classes, class_index);
  return TRUE;
}

gboolean
tz_gaussian_model_rename_class (TzGaussianModel  *self,
                                guint             class_index,
                                const char       *name,
                                GError          **error)
{
  TzClassStats *stats;

  g_return_val_if_fail (self != NULL, FALSE);

  if (!check_class_index (self, class_index, error) ||
      !check_new_name (self, name, (gint) class_index, error))
    return FALSE;
  stats = get_class (self, class_index);
  g_free (stats->name);
  stats->name = g_strdup (name);
  return TRUE;
}

gint
tz_gaussian_model_find_class (const TzGaussianModel *self,
                              const char            *name)
{
  g_return_val_if_fail (self != NULL, -1);

  for (guint i = 0; i < self->classes->len; i++)
    if (g_strcmp0 (get_class (self, i)->name, name) == 0)
      return (gint) i;
  return -1;
}

const char *
tz_gaussian_model_get_class_name (const TzGaussianModel *self,
                                  guint                  class_index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (class_index < self->classes->len, NULL);
  return get_class (self, class_index)->name;
}

gint64
tz_gaussian_model_get_class_count (const TzGaussianModel *self,
                                   guint                  class_index)
{
  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (class_index < self->classes->len, 0);
  return get_class (self, class_index)->count;
}

const double *
tz_gaussian_model_get_class_mean (const TzGaussianModel *self,
                                  guint                  class_index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (class_index < self->classes->len, NULL);
  return get_class (self, class_index)->mean;
}

const double *
tz_gaussian_model_get_class_scatter_packed (const TzGaussianModel *self,
                                            guint                  class_index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (class_index < self->classes->len, NULL);
  return get_class (self, class_index)->scatter;
}

void
tz_gaussian_model_copy_class_scatter (const TzGaussianModel *self,
                                      guint                  class_index,
                                      double                *out)
{
  const TzClassStats *stats;
  const double *packed;
  guint d;

  g_return_if_fail (self != NULL);
  g_return_if_fail (class_index < self->classes->len);
  g_return_if_fail (out != NULL);

  stats = get_class (self, class_index);
  d = self->dim;
  packed = stats->scatter;
  for (guint i = 0; i < d; i++)
    {
      for (guint j = i; j < d; j++)
        {
          out[(gsize) i * d + j] = packed[j - i];
          out[(gsize) j * d + i] = packed[j - i];
        }
      packed += d - i;
    }
}

void
tz_transform_apply (const TzTransform *transform,
                    double            *row,
                    guint              dim)
{
  switch (transform->kind)
    {
    case TZ_TRANSFORM_NONE:
      break;

    case TZ_TRANSFORM_L2:
      {
        double norm = cblas_dnrm2 ((int) dim, row, 1);

        if (norm > 0.0)
          cblas_dscal ((int) dim, 1.0 / norm, row, 1);
      }
      break;

    case TZ_TRANSFORM_POWER:
      for (guint j = 0; j < dim; j++)
        row[j] = copysign (pow (fabs (row[j]), transform->power), row[j]);
      break;

    default:
      g_assert_not_reached ();
    }
}

static gboolean
check_rows (const float  *x,
            gsize         n_rows,
            guint         n_cols,
            GError      **error)
{
  for (gsize i = 0; i < n_rows; i++)
    for (guint j = 0; j < n_cols; j++)
      if G_UNLIKELY (!isfinite (x[i * n_cols + j]))
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_NOT_FINITE,
                       "Feature row %" G_GSIZE_FORMAT ", column %u is %s",
                       i, j, isnan (x[i * n_cols + j]) ? "NaN" : "infinite");
          return FALSE;
        }
  return TRUE;
}

/* Chan et al.'s exact merge of a centred batch (k rows, mean @batch_mean,
 * scatter @batch_scatter in full row-major upper storage) into @stats. */
static void
merge_batch (TzClassStats *stats,
             guint         dim,
             gint64        k,
             const double *batch_mean,
             const double *batch_scatter,
             double       *delta)
{
  double n = (double) stats->count;
  double n_new = n + (double) k;
  double *packed = stats->scatter;

  for (guint j = 0; j < dim; j++)
    delta[j] = batch_mean[j] - stats->mean[j];

  for (guint i = 0; i < dim; i++)
    {
      const double *row = batch_scatter + (gsize) i * dim;

      for (guint j = i; j < dim; j++)
        packed[j - i] += row[j];
      packed += dim - i;
    }
  if (stats->count > 0)
    cblas_dspr (CblasRowMajor, CblasUpper, (int) dim,
                n * (double) k / n_new, delta, 1, stats->scatter);

  cblas_daxpy ((int) dim, (double) k / n_new, delta, 1, stats->mean, 1);
  stats->count += k;
}

gboolean
tz_gaussian_model_add_samples (TzGaussianModel  *self,
                               guint             class_index,
                               const float      *x,
                               gsize             n_rows,
                               guint             n_cols,
                               GError          **error)
{
  TzClassStats *stats;
  g_autofree double *buffer = NULL;
  g_autofree double *batch_scatter = NULL;
  g_autofree double *batch_mean = NULL;
  g_autofree double *delta = NULL;
  guint d;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (x != NULL || n_rows == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  d = self->dim;
  if (!check_class_index (self, class_index, error))
    return FALSE;
  if (n_cols != d)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_DIMENSION_MISMATCH,
                   "Feature vectors have %u values but the model expects %u",
                   n_cols, d);
      return FALSE;
    }
  if (n_rows == 0)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                   "No samples given for class “%s”",
                   get_class (self, class_index)->name);
      return FALSE;
    }
  if (!check_rows (x, n_rows, n_cols, error))
    return FALSE;

  stats = get_class (self, class_index);
  buffer = g_new (double, (gsize) MIN (n_rows, CHUNK_ROWS) * d);
  batch_scatter = g_new (double, (gsize) d * d);
  batch_mean = g_new (double, d);
  delta = g_new (double, d);

  for (gsize start = 0; start < n_rows; start += CHUNK_ROWS)
    {
      gsize k = MIN (CHUNK_ROWS, n_rows - start);
      const float *src = x + start * d;

      memset (batch_mean, 0, sizeof (double) * d);
      for (gsize i = 0; i < k; i++)
        {
          double *row = buffer + i * d;

          for (guint j = 0; j < d; j++)
            row[j] = src[i * d + j];
          tz_transform_apply (&self->transform, row, d);
          for (guint j = 0; j < d; j++)
            batch_mean[j] += row[j];
        }
      for (guint j = 0; j < d; j++)
        batch_mean[j] /= (double) k;
      for (gsize i = 0; i < k; i++)
        cblas_daxpy ((int) d, -1.0, batch_mean, 1, buffer + i * d, 1);

      cblas_dsyrk (CblasRowMajor, CblasUpper, CblasTrans, (int) d, (int) k,
                   1.0, buffer, (int) d, 0.0, batch_scatter, (int) d);
      merge_batch (stats, d, (gint64) k, batch_mean, batch_scatter, delta);
    }

  return TRUE;
}

gboolean
tz_gaussian_model_set_class_statistics (TzGaussianModel  *self,
                                        guint             class_index,
                                        gint64            count,
                                        const double     *mean,
                                        const double     *scatter,
                                        GError          **error)
{
  TzClassStats *stats;
  double *packed;
  guint d;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (mean != NULL && scatter != NULL, FALSE);

  if (!check_class_index (self, class_index, error))
    return FALSE;
  d = self->dim;
  stats = get_class (self, class_index);

  if (count < 0)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                   "Class “%s” has a negative count (%" G_GINT64_FORMAT ")",
                   stats->name, count);
      return FALSE;
    }
  for (guint j = 0; j < d; j++)
    if (!isfinite (mean[j]))
      {
        g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                     "Class “%s” has a non-finite mean at column %u", stats->name, j);
        return FALSE;
      }
  for (guint i = 0; i < d; i++)
    {
      if (!(scatter[(gsize) i * d + i] >= 0.0))
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                       "Class “%s” has a negative scatter on the diagonal at %u",
                       stats->name, i);
          return FALSE;
        }
      for (guint j = i + 1; j < d; j++)
        {
          double a = scatter[(gsize) i * d + j];
          double b = scatter[(gsize) j * d + i];

          if (!isfinite (a) || !isfinite (b) ||
              fabs (a - b) > 1e-9 * MAX (1.0, MAX (fabs (a), fabs (b))))
            {
              g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                           "Class “%s” has a scatter matrix that is not symmetric "
                           "or not finite at (%u, %u)", stats->name, i, j);
              return FALSE;
            }
        }
    }

  stats->count = count;
  memcpy (stats->mean, mean, sizeof (double) * d);
  packed = stats->scatter;
  for (guint i = 0; i < d; i++)
    {
      memcpy (packed, scatter + (gsize) i * d + i, sizeof (double) * (d - i));
      packed += d - i;
    }
  return TRUE;
}

static void
merge_class_stats (TzClassStats       *into,
                   const TzClassStats *from,
                   guint               dim)
{
  g_autofree double *delta = NULL;
  double n, k, n_new;
  gsize packed = packed_size (dim);

  if (from->count == 0)
    return;

  n = (double) into->count;
  k = (double) from->count;
  n_new = n + k;
  delta = g_new (double, dim);
  for (guint j = 0; j < dim; j++)
    delta[j] = from->mean[j] - into->mean[j];

  cblas_daxpy ((int) packed, 1.0, from->scatter, 1, into->scatter, 1);
  if (into->count > 0)
    cblas_dspr (CblasRowMajor, CblasUpper, (int) dim, n * k / n_new,
                delta, 1, into->scatter);
  cblas_daxpy ((int) dim, k / n_new, delta, 1, into->mean, 1);
  into->count += from->count;
}

gboolean
tz_gaussian_model_merge (TzGaussianModel        *self,
                         const TzGaussianModel  *other,
                         GError                **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (other != NULL, FALSE);

  if (self->dim != other->dim)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_DIMENSION_MISMATCH,
                   "Cannot merge models of %u and %u features",
                   self->dim, other->dim);
      return FALSE;
    }
  if (self->transform.kind != other->transform.kind ||
      (self->transform.kind == TZ_TRANSFORM_POWER &&
       self->transform.power != other->transform.power))
    {
      g_autofree char *a = tz_transform_to_string (&self->transform);
      g_autofree char *b = tz_transform_to_string (&other->transform);

      g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                   "Cannot merge models with different transforms (%s and %s)", a, b);
      return FALSE;
    }

  for (guint i = 0; i < other->classes->len; i++)
    {
      const TzClassStats *from = get_class (other, i);
      gint index = tz_gaussian_model_find_class (self, from->name);

      if (index < 0)
        g_ptr_array_add (self->classes, class_stats_copy (from, self->dim));
      else
        merge_class_stats (get_class (self, (guint) index), from, self->dim);
    }
  return TRUE;
}

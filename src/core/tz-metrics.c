/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-core"

#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tz-error.h"
#include "tz-metrics.h"

TzEvaluation *
tz_evaluation_new (const gint32  *truth,
                   const gint32  *predicted,
                   gsize          n,
                   guint          n_classes,
                   const gint32  *learned,
                   guint          n_learned,
                   GError       **error)
{
  g_autoptr(TzEvaluation) self = NULL;
  g_autofree gint *column_of = NULL;
  g_autofree gint64 *predicted_as = NULL;
  g_autofree gint64 *class_total = NULL;
  gint64 correct = 0, correct_learned = 0, n_learned_images = 0;

  g_return_val_if_fail (truth != NULL || n == 0, NULL);
  g_return_val_if_fail (predicted != NULL || n == 0, NULL);
  g_return_val_if_fail (learned != NULL || n_learned == 0, NULL);

  column_of = g_new (gint, MAX (n_classes, 1));
  for (guint c = 0; c < n_classes; c++)
    column_of[c] = -1;
  for (guint j = 0; j < n_learned; j++)
    {
      if (learned[j] < 0 || (guint) learned[j] >= n_classes || column_of[learned[j]] >= 0)
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                       "Learned class id %d is out of range or repeated", learned[j]);
          return NULL;
        }
      column_of[learned[j]] = (gint) j;
    }

  self = g_new0 (TzEvaluation, 1);
  self->n_classes = n_classes;
  self->n_learned = n_learned;
  self->learned = g_memdup2 (learned, sizeof (gint32) * n_learned);
  self->confusion = g_new0 (gint64, (gsize) n_classes * n_learned);
  self->precision = g_new0 (double, n_learned);
  self->recall = g_new0 (double, n_learned);
  self->n_images = (gint64) n;
  predicted_as = g_new0 (gint64, MAX (n_learned, 1));
  class_total = g_new0 (gint64, MAX (n_classes, 1));

  for (gsize i = 0; i < n; i++)
    {
      gint32 t = truth[i], p = predicted[i];

      if (t < 0 || (guint) t >= n_classes)
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                       "Row %" G_GSIZE_FORMAT " has true class %d, outside 0–%u",
                       i, t, n_classes - 1);
          return NULL;
        }
      if (p < 0 || (guint) p >= n_classes || column_of[p] < 0)
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                       "Row %" G_GSIZE_FORMAT " is predicted as class %d, which is not learned",
                       i, p);
          return NULL;
        }
      self->confusion[(gsize) t * n_learned + column_of[p]]++;
      predicted_as[column_of[p]]++;
      class_total[t]++;
      if (column_of[t] >= 0)
        n_learned_images++;
      if (t == p)
        {
          correct++;
          correct_learned++;
        }
    }

  for (guint j = 0; j < n_learned; j++)
    {
      gint64 tp = self->confusion[(gsize) learned[j] * n_learned + j];

      self->precision[j] = predicted_as[j] > 0 ? (double) tp / predicted_as[j] : 0.0;
      self->recall[j] = class_total[learned[j]] > 0 ? (double) tp / class_total[learned[j]] : 0.0;
    }
  self->accuracy = n > 0 ? (double) correct / (double) n : NAN;
  self->accuracy_learned = n_learned_images > 0
    ? (double) correct_learned / (double) n_learned_images : NAN;

  return g_steal_pointer (&self);
}

void
tz_evaluation_free (TzEvaluation *self)
{
  if (self == NULL)
    return;
  g_free (self->learned);
  g_free (self->confusion);
  g_free (self->precision);
  g_free (self->recall);
  g_free (self);
}

double
tz_average_incremental_accuracy (const double *accuracies,
                                 guint         n_steps)
{
  double sum = 0.0;

  if (n_steps == 0)
    return NAN;
  for (guint i = 0; i < n_steps; i++)
    sum += accuracies[i];
  return sum / n_steps;
}

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

double
tz_novelty_threshold (const double *min_distances,
                      gsize         n,
                      double        pass_fraction)
{
  g_autofree double *sorted = NULL;
  double position, fraction;
  gsize below;

  g_return_val_if_fail (min_distances != NULL || n == 0, NAN);
  g_return_val_if_fail (pass_fraction >= 0.0 && pass_fraction <= 1.0, NAN);

  if (n == 0)
    return NAN;
  sorted = g_memdup2 (min_distances, sizeof (double) * n);
  qsort (sorted, n, sizeof (double), compare_doubles);

  position = pass_fraction * (double) (n - 1);
  below = (gsize) floor (position);
  fraction = position - (double) below;
  if (below + 1 >= n)
    return sorted[n - 1];
  return sorted[below] + fraction * (sorted[below + 1] - sorted[below]);
}

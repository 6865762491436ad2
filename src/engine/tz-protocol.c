/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-engine"

#include "config.h"

#include <string.h>

#include "tz-error.h"
#include "tz-gaussian-classifier.h"
#include "tz-gaussian-model.h"
#include "tz-protocol.h"

static gboolean
parse_uint (const char *text,
            guint      *out)
{
  guint64 value;

  if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT, &value, NULL))
    return FALSE;
  *out = (guint) value;
  return TRUE;
}

gboolean
tz_protocol_parse_class_list (const char  *text,
                              guint        n_classes,
                              GArray      *out,
                              GError     **error)
{
  g_auto(GStrv) parts = NULL;
  g_autofree gboolean *seen = NULL;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  seen = g_new0 (gboolean, MAX (n_classes, 1));
  parts = g_strsplit (text, ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_auto(GStrv) range = g_strsplit (g_strstrip (parts[i]), "-", 2);
      guint first, last;

      if (!parse_uint (range[0], &first) ||
          (range[1] != NULL && !parse_uint (range[1], &last)))
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                       "Cannot read the class list “%s”: expected ids and ranges "
                       "such as 0-4 or 5,7,6", text);
          return FALSE;
        }
      if (range[1] == NULL)
        last = first;
      if (last < first)
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                       "The range %u-%u in “%s” runs backwards", first, last, text);
          return FALSE;
        }
      for (guint c = first; c <= last; c++)
        {
          if (c >= n_classes)
            {
              g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                           "Class %u in “%s” does not exist: the data has classes 0-%u",
                           c, text, n_classes - 1);
              return FALSE;
            }
          if (seen[c])
            {
              g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                           "Class %u appears twice in “%s”", c, text);
              return FALSE;
            }
          seen[c] = TRUE;
          g_array_append_val (out, c);
        }
    }
  return TRUE;
}

void
tz_protocol_options_complete (TzProtocolOptions  *options,
                              const TzFeatureSet *data)
{
  g_return_if_fail (options != NULL && data != NULL);

  if (options->order->len > 0)
    return;
  for (guint c = 0; c < data->n_classes; c++)
    {
      gboolean initial = FALSE;

      for (guint i = 0; i < options->initial->len; i++)
        initial |= g_array_index (options->initial, guint, i) == c;
      if (!initial)
        g_array_append_val (options->order, c);
    }
}

static void
protocol_step_free (gpointer data)
{
  TzProtocolStep *step = data;

  g_array_unref (step->added);
  tz_evaluation_free (step->evaluation);
  g_free (step);
}

void
tz_protocol_result_free (TzProtocolResult *result)
{
  if (result == NULL)
    return;
  g_ptr_array_unref (result->steps);
  g_free (result);
}

/* Copies the training rows of class @c into one contiguous block. */
static float *
gather_class (const TzFeatureSet *data,
              guint               c,
              gsize              *n_rows)
{
  gsize n = 0;
  float *rows;

  for (gsize i = 0; i < data->n_train; i++)
    n += data->train_y[i] == (gint32) c;
  rows = g_new (float, MAX (n, 1) * data->dim);
  n = 0;
  for (gsize i = 0; i < data->n_train; i++)
    if (data->train_y[i] == (gint32) c)
      memcpy (rows + (n++) * data->dim, data->train_x + i * data->dim,
              sizeof (float) * data->dim);
  *n_rows = n;
  return rows;
}

static gboolean
learn_class (TzGaussianModel     *model,
             const TzFeatureSet  *data,
             guint                c,
             GError             **error)
{
  g_autofree float *rows = NULL;
  gsize n_rows;
  gint index;

  index = tz_gaussian_model_add_class (model, data->class_names[c], error);
  if (index < 0)
    return FALSE;
  rows = gather_class (data, c, &n_rows);
  if (n_rows == 0)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_EMPTY_CLASS,
                   "Class %u (“%s”) has no training samples", c, data->class_names[c]);
      return FALSE;
    }
  return tz_gaussian_model_add_samples (model, (guint) index, rows, n_rows, data->dim, error);
}

gboolean
tz_protocol_options_validate (const TzProtocolOptions  *options,
                              const TzFeatureSet       *data,
                              GError                  **error)
{
  g_autofree gboolean *seen = NULL;
  GArray *lists[2];

  g_return_val_if_fail (options != NULL && data != NULL, FALSE);

  if (options->initial->len == 0)
    {
      g_set_error_literal (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                           "The protocol needs at least one initial class");
      return FALSE;
    }
  seen = g_new0 (gboolean, MAX (data->n_classes, 1));
  lists[0] = options->initial;
  lists[1] = options->order;
  for (guint l = 0; l < 2; l++)
    for (guint i = 0; i < lists[l]->len; i++)
      {
        guint c = g_array_index (lists[l], guint, i);

        if (c >= data->n_classes)
          {
            g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                         "Class %u does not exist: the data has classes 0-%u",
                         c, data->n_classes - 1);
            return FALSE;
          }
        if (seen[c])
          {
            g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                         "Class %u (“%s”) is listed twice: a class is learned once",
                         c, data->class_names[c]);
            return FALSE;
          }
        seen[c] = TRUE;
      }
  return TRUE;
}

TzProtocolResult *
tz_protocol_run (const TzFeatureSet       *data,
                 const TzProtocolOptions  *options,
                 TzProtocolStepFunc        step_func,
                 gpointer                  user_data,
                 GCancellable             *cancellable,
                 GError                  **error)
{
  g_autoptr(TzProtocolResult) result = NULL;
  g_autoptr(TzGaussianModel) model = NULL;
  g_autoptr(GArray) learned = NULL;
  g_autofree double *accuracies = NULL;
  guint n_steps;

  g_return_val_if_fail (data != NULL, NULL);
  g_return_val_if_fail (options != NULL, NULL);

  if (!tz_protocol_options_validate (options, data, error))
    return NULL;

  result = g_new0 (TzProtocolResult, 1);
  result->steps = g_ptr_array_new_with_free_func (protocol_step_free);
  model = tz_gaussian_model_new (data->dim, &options->transform);
  learned = g_array_new (FALSE, FALSE, sizeof (gint32));
  n_steps = 1 + options->order->len;
  accuracies = g_new (double, n_steps);

  for (guint s = 0; s < n_steps; s++)
    {
      g_autoptr(TzGaussianClassifier) classifier = NULL;
      g_autoptr(TzScores) scores = NULL;
      g_autofree gint32 *predicted = NULL;
      g_autoptr(GTimer) timer = g_timer_new ();
      TzProtocolStep *step;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;

      step = g_new0 (TzProtocolStep, 1);
      step->index = s;
      step->added = g_array_new (FALSE, FALSE, sizeof (guint));
      g_ptr_array_add (result->steps, step);
      if (s == 0)
        g_array_append_vals (step->added, options->initial->data, options->initial->len);
      else
        g_array_append_val (step->added, g_array_index (options->order, guint, s - 1));

      for (guint i = 0; i < step->added->len; i++)
        {
          guint c = g_array_index (step->added, guint, i);
          gint32 id = (gint32) c;

          if (!learn_class (model, data, c, error))
            return NULL;
          g_array_append_val (learned, id);
        }
      classifier = tz_gaussian_classifier_new (model, &options->settings, error);
      if (classifier == NULL)
        return NULL;
      step->fit_seconds = g_timer_elapsed (timer, NULL);

      g_timer_start (timer);
      scores = tz_gaussian_classifier_score (classifier, data->test_x, data->n_test,
                                             data->dim, 0, error);
      if (scores == NULL)
        return NULL;
      predicted = g_new (gint32, MAX (data->n_test, 1));
      for (gsize i = 0; i < data->n_test; i++)
        predicted[i] = g_array_index (learned, gint32, scores->predicted[i]);
      step->evaluation = tz_evaluation_new (data->test_y, predicted, data->n_test,
                                            data->n_classes, (const gint32 *) learned->data,
                                            learned->len, error);
      if (step->evaluation == NULL)
        return NULL;
      step->score_seconds = g_timer_elapsed (timer, NULL);
      accuracies[s] = step->evaluation->accuracy;

      if (step_func != NULL)
        step_func (step, user_data);
    }

  result->average_incremental_accuracy = tz_average_incremental_accuracy (accuracies, n_steps);
  return g_steal_pointer (&result);
}

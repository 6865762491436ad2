/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Benchmark: which classifier settings learn best? Runs the post's protocol
 * (classes 0-4, then 5..9 one at a time) on Fashion-MNIST from Debian's
 * dataset-fashion-mnist for every combination of covariance,
 * regularisation, prior and transform, and prints a table sorted by final
 * accuracy, marking the post's settings and Tsuzuki's defaults. Features:
 * the raw pixels in [0, 1], or a feature file given as argv[1]. */
#define G_LOG_DOMAIN "tsuzuki-bench"

#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "tz-feature-set.h"
#include "tz-protocol.h"

typedef struct
{
  char   *label;
  double  final;
  double  average;
  double  seconds;
  gboolean post;
  gboolean defaults;
} Row;

static int
compare_rows (const void *a,
              const void *b)
{
  const Row *x = a, *y = b;

  return (y->final > x->final) - (y->final < x->final);
}

static gboolean
same_settings (const TzClassifierSettings *a,
               const TzTransform          *ta,
               const TzClassifierSettings *b,
               const TzTransform          *tb)
{
  return a->covariance == b->covariance && a->prior == b->prior &&
         a->regularization.kind == b->regularization.kind &&
         a->regularization.amount == b->regularization.amount &&
         ta->kind == tb->kind && (ta->kind != TZ_TRANSFORM_POWER || ta->power == tb->power);
}

int
main (int   argc,
      char *argv[])
{
  static const char *const names[] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot", NULL,
  };
  const char *covariances[] = { "class-averaged", "pooled", "per-class" };
  const char *regularizations[] = { "ridge:1e-6", "ridge:1e-2", "shrink:0.1", "shrink:0.5", "oas" };
  const char *priors[] = { "counts", "uniform" };
  const char *transforms[] = { "none", "l2", "power:0.5" };
  g_autoptr(TzFeatureSet) data = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) rows = g_array_new (FALSE, TRUE, sizeof (Row));
  TzClassifierSettings post, defaults;
  TzTransform post_transform, default_transform;
  guint n_failed = 0;

  if (argc > 1)
    data = tz_feature_set_load (argv[1], &error);
  else
    data = tz_feature_set_new_from_idx (TZ_FASHION_MNIST_DIR "/train-images-idx3-ubyte.gz",
                                        TZ_FASHION_MNIST_DIR "/train-labels-idx1-ubyte.gz",
                                        TZ_FASHION_MNIST_DIR "/t10k-images-idx3-ubyte.gz",
                                        TZ_FASHION_MNIST_DIR "/t10k-labels-idx1-ubyte.gz",
                                        names, &error);
  if (data == NULL)
    {
      printf ("1..0 # SKIP %s\n", error->message);
      return 0;
    }

  tz_classifier_settings_init_post (&post);
  tz_transform_init_default (&post_transform);
  tz_classifier_settings_init_default (&defaults);
  tz_transform_init_default (&default_transform);

  for (guint t = 0; t < G_N_ELEMENTS (transforms); t++)
    for (guint c = 0; c < G_N_ELEMENTS (covariances); c++)
      for (guint r = 0; r < G_N_ELEMENTS (regularizations); r++)
        for (guint p = 0; p < G_N_ELEMENTS (priors); p++)
          {
            g_autoptr(TzProtocolResult) result = NULL;
            g_autoptr(GTimer) timer = g_timer_new ();
            TzProtocolOptions options = { 0 };
            const TzProtocolStep *last;
            Row row = { 0 };

            options.initial = g_array_new (FALSE, FALSE, sizeof (guint));
            options.order = g_array_new (FALSE, FALSE, sizeof (guint));
            tz_covariance_parse (covariances[c], &options.settings.covariance, NULL);
            tz_regularization_parse (regularizations[r], &options.settings.regularization, NULL);
            tz_prior_parse (priors[p], &options.settings.prior, NULL);
            tz_transform_parse (transforms[t], &options.transform, NULL);
            tz_protocol_parse_class_list ("0-4", data->n_classes, options.initial, NULL);
            tz_protocol_options_complete (&options, data);

            result = tz_protocol_run (data, &options, NULL, NULL, NULL, &error);
            row.label = g_strdup_printf ("%-15s %-11s %-8s %-10s", covariances[c],
                                         regularizations[r], priors[p], transforms[t]);
            if (result == NULL)
              {
                printf ("# %s failed: %s\n", row.label, error->message);
                g_clear_error (&error);
                g_free (row.label);
                n_failed++;
              }
            else
              {
                last = g_ptr_array_index (result->steps, result->steps->len - 1);
                row.final = last->evaluation->accuracy;
                row.average = result->average_incremental_accuracy;
                row.seconds = g_timer_elapsed (timer, NULL);
                row.post = same_settings (&options.settings, &options.transform, &post, &post_transform);
                row.defaults = same_settings (&options.settings, &options.transform,
                                              &defaults, &default_transform);
                g_array_append_val (rows, row);
                fprintf (stderr, "%s  %.4f\n", row.label, row.final);
              }
            g_array_unref (options.initial);
            g_array_unref (options.order);
          }

  qsort (rows->data, rows->len, sizeof (Row), compare_rows);
  printf ("# %u dimensions, %" G_GSIZE_FORMAT " training / %" G_GSIZE_FORMAT " evaluation vectors\n",
          data->dim, data->n_train, data->n_test);
  printf ("# %-15s %-11s %-8s %-10s  %8s  %8s  %7s\n", "covariance", "regulariz.", "prior",
          "transform", "final", "average", "seconds");
  for (guint i = 0; i < rows->len; i++)
    {
      Row *row = &g_array_index (rows, Row, i);

      printf ("# %s  %8.4f  %8.4f  %7.2f%s%s\n", row->label, row->final, row->average,
              row->seconds, row->post ? "  <- the post" : "", row->defaults ? "  <- defaults" : "");
      g_free (row->label);
    }
  printf ("1..1\n%s 1 - bench-settings (%u combinations failed)\n",
          n_failed == 0 ? "ok" : "not ok", n_failed);
  return 0;
}

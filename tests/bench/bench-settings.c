/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Benchmark: which classifier settings learn best? Runs the post's protocol
 * (classes 0-4, then 5..9 one at a time) on Fashion-MNIST from Debian's
 * dataset-fashion-mnist for every combination of covariance,
 * regularisation, prior and transform, in three regimes of training data:
 *   full        every training image (6,000 a class, as the post)
 *   few-shot    20 images a class: what a person teaches by hand, with far
 *               fewer samples than dimensions
 *   imbalanced  the initial classes in full, each later class with 100
 *               images: labelling new classes on top of a trained base
 * and prints, per regime, a table sorted by final accuracy, marking the
 * post's settings and Tsuzuki's defaults, then the mean rank of each
 * setting over the regimes. Features: the raw pixels in [0, 1], or a
 * feature file given as argv[1]. */
#define G_LOG_DOMAIN "tsuzuki-bench"

#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tz-feature-set.h"
#include "tz-protocol.h"

typedef struct
{
  char   *label;
  guint   setting;
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

/* A copy of @data keeping, for each class, its first @n_initial training
 * rows (classes in @initial) or its first @n_other rows (the others). */
static TzFeatureSet *
subsample (const TzFeatureSet *data,
           guint               n_initial_classes,
           gsize               n_initial,
           gsize               n_other)
{
  TzFeatureSet *out = g_new0 (TzFeatureSet, 1);
  g_autofree gsize *taken = g_new0 (gsize, data->n_classes);
  gsize n = 0;

  out->dim = data->dim;
  out->n_classes = data->n_classes;
  out->class_names = g_strdupv (data->class_names);
  out->train_x = g_new (float, data->n_train * data->dim);
  out->train_y = g_new (gint32, data->n_train);
  for (gsize i = 0; i < data->n_train; i++)
    {
      gint32 y = data->train_y[i];
      gsize limit = (guint) y < n_initial_classes ? n_initial : n_other;

      if (taken[y] >= limit)
        continue;
      taken[y]++;
      memcpy (out->train_x + n * data->dim, data->train_x + i * data->dim,
              sizeof (float) * data->dim);
      out->train_y[n++] = y;
    }
  out->n_train = n;
  out->n_test = data->n_test;
  out->test_x = g_memdup2 (data->test_x, sizeof (float) * data->n_test * data->dim);
  out->test_y = g_memdup2 (data->test_y, sizeof (gint32) * data->n_test);
  return out;
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
  const char *covariances[] = { "class-averaged", "pooled", "per-class" };
  guint n_covariances = G_N_ELEMENTS (covariances);
  const char *regularizations[] = { "ridge:1e-6", "ridge:1e-2", "shrink:0.1", "shrink:0.5", "oas" };
  const char *priors[] = { "counts", "uniform" };
  const char *transforms[] = { "none", "l2", "power:0.5" };
  g_autoptr(TzFeatureSet) data = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) rows = g_array_new (FALSE, TRUE, sizeof (Row));
  TzClassifierSettings post, defaults;
  TzTransform post_transform, default_transform;
  guint n_failed = 0;

  /* TZ_BENCH_TIED_ONLY=1 skips per-class covariances: at d = 1280 each
   * of their steps costs C Cholesky factorisations and C triangular solves
   * over the evaluation set. */
  if (g_strcmp0 (g_getenv ("TZ_BENCH_TIED_ONLY"), "1") == 0)
    n_covariances = 2;
  if (argc > 1)
    data = tz_feature_set_load (argv[1], &error);
  else
    data = tz_feature_set_new_from_idx (TZ_FASHION_MNIST_DIR "/train-images-idx3-ubyte.gz",
                                        TZ_FASHION_MNIST_DIR "/train-labels-idx1-ubyte.gz",
                                        TZ_FASHION_MNIST_DIR "/t10k-images-idx3-ubyte.gz",
                                        TZ_FASHION_MNIST_DIR "/t10k-labels-idx1-ubyte.gz",
                                        tz_fashion_mnist_class_names, &error);
  if (data == NULL)
    {
      printf ("1..0 # SKIP %s\n", error->message);
      return 0;
    }

  tz_classifier_settings_init_post (&post);
  tz_transform_init_none (&post_transform);
  tz_classifier_settings_init_default (&defaults);
  tz_transform_init_default (&default_transform);

  {
    const struct { const char *name; gsize n_initial, n_other; } regimes[] = {
      { "full", G_MAXSIZE, G_MAXSIZE },
      { "few-shot", 20, 20 },
      { "imbalanced", G_MAXSIZE, 100 },
    };
    guint n_settings = G_N_ELEMENTS (transforms) * n_covariances *
                       G_N_ELEMENTS (regularizations) * G_N_ELEMENTS (priors);
    g_autofree double *rank_sum = g_new0 (double, n_settings);
    g_autofree char **labels = g_new0 (char *, n_settings + 1);
    g_autofree gboolean *is_post = g_new0 (gboolean, n_settings);
    g_autofree gboolean *is_default = g_new0 (gboolean, n_settings);
    g_autofree double *final_of = g_new0 (double, n_settings * G_N_ELEMENTS (regimes));

    for (guint g = 0; g < G_N_ELEMENTS (regimes); g++)
      {
        g_autoptr(TzFeatureSet) subset = subsample (data, 5, regimes[g].n_initial, regimes[g].n_other);
        guint setting = 0;

        g_array_set_size (rows, 0);
        for (guint t = 0; t < G_N_ELEMENTS (transforms); t++)
          for (guint c = 0; c < n_covariances; c++)
            for (guint r = 0; r < G_N_ELEMENTS (regularizations); r++)
              for (guint p = 0; p < G_N_ELEMENTS (priors); p++, setting++)
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
                  tz_protocol_parse_class_list ("0-4", subset->n_classes, options.initial, NULL);
                  tz_protocol_options_complete (&options, subset);

                  result = tz_protocol_run (subset, &options, NULL, NULL, NULL, &error);
                  row.setting = setting;
                  row.label = g_strdup_printf ("%-15s %-11s %-8s %-10s", covariances[c],
                                               regularizations[r], priors[p], transforms[t]);
                  if (labels[setting] == NULL)
                    labels[setting] = g_strdup (row.label);
                  is_post[setting] = same_settings (&options.settings, &options.transform,
                                                    &post, &post_transform);
                  is_default[setting] = same_settings (&options.settings, &options.transform,
                                                       &defaults, &default_transform);
                  if (result == NULL)
                    {
                      printf ("# %s %s failed: %s\n", regimes[g].name, row.label, error->message);
                      g_clear_error (&error);
                      row.final = 0.0;
                      n_failed++;
                    }
                  else
                    {
                      last = g_ptr_array_index (result->steps, result->steps->len - 1);
                      row.final = last->evaluation->accuracy;
                      row.average = result->average_incremental_accuracy;
                    }
                  row.seconds = g_timer_elapsed (timer, NULL);
                  row.post = is_post[setting];
                  row.defaults = is_default[setting];
                  final_of[g * n_settings + setting] = row.final;
                  g_array_append_val (rows, row);
                  g_array_unref (options.initial);
                  g_array_unref (options.order);
                }

        qsort (rows->data, rows->len, sizeof (Row), compare_rows);
        printf ("# regime %s: %u dimensions, %" G_GSIZE_FORMAT " training / %" G_GSIZE_FORMAT
                " evaluation vectors\n", regimes[g].name, subset->dim, subset->n_train, subset->n_test);
        printf ("# %-15s %-11s %-8s %-10s  %8s  %8s  %7s\n", "covariance", "regulariz.", "prior",
                "transform", "final", "average", "seconds");
        for (guint i = 0; i < rows->len; i++)
          {
            Row *row = &g_array_index (rows, Row, i);

            /* Ties share the better rank. */
            guint rank = i;
            while (rank > 0 && g_array_index (rows, Row, rank - 1).final == row->final)
              rank--;
            rank_sum[row->setting] += rank + 1;
            printf ("# %s  %8.4f  %8.4f  %7.2f%s%s\n", row->label, row->final, row->average,
                    row->seconds, row->post ? "  <- the post" : "",
                    row->defaults ? "  <- defaults" : "");
            g_free (row->label);
          }
        printf ("#\n");
      }

    printf ("# mean rank over the regimes (1 = best), best 15 and the marked ones:\n");
    for (guint shown = 0, k = 0; k < n_settings; k++)
      {
        guint best = 0;

        for (guint i = 1; i < n_settings; i++)
          if (rank_sum[i] < rank_sum[best])
            best = i;
        if (shown < 15 || is_post[best] || is_default[best])
          {
            printf ("# %5.1f  %s  final:", rank_sum[best] / G_N_ELEMENTS (regimes), labels[best]);
            for (guint g = 0; g < G_N_ELEMENTS (regimes); g++)
              printf (" %.4f", final_of[g * n_settings + best]);
            printf ("%s%s\n", is_post[best] ? "  <- the post" : "",
                    is_default[best] ? "  <- defaults" : "");
            shown++;
          }
        rank_sum[best] = INFINITY;
      }
    for (guint i = 0; i < n_settings; i++)
      g_free (labels[i]);
  }
  printf ("1..1\n%s 1 - bench-settings (%u combinations failed)\n",
          n_failed == 0 ? "ok" : "not ok", n_failed);
  return 0;
}

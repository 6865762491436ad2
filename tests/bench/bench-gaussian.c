/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Benchmark: with d = 1280 and 9 classes already learned, add a class of
 * 5,000 samples, re-factorise, and score 10,000 evaluation vectors against
 * the 10 classes; then the same work with the post's formulas in numpy
 * (bench-gaussian-numpy.py) on the same data, and the ratio. Prints
 * figures; asserts only that both sides predict the same classes. */
#define G_LOG_DOMAIN "tsuzuki-bench"

#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "tz-gaussian-classifier.h"
#include "tz-gaussian-model.h"

#define D        1280
#define N_OLD    9
#define N_PER    1000
#define N_NEW    5000
#define N_TEST   10000
#define REPEATS  3

/* Class c: a mean shifted along a few axes, correlated noise. */
static void
fill_class (GRand *rand,
            float *x,
            gsize  n,
            guint  c)
{
  for (gsize i = 0; i < n; i++)
    {
      double common = g_rand_double_range (rand, -1.0, 1.0);

      for (guint j = 0; j < D; j++)
        x[i * D + j] = (float) (g_rand_double_range (rand, -1.0, 1.0) + 0.5 * common
                                + ((j % 10) == c ? 0.15 : 0.0));
    }
}

static gboolean
write_raw (const char    *path,
           gconstpointer  data,
           gsize          size)
{
  g_autoptr(GError) error = NULL;

  if (!g_file_set_contents (path, data, (gssize) size, &error))
    {
      g_printerr ("%s\n", error->message);
      return FALSE;
    }
  return TRUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  g_autoptr(TzGaussianModel) base = tz_gaussian_model_new (D, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree float *old = g_new (float, (gsize) N_PER * D);
  g_autofree float *fresh = g_new (float, (gsize) N_NEW * D);
  g_autofree float *test = g_new (float, (gsize) N_TEST * D);
  g_autofree double *stats = g_new (double, (gsize) N_OLD * (1 + D + D * D));
  g_autofree gint32 *predicted = g_new (gint32, N_TEST);
  g_autofree char *tmpdir = NULL;
  g_autofree char *new_path = NULL, *test_path = NULL, *stats_path = NULL;
  g_autofree char *out = NULL, *script = NULL;
  g_autofree char *d_arg = NULL, *n_new_arg = NULL, *n_test_arg = NULL;
  g_autofree char *n_old_arg = NULL, *repeats_arg = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  double best_add = INFINITY, best_fit = INFINITY, best_score = INFINITY, best_dist = INFINITY;
  TzClassifierSettings settings;
  JsonObject *peer;
  JsonArray *peer_predicted;
  const char *python;
  double t_add, t_maha, t_lin, ours, ours_dist;
  guint disagree = 0;
  int status;

  tz_classifier_settings_init_post (&settings);

  for (guint c = 0; c < N_OLD; c++)
    {
      g_autofree char *name = g_strdup_printf ("class %u", c);
      double *row = stats + (gsize) c * (1 + D + D * D);

      fill_class (rand, old, N_PER, c);
      tz_gaussian_model_add_class (base, name, &error);
      tz_gaussian_model_add_samples (base, c, old, N_PER, D, &error);
      g_assert_no_error (error);
      row[0] = N_PER;
      memcpy (row + 1, tz_gaussian_model_get_class_mean (base, c), sizeof (double) * D);
      tz_gaussian_model_copy_class_scatter (base, c, row + 1 + D);
      for (gsize k = 0; k < (gsize) D * D; k++)
        row[1 + D + k] /= N_PER;
    }
  fill_class (rand, fresh, N_NEW, N_OLD);
  for (gsize i = 0; i < N_TEST; i++)
    fill_class (rand, test + i * D, 1, (guint) (i % (N_OLD + 1)));

  for (guint r = 0; r < REPEATS; r++)
    {
      g_autoptr(TzGaussianModel) model = tz_gaussian_model_copy (base);
      g_autoptr(TzGaussianClassifier) classifier = NULL;
      g_autoptr(TzScores) scores = NULL;
      g_autoptr(TzScores) with_distances = NULL;
      g_autoptr(GTimer) timer = g_timer_new ();
      double t_fit;

      tz_gaussian_model_add_class (model, "new", &error);
      tz_gaussian_model_add_samples (model, N_OLD, fresh, N_NEW, D, &error);
      best_add = MIN (best_add, g_timer_elapsed (timer, NULL));
      g_timer_start (timer);
      classifier = tz_gaussian_classifier_new (model, &settings, &error);
      t_fit = g_timer_elapsed (timer, NULL);
      best_fit = MIN (best_fit, t_fit);
      g_timer_start (timer);
      scores = tz_gaussian_classifier_score (classifier, test, N_TEST, D, TZ_SCORE_POSTERIORS, &error);
      best_score = MIN (best_score, g_timer_elapsed (timer, NULL));
      g_timer_start (timer);
      with_distances = tz_gaussian_classifier_score (classifier, test, N_TEST, D,
                                                     TZ_SCORE_POSTERIORS | TZ_SCORE_DISTANCES, &error);
      best_dist = MIN (best_dist, g_timer_elapsed (timer, NULL));
      g_assert_no_error (error);
      memcpy (predicted, scores->predicted, sizeof (gint32) * N_TEST);
    }

  ours = best_add + best_fit + best_score;
  ours_dist = best_add + best_fit + best_dist;
  printf ("# Tsuzuki (C, OpenBLAS), d = %d, %d classes learned, best of %d:\n", D, N_OLD, REPEATS);
  printf ("#   add a class of %d samples      %8.4f s\n", N_NEW, best_add);
  printf ("#   covariance + Cholesky            %8.4f s\n", best_fit);
  printf ("#   score %d vectors (posteriors)  %8.4f s\n", N_TEST, best_score);
  printf ("#   score with Mahalanobis distances %8.4f s\n", best_dist);
  printf ("#   total                            %8.4f s (target < 0.5 s); %.4f s with distances\n",
          ours, ours_dist);

  python = g_getenv ("TZ_PYTHON3") ? g_getenv ("TZ_PYTHON3") : "/usr/bin/python3";
  tmpdir = g_dir_make_tmp ("tsuzuki-bench-XXXXXX", &error);
  g_assert_no_error (error);
  new_path = g_build_filename (tmpdir, "new.f32", NULL);
  test_path = g_build_filename (tmpdir, "test.f32", NULL);
  stats_path = g_build_filename (tmpdir, "stats.f64", NULL);
  if (!write_raw (new_path, fresh, sizeof (float) * N_NEW * D) ||
      !write_raw (test_path, test, sizeof (float) * N_TEST * D) ||
      !write_raw (stats_path, stats, sizeof (double) * N_OLD * (1 + D + D * D)))
    return 1;

  script = g_build_filename (g_getenv ("G_TEST_SRCDIR") ? g_getenv ("G_TEST_SRCDIR") : "tests",
                             "bench", "bench-gaussian-numpy.py", NULL);
  d_arg = g_strdup_printf ("%d", D);
  n_new_arg = g_strdup_printf ("%d", N_NEW);
  n_test_arg = g_strdup_printf ("%d", N_TEST);
  n_old_arg = g_strdup_printf ("%d", N_OLD);
  repeats_arg = g_strdup_printf ("%d", REPEATS);
  {
    const char *peer_argv[] = { python, script, new_path, test_path, stats_path, d_arg,
                                n_new_arg, n_test_arg, n_old_arg, repeats_arg, NULL };

    g_spawn_sync (NULL, (char **) peer_argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                  &out, NULL, &status, &error);
  }
  g_remove (new_path);
  g_remove (test_path);
  g_remove (stats_path);
  g_rmdir (tmpdir);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, &error))
    {
      g_printerr ("numpy peer failed: %s\n", error->message);
      return 1;
    }

  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  peer = json_node_get_object (json_parser_get_root (parser));
  t_add = json_object_get_double_member (peer, "add");
  t_maha = json_object_get_double_member (peer, "score_mahalanobis");
  t_lin = json_object_get_double_member (peer, "score_linear");
  peer_predicted = json_object_get_array_member (peer, "predicted");
  for (guint i = 0; i < N_TEST; i++)
    disagree += json_array_get_int_element (peer_predicted, i) != predicted[i];

  printf ("# numpy (the post's formulas), same data, best of %d:\n", REPEATS);
  printf ("#   mean, np.cov, average, inv       %8.4f s\n", t_add);
  printf ("#   score via Mahalanobis distances  %8.4f s\n", t_maha);
  printf ("#   score via one GEMM (linear form) %8.4f s\n", t_lin);
  printf ("# speed-up over the post's numpy (Mahalanobis scoring): %.2fx (target >= 3x)\n",
          (t_add + t_maha) / ours);
  printf ("# speed-up over numpy written with one GEMM:           %.2fx\n",
          (t_add + t_lin) / ours);
  printf ("# predictions that differ from numpy's: %u of %d\n", disagree, N_TEST);
  printf ("1..1\n%s 1 - bench-gaussian\n", disagree == 0 ? "ok" : "not ok");
  return disagree == 0 ? 0 : 1;
}

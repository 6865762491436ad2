/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Exactness of the streaming statistics, and bad input. */
#define G_LOG_DOMAIN "tsuzuki-test"

#include "config.h"

#include <math.h>
#include <string.h>

#include "tz-error.h"
#include "tz-gaussian-classifier.h"
#include "tz-gaussian-model.h"
#include "tz-metrics.h"

#define DIM 9

/* Deterministic data with a large common offset, so that a naive
 * one-pass sum of squares would lose digits where Chan's merge must not. */
static float *
make_data (gsize   n,
           guint   d,
           guint32 seed,
           double  offset)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  float *x = g_new (float, n * d);

  for (gsize i = 0; i < n; i++)
    for (guint j = 0; j < d; j++)
      x[i * d + j] = (float) (offset + (j + 1) * g_rand_double_range (rand, -1.0, 1.0)
                              + 0.3 * (double) (i % 7));
  return x;
}

/* Two-pass textbook statistics, the independent reference. */
static void
two_pass (const float *x,
          gsize        n,
          guint        d,
          double      *mean,
          double      *scatter)
{
  memset (mean, 0, sizeof (double) * d);
  memset (scatter, 0, sizeof (double) * d * d);
  for (gsize i = 0; i < n; i++)
    for (guint j = 0; j < d; j++)
      mean[j] += x[i * d + j];
  for (guint j = 0; j < d; j++)
    mean[j] /= (double) n;
  for (gsize i = 0; i < n; i++)
    for (guint a = 0; a < d; a++)
      for (guint b = 0; b < d; b++)
        scatter[a * d + b] += (x[i * d + a] - mean[a]) * (x[i * d + b] - mean[b]);
}

static double
max_relative_difference (const double *a,
                         const double *b,
                         gsize         n)
{
  double scale = 0.0, worst = 0.0;

  for (gsize i = 0; i < n; i++)
    scale = MAX (scale, fabs (a[i]));
  for (gsize i = 0; i < n; i++)
    worst = MAX (worst, fabs (a[i] - b[i]));
  return scale > 0.0 ? worst / scale : worst;
}

static void
assert_same_class (const TzGaussianModel *a,
                   guint                  ca,
                   const TzGaussianModel *b,
                   guint                  cb,
                   double                 tolerance)
{
  guint d = tz_gaussian_model_get_dim (a);
  g_autofree double *sa = g_new (double, d * d);
  g_autofree double *sb = g_new (double, d * d);

  g_assert_cmpstr (tz_gaussian_model_get_class_name (a, ca), ==,
                   tz_gaussian_model_get_class_name (b, cb));
  g_assert_cmpint (tz_gaussian_model_get_class_count (a, ca), ==,
                   tz_gaussian_model_get_class_count (b, cb));
  g_assert_cmpfloat (max_relative_difference (tz_gaussian_model_get_class_mean (a, ca),
                                              tz_gaussian_model_get_class_mean (b, cb), d),
                     <=, tolerance);
  tz_gaussian_model_copy_class_scatter (a, ca, sa);
  tz_gaussian_model_copy_class_scatter (b, cb, sb);
  g_assert_cmpfloat (max_relative_difference (sa, sb, d * d), <=, tolerance);
}

static void
test_streaming_equals_one_shot (void)
{
  const gsize n = 5000;
  g_autofree float *x = make_data (n, DIM, 7, 1000.0);
  g_autofree double *mean = g_new (double, DIM);
  g_autofree double *scatter = g_new (double, DIM * DIM);
  g_autofree double *got = g_new (double, DIM * DIM);
  g_autoptr(TzGaussianModel) one_shot = tz_gaussian_model_new (DIM, NULL);
  g_autoptr(GError) error = NULL;
  const gsize batch_sizes[] = { 1, 7, 2049 };

  two_pass (x, n, DIM, mean, scatter);

  tz_gaussian_model_add_class (one_shot, "c", &error);
  g_assert_true (tz_gaussian_model_add_samples (one_shot, 0, x, n, DIM, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (max_relative_difference (mean, tz_gaussian_model_get_class_mean (one_shot, 0), DIM),
                     <=, 1e-9);
  tz_gaussian_model_copy_class_scatter (one_shot, 0, got);
  g_assert_cmpfloat (max_relative_difference (scatter, got, DIM * DIM), <=, 1e-9);

  for (guint k = 0; k < G_N_ELEMENTS (batch_sizes); k++)
    {
      g_autoptr(TzGaussianModel) streamed = tz_gaussian_model_new (DIM, NULL);

      tz_gaussian_model_add_class (streamed, "c", &error);
      for (gsize start = 0; start < n; start += batch_sizes[k])
        g_assert_true (tz_gaussian_model_add_samples (streamed, 0, x + start * DIM,
                                                      MIN (batch_sizes[k], n - start),
                                                      DIM, &error));
      g_assert_no_error (error);
      assert_same_class (one_shot, 0, streamed, 0, 1e-9);
    }
}

static void
test_remove_restores (void)
{
  g_autofree float *a = make_data (300, DIM, 1, 0.0);
  g_autofree float *b = make_data (200, DIM, 2, 3.0);
  g_autofree float *c = make_data (100, DIM, 3, -2.0);
  g_autofree float *probe = make_data (50, DIM, 4, 1.0);
  g_autoptr(TzGaussianModel) with = tz_gaussian_model_new (DIM, NULL);
  g_autoptr(TzGaussianModel) without = tz_gaussian_model_new (DIM, NULL);
  g_autoptr(TzGaussianClassifier) cw = NULL;
  g_autoptr(TzGaussianClassifier) co = NULL;
  g_autoptr(TzScores) sw = NULL;
  g_autoptr(TzScores) so = NULL;
  g_autoptr(GError) error = NULL;
  TzClassifierSettings settings;

  tz_classifier_settings_init_post (&settings);
  tz_gaussian_model_add_class (with, "a", &error);
  tz_gaussian_model_add_class (with, "b", &error);
  tz_gaussian_model_add_class (with, "c", &error);
  tz_gaussian_model_add_samples (with, 0, a, 300, DIM, &error);
  tz_gaussian_model_add_samples (with, 1, b, 200, DIM, &error);
  tz_gaussian_model_add_samples (with, 2, c, 100, DIM, &error);
  g_assert_true (tz_gaussian_model_remove_class (with, 1, &error));
  g_assert_no_error (error);

  tz_gaussian_model_add_class (without, "a", &error);
  tz_gaussian_model_add_class (without, "c", &error);
  tz_gaussian_model_add_samples (without, 0, a, 300, DIM, &error);
  tz_gaussian_model_add_samples (without, 1, c, 100, DIM, &error);
  g_assert_no_error (error);

  g_assert_cmpuint (tz_gaussian_model_get_n_classes (with), ==, 2);
  assert_same_class (with, 0, without, 0, 0.0);
  assert_same_class (with, 1, without, 1, 0.0);

  cw = tz_gaussian_classifier_new (with, &settings, &error);
  co = tz_gaussian_classifier_new (without, &settings, &error);
  g_assert_no_error (error);
  sw = tz_gaussian_classifier_score (cw, probe, 50, DIM, TZ_SCORE_POSTERIORS, &error);
  so = tz_gaussian_classifier_score (co, probe, 50, DIM, TZ_SCORE_POSTERIORS, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (sw->scores, 50 * 2 * sizeof (double), so->scores, 50 * 2 * sizeof (double));
}

static void
test_merge_halves (void)
{
  g_autofree float *a = make_data (400, DIM, 11, 5.0);
  g_autofree float *b = make_data (250, DIM, 12, -5.0);
  g_autoptr(TzGaussianModel) whole = tz_gaussian_model_new (DIM, NULL);
  g_autoptr(TzGaussianModel) left = tz_gaussian_model_new (DIM, NULL);
  g_autoptr(TzGaussianModel) right = tz_gaussian_model_new (DIM, NULL);
  g_autoptr(GError) error = NULL;

  tz_gaussian_model_add_class (whole, "a", &error);
  tz_gaussian_model_add_class (whole, "b", &error);
  tz_gaussian_model_add_samples (whole, 0, a, 400, DIM, &error);
  tz_gaussian_model_add_samples (whole, 1, b, 250, DIM, &error);

  /* The left half knows a (first 150 rows) and b (first 100); the right
   * half knows the rest, with the classes in the other order. */
  tz_gaussian_model_add_class (left, "a", &error);
  tz_gaussian_model_add_class (left, "b", &error);
  tz_gaussian_model_add_samples (left, 0, a, 150, DIM, &error);
  tz_gaussian_model_add_samples (left, 1, b, 100, DIM, &error);
  tz_gaussian_model_add_class (right, "b", &error);
  tz_gaussian_model_add_class (right, "a", &error);
  tz_gaussian_model_add_samples (right, 0, b + 100 * DIM, 150, DIM, &error);
  tz_gaussian_model_add_samples (right, 1, a + 150 * DIM, 250, DIM, &error);
  g_assert_no_error (error);

  g_assert_true (tz_gaussian_model_merge (left, right, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (tz_gaussian_model_get_n_classes (left), ==, 2);
  assert_same_class (whole, 0, left, 0, 1e-12);
  assert_same_class (whole, 1, left, 1, 1e-12);
}

static void
test_merge_appends_new_classes (void)
{
  g_autofree float *a = make_data (30, DIM, 21, 0.0);
  g_autoptr(TzGaussianModel) m1 = tz_gaussian_model_new (DIM, NULL);
  g_autoptr(TzGaussianModel) m2 = tz_gaussian_model_new (DIM, NULL);
  g_autoptr(TzGaussianModel) m3 = tz_gaussian_model_new (DIM + 1, NULL);
  g_autoptr(GError) error = NULL;

  tz_gaussian_model_add_class (m1, "x", &error);
  tz_gaussian_model_add_class (m2, "y", &error);
  tz_gaussian_model_add_samples (m2, 0, a, 30, DIM, &error);
  g_assert_true (tz_gaussian_model_merge (m1, m2, &error));
  g_assert_cmpuint (tz_gaussian_model_get_n_classes (m1), ==, 2);
  assert_same_class (m1, 1, m2, 0, 0.0);

  g_assert_false (tz_gaussian_model_merge (m1, m3, &error));
  g_assert_error (error, TZ_ERROR, TZ_ERROR_DIMENSION_MISMATCH);
  g_assert_cmpuint (tz_gaussian_model_get_n_classes (m1), ==, 2);
}

static void
test_rename_and_names (void)
{
  g_autoptr(TzGaussianModel) model = tz_gaussian_model_new (DIM, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (tz_gaussian_model_add_class (model, "cat", &error), ==, 0);
  g_assert_cmpint (tz_gaussian_model_add_class (model, "dog", &error), ==, 1);
  g_assert_true (tz_gaussian_model_rename_class (model, 0, "猫", &error));
  g_assert_cmpint (tz_gaussian_model_find_class (model, "猫"), ==, 0);
  g_assert_cmpint (tz_gaussian_model_find_class (model, "cat"), ==, -1);

  g_assert_false (tz_gaussian_model_rename_class (model, 0, "dog", &error));
  g_assert_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "dog"));
  g_clear_error (&error);

  g_assert_cmpint (tz_gaussian_model_add_class (model, "", &error), ==, -1);
  g_assert_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_assert_false (tz_gaussian_model_rename_class (model, 5, "fox", &error));
  g_assert_error (error, TZ_ERROR, TZ_ERROR_UNKNOWN_CLASS);
}

static void
test_bad_samples (void)
{
  g_autoptr(TzGaussianModel) model = tz_gaussian_model_new (DIM, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree float *x = make_data (10, DIM, 5, 0.0);
  g_autofree double *before = g_new (double, DIM * DIM);
  g_autofree double *after = g_new (double, DIM * DIM);

  tz_gaussian_model_add_class (model, "a", &error);
  tz_gaussian_model_add_samples (model, 0, x, 5, DIM, &error);
  g_assert_no_error (error);
  tz_gaussian_model_copy_class_scatter (model, 0, before);

  /* Unknown class id. */
  g_assert_false (tz_gaussian_model_add_samples (model, 3, x, 5, DIM, &error));
  g_assert_error (error, TZ_ERROR, TZ_ERROR_UNKNOWN_CLASS);
  g_clear_error (&error);

  /* Dimension mismatch. */
  g_assert_false (tz_gaussian_model_add_samples (model, 0, x, 5, DIM - 1, &error));
  g_assert_error (error, TZ_ERROR, TZ_ERROR_DIMENSION_MISMATCH);
  g_assert_nonnull (strstr (error->message, "8 values"));
  g_clear_error (&error);

  /* No rows. */
  g_assert_false (tz_gaussian_model_add_samples (model, 0, x, 0, DIM, &error));
  g_assert_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* NaN and infinity in the last rows: nothing is merged. */
  x[7 * DIM + 4] = NAN;
  g_assert_false (tz_gaussian_model_add_samples (model, 0, x, 10, DIM, &error));
  g_assert_error (error, TZ_ERROR, TZ_ERROR_NOT_FINITE);
  g_assert_nonnull (strstr (error->message, "row 7, column 4 is NaN"));
  g_clear_error (&error);
  x[7 * DIM + 4] = 0.0f;
  x[9 * DIM] = -INFINITY;
  g_assert_false (tz_gaussian_model_add_samples (model, 0, x, 10, DIM, &error));
  g_assert_error (error, TZ_ERROR, TZ_ERROR_NOT_FINITE);
  g_assert_nonnull (strstr (error->message, "infinite"));
  g_clear_error (&error);

  g_assert_cmpint (tz_gaussian_model_get_class_count (model, 0), ==, 5);
  tz_gaussian_model_copy_class_scatter (model, 0, after);
  g_assert_cmpmem (before, DIM * DIM * sizeof (double), after, DIM * DIM * sizeof (double));
}

static void
test_empty_and_single_sample (void)
{
  g_autoptr(TzGaussianModel) model = tz_gaussian_model_new (DIM, NULL);
  g_autoptr(TzGaussianClassifier) classifier = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree float *x = make_data (20, DIM, 9, 0.0);
  TzClassifierSettings settings;

  tz_classifier_settings_init_post (&settings);

  /* A model without classes. */
  g_assert_null (tz_gaussian_classifier_new (model, &settings, &error));
  g_assert_error (error, TZ_ERROR, TZ_ERROR_EMPTY_CLASS);
  g_clear_error (&error);

  /* A class without samples is named. */
  tz_gaussian_model_add_class (model, "full", &error);
  tz_gaussian_model_add_class (model, "empty", &error);
  tz_gaussian_model_add_samples (model, 0, x, 20, DIM, &error);
  g_assert_null (tz_gaussian_classifier_new (model, &settings, &error));
  g_assert_error (error, TZ_ERROR, TZ_ERROR_EMPTY_CLASS);
  g_assert_nonnull (strstr (error->message, "“empty”"));
  g_clear_error (&error);

  /* One sample: fine for a tied covariance (it is the class mean)... */
  tz_gaussian_model_add_samples (model, 1, x, 1, DIM, &error);
  classifier = tz_gaussian_classifier_new (model, &settings, &error);
  g_assert_no_error (error);
  g_assert_nonnull (classifier);

  /* ...but not for its own covariance. */
  settings.covariance = TZ_COVARIANCE_PER_CLASS;
  g_assert_null (tz_gaussian_classifier_new (model, &settings, &error));
  g_assert_error (error, TZ_ERROR, TZ_ERROR_EMPTY_CLASS);
  g_assert_nonnull (strstr (error->message, "one sample"));
}

static void
test_singular_covariances (void)
{
  g_autoptr(GError) error = NULL;
  TzClassifierSettings settings = { TZ_COVARIANCE_POOLED, { TZ_REGULARIZATION_RIDGE, 0.0 }, TZ_PRIOR_COUNTS };
  const guint big_d = 40;
  g_autofree float *wide = make_data (12, big_d, 13, 0.0);
  g_autofree float *constant_column = make_data (50, DIM, 14, 0.0);
  g_autofree float *identical = g_new (float, 8 * DIM);

  /* d larger than n: singular without regularisation, so the jitter is
   * reported; with ridge it is an ordinary well-posed problem. */
  {
    g_autoptr(TzGaussianModel) model = tz_gaussian_model_new (big_d, NULL);
    g_autoptr(TzGaussianClassifier) classifier = NULL;

    tz_gaussian_model_add_class (model, "a", &error);
    tz_gaussian_model_add_class (model, "b", &error);
    tz_gaussian_model_add_samples (model, 0, wide, 6, big_d, &error);
    tz_gaussian_model_add_samples (model, 1, wide + 6 * big_d, 6, big_d, &error);
    g_test_expect_message ("tsuzuki-core", G_LOG_LEVEL_MESSAGE, "*singular*");
    classifier = tz_gaussian_classifier_new (model, &settings, &error);
    g_test_assert_expected_messages ();
    g_assert_no_error (error);
    g_assert_cmpfloat (tz_gaussian_classifier_get_jitter (classifier), >, 0.0);
    g_clear_pointer (&classifier, tz_gaussian_classifier_unref);

    settings.regularization.amount = 1e-6;
    classifier = tz_gaussian_classifier_new (model, &settings, &error);
    g_assert_no_error (error);
    g_assert_cmpfloat (tz_gaussian_classifier_get_jitter (classifier), ==, 0.0);
    settings.regularization.amount = 0.0;
  }

  /* A constant feature. */
  {
    g_autoptr(TzGaussianModel) model = tz_gaussian_model_new (DIM, NULL);
    g_autoptr(TzGaussianClassifier) classifier = NULL;

    for (guint i = 0; i < 50; i++)
      constant_column[i * DIM + 2] = 0.5f;
    tz_gaussian_model_add_class (model, "a", &error);
    tz_gaussian_model_add_samples (model, 0, constant_column, 50, DIM, &error);
    g_test_expect_message ("tsuzuki-core", G_LOG_LEVEL_MESSAGE, "*singular*");
    classifier = tz_gaussian_classifier_new (model, &settings, &error);
    g_test_assert_expected_messages ();
    g_assert_no_error (error);
    g_assert_cmpfloat (tz_gaussian_classifier_get_jitter (classifier), >, 0.0);
  }

  /* All samples identical: a zero covariance that only a ridge can fix. */
  {
    g_autoptr(TzGaussianModel) model = tz_gaussian_model_new (DIM, NULL);
    g_autoptr(TzGaussianClassifier) classifier = NULL;

    for (guint i = 0; i < 8 * DIM; i++)
      identical[i] = (float) (i % DIM);
    tz_gaussian_model_add_class (model, "same", &error);
    tz_gaussian_model_add_samples (model, 0, identical, 8, DIM, &error);

    settings.regularization.kind = TZ_REGULARIZATION_OAS;
    g_assert_null (tz_gaussian_classifier_new (model, &settings, &error));
    g_assert_error (error, TZ_ERROR, TZ_ERROR_NUMERICAL);
    g_assert_nonnull (strstr (error->message, "zero"));
    g_clear_error (&error);

    settings.regularization.kind = TZ_REGULARIZATION_RIDGE;
    settings.regularization.amount = 1e-6;
    classifier = tz_gaussian_classifier_new (model, &settings, &error);
    g_assert_no_error (error);
  }
}

static void
test_bad_scoring_input (void)
{
  g_autoptr(TzGaussianModel) model = tz_gaussian_model_new (DIM, NULL);
  g_autoptr(TzGaussianClassifier) classifier = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree float *x = make_data (30, DIM, 15, 0.0);
  TzClassifierSettings settings;

  tz_classifier_settings_init_post (&settings);
  tz_gaussian_model_add_class (model, "a", &error);
  tz_gaussian_model_add_samples (model, 0, x, 30, DIM, &error);
  classifier = tz_gaussian_classifier_new (model, &settings, &error);
  g_assert_no_error (error);

  g_assert_null (tz_gaussian_classifier_score (classifier, x, 3, DIM + 2, 0, &error));
  g_assert_error (error, TZ_ERROR, TZ_ERROR_DIMENSION_MISMATCH);
  g_clear_error (&error);

  x[2 * DIM + 1] = INFINITY;
  g_assert_null (tz_gaussian_classifier_score (classifier, x, 3, DIM, 0, &error));
  g_assert_error (error, TZ_ERROR, TZ_ERROR_NOT_FINITE);
  g_assert_nonnull (strstr (error->message, "row 2, column 1"));
}

static void
test_classifier_is_a_snapshot (void)
{
  g_autoptr(TzGaussianModel) model = tz_gaussian_model_new (DIM, NULL);
  g_autoptr(TzGaussianClassifier) classifier = NULL;
  g_autoptr(TzScores) before = NULL;
  g_autoptr(TzScores) after = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree float *a = make_data (40, DIM, 16, 0.0);
  g_autofree float *b = make_data (40, DIM, 17, 2.0);
  TzClassifierSettings settings;

  tz_classifier_settings_init_post (&settings);
  tz_gaussian_model_add_class (model, "a", &error);
  tz_gaussian_model_add_class (model, "b", &error);
  tz_gaussian_model_add_samples (model, 0, a, 40, DIM, &error);
  tz_gaussian_model_add_samples (model, 1, b, 40, DIM, &error);
  classifier = tz_gaussian_classifier_new (model, &settings, &error);
  before = tz_gaussian_classifier_score (classifier, a, 40, DIM, 0, &error);

  tz_gaussian_model_add_samples (model, 1, a, 40, DIM, &error);
  tz_gaussian_model_remove_class (model, 0, &error);
  after = tz_gaussian_classifier_score (classifier, a, 40, DIM, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (before->scores, 80 * sizeof (double), after->scores, 80 * sizeof (double));
  g_assert_cmpstr (tz_gaussian_classifier_get_class_name (classifier, 0), ==, "a");
}

static void
test_memory_bound (void)
{
  g_autoptr(TzGaussianModel) model = tz_gaussian_model_new (1280, NULL);
  g_autoptr(GError) error = NULL;
  gsize per_class;

  for (guint c = 0; c < 10; c++)
    {
      g_autofree char *name = g_strdup_printf ("c%u", c);
      tz_gaussian_model_add_class (model, name, &error);
    }
  /* The header promises d (d + 1) / 2 + d doubles a class, plus names. */
  per_class = sizeof (double) * (1280 * 1281 / 2 + 1280);
  g_assert_cmpuint (tz_gaussian_model_get_memory_size (model), >=, 10 * per_class);
  g_assert_cmpuint (tz_gaussian_model_get_memory_size (model), <=, 10 * per_class + 4096);
}

static void
test_settings_parse (void)
{
  g_autoptr(GError) error = NULL;
  TzRegularization reg;
  TzTransform transform;
  TzCovariance covariance;
  g_autofree char *text = NULL;

  g_assert_true (tz_regularization_parse ("ridge:1e-6", &reg, &error));
  g_assert_cmpint (reg.kind, ==, TZ_REGULARIZATION_RIDGE);
  g_assert_cmpfloat (reg.amount, ==, 1e-6);
  text = tz_regularization_to_string (&reg);
  g_assert_cmpstr (text, ==, "ridge:1e-06");
  g_clear_pointer (&text, g_free);
  reg.amount = 0.1;
  text = tz_regularization_to_string (&reg);
  g_assert_cmpstr (text, ==, "ridge:0.1");
  g_clear_pointer (&text, g_free);
  reg.amount = 1.0 / 3.0;
  text = tz_regularization_to_string (&reg);
  g_assert_cmpstr (text, ==, "ridge:0.3333333333333333");
  g_assert_true (tz_regularization_parse ("shrink:0.25", &reg, &error));
  g_assert_cmpint (reg.kind, ==, TZ_REGULARIZATION_SHRINK);
  g_assert_true (tz_regularization_parse ("oas", &reg, &error));
  g_assert_cmpint (reg.kind, ==, TZ_REGULARIZATION_OAS);
  g_assert_no_error (error);

  g_assert_false (tz_regularization_parse ("shrink:1.5", &reg, &error));
  g_assert_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "shrink:1.5"));
  g_clear_error (&error);
  g_assert_false (tz_regularization_parse ("ridge:-1", &reg, &error));
  g_clear_error (&error);
  g_assert_false (tz_regularization_parse ("ridges:1", &reg, &error));
  g_clear_error (&error);

  g_assert_true (tz_transform_parse ("power:0.5", &transform, &error));
  g_assert_cmpint (transform.kind, ==, TZ_TRANSFORM_POWER);
  g_assert_cmpfloat (transform.power, ==, 0.5);
  g_assert_false (tz_transform_parse ("power:abc", &transform, &error));
  g_clear_error (&error);
  g_assert_false (tz_covariance_parse ("diagonal", &covariance, &error));
  g_assert_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT);
}

static void
test_novelty_flags_unseen_class (void)
{
  g_autoptr(TzGaussianModel) model = tz_gaussian_model_new (DIM, NULL);
  g_autoptr(TzGaussianClassifier) classifier = NULL;
  g_autoptr(TzScores) held_out = NULL;
  g_autoptr(TzScores) unseen = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree float *a = make_data (600, DIM, 31, 0.0);
  g_autofree float *b = make_data (600, DIM, 32, 4.0);
  g_autofree float *c = make_data (200, DIM, 33, -6.0);
  TzClassifierSettings settings = { TZ_COVARIANCE_POOLED, { TZ_REGULARIZATION_OAS, 0 }, TZ_PRIOR_UNIFORM };
  double threshold;
  guint passed = 0, flagged = 0;

  /* Learn a and b from their first 400 samples; calibrate on the other
   * 200 of each, as DESIGN 1.3 says, then show the never-learned c. */
  tz_gaussian_model_add_class (model, "a", &error);
  tz_gaussian_model_add_class (model, "b", &error);
  tz_gaussian_model_add_samples (model, 0, a, 400, DIM, &error);
  tz_gaussian_model_add_samples (model, 1, b, 400, DIM, &error);
  classifier = tz_gaussian_classifier_new (model, &settings, &error);
  g_assert_no_error (error);

  memcpy (a + 200 * DIM, b + 400 * DIM, sizeof (float) * 200 * DIM);
  held_out = tz_gaussian_classifier_score (classifier, a + 200 * DIM, 400, DIM,
                                           TZ_SCORE_DISTANCES, &error);
  unseen = tz_gaussian_classifier_score (classifier, c, 200, DIM, TZ_SCORE_DISTANCES, &error);
  g_assert_no_error (error);

  threshold = tz_novelty_threshold (held_out->min_distances, 400, 0.95);
  for (guint i = 0; i < 400; i++)
    passed += held_out->min_distances[i] <= threshold;
  for (guint i = 0; i < 200; i++)
    flagged += unseen->min_distances[i] > threshold;
  /* 95% of 400 held-out images pass by construction (380, or 381 when the
   * quantile falls on a sample); the far class is flagged almost always. */
  g_assert_cmpuint (passed, >=, 380);
  g_assert_cmpuint (passed, <=, 381);
  g_assert_cmpuint (flagged, >=, 190);
  /* The distance of each row agrees with its own class score: the nearest
   * class is the predicted one when the priors are uniform. */
  for (guint i = 0; i < 400; i++)
    {
      const double *d = held_out->distances + i * 2;
      g_assert_cmpint (held_out->predicted[i], ==, d[0] <= d[1] ? 0 : 1);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/gaussian/model/streaming-equals-one-shot", test_streaming_equals_one_shot);
  g_test_add_func ("/gaussian/model/remove-restores", test_remove_restores);
  g_test_add_func ("/gaussian/model/merge-halves", test_merge_halves);
  g_test_add_func ("/gaussian/model/merge-appends-and-checks", test_merge_appends_new_classes);
  g_test_add_func ("/gaussian/model/rename", test_rename_and_names);
  g_test_add_func ("/gaussian/model/bad-samples", test_bad_samples);
  g_test_add_func ("/gaussian/model/memory-bound", test_memory_bound);
  g_test_add_func ("/gaussian/classifier/empty-and-single-sample", test_empty_and_single_sample);
  g_test_add_func ("/gaussian/classifier/singular", test_singular_covariances);
  g_test_add_func ("/gaussian/classifier/bad-input", test_bad_scoring_input);
  g_test_add_func ("/gaussian/classifier/snapshot", test_classifier_is_a_snapshot);
  g_test_add_func ("/gaussian/classifier/novelty", test_novelty_flags_unseen_class);
  g_test_add_func ("/gaussian/settings/parse", test_settings_parse);

  return g_test_run ();
}

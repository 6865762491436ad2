/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Agreement with numpy and scikit-learn (tests/fixtures/gaussian/
 * make-reference.py wrote the expected values). */
#define G_LOG_DOMAIN "tsuzuki-test"

#include "config.h"

#include <math.h>

#include <json-glib/json-glib.h>

#include "tz-gaussian-classifier.h"
#include "tz-gaussian-model.h"
#include "tz-metrics.h"

static JsonObject *reference;

static double *
read_matrix (JsonArray *rows,
             gsize     *n_rows,
             guint     *n_cols)
{
  guint n = json_array_get_length (rows);
  guint d = json_array_get_length (json_array_get_array_element (rows, 0));
  double *out = g_new (double, (gsize) n * d);

  for (guint i = 0; i < n; i++)
    {
      JsonArray *row = json_array_get_array_element (rows, i);

      g_assert_cmpuint (json_array_get_length (row), ==, d);
      for (guint j = 0; j < d; j++)
        out[(gsize) i * d + j] = json_array_get_double_element (row, j);
    }
  *n_rows = n;
  *n_cols = d;
  return out;
}

static float *
read_float_matrix (JsonArray *rows,
                   gsize     *n_rows,
                   guint     *n_cols)
{
  g_autofree double *values = read_matrix (rows, n_rows, n_cols);
  float *out = g_new (float, *n_rows * *n_cols);

  for (gsize i = 0; i < *n_rows * *n_cols; i++)
    out[i] = (float) values[i];
  return out;
}

static gint32 *
read_labels (JsonArray *array)
{
  guint n = json_array_get_length (array);
  gint32 *out = g_new (gint32, n);

  for (guint i = 0; i < n; i++)
    out[i] = (gint32) json_array_get_int_element (array, i);
  return out;
}

/* Fits the learned classes 0..3 of the fixture's training set. */
static TzGaussianModel *
fit_reference_model (const TzTransform *transform)
{
  g_autofree float *x = NULL;
  g_autofree gint32 *y = NULL;
  TzGaussianModel *model;
  gsize n;
  guint d;

  x = read_float_matrix (json_object_get_array_member (reference, "train_x"), &n, &d);
  y = read_labels (json_object_get_array_member (reference, "train_y"));
  model = tz_gaussian_model_new (d, transform);
  for (guint c = 0; c < 4; c++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *name = g_strdup_printf ("class %u", c);
      gsize start = 0, count = 0;

      while (y[start] != (gint32) c)
        start++;
      while (start + count < n && y[start + count] == (gint32) c)
        count++;
      g_assert_cmpint (tz_gaussian_model_add_class (model, name, &error), ==, (gint) c);
      g_assert_true (tz_gaussian_model_add_samples (model, c, x + start * d, count, d, &error));
      g_assert_no_error (error);
    }
  return model;
}

static void
assert_close (double expected,
              double actual,
              double rtol,
              double atol,
              const char *what,
              gsize i)
{
  if (!(fabs (expected - actual) <= atol + rtol * fabs (expected)))
    g_error ("%s[%" G_GSIZE_FORMAT "]: expected %.17g, got %.17g", what, i, expected, actual);
}

static void
check_case (gconstpointer data)
{
  JsonObject *tc = (JsonObject *) data;
  g_autoptr(GError) error = NULL;
  g_autoptr(TzGaussianModel) model = NULL;
  g_autoptr(TzGaussianClassifier) classifier = NULL;
  g_autoptr(TzScores) scores = NULL;
  g_autofree float *test_x = NULL;
  g_autofree double *posteriors = NULL;
  g_autofree gint32 *predicted = NULL;
  TzClassifierSettings settings;
  TzTransform transform;
  gsize n, n_post;
  guint d, c_post;

  g_assert_true (tz_covariance_parse (json_object_get_string_member (tc, "covariance"),
                                      &settings.covariance, &error));
  g_assert_true (tz_regularization_parse (json_object_get_string_member (tc, "regularization"),
                                          &settings.regularization, &error));
  g_assert_true (tz_prior_parse (json_object_get_string_member (tc, "prior"),
                                 &settings.prior, &error));
  g_assert_true (tz_transform_parse (json_object_get_string_member (tc, "transform"),
                                     &transform, &error));
  g_assert_no_error (error);

  model = fit_reference_model (&transform);
  classifier = tz_gaussian_classifier_new (model, &settings, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (tz_gaussian_classifier_get_jitter (classifier), ==, 0.0);

  test_x = read_float_matrix (json_object_get_array_member (reference, "test_x"), &n, &d);
  scores = tz_gaussian_classifier_score (classifier, test_x, n, d,
                                         TZ_SCORE_POSTERIORS | TZ_SCORE_DISTANCES, &error);
  g_assert_no_error (error);

  predicted = read_labels (json_object_get_array_member (tc, "predicted"));
  for (gsize i = 0; i < n; i++)
    g_assert_cmpint (scores->predicted[i], ==, predicted[i]);

  posteriors = read_matrix (json_object_get_array_member (tc, "posteriors"), &n_post, &c_post);
  g_assert_cmpuint (n_post, ==, n);
  g_assert_cmpuint (c_post, ==, 4);
  for (gsize i = 0; i < n * 4; i++)
    assert_close (posteriors[i], scores->posteriors[i], 1e-7, 1e-12, "posterior", i);

  if (json_object_has_member (tc, "distances"))
    {
      g_autofree double *distances = NULL;

      distances = read_matrix (json_object_get_array_member (tc, "distances"), &n_post, &c_post);
      for (gsize i = 0; i < n * 4; i++)
        assert_close (distances[i], scores->distances[i], 1e-8, 1e-10, "distance", i);
    }
}

static void
test_oas (void)
{
  JsonArray *cases = json_object_get_array_member (reference, "oas");

  for (guint k = 0; k < json_array_get_length (cases); k++)
    {
      JsonObject *oc = json_array_get_object_element (cases, k);
      g_autoptr(GError) error = NULL;
      g_autoptr(TzGaussianModel) model = NULL;
      g_autoptr(TzGaussianClassifier) classifier = NULL;
      g_autofree float *x = NULL;
      g_autofree double *expected = NULL;
      g_autofree double *actual = NULL;
      TzClassifierSettings settings = { TZ_COVARIANCE_POOLED, { TZ_REGULARIZATION_OAS, 0 }, TZ_PRIOR_COUNTS };
      gsize n, n_cov;
      guint d, d_cov;

      x = read_float_matrix (json_object_get_array_member (oc, "x"), &n, &d);
      model = tz_gaussian_model_new (d, NULL);
      tz_gaussian_model_add_class (model, "all", &error);
      g_assert_true (tz_gaussian_model_add_samples (model, 0, x, n, d, &error));
      classifier = tz_gaussian_classifier_new (model, &settings, &error);
      g_assert_no_error (error);

      expected = read_matrix (json_object_get_array_member (oc, "covariance"), &n_cov, &d_cov);
      actual = g_new (double, (gsize) d * d);
      tz_gaussian_classifier_copy_covariance (classifier, 0, actual);
      for (gsize i = 0; i < (gsize) d * d; i++)
        assert_close (expected[i], actual[i], 1e-10, 1e-12, "OAS covariance", i);
      assert_close (json_object_get_double_member (oc, "shrinkage"),
                    tz_gaussian_classifier_get_shrinkage (classifier, 0),
                    1e-10, 0.0, "OAS shrinkage", k);
    }
}

static void
test_novelty_quantile (void)
{
  JsonObject *nov = json_object_get_object_member (reference, "novelty");
  JsonArray *values = json_object_get_array_member (nov, "min_distances");
  guint n = json_array_get_length (values);
  g_autofree double *d = g_new (double, n);

  for (guint i = 0; i < n; i++)
    d[i] = json_array_get_double_element (values, i);
  assert_close (json_object_get_double_member (nov, "quantile_0.95"),
                tz_novelty_threshold (d, n, 0.95), 1e-12, 0.0, "quantile", 95);
  assert_close (json_object_get_double_member (nov, "quantile_0.5"),
                tz_novelty_threshold (d, n, 0.5), 1e-12, 0.0, "quantile", 50);
}

static void
test_metrics (void)
{
  JsonObject *m = json_object_get_object_member (reference, "metrics");
  JsonArray *cases = json_object_get_array_member (reference, "cases");
  JsonObject *post = json_array_get_object_element (cases, 0);
  g_autoptr(GError) error = NULL;
  g_autoptr(TzEvaluation) eval = NULL;
  g_autofree gint32 *truth = NULL;
  g_autofree gint32 *predicted = NULL;
  g_autofree gint32 *learned = NULL;
  g_autofree double *confusion = NULL;
  gsize rows;
  guint cols, n;

  g_assert_cmpstr (json_object_get_string_member (post, "name"), ==, "post");
  truth = read_labels (json_object_get_array_member (reference, "test_y"));
  predicted = read_labels (json_object_get_array_member (post, "predicted"));
  learned = read_labels (json_object_get_array_member (m, "learned"));
  n = json_array_get_length (json_object_get_array_member (reference, "test_y"));

  eval = tz_evaluation_new (truth, predicted, n, 5, learned, 4, &error);
  g_assert_no_error (error);

  confusion = read_matrix (json_object_get_array_member (m, "confusion"), &rows, &cols);
  g_assert_cmpuint (rows, ==, 5);
  g_assert_cmpuint (cols, ==, 4);
  for (gsize i = 0; i < rows * cols; i++)
    g_assert_cmpint (eval->confusion[i], ==, (gint64) confusion[i]);
  assert_close (json_object_get_double_member (m, "accuracy"), eval->accuracy, 1e-15, 0, "accuracy", 0);
  assert_close (json_object_get_double_member (m, "accuracy_learned"), eval->accuracy_learned,
                1e-15, 0, "accuracy_learned", 0);
  for (guint j = 0; j < 4; j++)
    {
      assert_close (json_array_get_double_element (json_object_get_array_member (m, "precision"), j),
                    eval->precision[j], 1e-15, 0, "precision", j);
      assert_close (json_array_get_double_element (json_object_get_array_member (m, "recall"), j),
                    eval->recall[j], 1e-15, 0, "recall", j);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  JsonArray *cases;

  g_test_init (&argc, &argv, NULL);

  path = g_test_build_filename (G_TEST_DIST, "fixtures", "gaussian", "reference.json", NULL);
  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  reference = json_node_get_object (json_parser_get_root (parser));

  cases = json_object_get_array_member (reference, "cases");
  for (guint i = 0; i < json_array_get_length (cases); i++)
    {
      JsonObject *tc = json_array_get_object_element (cases, i);
      g_autofree char *name = g_strdup_printf ("/gaussian/reference/%s",
                                               json_object_get_string_member (tc, "name"));

      g_test_add_data_func (name, tc, check_case);
    }
  g_test_add_func ("/gaussian/reference/oas", test_oas);
  g_test_add_func ("/gaussian/reference/novelty-quantile", test_novelty_quantile);
  g_test_add_func ("/gaussian/reference/metrics", test_metrics);

  return g_test_run ();
}

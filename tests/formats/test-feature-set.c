/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-test"

#include "config.h"

#include "tz-error.h"
#include "tz-feature-set.h"
#include "tz-format-test-util.h"

static void
assert_ints_match (const gint32 *values,
                   gsize         n,
                   JsonArray    *expected)
{
  g_assert_cmpuint (n, ==, json_array_get_length (expected));
  for (guint i = 0; i < n; i++)
    g_assert_cmpint (values[i], ==, json_array_get_int_element (expected, i));
}

/* The fixture feature set, as numpy wrote it. */
static void
assert_matches_fixture (const TzFeatureSet *set)
{
  JsonObject *expected = tz_test_expected_section ("features");
  JsonArray *names = json_object_get_array_member (expected, "class_names");

  g_assert_cmpuint (set->dim, ==, json_object_get_int_member (expected, "dim"));
  g_assert_cmpuint (set->n_classes, ==, json_array_get_length (names));
  g_assert_cmpuint (g_strv_length (set->class_names), ==, set->n_classes);
  for (guint i = 0; i < set->n_classes; i++)
    g_assert_cmpstr (set->class_names[i], ==, json_array_get_string_element (names, i));

  tz_test_assert_floats_match (set->train_x, set->n_train * set->dim,
                               json_object_get_array_member (expected, "train_x"), "train_x");
  tz_test_assert_floats_match (set->test_x, set->n_test * set->dim,
                               json_object_get_array_member (expected, "test_x"), "test_x");
  assert_ints_match (set->train_y, set->n_train, json_object_get_array_member (expected, "train_y"));
  assert_ints_match (set->test_y, set->n_test, json_object_get_array_member (expected, "test_y"));
}

static void
test_load_npz (void)
{
  g_autofree char *path = tz_test_fixture ("features.npz");
  g_autoptr(GError) error = NULL;
  g_autoptr(TzFeatureSet) set = tz_feature_set_load (path, &error);

  g_assert_no_error (error);
  assert_matches_fixture (set);
}

/* The same set with F64 features, I32 and U8 labels, and the class names
 * in the metadata. */
static void
test_load_safetensors (void)
{
  g_autofree char *path = tz_test_fixture ("features.safetensors");
  g_autoptr(GError) error = NULL;
  g_autoptr(TzFeatureSet) set = tz_feature_set_load (path, &error);

  g_assert_no_error (error);
  assert_matches_fixture (set);
}

/* F16 features, U8 and I16 labels, no class names: the classes are
 * numbered up to the largest label. */
static void
test_load_unnamed (void)
{
  g_autofree char *path = tz_test_fixture ("features-unnamed.npz");
  JsonObject *expected = tz_test_expected_section ("features_unnamed");
  g_autoptr(GError) error = NULL;
  g_autoptr(TzFeatureSet) set = tz_feature_set_load (path, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (set->n_classes, ==, json_object_get_int_member (expected, "n_classes"));
  g_assert_cmpstrv (set->class_names, ((const char *[]) { "0", "1", "2", "3", "4", NULL }));
  tz_test_assert_floats_match (set->train_x, set->n_train * set->dim,
                               json_object_get_array_member (expected, "train_x"), "train_x");
  g_assert_cmpint (set->train_y[1], ==, 4);
  g_assert_cmpint (set->test_y[0], ==, 3);
}

/* Saved by C in both formats: read back by C and checked by numpy. */
static void
test_save (void)
{
  static const char *extensions[] = { "npz", "safetensors" };
  g_autofree char *reference = tz_test_fixture ("features.npz");
  g_autofree char *dir = tz_test_make_tmpdir ();
  g_autoptr(GError) error = NULL;
  g_autoptr(TzFeatureSet) set = tz_feature_set_load (reference, &error);

  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (extensions); i++)
    {
      g_autofree char *name = g_strdup_printf ("saved.%s", extensions[i]);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autoptr(TzFeatureSet) back = NULL;

      g_assert_true (tz_feature_set_save (set, path, &error));
      g_assert_no_error (error);

      back = tz_feature_set_load (path, &error);
      g_assert_no_error (error);
      assert_matches_fixture (back);

      tz_test_check_written ((const char *const[]) { "features", path, reference, NULL });
    }

  tz_test_remove_tree (dir);
}

static void
test_save_refusals (void)
{
  g_autofree char *reference = tz_test_fixture ("features.npz");
  g_autofree char *dir = tz_test_make_tmpdir ();
  g_autofree char *txt = g_build_filename (dir, "features.txt", NULL);
  g_autofree char *npz = g_build_filename (dir, "features.npz", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(TzFeatureSet) set = tz_feature_set_load (reference, &error);

  g_assert_no_error (error);

  g_assert_false (tz_feature_set_save (set, txt, &error));
  tz_test_assert_error_mentions (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT, "features.txt");
  g_clear_error (&error);

  set->test_y[1] = 3;
  g_assert_false (tz_feature_set_save (set, npz, &error));
  tz_test_assert_error_mentions (error, TZ_ERROR, TZ_ERROR_UNKNOWN_CLASS, "row 1");
  g_assert_false (g_file_test (npz, G_FILE_TEST_EXISTS));

  tz_test_remove_tree (dir);
}

/* Small IDX image and label files: pixels flattened and divided by 255,
 * exactly as numpy computes it in float32. */
static void
test_from_idx (void)
{
  JsonObject *expected = tz_test_expected_section ("idx_set");
  g_autofree char *train_images = tz_test_fixture ("small-train-images-idx3-ubyte");
  g_autofree char *train_labels = tz_test_fixture ("small-train-labels-idx1-ubyte");
  g_autofree char *test_images = tz_test_fixture ("small-test-images-idx3-ubyte");
  g_autofree char *test_labels = tz_test_fixture ("small-test-labels-idx1-ubyte");
  const char *names[] = { "a", "b", "c", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(TzFeatureSet) named = NULL;
  g_autoptr(TzFeatureSet) numbered = NULL;

  named = tz_feature_set_new_from_idx (train_images, train_labels, test_images, test_labels,
                                       names, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (named->dim, ==, json_object_get_int_member (expected, "dim"));
  g_assert_cmpuint (named->n_classes, ==, 3);
  g_assert_cmpstrv (named->class_names, names);
  tz_test_assert_floats_match (named->train_x, named->n_train * named->dim,
                               json_object_get_array_member (expected, "train_x"), "train_x");
  tz_test_assert_floats_match (named->test_x, named->n_test * named->dim,
                               json_object_get_array_member (expected, "test_x"), "test_x");
  assert_ints_match (named->train_y, named->n_train, json_object_get_array_member (expected, "train_y"));
  assert_ints_match (named->test_y, named->n_test, json_object_get_array_member (expected, "test_y"));

  numbered = tz_feature_set_new_from_idx (train_images, train_labels, test_images, test_labels,
                                          NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (numbered->class_names, ((const char *[]) { "0", "1", "2", NULL }));
}

/* The whole of Fashion-MNIST, as the demo loads it. */
static void
test_fashion_mnist (void)
{
  static const char *names[] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot", NULL,
  };
  g_autofree char *train_images = g_build_filename (TZ_FASHION_MNIST_DIR, "train-images-idx3-ubyte.gz", NULL);
  g_autofree char *train_labels = g_build_filename (TZ_FASHION_MNIST_DIR, "train-labels-idx1-ubyte.gz", NULL);
  g_autofree char *test_images = g_build_filename (TZ_FASHION_MNIST_DIR, "t10k-images-idx3-ubyte.gz", NULL);
  g_autofree char *test_labels = g_build_filename (TZ_FASHION_MNIST_DIR, "t10k-labels-idx1-ubyte.gz", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(TzFeatureSet) set = NULL;
  JsonObject *expected;
  double sum = 0.0;

  if (!g_file_test (test_labels, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("Fashion-MNIST is not installed (Debian package dataset-fashion-mnist)");
      return;
    }
  if (!json_object_has_member (tz_test_expected (), "fashion_mnist"))
    {
      g_test_skip ("expected.json was generated without Fashion-MNIST");
      return;
    }

  expected = json_object_get_object_member (tz_test_expected_section ("fashion_mnist"), "t10k");
  set = tz_feature_set_new_from_idx (train_images, train_labels, test_images, test_labels,
                                     names, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (set->dim, ==, 784);
  g_assert_cmpuint (set->n_train, ==, 60000);
  g_assert_cmpuint (set->n_test, ==, 10000);
  g_assert_cmpuint (set->n_classes, ==, 10);
  g_assert_cmpstr (set->class_names[set->test_y[0]], ==, "Ankle boot");
  g_assert_cmpint (set->test_y[0], ==,
                   json_array_get_int_element (json_object_get_array_member (expected, "first_labels"), 0));

  /* Row 14 of the first test image, as numpy computes pixel / 255 in
   * float32. */
  for (guint i = 0; i < 28; i++)
    {
      gint64 pixel = json_array_get_int_element (json_object_get_array_member (expected, "first_image_row_14"), i);

      g_assert_cmpfloat (set->test_x[14 * 28 + i], ==, (float) pixel / 255.0f);
    }

  for (guint i = 0; i < 784; i++)
    {
      g_assert_cmpfloat (set->test_x[i], >=, 0.0f);
      g_assert_cmpfloat (set->test_x[i], <=, 1.0f);
      sum += set->test_x[i] * 255.0;
    }
  g_assert_cmpfloat_with_epsilon (sum, (double) json_object_get_int_member (expected, "pixel_sum_first"), 0.5);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/formats/feature-set/load-npz", test_load_npz);
  g_test_add_func ("/formats/feature-set/load-safetensors", test_load_safetensors);
  g_test_add_func ("/formats/feature-set/load-unnamed", test_load_unnamed);
  g_test_add_func ("/formats/feature-set/save", test_save);
  g_test_add_func ("/formats/feature-set/save-refusals", test_save_refusals);
  g_test_add_func ("/formats/feature-set/from-idx", test_from_idx);
  g_test_add_func ("/formats/feature-set/fashion-mnist", test_fashion_mnist);

  return g_test_run ();
}

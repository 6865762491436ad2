/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-test"

#include "config.h"

#include "tz-error.h"
#include "tz-format-test-util.h"
#include "tz-idx.h"

/* Raw and gzip IDX files of every type code read back with the values
 * make-fixtures.py wrote big-endian. */
static void
test_fixtures (void)
{
  JsonObject *expected = tz_test_expected_section ("idx");
  g_autoptr(GList) names = json_object_get_members (expected);

  g_assert_cmpuint (g_list_length (names), ==, 9);

  for (const GList *l = names; l != NULL; l = l->next)
    {
      g_autofree char *path = tz_test_fixture (l->data);
      g_autoptr(GError) error = NULL;
      g_autoptr(TzArray) array = tz_idx_read (path, &error);

      g_assert_no_error (error);
      tz_test_assert_array_matches (array, json_object_get_object_member (expected, l->data), l->data);
    }
}

static gboolean
fashion_mnist_present (void)
{
  g_autofree char *path = g_build_filename (TZ_FASHION_MNIST_DIR, "t10k-labels-idx1-ubyte.gz", NULL);

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("Fashion-MNIST is not installed (Debian package dataset-fashion-mnist)");
      return FALSE;
    }

  if (!json_object_has_member (tz_test_expected (), "fashion_mnist"))
    {
      g_test_skip ("expected.json was generated without Fashion-MNIST");
      return FALSE;
    }

  return TRUE;
}

/* The real files, compared with what numpy read from them. */
static void
check_fashion_mnist_split (const char *split)
{
  JsonObject *expected = json_object_get_object_member (tz_test_expected_section ("fashion_mnist"), split);
  g_autofree char *images_name = g_strdup_printf ("%s-images-idx3-ubyte.gz", split);
  g_autofree char *labels_name = g_strdup_printf ("%s-labels-idx1-ubyte.gz", split);
  g_autofree char *images_path = g_build_filename (TZ_FASHION_MNIST_DIR, images_name, NULL);
  g_autofree char *labels_path = g_build_filename (TZ_FASHION_MNIST_DIR, labels_name, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(TzArray) images = tz_idx_read (images_path, &error);
  g_autoptr(TzArray) labels = NULL;
  JsonArray *first_labels = json_object_get_array_member (expected, "first_labels");
  JsonArray *counts = json_object_get_array_member (expected, "label_counts");
  JsonArray *row14 = json_object_get_array_member (expected, "first_image_row_14");
  gint64 n = json_object_get_int_member (expected, "n");
  const gint64 *shape;
  const guint8 *pixels;
  const guint8 *y;
  gint64 histogram[10] = { 0 };
  gint64 sum_first = 0, sum_last = 0, sum_all = 0;
  gsize per_image;

  g_assert_no_error (error);
  g_assert_cmpint (tz_array_get_dtype (images), ==, TZ_DTYPE_U8);
  g_assert_cmpuint (tz_array_get_ndim (images), ==, 3);
  shape = tz_array_get_shape (images);
  g_assert_cmpint (shape[0], ==, n);
  g_assert_cmpint (shape[1], ==, 28);
  g_assert_cmpint (shape[2], ==, 28);
  g_assert_cmpint (shape[1], ==, json_object_get_int_member (expected, "rows"));
  g_assert_cmpint (shape[2], ==, json_object_get_int_member (expected, "cols"));

  labels = tz_idx_read (labels_path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (tz_array_get_dtype (labels), ==, TZ_DTYPE_U8);
  g_assert_cmpuint (tz_array_get_ndim (labels), ==, 1);
  g_assert_cmpint (tz_array_get_shape (labels)[0], ==, n);

  y = tz_array_get_data (labels, NULL);
  for (guint i = 0; i < json_array_get_length (first_labels); i++)
    g_assert_cmpint (y[i], ==, json_array_get_int_element (first_labels, i));
  for (gint64 i = 0; i < n; i++)
    {
      g_assert_cmpint (y[i], <=, 9);
      histogram[y[i]]++;
    }
  for (guint c = 0; c < 10; c++)
    g_assert_cmpint (histogram[c], ==, json_array_get_int_element (counts, c));

  pixels = tz_array_get_data (images, NULL);
  per_image = 28 * 28;
  for (gsize i = 0; i < per_image; i++)
    {
      sum_first += pixels[i];
      sum_last += pixels[(gsize) (n - 1) * per_image + i];
    }
  for (gsize i = 0; i < (gsize) n * per_image; i++)
    sum_all += pixels[i];
  g_assert_cmpint (sum_first, ==, json_object_get_int_member (expected, "pixel_sum_first"));
  g_assert_cmpint (sum_last, ==, json_object_get_int_member (expected, "pixel_sum_last"));
  g_assert_cmpint (sum_all, ==, json_object_get_int_member (expected, "pixel_sum_all"));
  for (guint i = 0; i < 28; i++)
    g_assert_cmpint (pixels[14 * 28 + i], ==, json_array_get_int_element (row14, i));
}

static void
test_fashion_mnist_t10k (void)
{
  if (!fashion_mnist_present ())
    return;

  check_fashion_mnist_split ("t10k");

  /* The note said the first test label is 9 (ankle boot); numpy agrees. */
  g_assert_cmpint (json_array_get_int_element (
                     json_object_get_array_member (
                       json_object_get_object_member (tz_test_expected_section ("fashion_mnist"), "t10k"),
                       "first_labels"), 0), ==, 9);
}

static void
test_fashion_mnist_train (void)
{
  if (!fashion_mnist_present ())
    return;

  check_fashion_mnist_split ("train");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/formats/idx/fixtures", test_fixtures);
  g_test_add_func ("/formats/idx/fashion-mnist-t10k", test_fashion_mnist_t10k);
  g_test_add_func ("/formats/idx/fashion-mnist-train", test_fashion_mnist_train);

  return g_test_run ();
}

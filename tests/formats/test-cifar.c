/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-test"

#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "tz-cifar.h"
#include "tz-error.h"
#include "tz-format-test-util.h"
#include "tz-npy.h"

static char *
cifar_fixture (const char *first_element,
               ...)
{
  g_autofree char *base = g_test_build_filename (G_TEST_DIST, "fixtures", "cifar", NULL);
  g_autoptr(GPtrArray) parts = g_ptr_array_new ();
  const char *element;
  va_list args;

  g_ptr_array_add (parts, base);
  va_start (args, first_element);
  for (element = first_element; element != NULL; element = va_arg (args, const char *))
    g_ptr_array_add (parts, (gpointer) element);
  va_end (args);
  g_ptr_array_add (parts, NULL);

  return g_build_filenamev ((char **) parts->pdata);
}

/* What numpy wrote: expected.npz, read by the npz reader (not the CIFAR
 * one). */
static GHashTable *
expected_arrays (void)
{
  g_autofree char *path = cifar_fixture ("expected.npz", NULL);
  g_autoptr(GError) error = NULL;
  GHashTable *arrays = tz_npz_read (path, &error);

  g_assert_no_error (error);
  return arrays;
}

static void
assert_same_u8_array (TzArray    *actual,
                      TzArray    *expected,
                      const char *what)
{
  const guint8 *a;
  const guint8 *e;
  gsize a_size, e_size;

  g_assert_cmpint (tz_array_get_dtype (actual), ==, TZ_DTYPE_U8);
  g_assert_cmpint (tz_array_get_dtype (expected), ==, TZ_DTYPE_U8);
  g_assert_cmpuint (tz_array_get_ndim (actual), ==, tz_array_get_ndim (expected));
  for (guint d = 0; d < tz_array_get_ndim (actual); d++)
    g_assert_cmpint (tz_array_get_shape (actual)[d], ==, tz_array_get_shape (expected)[d]);

  a = tz_array_get_data (actual, &a_size);
  e = tz_array_get_data (expected, &e_size);
  g_assert_cmpuint (a_size, ==, e_size);
  for (gsize i = 0; i < a_size; i++)
    if (a[i] != e[i])
      g_error ("%s: byte %" G_GSIZE_FORMAT " is %u, numpy has %u", what, i, a[i], e[i]);
}

static void
assert_matches_expected (TzCifar *cifar)
{
  g_autoptr(GHashTable) expected = expected_arrays ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) names = tz_array_to_strv (g_hash_table_lookup (expected, "class_names"), &error);
  const guint8 *pixels;

  g_assert_no_error (error);
  g_assert_cmpstrv (cifar->class_names, names);

  assert_same_u8_array (cifar->train_images, g_hash_table_lookup (expected, "train_images"), "train images");
  assert_same_u8_array (cifar->train_labels, g_hash_table_lookup (expected, "train_labels"), "train labels");
  assert_same_u8_array (cifar->test_images, g_hash_table_lookup (expected, "test_images"), "test images");
  assert_same_u8_array (cifar->test_labels, g_hash_table_lookup (expected, "test_labels"), "test labels");

  /* 11 training records over five files, 4 test records: the batches are
   * concatenated in order. */
  g_assert_cmpint (tz_array_get_shape (cifar->train_images)[0], ==, 11);
  g_assert_cmpint (tz_array_get_shape (cifar->test_images)[0], ==, 4);

  /* The corners the script set by hand: HWC, R then G then B. */
  pixels = tz_array_get_data (cifar->train_images, NULL);
  g_assert_cmpmem (pixels, 3, ((const guint8[]) { 255, 0, 0 }), 3);
  g_assert_cmpmem (pixels + 31 * 3, 3, ((const guint8[]) { 0, 255, 0 }), 3);
  g_assert_cmpmem (pixels + 31 * 32 * 3, 3, ((const guint8[]) { 0, 0, 255 }), 3);
}

static void
test_load_folder (void)
{
  g_autofree char *folder = cifar_fixture ("good", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(TzCifar) cifar = tz_cifar_load (folder, &error);

  g_assert_no_error (error);
  g_assert_nonnull (cifar);
  assert_matches_expected (cifar);
}

static void
copy_file (const char *from,
           const char *to)
{
  g_autoptr(GFile) source = g_file_new_for_path (from);
  g_autoptr(GFile) destination = g_file_new_for_path (to);
  g_autoptr(GError) error = NULL;

  g_file_copy (source, destination, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
}

static const char *const folder_files[] = {
  "batches.meta.txt", "data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
  "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin", NULL,
};

/* A copy of good/ in @folder, without @skip (may be NULL). */
static void
copy_good_folder (const char *folder,
                  const char *skip)
{
  g_assert_cmpint (g_mkdir_with_parents (folder, 0700), ==, 0);

  for (guint i = 0; folder_files[i] != NULL; i++)
    {
      g_autofree char *from = cifar_fixture ("good", folder_files[i], NULL);
      g_autofree char *to = g_build_filename (folder, folder_files[i], NULL);

      if (g_strcmp0 (skip, folder_files[i]) != 0)
        copy_file (from, to);
    }
}

/* The folder where the archive was unpacked works as well as the
 * cifar-10-batches-bin inside it. */
static void
test_load_parent_folder (void)
{
  g_autofree char *tmp = tz_test_make_tmpdir ();
  g_autofree char *inner = g_build_filename (tmp, "cifar-10-batches-bin", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(TzCifar) cifar = NULL;

  copy_good_folder (inner, NULL);
  cifar = tz_cifar_load (tmp, &error);
  g_assert_no_error (error);
  assert_matches_expected (cifar);

  tz_test_remove_tree (tmp);
}

static void
test_missing_files (void)
{
  for (guint i = 0; folder_files[i] != NULL; i++)
    {
      g_autofree char *tmp = tz_test_make_tmpdir ();
      g_autoptr(GError) error = NULL;
      g_autoptr(TzCifar) cifar = NULL;

      copy_good_folder (tmp, folder_files[i]);
      cifar = tz_cifar_load (tmp, &error);
      g_assert_null (cifar);
      tz_test_assert_error_mentions (error, G_FILE_ERROR, G_FILE_ERROR_NOENT, folder_files[i]);
      tz_test_remove_tree (tmp);
    }
}

/* A broken test batch fails the whole load, naming that file. */
static void
test_broken_file_in_folder (void)
{
  g_autofree char *tmp = tz_test_make_tmpdir ();
  g_autofree char *broken = cifar_fixture ("broken", "label-10.bin", NULL);
  g_autofree char *target = g_build_filename (tmp, "test_batch.bin", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(TzCifar) cifar = NULL;

  copy_good_folder (tmp, NULL);
  copy_file (broken, target);
  cifar = tz_cifar_load (tmp, &error);
  g_assert_null (cifar);
  tz_test_assert_error_mentions (error, TZ_ERROR, TZ_ERROR_CORRUPT, "test_batch.bin");
  g_assert_nonnull (strstr (error->message, "label 10"));

  tz_test_remove_tree (tmp);
}

static void
test_read_batch (void)
{
  g_autofree char *path = cifar_fixture ("good", "test_batch.bin", NULL);
  g_autoptr(GHashTable) expected = expected_arrays ();
  g_autoptr(GError) error = NULL;
  g_autoptr(TzArray) images = NULL;
  g_autoptr(TzArray) labels = NULL;

  g_assert_true (tz_cifar_read_batch (path, &images, &labels, &error));
  g_assert_no_error (error);
  assert_same_u8_array (images, g_hash_table_lookup (expected, "test_images"), "test images");
  assert_same_u8_array (labels, g_hash_table_lookup (expected, "test_labels"), "test labels");
}

static void
test_broken_batches (void)
{
  const struct {
    const char *name;
    const char *reason;
  } cases[] = {
    { "truncated.bin", "not a whole number of 3073-byte" },
    { "empty.bin", "empty" },
    { "label-10.bin", "record 1 has label 10" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = cifar_fixture ("broken", cases[i].name, NULL);
      g_autoptr(GError) error = NULL;
      TzArray *images = (TzArray *) 0x1;
      TzArray *labels = (TzArray *) 0x1;

      g_test_message ("%s", cases[i].name);
      g_assert_false (tz_cifar_read_batch (path, &images, &labels, &error));
      g_assert_null (images);
      g_assert_null (labels);
      tz_test_assert_error_mentions (error, TZ_ERROR, TZ_ERROR_CORRUPT, cases[i].name);
      g_assert_nonnull (strstr (error->message, cases[i].reason));
    }
}

static void
test_missing_batch (void)
{
  g_autofree char *path = cifar_fixture ("broken", "no-such-batch.bin", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(TzArray) images = NULL;
  g_autoptr(TzArray) labels = NULL;

  g_assert_false (tz_cifar_read_batch (path, &images, &labels, &error));
  tz_test_assert_error_mentions (error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "no-such-batch.bin");
}

static void
test_broken_meta (void)
{
  const struct {
    const char *name;
    const char *reason;
  } cases[] = {
    { "meta-short.txt", "9 class names" },
    { "meta-long.txt", "11 class names" },
    { "meta-blank-line.txt", "line 5 is blank" },
    { "meta-latin1.txt", "not UTF-8" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = cifar_fixture ("broken", cases[i].name, NULL);
      g_autoptr(GError) error = NULL;
      g_auto(GStrv) names = NULL;

      g_test_message ("%s", cases[i].name);
      names = tz_cifar_read_class_names (path, &error);
      g_assert_null (names);
      tz_test_assert_error_mentions (error, TZ_ERROR, TZ_ERROR_CORRUPT, cases[i].name);
      g_assert_nonnull (strstr (error->message, cases[i].reason));
    }
}

/* A short meta file fails the folder load too, naming the meta file. */
static void
test_short_meta_in_folder (void)
{
  g_autofree char *tmp = tz_test_make_tmpdir ();
  g_autofree char *broken = cifar_fixture ("broken", "meta-short.txt", NULL);
  g_autofree char *target = g_build_filename (tmp, "batches.meta.txt", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(TzCifar) cifar = NULL;

  copy_good_folder (tmp, NULL);
  copy_file (broken, target);
  cifar = tz_cifar_load (tmp, &error);
  g_assert_null (cifar);
  tz_test_assert_error_mentions (error, TZ_ERROR, TZ_ERROR_CORRUPT, "batches.meta.txt");

  tz_test_remove_tree (tmp);
}

static void
test_meta_japanese_crlf (void)
{
  const char *const expected[] = {
    "飛行機", "自動車", "鳥", "猫", "鹿", "犬", "蛙", "馬", "船", "トラック", NULL,
  };
  g_autofree char *path = cifar_fixture ("meta-japanese-crlf.txt", NULL);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) names = tz_cifar_read_class_names (path, &error);

  g_assert_no_error (error);
  g_assert_cmpstrv (names, expected);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/formats/cifar/load-folder", test_load_folder);
  g_test_add_func ("/formats/cifar/load-parent-folder", test_load_parent_folder);
  g_test_add_func ("/formats/cifar/missing-files", test_missing_files);
  g_test_add_func ("/formats/cifar/broken-file-in-folder", test_broken_file_in_folder);
  g_test_add_func ("/formats/cifar/read-batch", test_read_batch);
  g_test_add_func ("/formats/cifar/broken-batches", test_broken_batches);
  g_test_add_func ("/formats/cifar/missing-batch", test_missing_batch);
  g_test_add_func ("/formats/cifar/broken-meta", test_broken_meta);
  g_test_add_func ("/formats/cifar/short-meta-in-folder", test_short_meta_in_folder);
  g_test_add_func ("/formats/cifar/meta-japanese-crlf", test_meta_japanese_crlf);

  return g_test_run ();
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-test"

#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "tz-error.h"
#include "tz-format-test-util.h"
#include "tz-safetensors.h"

/* A file written by hand from the specification (make-fixtures.py, no
 * safetensors package) reads back with every tensor, in header order, and
 * the metadata. */
static void
test_read_fixture (void)
{
  g_autofree char *path = tz_test_fixture ("tensors.safetensors");
  g_autoptr(GError) error = NULL;
  g_autoptr(TzSafetensors) file = tz_safetensors_open (path, &error);
  JsonObject *expected = tz_test_expected_section ("safetensors");
  JsonArray *order = json_object_get_array_member (expected, "order");
  JsonObject *tensors = json_object_get_object_member (expected, "tensors");
  JsonObject *metadata = json_object_get_object_member (expected, "metadata");
  const char *const *names;
  g_autoptr(TzArray) weight = NULL;

  g_assert_no_error (error);

  names = tz_safetensors_get_names (file);
  g_assert_cmpuint (g_strv_length ((char **) names), ==, json_array_get_length (order));
  for (guint i = 0; i < json_array_get_length (order); i++)
    {
      const char *name = json_array_get_string_element (order, i);
      g_autoptr(TzArray) array = NULL;

      g_assert_cmpstr (names[i], ==, name);
      g_assert_true (tz_safetensors_has (file, name));
      array = tz_safetensors_get (file, name, &error);
      g_assert_no_error (error);
      tz_test_assert_array_matches (array, json_object_get_object_member (tensors, name), name);
    }

  g_assert_cmpstr (tz_safetensors_get_metadata (file, "format"), ==,
                   json_object_get_string_member (metadata, "format"));
  g_assert_cmpstr (tz_safetensors_get_metadata (file, "note"), ==,
                   json_object_get_string_member (metadata, "note"));
  g_assert_null (tz_safetensors_get_metadata (file, "absent"));

  g_assert_false (tz_safetensors_has (file, "__metadata__"));
  g_assert_null (tz_safetensors_get (file, "absent", &error));
  tz_test_assert_error_mentions (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "tensors.safetensors");
  g_clear_error (&error);

  /* A view outlives the file handle: it holds the mapping. */
  weight = tz_safetensors_get (file, "weight", &error);
  g_assert_no_error (error);
  g_clear_pointer (&file, tz_safetensors_free);
  tz_test_assert_array_matches (weight, json_object_get_object_member (tensors, "weight"), "weight");
}

/* C reads the fixture and writes it again; Python parses the written file
 * by hand (struct + json + numpy) and finds the same tensors and metadata,
 * a header padded with spaces to 8 bytes and contiguous, aligned data. */
static void
test_write (void)
{
  g_autofree char *reference = tz_test_fixture ("tensors.safetensors");
  g_autofree char *dir = tz_test_make_tmpdir ();
  g_autofree char *written = g_build_filename (dir, "written.safetensors", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(TzSafetensors) file = tz_safetensors_open (reference, &error);
  g_autoptr(TzSafetensors) back = NULL;
  g_autoptr(GHashTable) metadata = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) arrays = g_ptr_array_new_with_free_func ((GDestroyNotify) tz_array_unref);
  const char *const *names;
  guint n;
  g_autofree char *contents = NULL;
  gsize length = 0;
  guint64 header_len = 0;

  g_assert_no_error (error);
  names = tz_safetensors_get_names (file);
  n = g_strv_length ((char **) names);
  for (guint i = 0; i < n; i++)
    {
      TzArray *array = tz_safetensors_get (file, names[i], &error);

      g_assert_no_error (error);
      g_ptr_array_add (arrays, array);
    }
  g_hash_table_insert (metadata, (gpointer) "format", (gpointer) tz_safetensors_get_metadata (file, "format"));
  g_hash_table_insert (metadata, (gpointer) "note", (gpointer) tz_safetensors_get_metadata (file, "note"));

  g_assert_true (tz_safetensors_write (written, names, (TzArray *const *) arrays->pdata, n, metadata, &error));
  g_assert_no_error (error);

  g_assert_true (g_file_get_contents (written, &contents, &length, NULL));
  for (guint i = 0; i < 8; i++)
    header_len |= (guint64) (guint8) contents[i] << (8 * i);
  g_assert_cmpuint (header_len % 8, ==, 0);
  g_assert_cmpint (contents[8], ==, '{');

  /* Our own reader agrees, value for value. */
  back = tz_safetensors_open (written, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(TzArray) array = tz_safetensors_get (back, names[i], &error);
      JsonObject *tensors = json_object_get_object_member (tz_test_expected_section ("safetensors"), "tensors");

      g_assert_no_error (error);
      tz_test_assert_array_matches (array, json_object_get_object_member (tensors, names[i]), names[i]);
    }
  g_assert_cmpstr (tz_safetensors_get_metadata (back, "note"), ==, tz_safetensors_get_metadata (file, "note"));

  tz_test_check_written ((const char *const[]) { "safetensors", written, reference, NULL });

  tz_test_remove_tree (dir);
}

static void
test_write_refusals (void)
{
  g_autofree char *dir = tz_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "refused.safetensors", NULL);
  const char *strings[] = { "a", "b", NULL };
  g_autoptr(TzArray) text = tz_array_new_strv (strings);
  gint64 shape[1] = { 1 };
  float one = 1.0f;
  g_autoptr(TzArray) number = tz_array_new_float32 (1, shape, &one);
  g_autoptr(GError) error = NULL;

  /* safetensors has no strings. */
  g_assert_false (tz_safetensors_write (path, (const char *[]) { "names" },
                                        (TzArray *[]) { text }, 1, NULL, &error));
  tz_test_assert_error_mentions (error, TZ_ERROR, TZ_ERROR_UNSUPPORTED, "refused.safetensors");
  g_clear_error (&error);

  g_assert_false (tz_safetensors_write (path, (const char *[]) { "x", "x" },
                                        (TzArray *[]) { number, number }, 2, NULL, &error));
  tz_test_assert_error_mentions (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT, "“x”");
  g_clear_error (&error);

  g_assert_false (tz_safetensors_write (path, (const char *[]) { "__metadata__" },
                                        (TzArray *[]) { number }, 1, NULL, &error));
  tz_test_assert_error_mentions (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT, "__metadata__");
  g_clear_error (&error);

  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  /* No tensors at all is a valid, if dull, file. */
  g_assert_true (tz_safetensors_write (path, NULL, NULL, 0, NULL, &error));
  g_assert_no_error (error);
  {
    g_autoptr(TzSafetensors) file = tz_safetensors_open (path, &error);

    g_assert_no_error (error);
    g_assert_null (tz_safetensors_get_names (file)[0]);
  }

  tz_test_remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/formats/safetensors/read-fixture", test_read_fixture);
  g_test_add_func ("/formats/safetensors/write", test_write);
  g_test_add_func ("/formats/safetensors/write-refusals", test_write_refusals);

  return g_test_run ();
}

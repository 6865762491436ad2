/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-test"

#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "tz-error.h"
#include "tz-format-test-util.h"
#include "tz-npy.h"
#include "tz-zip-reader.h"

/* Every array numpy wrote (savez or savez_compressed) reads back with the
 * dtype, shape and values numpy recorded in expected.json, big-endian and
 * Fortran-ordered ones included. */
static void
check_npz_against_numpy (const char *fixture)
{
  g_autofree char *path = tz_test_fixture (fixture);
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) arrays = tz_npz_read (path, &error);
  JsonObject *expected = tz_test_expected_section ("arrays");
  g_autoptr(GList) names = json_object_get_members (expected);

  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (arrays), ==, g_list_length (names));

  for (const GList *l = names; l != NULL; l = l->next)
    {
      TzArray *array = g_hash_table_lookup (arrays, l->data);

      g_assert_nonnull (array);
      tz_test_assert_array_matches (array, json_object_get_object_member (expected, l->data), l->data);
    }
}

static void
test_npz_stored (void)
{
  check_npz_against_numpy ("arrays.npz");
}

static void
test_npz_compressed (void)
{
  check_npz_against_numpy ("arrays-compressed.npz");
}

static TzArray *
parse_fixture (const char *name,
               GError    **error)
{
  g_autofree char *path = tz_test_fixture (name);
  g_autofree char *contents = NULL;
  gsize length = 0;
  g_autoptr(GBytes) bytes = NULL;

  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  bytes = g_bytes_new (contents, length);

  return tz_npy_parse (bytes, name, error);
}

static void
test_npy_versions (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TzArray) v3 = parse_fixture ("version3.npy", &error);
  g_autoptr(TzArray) v2 = NULL;
  const gint16 *shorts;
  const double *doubles;

  /* Version 3.0: keys in another order, a trailing comma without a
   * space, a 4-byte header length. */
  g_assert_no_error (error);
  g_assert_cmpint (tz_array_get_dtype (v3), ==, TZ_DTYPE_I16);
  g_assert_cmpint (tz_array_get_shape (v3)[0], ==, 2);
  shorts = tz_array_get_data (v3, NULL);
  g_assert_cmpint (shorts[0], ==, -3);
  g_assert_cmpint (shorts[1], ==, 4);

  /* Version 2.0, double-quoted keys, no trailing comma. */
  v2 = parse_fixture ("version2.npy", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tz_array_get_ndim (v2), ==, 2);
  doubles = tz_array_get_data (v2, NULL);
  g_assert_cmpfloat (doubles[0], ==, 1.0);
  g_assert_cmpfloat (doubles[1], ==, -1.0);
}

/* What tz_npy_serialize() writes, tz_npy_parse() reads back unchanged,
 * with the header layout numpy uses. */
static void
test_serialize_round_trip (void)
{
  g_autofree char *path = tz_test_fixture ("arrays.npz");
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) arrays = tz_npz_read (path, &error);
  GHashTableIter iter;
  gpointer key, value;

  g_assert_no_error (error);

  g_hash_table_iter_init (&iter, arrays);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      TzArray *array = value;
      g_autoptr(GBytes) bytes = tz_npy_serialize (array);
      g_autoptr(TzArray) back = tz_npy_parse (bytes, key, &error);
      const guint8 *raw = g_bytes_get_data (bytes, NULL);
      gsize header_len = raw[8] | (raw[9] << 8);
      gsize size_a = 0, size_b = 0;
      gconstpointer a, b;

      g_assert_no_error (error);
      g_assert_cmpmem (raw, 8, "\x93NUMPY\x01\x00", 8);
      g_assert_cmpuint ((10 + header_len) % 64, ==, 0);
      g_assert_cmpint (raw[10 + header_len - 1], ==, '\n');
      g_assert_true (memmem (raw, 10 + header_len, "'fortran_order': False", 22) != NULL);

      g_assert_cmpint (tz_array_get_dtype (back), ==, tz_array_get_dtype (array));
      g_assert_cmpuint (tz_array_get_item_size (back), ==, tz_array_get_item_size (array));
      g_assert_cmpuint (tz_array_get_ndim (back), ==, tz_array_get_ndim (array));
      g_assert_cmpmem (tz_array_get_shape (back), tz_array_get_ndim (back) * sizeof (gint64),
                       tz_array_get_shape (array), tz_array_get_ndim (array) * sizeof (gint64));
      a = tz_array_get_data (array, &size_a);
      b = tz_array_get_data (back, &size_b);
      g_assert_cmpmem (a, size_a, b, size_b);
    }
}

static void
test_serialize_bfloat16 (void)
{
  /* numpy has no bfloat16: it is written as float32, exactly. */
  guint16 bits[2] = { 0x3f80, 0xc060 };
  g_autoptr(GBytes) bytes = g_bytes_new (bits, sizeof bits);
  gint64 shape[1] = { 2 };
  g_autoptr(GError) error = NULL;
  g_autoptr(TzArray) array = tz_array_new (TZ_DTYPE_BF16, 0, 1, shape, bytes, &error);
  g_autoptr(GBytes) npy = tz_npy_serialize (array);
  g_autoptr(TzArray) back = tz_npy_parse (npy, "bf16", &error);
  const float *values;

  g_assert_no_error (error);
  g_assert_cmpint (tz_array_get_dtype (back), ==, TZ_DTYPE_F32);
  values = tz_array_get_data (back, NULL);
  g_assert_cmpfloat (values[0], ==, 1.0f);
  g_assert_cmpfloat (values[1], ==, -3.5f);
}

/* C writes an .npz of every fixture array; numpy reads it back equal to
 * what numpy itself wrote, and so does our reader. */
static void
test_npz_write (void)
{
  g_autofree char *reference = tz_test_fixture ("arrays.npz");
  g_autofree char *dir = tz_test_make_tmpdir ();
  g_autofree char *written = g_build_filename (dir, "written.npz", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) arrays = tz_npz_read (reference, &error);
  g_autoptr(GHashTable) back = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autoptr(GPtrArray) values = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key, value;
  g_autoptr(GDir) listing = NULL;
  guint n_files = 0;

  g_assert_no_error (error);
  g_hash_table_iter_init (&iter, arrays);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_ptr_array_add (names, key);
      g_ptr_array_add (values, value);
    }

  g_assert_true (tz_npz_write (written, (const char *const *) names->pdata,
                               (TzArray *const *) values->pdata, names->len, &error));
  g_assert_no_error (error);

  /* The temporary file is gone after the rename. */
  listing = g_dir_open (dir, 0, NULL);
  while (g_dir_read_name (listing) != NULL)
    n_files++;
  g_assert_cmpuint (n_files, ==, 1);

  back = tz_npz_read (written, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (back), ==, g_hash_table_size (arrays));

  /* Overwriting an existing file works the same way. */
  g_assert_true (tz_npz_write (written, (const char *const *) names->pdata,
                               (TzArray *const *) values->pdata, names->len, &error));
  g_assert_no_error (error);

  tz_test_check_written ((const char *const[]) { "npz", written, reference, NULL });

  tz_test_remove_tree (dir);
}

static void
test_npz_write_errors (void)
{
  g_autofree char *dir = tz_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "no-such-folder", "x.npz", NULL);
  g_autofree char *twice = g_build_filename (dir, "twice.npz", NULL);
  gint64 shape[1] = { 1 };
  gint64 one = 1;
  g_autoptr(TzArray) array = tz_array_new_int64 (1, shape, &one);
  TzArray *arrays[2] = { array, array };
  const char *names[2] = { "a", "a" };
  g_autoptr(GError) error = NULL;

  g_assert_false (tz_npz_write (path, names, arrays, 1, &error));
  tz_test_assert_error_mentions (error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "x.npz");
  g_clear_error (&error);

  g_assert_false (tz_npz_write (twice, names, arrays, 2, &error));
  tz_test_assert_error_mentions (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT, "twice.npz");
  g_assert_false (g_file_test (twice, G_FILE_TEST_EXISTS));

  tz_test_remove_tree (dir);
}

static void
test_zip_reader (void)
{
  g_autofree char *path = tz_test_fixture ("arrays-compressed.npz");
  g_autofree char *contents = NULL;
  gsize length = 0;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TzZipReader) from_file = tz_zip_reader_open (path, &error);
  g_autoptr(TzZipReader) from_bytes = NULL;
  g_autoptr(GBytes) member = NULL;
  g_autoptr(GBytes) member_again = NULL;
  gint64 size;

  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  bytes = g_bytes_new (contents, length);
  from_bytes = tz_zip_reader_open_bytes (bytes, "in-memory.npz", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (tz_zip_reader_get_display_name (from_bytes), ==, "in-memory.npz");

  g_assert_cmpuint (tz_zip_reader_get_n_entries (from_file), ==,
                    json_object_get_size (tz_test_expected_section ("arrays")));
  g_assert_cmpuint (tz_zip_reader_get_n_entries (from_file), ==,
                    tz_zip_reader_get_n_entries (from_bytes));
  for (guint i = 0; i < tz_zip_reader_get_n_entries (from_file); i++)
    g_assert_cmpstr (tz_zip_reader_get_entry_name (from_file, i), ==,
                     tz_zip_reader_get_entry_name (from_bytes, i));
  g_assert_null (tz_zip_reader_get_entry_name (from_file, 1000));

  g_assert_true (tz_zip_reader_has_entry (from_file, "f32.npy"));
  g_assert_false (tz_zip_reader_has_entry (from_file, "f32"));
  g_assert_cmpint (tz_zip_reader_get_entry_size (from_file, "nope.npy"), ==, -1);

  size = tz_zip_reader_get_entry_size (from_file, "f32.npy");
  g_assert_cmpint (size, ==, 128 + 6 * 4);

  member = tz_zip_reader_read_entry (from_file, "f32.npy", (gsize) size, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (member), ==, (gsize) size);
  member_again = tz_zip_reader_read_entry (from_bytes, "f32.npy", G_MAXSIZE, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (member, member_again));

  /* The limit is checked against the declared size, before reading. */
  g_assert_null (tz_zip_reader_read_entry (from_file, "f32.npy", (gsize) size - 1, &error));
  tz_test_assert_error_mentions (error, TZ_ERROR, TZ_ERROR_TOO_LARGE, "f32.npy");
  /* Messages start with the archive's name. */
  g_assert_true (g_str_has_prefix (error->message, path));
  g_clear_error (&error);

  g_assert_null (tz_zip_reader_read_entry (from_bytes, "missing.npy", G_MAXSIZE, &error));
  tz_test_assert_error_mentions (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "in-memory.npz");
  g_clear_error (&error);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/formats/npy/npz-stored", test_npz_stored);
  g_test_add_func ("/formats/npy/npz-compressed", test_npz_compressed);
  g_test_add_func ("/formats/npy/versions", test_npy_versions);
  g_test_add_func ("/formats/npy/serialize-round-trip", test_serialize_round_trip);
  g_test_add_func ("/formats/npy/serialize-bfloat16", test_serialize_bfloat16);
  g_test_add_func ("/formats/npy/npz-write", test_npz_write);
  g_test_add_func ("/formats/npy/npz-write-errors", test_npz_write_errors);
  g_test_add_func ("/formats/npy/zip-reader", test_zip_reader);

  return g_test_run ();
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-test"

#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "tz-error.h"
#include "tz-feature-set.h"
#include "tz-format-test-util.h"
#include "tz-idx.h"
#include "tz-npy.h"
#include "tz-safetensors.h"
#include "tz-zip-reader.h"

/* Every damaged or hostile sample in tests/fixtures/formats/broken/ fails
 * with the error broken/cases.json names (domain and code), a message that
 * names the file (and the member, array, row or column where one applies),
 * and no crash. */

static const struct
{
  const char *name;
  int code;
} tz_codes[] = {
  { "INVALID_ARGUMENT", TZ_ERROR_INVALID_ARGUMENT },
  { "DIMENSION_MISMATCH", TZ_ERROR_DIMENSION_MISMATCH },
  { "NOT_FINITE", TZ_ERROR_NOT_FINITE },
  { "EMPTY_CLASS", TZ_ERROR_EMPTY_CLASS },
  { "UNKNOWN_CLASS", TZ_ERROR_UNKNOWN_CLASS },
  { "NUMERICAL", TZ_ERROR_NUMERICAL },
  { "CORRUPT", TZ_ERROR_CORRUPT },
  { "UNSUPPORTED", TZ_ERROR_UNSUPPORTED },
  { "FORBIDDEN", TZ_ERROR_FORBIDDEN },
  { "TOO_LARGE", TZ_ERROR_TOO_LARGE },
};

static void
expected_error (JsonObject *entry,
                GQuark     *domain,
                int        *code)
{
  const char *domain_name = json_object_get_string_member (entry, "domain");
  const char *code_name = json_object_get_string_member (entry, "code");

  if (strcmp (domain_name, "file") == 0)
    {
      g_assert_cmpstr (code_name, ==, "NOENT");
      *domain = G_FILE_ERROR;
      *code = G_FILE_ERROR_NOENT;
      return;
    }

  g_assert_cmpstr (domain_name, ==, "tz");
  *domain = TZ_ERROR;
  for (guint i = 0; i < G_N_ELEMENTS (tz_codes); i++)
    {
      if (strcmp (tz_codes[i].name, code_name) == 0)
        {
          *code = tz_codes[i].code;
          return;
        }
    }

  g_error ("unknown error code %s in cases.json", code_name);
}

/* Reads @path with @reader; returns TRUE if it (wrongly) succeeded. */
static gboolean
read_with (const char   *reader,
           const char   *path,
           JsonObject   *entry,
           GError      **error)
{
  if (strcmp (reader, "npz") == 0)
    {
      g_autoptr(GHashTable) arrays = tz_npz_read (path, error);

      return arrays != NULL;
    }
  else if (strcmp (reader, "npy") == 0)
    {
      g_autofree char *contents = NULL;
      gsize length = 0;
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(TzArray) array = NULL;
      g_autofree char *name = g_path_get_basename (path);

      g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
      bytes = g_bytes_new (contents, length);
      array = tz_npy_parse (bytes, name, error);
      return array != NULL;
    }
  else if (strcmp (reader, "safetensors") == 0)
    {
      g_autoptr(TzSafetensors) file = tz_safetensors_open (path, error);

      return file != NULL;
    }
  else if (strcmp (reader, "idx") == 0)
    {
      g_autoptr(TzArray) array = tz_idx_read (path, error);

      return array != NULL;
    }
  else if (strcmp (reader, "feature-set") == 0)
    {
      g_autoptr(TzFeatureSet) set = tz_feature_set_load (path, error);

      return set != NULL;
    }
  else if (strcmp (reader, "idx-set") == 0)
    {
      JsonArray *files = json_object_get_array_member (entry, "files");
      g_autofree char *folder = g_path_get_dirname (path);
      char *paths[4] = { NULL };
      g_auto(GStrv) names = NULL;
      g_autoptr(TzFeatureSet) set = NULL;

      g_assert_cmpuint (json_array_get_length (files), ==, 4);
      for (guint i = 0; i < 4; i++)
        paths[i] = g_build_filename (folder, json_array_get_string_element (files, i), NULL);

      if (json_object_has_member (entry, "class_names"))
        {
          JsonArray *list = json_object_get_array_member (entry, "class_names");

          names = g_new0 (char *, json_array_get_length (list) + 1);
          for (guint i = 0; i < json_array_get_length (list); i++)
            names[i] = g_strdup (json_array_get_string_element (list, i));
        }

      set = tz_feature_set_new_from_idx (paths[0], paths[1], paths[2], paths[3],
                                         (const char *const *) names, error);
      for (guint i = 0; i < 4; i++)
        g_free (paths[i]);
      return set != NULL;
    }

  g_error ("unknown reader %s in cases.json", reader);
}

static void
test_case (gconstpointer data)
{
  JsonObject *entry = (JsonObject *) data;
  const char *file = json_object_get_string_member (entry, "file");
  const char *reader = json_object_get_string_member (entry, "reader");
  JsonArray *contains = json_object_get_array_member (entry, "contains");
  g_autofree char *name = g_build_filename ("broken", file, NULL);
  g_autofree char *path = tz_test_fixture (name);
  g_autoptr(GError) error = NULL;
  GQuark domain;
  int code;

  expected_error (entry, &domain, &code);

  if (read_with (reader, path, entry, &error))
    g_error ("%s: read without error by the %s reader", file, reader);

  g_test_message ("%s: %s", file, error->message);
  tz_test_assert_error_mentions (error, domain, code, file);
  for (guint i = 0; i < json_array_get_length (contains); i++)
    tz_test_assert_error_mentions (error, domain, code, json_array_get_string_element (contains, i));
}

/* A zip cut at every length: always an error, never a crash, and never an
 * archive that reads. */
static void
test_truncated_everywhere (void)
{
  g_autofree char *path = tz_test_fixture ("features.npz");
  g_autofree char *contents = NULL;
  gsize length = 0;

  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));

  for (gsize cut = 0; cut < length; cut += 7)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (contents, cut);
      g_autoptr(GError) error = NULL;
      g_autoptr(TzZipReader) reader = tz_zip_reader_open_bytes (bytes, "cut.npz", &error);

      if (reader == NULL)
        {
          g_assert_true (error->domain == TZ_ERROR);
          g_assert_true (g_str_has_prefix (error->message, "cut.npz: "));
          continue;
        }

      /* The central directory survived: every member must still read
       * or fail cleanly. */
      for (guint i = 0; i < tz_zip_reader_get_n_entries (reader); i++)
        {
          g_autoptr(GBytes) member = tz_zip_reader_read_entry (reader,
                                                               tz_zip_reader_get_entry_name (reader, i),
                                                               1 << 20, &error);

          if (member == NULL)
            {
              g_assert_true (g_str_has_prefix (error->message, "cut.npz: "));
              g_clear_error (&error);
            }
        }
    }
}

/* Every single-byte change to an npy header is either still a valid array
 * or a clean error. */
static void
test_npy_header_mutations (void)
{
  gint64 shape[2] = { 2, 3 };
  const float values[6] = { 1, 2, 3, 4, 5, 6 };
  g_autoptr(TzArray) array = tz_array_new_float32 (2, shape, values);
  g_autoptr(GBytes) npy = tz_npy_serialize (array);
  gsize length = 0;
  const guint8 *original = g_bytes_get_data (npy, &length);
  g_autofree guint8 *copy = g_memdup2 (original, length);
  static const guint8 replacements[] = { 0, ' ', '\'', '(', ')', ',', '-', '9', '{', '}', 'O', 0xff };

  for (gsize i = 0; i < 128; i++)
    {
      for (guint r = 0; r < G_N_ELEMENTS (replacements); r++)
        {
          g_autoptr(GBytes) bytes = NULL;
          g_autoptr(GError) error = NULL;
          g_autoptr(TzArray) parsed = NULL;

          copy[i] = replacements[r];
          bytes = g_bytes_new (copy, length);
          parsed = tz_npy_parse (bytes, "mutated.npy", &error);
          if (parsed == NULL)
            {
              g_assert_true (error->domain == TZ_ERROR);
              g_assert_true (g_str_has_prefix (error->message, "mutated.npy: "));
            }
          else
            {
              gsize size = 0;

              tz_array_get_data (parsed, &size);
              g_assert_cmpuint (size, ==, length - 128);
            }
          copy[i] = original[i];
        }
    }
}

/* A header of a million nested brackets: json-glib would recurse once per
 * level and overflow the stack; the reader must refuse it first. */
static void
test_safetensors_deep_nesting (void)
{
  const gsize depth = 1000000;
  g_autofree char *dir = tz_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "deep.safetensors", NULL);
  g_autofree char *contents = g_malloc (8 + 2 * depth);
  g_autoptr(GError) error = NULL;
  g_autoptr(TzSafetensors) file = NULL;
  guint64 length = 2 * depth;

  for (guint i = 0; i < 8; i++)
    contents[i] = (char) ((length >> (8 * i)) & 0xff);
  memset (contents + 8, '[', depth);
  memset (contents + 8 + depth, ']', depth);
  g_assert_true (g_file_set_contents (path, contents, (gssize) (8 + 2 * depth), NULL));

  file = tz_safetensors_open (path, &error);
  g_assert_null (file);
  tz_test_assert_error_mentions (error, TZ_ERROR, TZ_ERROR_CORRUPT, "deep.safetensors");

  tz_test_remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *cases_path = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonArray *cases;

  g_test_init (&argc, &argv, NULL);

  cases_path = tz_test_fixture ("broken/cases.json");
  json_parser_load_from_file (parser, cases_path, &error);
  g_assert_no_error (error);
  cases = json_node_get_array (json_parser_get_root (parser));

  for (guint i = 0; i < json_array_get_length (cases); i++)
    {
      JsonObject *entry = json_array_get_object_element (cases, i);
      g_autofree char *test_path = g_strdup_printf ("/formats/errors/%s/%s",
                                                    json_object_get_string_member (entry, "reader"),
                                                    json_object_get_string_member (entry, "file"));

      g_test_add_data_func (test_path, entry, test_case);
    }

  g_test_add_func ("/formats/errors/zip-truncated-everywhere", test_truncated_everywhere);
  g_test_add_func ("/formats/errors/npy-header-mutations", test_npy_header_mutations);
  g_test_add_func ("/formats/errors/safetensors-deep-nesting", test_safetensors_deep_nesting);

  return g_test_run ();
}

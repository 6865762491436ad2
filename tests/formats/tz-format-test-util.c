/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-test"

#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include "tz-error.h"
#include "tz-format-test-util.h"

char *
tz_test_fixture (const char *name)
{
  return g_test_build_filename (G_TEST_DIST, "fixtures", "formats", name, NULL);
}

JsonObject *
tz_test_expected (void)
{
  static JsonParser *parser;

  if (parser == NULL)
    {
      g_autofree char *path = tz_test_fixture ("expected.json");
      g_autoptr(GError) error = NULL;

      parser = json_parser_new ();
      json_parser_load_from_file (parser, path, &error);
      g_assert_no_error (error);
    }

  return json_node_get_object (json_parser_get_root (parser));
}

JsonObject *
tz_test_expected_section (const char *section)
{
  JsonObject *object = tz_test_expected ();

  g_assert_true (json_object_has_member (object, section));

  return json_object_get_object_member (object, section);
}

double
tz_test_parse_float (const char *text)
{
  char *end = NULL;
  double value;

  /* strtod reads C99 hex floats, "inf" and "nan" exactly. */
  value = g_ascii_strtod (text, &end);
  g_assert_true (end != NULL && *end == '\0');

  return value;
}

static void
assert_same_double (double      actual,
                    double      expected,
                    const char *what,
                    guint       index)
{
  if (isnan (expected))
    {
      if (!isnan (actual))
        g_error ("%s[%u]: %g, expected NaN", what, index, actual);
      return;
    }

  if (actual != expected || signbit (actual) != signbit (expected))
    g_error ("%s[%u]: %.17g, expected %.17g", what, index, actual, expected);
}

void
tz_test_assert_floats_match (const float *values,
                             gsize        n_values,
                             JsonArray   *expected,
                             const char  *what)
{
  g_assert_cmpuint (n_values, ==, json_array_get_length (expected));

  for (guint i = 0; i < n_values; i++)
    assert_same_double (values[i],
                        (float) tz_test_parse_float (json_array_get_string_element (expected, i)),
                        what, i);
}

static gint64
expected_int (JsonArray *values,
              guint      i)
{
  JsonNode *node = json_array_get_element (values, i);

  if (json_node_get_value_type (node) == G_TYPE_STRING)
    return (gint64) g_ascii_strtoull (json_node_get_string (node), NULL, 10);

  return json_node_get_int (node);
}

static guint64
expected_uint (JsonArray *values,
               guint      i)
{
  JsonNode *node = json_array_get_element (values, i);

  if (json_node_get_value_type (node) == G_TYPE_STRING)
    return g_ascii_strtoull (json_node_get_string (node), NULL, 10);

  return (guint64) json_node_get_int (node);
}

void
tz_test_assert_array_matches (TzArray    *array,
                              JsonObject *expected,
                              const char *what)
{
  JsonArray *shape = json_object_get_array_member (expected, "shape");
  JsonArray *values = json_object_get_array_member (expected, "values");
  const char *dtype_name = json_object_get_string_member (expected, "dtype");
  TzDType dtype;
  gconstpointer data;
  gsize size = 0;
  guint n;
  g_autoptr(GError) error = NULL;
  g_autofree float *as_float = NULL;
  g_autofree gint64 *as_int = NULL;

  g_assert_true (tz_dtype_from_string (dtype_name, &dtype));
  if (tz_array_get_dtype (array) != dtype)
    g_error ("%s: dtype %s, expected %s", what,
             tz_dtype_to_string (tz_array_get_dtype (array)), dtype_name);

  g_assert_cmpuint (tz_array_get_ndim (array), ==, json_array_get_length (shape));
  for (guint i = 0; i < json_array_get_length (shape); i++)
    g_assert_cmpint (tz_array_get_shape (array)[i], ==, json_array_get_int_element (shape, i));

  n = json_array_get_length (values);
  g_assert_cmpint (tz_array_get_n_elements (array), ==, n);
  g_assert_cmpuint (tz_array_get_item_size (array), ==,
                    json_object_get_int_member (expected, "item_size"));

  data = tz_array_get_data (array, &size);
  g_assert_cmpuint (size, ==, n * tz_array_get_item_size (array));
  if (tz_array_get_item_size (array) > 1 && dtype != TZ_DTYPE_UNICODE)
    g_assert_cmpuint ((guintptr) data % tz_dtype_get_size (dtype), ==, 0);

  if (dtype == TZ_DTYPE_UNICODE)
    {
      g_auto(GStrv) strv = tz_array_to_strv (array, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (g_strv_length (strv), ==, n);
      for (guint i = 0; i < n; i++)
        g_assert_cmpstr (strv[i], ==, json_array_get_string_element (values, i));

      g_assert_null (tz_array_to_float32 (array, &error));
      g_assert_error (error, TZ_ERROR, TZ_ERROR_UNSUPPORTED);
      return;
    }

  /* The raw elements, read through typed pointers (the data is aligned). */
  for (guint i = 0; i < n; i++)
    {
      switch (dtype)
        {
        case TZ_DTYPE_BOOL:
        case TZ_DTYPE_U8:
          g_assert_cmpint (((const guint8 *) data)[i], ==, expected_int (values, i));
          break;
        case TZ_DTYPE_I8:
          g_assert_cmpint (((const gint8 *) data)[i], ==, expected_int (values, i));
          break;
        case TZ_DTYPE_U16:
          g_assert_cmpint (((const guint16 *) data)[i], ==, expected_int (values, i));
          break;
        case TZ_DTYPE_I16:
          g_assert_cmpint (((const gint16 *) data)[i], ==, expected_int (values, i));
          break;
        case TZ_DTYPE_U32:
          g_assert_cmpint (((const guint32 *) data)[i], ==, expected_int (values, i));
          break;
        case TZ_DTYPE_I32:
          g_assert_cmpint (((const gint32 *) data)[i], ==, expected_int (values, i));
          break;
        case TZ_DTYPE_U64:
          g_assert_cmpuint (((const guint64 *) data)[i], ==, expected_uint (values, i));
          break;
        case TZ_DTYPE_I64:
          g_assert_cmpint (((const gint64 *) data)[i], ==, expected_int (values, i));
          break;
        case TZ_DTYPE_F32:
          assert_same_double (((const float *) data)[i],
                              tz_test_parse_float (json_array_get_string_element (values, i)),
                              what, i);
          break;
        case TZ_DTYPE_F64:
          assert_same_double (((const double *) data)[i],
                              tz_test_parse_float (json_array_get_string_element (values, i)),
                              what, i);
          break;
        case TZ_DTYPE_F16:
        case TZ_DTYPE_BF16:
          break;
        case TZ_DTYPE_UNICODE:
        default:
          g_assert_not_reached ();
        }
    }

  /* Every numeric dtype converts to float32 as numpy's astype would. */
  as_float = tz_array_to_float32 (array, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < n; i++)
    {
      double want;

      switch (dtype)
        {
        case TZ_DTYPE_F16:
        case TZ_DTYPE_BF16:
        case TZ_DTYPE_F32:
        case TZ_DTYPE_F64:
          want = (float) tz_test_parse_float (json_array_get_string_element (values, i));
          break;
        case TZ_DTYPE_U64:
          want = (float) expected_uint (values, i);
          break;
        default:
          want = (float) expected_int (values, i);
          break;
        }
      assert_same_double (as_float[i], want, what, i);
    }

  as_int = tz_array_to_int64 (array, &error);
  switch (dtype)
    {
    case TZ_DTYPE_F16:
    case TZ_DTYPE_BF16:
    case TZ_DTYPE_F32:
    case TZ_DTYPE_F64:
      g_assert_null (as_int);
      g_assert_error (error, TZ_ERROR, TZ_ERROR_UNSUPPORTED);
      break;

    default:
      {
        gboolean too_big = FALSE;

        for (guint i = 0; i < n; i++)
          if (dtype == TZ_DTYPE_U64 && expected_uint (values, i) > G_MAXINT64)
            too_big = TRUE;

        if (too_big)
          {
            g_assert_null (as_int);
            g_assert_error (error, TZ_ERROR, TZ_ERROR_TOO_LARGE);
          }
        else
          {
            g_assert_no_error (error);
            for (guint i = 0; i < n; i++)
              g_assert_cmpint (as_int[i], ==, expected_int (values, i));
          }
      }
      break;
    }
}

char *
tz_test_make_tmpdir (void)
{
  g_autoptr(GError) error = NULL;
  char *path = g_dir_make_tmp ("tsuzuki-formats-XXXXXX", &error);

  g_assert_no_error (error);

  return path;
}

void
tz_test_remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    {
      g_unlink (path);
      return;
    }

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        tz_test_remove_tree (child);
      else
        g_unlink (child);
    }

  g_rmdir (path);
}

gboolean
tz_test_check_written (const char *const *args)
{
  const char *python = g_getenv ("TZ_PYTHON3");
  g_autofree char *script = NULL;
  g_autoptr(GPtrArray) argv = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  if (python == NULL || python[0] == '\0')
    {
      g_test_skip ("TZ_PYTHON3 is not set: no numpy to check the written file with");
      return FALSE;
    }

  script = tz_test_fixture ("check-written.py");
  argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (gpointer) python);
  g_ptr_array_add (argv, script);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                &out, &err, &status, &error);
  g_assert_no_error (error);

  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("check-written.py %s failed:\n%s%s", args[0], out, err);

  return TRUE;
}

void
tz_test_assert_error_mentions (const GError *error,
                               GQuark        domain,
                               int           code,
                               const char   *needle)
{
  g_assert_nonnull (error);
  if (error->domain != domain || error->code != code)
    g_error ("expected error %s:%d, got %s:%d: %s",
             g_quark_to_string (domain), code,
             g_quark_to_string (error->domain), error->code, error->message);

  if (needle != NULL && strstr (error->message, needle) == NULL)
    g_error ("the message “%s” does not mention “%s”", error->message, needle);
}

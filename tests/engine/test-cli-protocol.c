/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `tsuzuki-cli protocol` end to end, against numpy's computation of the same
 * protocol (tests/fixtures/protocol/make-features.py). */
#define G_LOG_DOMAIN "tsuzuki-test"

#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

static JsonObject *expected;
static char *tmpdir;

typedef struct
{
  const char *case_name;
  const char *features;
} ProtocolCase;

static int
run_cli (const char *const *args,
         char              **out,
         char              **err)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_ptr_array_add (argv, (gpointer) g_getenv ("TZ_CLI"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                out, err, &status, &error);
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (status));
  return WEXITSTATUS (status);
}

static void
test_protocol_case (gconstpointer data)
{
  const ProtocolCase *pc = data;
  JsonObject *want = json_object_get_object_member (expected, pc->case_name);
  JsonArray *extra = json_object_get_array_member (want, "args");
  JsonArray *want_steps = json_object_get_array_member (want, "steps");
  JsonArray *want_confusion = json_object_get_array_member (want, "confusion");
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *features = NULL;
  g_autofree char *json_path = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  JsonObject *got;
  JsonArray *steps, *confusion;

  features = g_test_build_filename (G_TEST_DIST, "fixtures", "protocol", pc->features, NULL);
  json_path = g_build_filename (tmpdir, "result.json", NULL);
  g_ptr_array_add (args, g_strdup ("protocol"));
  g_ptr_array_add (args, g_strdup ("--features"));
  g_ptr_array_add (args, g_strdup (features));
  for (guint i = 0; i < json_array_get_length (extra); i++)
    g_ptr_array_add (args, g_strdup (json_array_get_string_element (extra, i)));
  g_ptr_array_add (args, g_strdup ("--json"));
  g_ptr_array_add (args, g_strdup (json_path));
  g_ptr_array_add (args, NULL);

  g_assert_cmpint (run_cli ((const char *const *) args->pdata, &out, &err), ==, 0);
  g_assert_nonnull (strstr (out, "Confusion matrix"));
  g_assert_nonnull (strstr (out, "eggplant"));

  json_parser_load_from_file (parser, json_path, &error);
  g_assert_no_error (error);
  got = json_node_get_object (json_parser_get_root (parser));
  steps = json_object_get_array_member (got, "steps");
  g_assert_cmpuint (json_array_get_length (steps), ==, json_array_get_length (want_steps));
  for (guint s = 0; s < json_array_get_length (steps); s++)
    {
      JsonObject *a = json_array_get_object_element (steps, s);
      JsonObject *b = json_array_get_object_element (want_steps, s);
      JsonArray *la = json_object_get_array_member (a, "learned");
      JsonArray *lb = json_object_get_array_member (b, "learned");

      g_assert_cmpuint (json_array_get_length (la), ==, json_array_get_length (lb));
      for (guint j = 0; j < json_array_get_length (la); j++)
        g_assert_cmpint (json_array_get_int_element (la, j), ==, json_array_get_int_element (lb, j));
      g_assert_cmpfloat_with_epsilon (json_object_get_double_member (a, "accuracy"),
                                      json_object_get_double_member (b, "accuracy"), 1e-12);
      g_assert_cmpfloat_with_epsilon (json_object_get_double_member (a, "accuracy_learned"),
                                      json_object_get_double_member (b, "accuracy_learned"), 1e-12);
    }

  confusion = json_object_get_array_member (got, "confusion");
  g_assert_cmpuint (json_array_get_length (confusion), ==, json_array_get_length (want_confusion));
  for (guint i = 0; i < json_array_get_length (confusion); i++)
    {
      JsonArray *ra = json_array_get_array_element (confusion, i);
      JsonArray *rb = json_array_get_array_element (want_confusion, i);

      g_assert_cmpuint (json_array_get_length (ra), ==, json_array_get_length (rb));
      for (guint j = 0; j < json_array_get_length (ra); j++)
        g_assert_cmpint (json_array_get_int_element (ra, j), ==, json_array_get_int_element (rb, j));
    }
  for (guint i = 0; i + 1 < json_array_get_length (extra); i++)
    if (g_str_equal (json_array_get_string_element (extra, i), "--covariance"))
      g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (got, "settings"),
                                                      "covariance"), ==,
                       json_array_get_string_element (extra, i + 1));
}

static void
test_bad_arguments (void)
{
  g_autofree char *features = g_test_build_filename (G_TEST_DIST, "fixtures", "protocol",
                                                     "features.npz", NULL);
  g_autofree char *missing = g_build_filename (tmpdir, "no-such-file.npz", NULL);
  struct { const char *args[8]; int status; const char *message; } cases[] = {
    { { "protocol", "--features", missing, NULL }, 1, "no-such-file.npz" },
    { { "protocol", "--features", features, "--covariance", "diagonal", NULL }, 2, "diagonal" },
    { { "protocol", "--features", features, "--regularization", "shrink:2", NULL }, 2, "shrink:2" },
    { { "protocol", "--features", features, "--initial", "0-9", NULL }, 2, "Class 6" },
    { { "protocol", "--features", features, "--initial", "0-2", "--order", "2,3", NULL }, 2, "twice" },
    { { "protocol", NULL }, 2, "--features" },
    { { "frobnicate", NULL }, 2, "frobnicate" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;

      int status = run_cli (cases[i].args, &out, &err);

      if (status != cases[i].status)
        g_error ("case %u: exit status %d, expected %d; stderr: %s", i, status,
                 cases[i].status, err);
      if (strstr (err, cases[i].message) == NULL)
        g_error ("case %u: “%s” not in stderr: %s", i, cases[i].message, err);
    }
}

static void
test_plots (void)
{
  g_autofree char *features = g_test_build_filename (G_TEST_DIST, "fixtures", "protocol",
                                                     "features.npz", NULL);
  g_autofree char *dir = g_build_filename (tmpdir, "plots", NULL);
  const char *args[] = { "protocol", "--features", features, "--initial", "0-2",
                         "--plots", dir, "--quiet", NULL };
  static const struct { const char *name; const char *magic; } files[] = {
    { "accuracy.png", "\x89PNG\r\n\x1a\n" },
    { "confusion.png", "\x89PNG\r\n\x1a\n" },
    { "accuracy.pdf", "%PDF-" },
    { "confusion.pdf", "%PDF-" },
    { "accuracy.svg", "<?xml" },
    { "confusion.svg", "<?xml" },
  };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (run_cli (args, &out, &err), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = g_build_filename (dir, files[i].name, NULL);
      g_autofree char *contents = NULL;
      g_autoptr(GError) error = NULL;
      gsize length;

      g_file_get_contents (path, &contents, &length, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (length, >, 500);
      g_assert_true (memcmp (contents, files[i].magic, strlen (files[i].magic)) == 0);
      if (g_str_has_suffix (files[i].name, ".svg"))
        {
          /* Well-formed, and it names the classes (in its description). */
          g_autoptr(GMarkupParseContext) parser = NULL;
          GMarkupParser nothing = { 0 };

          parser = g_markup_parse_context_new (&nothing, 0, NULL, NULL);
          g_assert_true (g_markup_parse_context_parse (parser, contents, (gssize) length, &error));
          g_assert_true (g_markup_parse_context_end_parse (parser, &error));
          g_assert_no_error (error);
          if (g_str_has_prefix (files[i].name, "confusion"))
            g_assert_nonnull (strstr (contents, "eggplant"));
        }
      g_remove (path);
    }
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  static const ProtocolCase cases[] = {
    { "post", "features.npz" },
    { "post", "features.safetensors" },
    { "pooled-oas-uniform", "features.npz" },
    { "pooled-oas-uniform", "features.safetensors" },
    { "defaults", "features.npz" },
  };
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);

  path = g_test_build_filename (G_TEST_DIST, "fixtures", "protocol", "expected.json", NULL);
  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  expected = json_node_get_object (json_parser_get_root (parser));
  tmpdir = g_dir_make_tmp ("tsuzuki-test-XXXXXX", &error);
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("/cli/protocol/%s/%s", cases[i].case_name,
                                               strchr (cases[i].features, '.') + 1);
      g_test_add_data_func (name, &cases[i], test_protocol_case);
    }
  g_test_add_func ("/cli/protocol/bad-arguments", test_bad_arguments);
  g_test_add_func ("/cli/protocol/plots", test_plots);

  status = g_test_run ();

  {
    g_autofree char *result = g_build_filename (tmpdir, "result.json", NULL);
    g_remove (result);
    g_rmdir (tmpdir);
  }
  g_free (tmpdir);
  return status;
}

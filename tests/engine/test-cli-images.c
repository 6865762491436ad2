/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `tsuzuki-cli protocol --data FOLDER`: images through the engine, against
 * numpy's computation on the same pixels (make-expected.py, run here). */
#define G_LOG_DOMAIN "tsuzuki-test"

#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

static char *tmpdir;

static int
run (const char *const *argv,
     char              **out,
     char              **err)
{
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, err, &status, &error);
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (status));
  return WEXITSTATUS (status);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    while ((name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *child = g_build_filename (path, name, NULL);

        if (g_file_test (child, G_FILE_TEST_IS_DIR))
          remove_tree (child);
        else
          g_remove (child);
      }
  g_rmdir (path);
}

static void
test_folder_protocol (void)
{
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "fixtures", "image-protocol",
                                                   "make-expected.py", NULL);
  g_autofree char *images = g_build_filename (tmpdir, "images", NULL);
  g_autofree char *expected_path = g_build_filename (tmpdir, "expected.json", NULL);
  g_autofree char *result_path = g_build_filename (tmpdir, "result.json", NULL);
  g_autofree char *junk = g_build_filename (tmpdir, "images", "train", "cat", "broken.png", NULL);
  g_autoptr(JsonParser) expected_parser = json_parser_new ();
  g_autoptr(JsonParser) result_parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL, *err = NULL;
  JsonArray *want, *got;
  const char *python = g_getenv ("TZ_PYTHON3");

  if (python == NULL || !g_file_test (python, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("Debian's /usr/bin/python3 with numpy and PIL is needed");
      return;
    }
  {
    const char *argv[] = { python, script, tmpdir, NULL };

    if (run (argv, &out, &err) != 0)
      g_error ("make-expected.py failed: %s", err);
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }
  /* A damaged file among the images is skipped and named, not fatal. */
  g_file_set_contents (junk, "\x89PNG\r\n\x1a\n truncated", -1, &error);
  g_assert_no_error (error);

  {
    const char *argv[] = { g_getenv ("TZ_CLI"), "protocol", "--data", images,
                           "--backbone", "pixels", "--image-size", "4", "--initial", "0,1", "--covariance", "class-averaged",
                           "--regularization", "ridge:1e-6", "--prior", "counts",
                           "--transform", "none", "--json", result_path, NULL };

    g_assert_cmpint (run (argv, &out, &err), ==, 0);
  }
  g_assert_nonnull (strstr (err, "broken.png"));
  g_assert_nonnull (strstr (err, "Skipped 1 file"));
  g_assert_nonnull (strstr (out, "480 training and 160 evaluation vectors, 4 classes"));

  json_parser_load_from_file (expected_parser, expected_path, &error);
  g_assert_no_error (error);
  json_parser_load_from_file (result_parser, result_path, &error);
  g_assert_no_error (error);
  want = json_object_get_array_member (json_node_get_object (json_parser_get_root (expected_parser)), "steps");
  got = json_object_get_array_member (json_node_get_object (json_parser_get_root (result_parser)), "steps");
  g_assert_cmpuint (json_array_get_length (got), ==, json_array_get_length (want));
  for (guint s = 0; s < json_array_get_length (want); s++)
    {
      JsonObject *a = json_array_get_object_element (want, s);
      JsonObject *b = json_array_get_object_element (got, s);

      g_assert_cmpfloat_with_epsilon (json_object_get_double_member (a, "accuracy"),
                                      json_object_get_double_member (b, "accuracy"), 1e-12);
      g_assert_cmpfloat_with_epsilon (json_object_get_double_member (a, "accuracy_learned"),
                                      json_object_get_double_member (b, "accuracy_learned"), 1e-12);
    }

  remove_tree (images);
  g_remove (expected_path);
  g_remove (result_path);
}

static void
test_missing_source (void)
{
  g_autofree char *missing = g_build_filename (tmpdir, "nowhere", NULL);
  const char *argv[] = { g_getenv ("TZ_CLI"), "protocol", "--data", missing, NULL };
  const char *both[] = { g_getenv ("TZ_CLI"), "protocol", "--data", missing, "--features", missing, NULL };
  g_autofree char *out = NULL, *err = NULL;

  g_assert_cmpint (run (argv, &out, &err), ==, 1);
  g_assert_nonnull (strstr (err, "nowhere"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run (both, &out, &err), ==, 2);
  g_assert_nonnull (strstr (err, "either"));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("tsuzuki-cli-images-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/cli/protocol/image-folder", test_folder_protocol);
  g_test_add_func ("/cli/protocol/missing-source", test_missing_source);

  status = g_test_run ();
  remove_tree (tmpdir);
  g_free (tmpdir);
  return status;
}

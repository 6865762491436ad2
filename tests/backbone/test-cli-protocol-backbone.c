/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `tsuzuki-cli protocol --data` with EfficientNet trained from scratch on
 * the initial classes: the accuracy after each step equals what the
 * Gaussian core gives on the features that `extract` writes with the same
 * weights; the trained weights and the features are reused, not redone. */
#define G_LOG_DOMAIN "tsuzuki-test"

#include "config.h"

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
  g_auto(GStrv) env = g_get_environ ();
  g_autofree char *cache = g_build_filename (tmpdir, "cache", NULL);
  int status = 0;

  env = g_environ_setenv (env, "XDG_CACHE_HOME", cache, TRUE);
  g_spawn_sync (NULL, (char **) argv, env, G_SPAWN_DEFAULT, NULL, NULL, out, err, &status, &error);
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (status));
  if (WEXITSTATUS (status) != 0)
    g_printerr ("%s failed:\n%s\n", argv[1], *err);
  return WEXITSTATUS (status);
}

static JsonArray *
read_steps (JsonParser *parser,
            const char *path)
{
  g_autoptr(GError) error = NULL;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  return json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "steps");
}

static void
assert_same_steps (JsonArray *a,
                   JsonArray *b)
{
  g_assert_cmpuint (json_array_get_length (a), ==, json_array_get_length (b));
  for (guint s = 0; s < json_array_get_length (a); s++)
    {
      JsonObject *x = json_array_get_object_element (a, s);
      JsonObject *y = json_array_get_object_element (b, s);

      g_assert_cmpfloat_with_epsilon (json_object_get_double_member (x, "accuracy"),
                                      json_object_get_double_member (y, "accuracy"), 1e-12);
      g_assert_cmpfloat_with_epsilon (json_object_get_double_member (x, "accuracy_learned"),
                                      json_object_get_double_member (y, "accuracy_learned"), 1e-12);
    }
}

static char *
find_weights (void)
{
  g_autofree char *folder = g_build_filename (tmpdir, "cache", "tsuzuki", "weights", NULL);
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, "trained-b0-") && g_str_has_suffix (name, ".safetensors"))
      return g_build_filename (folder, name, NULL);
  return NULL;
}

static void
test_protocol_matches_extract (void)
{
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "fixtures", "image-protocol",
                                                   "make-expected.py", NULL);
  g_autofree char *images = g_build_filename (tmpdir, "images", NULL);
  g_autofree char *first = g_build_filename (tmpdir, "first.json", NULL);
  g_autofree char *second = g_build_filename (tmpdir, "second.json", NULL);
  g_autofree char *third = g_build_filename (tmpdir, "third.json", NULL);
  g_autofree char *features = g_build_filename (tmpdir, "features.npz", NULL);
  g_autofree char *weights = NULL;
  g_autoptr(JsonParser) p1 = json_parser_new ();
  g_autoptr(JsonParser) p2 = json_parser_new ();
  g_autoptr(JsonParser) p3 = json_parser_new ();
  const char *python = g_getenv ("TZ_PYTHON3");
  const char *cli = g_getenv ("TZ_CLI");
  g_autofree char *out = NULL, *err = NULL;

  if (python == NULL || !g_file_test (python, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("Debian's /usr/bin/python3 with numpy and PIL is needed");
      return;
    }
  {
    const char *argv[] = { python, script, tmpdir, NULL };

    g_assert_cmpint (run (argv, &out, &err), ==, 0);
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }

  /* First run: trains b0 on classes 0 and 1, then extracts everything. */
  {
    const char *argv[] = { cli, "protocol", "--data", images, "--initial", "0,1",
                           "--backbone", "b0", "--weights", "scratch", "--train-epochs", "1",
                           "--image-size", "32", "--threads", "1", "--json", first, NULL };

    g_assert_cmpint (run (argv, &out, &err), ==, 0);
    g_assert_nonnull (strstr (err, "Training b0 on 240 images"));
    g_assert_nonnull (strstr (err, "Features: 640 computed, 0 from the cache"));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }
  weights = find_weights ();
  g_assert_nonnull (weights);

  /* Second run: nothing is trained or extracted again; the same result. */
  {
    const char *argv[] = { cli, "protocol", "--data", images, "--initial", "0,1",
                           "--backbone", "b0", "--weights", "scratch", "--train-epochs", "1",
                           "--image-size", "32", "--threads", "1", "--json", second, NULL };

    g_assert_cmpint (run (argv, &out, &err), ==, 0);
    g_assert_nonnull (strstr (err, "Using the network trained before"));
    g_assert_nonnull (strstr (err, "Features: 0 computed, 640 from the cache"));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }
  assert_same_steps (read_steps (p1, first), read_steps (p2, second));

  /* The features `extract` writes with those weights give the same steps. */
  {
    const char *extract[] = { cli, "extract", "--data", images, "-o", features,
                              "--backbone", "b0", "--weights", weights, "--image-size", "32",
                              "--normalize", "none", "--threads", "1", "--quiet", NULL };
    const char *protocol[] = { cli, "protocol", "--features", features, "--initial", "0,1",
                               "--json", third, "--quiet", NULL };

    g_assert_cmpint (run (extract, &out, &err), ==, 0);
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (run (protocol, &out, &err), ==, 0);
  }
  assert_same_steps (read_steps (p1, first), read_steps (p3, third));
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

        if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
          remove_tree (child);
        else
          g_remove (child);
      }
  g_rmdir (path);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("tsuzuki-protocol-backbone-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/cli/protocol/backbone-matches-extract", test_protocol_matches_extract);

  status = g_test_run ();
  remove_tree (tmpdir);
  g_free (tmpdir);
  return status;
}

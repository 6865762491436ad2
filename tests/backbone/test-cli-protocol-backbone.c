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

/* The counts and phase times --json reports for a run from images. */
static void
assert_images (JsonParser *parser,
               guint       extracted,
               guint       from_cache)
{
  JsonObject *root = json_node_get_object (json_parser_get_root (parser));
  JsonObject *images = json_object_get_object_member (root, "images");
  JsonObject *timings = json_object_get_object_member (root, "timings");

  g_assert_nonnull (images);
  g_assert_nonnull (timings);
  g_assert_cmpint (json_object_get_int_member (images, "inputs"), ==, 640);
  g_assert_cmpint (json_object_get_int_member (images, "extracted"), ==, extracted);
  g_assert_cmpint (json_object_get_int_member (images, "decoded"), ==, extracted);
  g_assert_cmpint (json_object_get_int_member (images, "from_cache"), ==, from_cache);
  g_assert_cmpfloat (json_object_get_double_member (timings, "extraction_seconds"), >, 0.0);
  g_assert_cmpfloat (json_object_get_double_member (timings, "fitting_seconds"), >, 0.0);
  g_assert_cmpfloat (json_object_get_double_member (timings, "total_seconds"), >=,
                     json_object_get_double_member (timings, "reading_seconds")
                     + json_object_get_double_member (timings, "training_seconds")
                     + json_object_get_double_member (timings, "extraction_seconds")
                     + json_object_get_double_member (timings, "fitting_seconds"));
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
    /* Nothing of libtorch's own logging (deprecation warnings, one a
     * training step) reaches the user's terminal. */
    g_assert_null (strstr (err, "Warning:"));
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
  assert_images (p1, 640, 0);
  assert_images (p2, 0, 640);

  /* The features `extract` writes with those weights give the same steps. */
  {
    const char *extract[] = { cli, "extract", "--data", images, "-o", features,
                              "--backbone", "b0", "--weights", weights, "--image-size", "32",
                              "--normalize", "none", "--layers", "concat", "--threads", "1", "--quiet",
                              NULL };
    const char *protocol[] = { cli, "protocol", "--features", features, "--initial", "0,1",
                               "--json", third, "--quiet", NULL };

    g_assert_cmpint (run (extract, &out, &err), ==, 0);
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (run (protocol, &out, &err), ==, 0);
  }
  assert_same_steps (read_steps (p1, first), read_steps (p3, third));
}

/* A recipe the network cannot be trained with is refused, named. */
static void
test_bad_recipe_flags (void)
{
  const char *cli = g_getenv ("TZ_CLI");
  const char *cases[][3] = {
    { "--recipe", "bogus", "--recipe bogus: expected tsuzuki or post" },
    { "--label-smoothing", "1.5", "--label-smoothing 1.5: expected a number in [0, 1)" },
    { "--augment", "crop,zoom", "--augment crop,zoom: expected crop,flip, crop, flip or none" },
    { "--lr-schedule", "step", "--lr-schedule step: expected constant or cosine" },
    { "--rotation-task", "yes", "--rotation-task yes: expected on or off" },
    { "--weight-decay", "-1", "--weight-decay -1: expected a number of 0 or more" },
    { "--warmup", "1", "--warmup 1: expected a number in [0, 1)" },
  };
  g_autofree char *images = g_build_filename (tmpdir, "images", NULL);

  if (!g_file_test (images, G_FILE_TEST_IS_DIR))
    {
      g_test_skip ("needs the images of /cli/protocol/backbone-matches-extract");
      return;
    }
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const char *argv[] = { cli, "protocol", "--data", images, "--initial", "0,1",
                             "--weights", "scratch", "--train-epochs", "1", "--image-size", "32",
                             "--threads", "1", "--quiet", cases[i][0], cases[i][1], NULL };
      g_autofree char *out = NULL, *err = NULL;

      g_assert_cmpint (run (argv, &out, &err), ==, 1);
      g_assert_nonnull (strstr (err, cases[i][2]));
    }
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
  g_test_add_func ("/cli/protocol/bad-recipe-flags", test_bad_recipe_flags);

  status = g_test_run ();
  remove_tree (tmpdir);
  g_free (tmpdir);
  return status;
}

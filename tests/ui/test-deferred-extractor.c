/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The application does not link libtorch: its EfficientNet extractor
 * (TzDeferredExtractor) knows its dimension and recipe without it and
 * loads the backbone module, libtorch with it, only when prepared (in the
 * engine's worker). Checked on the process's own memory map; a module
 * that cannot be loaded is an error naming it. */
#define G_LOG_DOMAIN "tsuzuki-test"

#include "config.h"

#include <math.h>
#include <string.h>

#include "tz-deferred-extractor.h"
#include "tz-error.h"

static gboolean
libtorch_is_loaded (void)
{
  g_autofree char *maps = NULL;

  g_assert_true (g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL));
  return strstr (maps, "libtorch_cpu") != NULL;
}

static TzExtractor *
new_extractor (void)
{
  TzBackboneExtractorOptions options = { 0 };
  g_autoptr(GError) error = NULL;
  TzExtractor *extractor;

  options.variant = TZ_BACKBONE_B0;
  options.seed = 3;
  options.device = TZ_BACKBONE_DEVICE_CPU;
  options.n_threads = 1;
  tz_backbone_extract_options_init (&options.extract);
  options.extract.layers = TZ_BACKBONE_LAYERS_SPATIAL;
  options.extract.image_size = 32;
  options.extract.normalize = FALSE;
  extractor = tz_deferred_extractor_new (&options, &error);
  g_assert_no_error (error);
  return extractor;
}

typedef struct
{
  TzExtractor *extractor;
  float       *features;
  gboolean     loaded_before;
} WorkerData;

static gpointer
worker (gpointer user_data)
{
  WorkerData *data = user_data;
  g_autoptr(GError) error = NULL;
  TzImage *images[2];

  data->loaded_before = libtorch_is_loaded ();
  g_assert_true (tz_extractor_prepare (data->extractor, NULL, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < 2; i++)
    {
      images[i] = tz_image_new (28, 28, 1, &error);
      g_assert_no_error (error);
      for (guint p = 0; p < 28 * 28; p++)
        images[i]->pixels[p] = (guint8) ((p * (i + 3)) % 251);
    }
  g_assert_true (tz_extractor_extract (data->extractor, (const TzImage *const *) images, 2,
                                       data->features, NULL, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < 2; i++)
    tz_image_free (images[i]);
  return NULL;
}

static void
test_loads_when_prepared (void)
{
  g_autoptr(TzExtractor) extractor = new_extractor ();
  guint dim = tz_extractor_get_dim (extractor);
  g_autofree float *features = NULL;
  WorkerData data = { extractor, NULL, FALSE };

  /* b0's stages 0-3 (32, 16, 24, 40 channels) over the grid, 4-7 (80,
   * 112, 192, 320) whole. */
  g_assert_cmpuint (dim, ==, 4 * (32 + 16 + 24 + 40) + 80 + 112 + 192 + 320);
  g_assert_cmpstr (tz_extractor_get_recipe (extractor), ==,
                   "efficientnet_b0 weights=scratch-3 layers=spatial size=32 normalize=none precision=fp32");
  g_assert_true (tz_extractor_can_train (extractor));
  g_assert_false (libtorch_is_loaded ());

  data.features = features = g_new0 (float, 2 * dim);
  g_thread_join (g_thread_new ("worker", worker, &data));
  g_assert_false (data.loaded_before);
  g_assert_true (libtorch_is_loaded ());
  for (guint k = 0; k < 2 * dim; k++)
    g_assert_true (isfinite (features[k]));
  /* Two different images, two different vectors. */
  g_assert_true (memcmp (features, features + dim, dim * sizeof (float)) != 0);
}

static void
test_missing_module (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(TzExtractor) extractor = NULL;
      g_autoptr(GError) error = NULL;

      g_setenv ("TZ_BACKBONE_MODULE", "/nonexistent/libtsuzuki-backbone.so", TRUE);
      extractor = new_extractor ();
      g_assert_false (tz_extractor_prepare (extractor, NULL, &error));
      g_assert_error (error, TZ_ERROR, TZ_ERROR_UNSUPPORTED);
      g_assert_nonnull (strstr (error->message, "/nonexistent/libtsuzuki-backbone.so"));
      g_clear_error (&error);
      /* Said again, not tried again. */
      g_assert_false (tz_extractor_prepare (extractor, NULL, &error));
      g_assert_error (error, TZ_ERROR, TZ_ERROR_UNSUPPORTED);
      g_assert_false (libtorch_is_loaded ());
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ui/deferred-extractor/missing-module", test_missing_module);
  g_test_add_func ("/ui/deferred-extractor/loads-when-prepared", test_loads_when_prepared);
  return g_test_run ();
}

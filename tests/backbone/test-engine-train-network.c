/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The post's first step through the engine, with the real b0: a network
 * trained from scratch on the classes learned so far (with pixel
 * features), its weights saved, and the engine switched to its features;
 * and a cancelled training that leaves everything as it was. */
#define G_LOG_DOMAIN "tsuzuki-test"

#include "config.h"

#include <math.h>
#include <string.h>

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>

#include "tz-backbone-extractor.h"
#include "tz-engine.h"
#include "tz-error.h"

#include "backbone-test-util.h"

#define SIZE 32
#define N_CLASSES 3
#define N_TRAIN 8
#define N_EVAL 4

static char *tmpdir;
static GArray *images;   /* TzLearnImage, paths owned by @paths */
static GPtrArray *paths;

static const char *const class_names[N_CLASSES] = { "bars", "columns", "disc" };

/* Shape @c (horizontal bars, vertical bars, a disc) in a random tint on a
 * noisy background. */
static char *
write_image (guint c,
             guint i)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, SIZE, SIZE);
  g_autoptr(GRand) rand = g_rand_new_with_seed (100 * c + i);
  g_autoptr(GError) error = NULL;
  guint8 *pixels = gdk_pixbuf_get_pixels (pixbuf);
  int stride = gdk_pixbuf_get_rowstride (pixbuf);
  char *path = g_strdup_printf ("%s/%s-%02u.png", tmpdir, class_names[c], i);
  guint offset = g_rand_int_range (rand, 0, 8);
  double tint[3];

  for (guint k = 0; k < 3; k++)
    tint[k] = g_rand_double_range (rand, 0.5, 1.0);
  for (guint y = 0; y < SIZE; y++)
    for (guint x = 0; x < SIZE; x++)
      {
        double dx = x - 15.5, dy = y - 15.5;
        gboolean on = c == 0 ? ((y + offset) / 4) % 2
                    : c == 1 ? ((x + offset) / 4) % 2
                    : dx * dx + dy * dy < (8.0 + offset) * (8.0 + offset);

        for (guint k = 0; k < 3; k++)
          {
            double v = (on ? 220 * tint[k] : 40) + g_rand_double_range (rand, -20, 20);

            pixels[y * stride + x * 3 + k] = (guint8) CLAMP (v, 0, 255);
          }
      }
  gdk_pixbuf_save (pixbuf, path, "png", &error, NULL);
  g_assert_no_error (error);
  return path;
}

static void
store_result (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

/* An engine on 8-pixel grey features that learned every class. */
static TzEngine *
new_engine (TzSnapshot **snapshot)
{
  g_autoptr(TzExtractor) pixels = tz_pixel_extractor_new (8, TRUE);
  TzEngine *engine = tz_engine_new (pixels, NULL, 2);
  g_autoptr(GError) error = NULL;
  GAsyncResult *result = NULL;

  tz_engine_learn_async (engine, (const TzLearnImage *) images->data, images->len, "pixels",
                         NULL, store_result, &result);
  *snapshot = tz_engine_learn_finish (engine, wait_for (&result), &error);
  g_object_unref (result);
  g_assert_no_error (error);
  g_assert_cmpuint ((*snapshot)->evaluation->n_learned, ==, N_CLASSES);
  return engine;
}

/* A randomly initialised b0 reading 32-pixel images without ImageNet
 * normalisation, on one CPU thread (a shared machine). */
static TzExtractor *
new_template (void)
{
  TzBackboneExtractorOptions options = { 0 };
  g_autoptr(GError) error = NULL;
  TzExtractor *extractor;

  options.variant = TZ_BACKBONE_B0;
  options.weights = NULL;
  options.seed = 3;
  options.device = TZ_BACKBONE_DEVICE_CPU;
  options.n_threads = 1;
  tz_backbone_extract_options_init (&options.extract);
  options.extract.image_size = SIZE;
  options.extract.normalize = FALSE;
  options.extract.batch_size = 16;
  extractor = tz_backbone_extractor_new (&options, &error);
  g_assert_no_error (error);
  return extractor;
}

typedef struct
{
  GCancellable *cancellable;
  guint         max_n_done;
  guint         n_total;
} Watch;

static void
on_n_done (TzEngine   *engine,
           GParamSpec *pspec,
           Watch      *watch)
{
  guint n_done = tz_engine_get_n_done (engine);
  const char *message = tz_engine_get_message (engine);

  if (message == NULL || !g_str_has_prefix (message, "Training the network"))
    return;
  watch->max_n_done = MAX (watch->max_n_done, n_done);
  watch->n_total = tz_engine_get_n_total (engine);
  if (watch->cancellable != NULL && n_done > 0)
    g_cancellable_cancel (watch->cancellable);
}

static TzSnapshot *
train_network (TzEngine                      *engine,
               TzExtractor                   *network,
               const TzExtractorTrainOptions *options,
               GCancellable                  *cancellable,
               Watch                         *watch,
               GError                       **error)
{
  gulong handler = g_signal_connect (engine, "notify::n-done", G_CALLBACK (on_n_done), watch);
  GAsyncResult *result = NULL;
  TzSnapshot *snapshot;

  tz_engine_train_network_async (engine, network, options, "trained", cancellable,
                                 store_result, &result);
  snapshot = tz_engine_train_network_finish (engine, wait_for (&result), error);
  g_object_unref (result);
  while (tz_engine_get_busy (engine) || g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);
  g_signal_handler_disconnect (engine, handler);
  return snapshot;
}

static void
test_train (void)
{
  g_autoptr(TzSnapshot) before = NULL;
  g_autoptr(TzEngine) engine = new_engine (&before);
  g_autoptr(TzExtractor) template = new_template ();
  g_autofree char *weights = g_build_filename (tmpdir, "trained.safetensors", NULL);
  TzExtractorTrainOptions options = { 1, 8, 0.0, 5, weights };
  g_autoptr(TzSnapshot) trained = NULL;
  g_autoptr(TzExtractor) current = NULL;
  g_autoptr(TzFeatureCache) cache = NULL;
  g_autoptr(GError) error = NULL;
  Watch watch = { 0 };
  guint dim = tz_backbone_variant_get_feature_dim (TZ_BACKBONE_B0, TZ_BACKBONE_LAYERS_PENULTIMATE);

  trained = train_network (engine, template, &options, NULL, &watch, &error);
  g_assert_no_error (error);

  /* Progress counted images over the epoch. */
  g_assert_cmpuint (watch.n_total, ==, N_CLASSES * N_TRAIN);
  g_assert_cmpuint (watch.max_n_done, <=, watch.n_total);

  /* The weights are a head-less b0's, loadable as such. */
  g_assert_true (g_file_test (weights, G_FILE_TEST_IS_REGULAR));
  {
    g_autoptr(TzBackbone) reloaded = tz_backbone_new (TZ_BACKBONE_B0, 0, &error);

    g_assert_no_error (error);
    g_assert_true (tz_backbone_load_weights (reloaded, weights, &error));
    g_assert_no_error (error);
  }

  /* The engine computes the trained network's features now, under a recipe
   * naming the weights' digest, in a new cache. */
  current = tz_engine_dup_extractor (engine);
  cache = tz_engine_dup_cache (engine);
  g_assert_true (TZ_IS_BACKBONE_EXTRACTOR (current));
  g_assert_cmpstr (tz_extractor_get_recipe (current), !=, tz_extractor_get_recipe (template));
  {
    g_autofree char *contents = NULL;
    g_autofree char *digest = NULL;
    gsize length;

    g_file_get_contents (weights, &contents, &length, &error);
    g_assert_no_error (error);
    digest = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) contents, length);
    g_assert_nonnull (strstr (tz_extractor_get_recipe (current), digest));
  }
  g_assert_cmpstr (tz_feature_cache_get_recipe (cache), ==, tz_extractor_get_recipe (current));
  g_assert_cmpuint (tz_feature_cache_get_dim (cache), ==, dim);
  g_assert_cmpuint (tz_feature_cache_get_n_entries (cache), ==, images->len);

  /* Its features are those of the saved weights, computed independently. */
  {
    const TzLearnImage *first = &g_array_index (images, TzLearnImage, 0);
    g_autoptr(TzBackbone) reloaded = tz_backbone_new (TZ_BACKBONE_B0, 0, &error);
    g_autoptr(TzImage) image = tz_image_load (first->path, &error);
    g_autofree float *expected = g_new (float, dim);
    g_autofree float *cached = g_new (float, dim);
    g_autofree char *contents = NULL;
    guint8 key[TZ_FEATURE_CACHE_KEY_SIZE];
    TzBackboneExtractOptions extract;
    gsize length;

    g_assert_no_error (error);
    g_assert_true (tz_backbone_load_weights (reloaded, weights, &error));
    tz_backbone_set_n_threads (reloaded, 1);
    tz_backbone_extract_options_init (&extract);
    extract.image_size = SIZE;
    extract.normalize = FALSE;
    g_assert_true (tz_backbone_extract (reloaded, (const TzImage *const *) &image, 1, &extract,
                                        expected, NULL, &error));
    g_assert_no_error (error);
    g_file_get_contents (first->path, &contents, &length, &error);
    tz_feature_cache_key_for_data (contents, length, key);
    g_assert_true (tz_feature_cache_lookup (cache, key, cached));
    for (guint j = 0; j < dim; j++)
      g_assert_cmpfloat_with_epsilon (cached[j], expected[j], 1e-4 * (1 + fabsf (expected[j])));
  }

  /* The snapshot is scored on the new features, with a history point. */
  g_assert_nonnull (trained->classifier);
  g_assert_cmpuint (tz_gaussian_classifier_get_dim (trained->classifier), ==, dim);
  g_assert_nonnull (trained->evaluation);
  g_assert_cmpuint (trained->evaluation->n_learned, ==, N_CLASSES);
  g_assert_cmpuint (trained->n_images, ==, N_CLASSES * N_EVAL);
  g_assert_cmpuint (trained->n_steps, ==, 2);
  g_assert_cmpstr (trained->steps[1].label, ==, "trained");
  g_test_message ("accuracy: pixels %.3f, trained b0 (1 epoch) %.3f",
                  before->evaluation->accuracy, trained->evaluation->accuracy);

  g_remove (weights);
}

static void
test_cancel (void)
{
  g_autoptr(TzSnapshot) before = NULL;
  g_autoptr(TzEngine) engine = new_engine (&before);
  g_autoptr(TzExtractor) template = new_template ();
  g_autoptr(TzExtractor) original = tz_engine_dup_extractor (engine);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *weights = g_build_filename (tmpdir, "cancelled.safetensors", NULL);
  /* Three epochs of three steps: far more than the cancellation needs. */
  TzExtractorTrainOptions options = { 3, 8, 0.0, 5, weights };
  g_autoptr(GError) error = NULL;
  Watch watch = { cancellable, 0, 0 };

  g_assert_null (train_network (engine, template, &options, cancellable, &watch, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (watch.max_n_done, >, 0);
  g_assert_cmpuint (watch.max_n_done, <, watch.n_total);
  g_assert_false (g_file_test (weights, G_FILE_TEST_EXISTS));
  {
    g_autoptr(TzSnapshot) latest = tz_engine_get_snapshot (engine);
    g_autoptr(TzExtractor) current = tz_engine_dup_extractor (engine);

    g_assert_true (latest == before);
    g_assert_true (current == original);
  }
}

/* The network's allocator keeps blocks from batch to batch within a job;
 * once the engine has no job waiting they go back to the system. */
static void
test_release_memory (void)
{
  g_autoptr(TzExtractor) network = new_template ();
  g_autoptr(TzEngine) engine = tz_engine_new (network, NULL, 2);
  g_autoptr(TzExtraction) extraction = NULL;
  g_autoptr(GError) error = NULL;
  GAsyncResult *result = NULL;
  TzBackboneMemoryStats before, after;
  gint64 deadline;

  tz_backbone_get_memory_stats (&before);
  tz_engine_extract_files_async (engine, (const char *const *) paths->pdata, paths->len, NULL,
                                 store_result, &result);
  extraction = tz_engine_extract_files_finish (engine, wait_for (&result), &error);
  g_object_unref (result);
  g_assert_no_error (error);
  g_assert_cmpuint (extraction->n_extracted, ==, paths->len);

  /* The worker gives the memory back after it has returned the result. */
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  do
    {
      g_usleep (10000);
      tz_backbone_get_memory_stats (&after);
    }
  while (after.cached_bytes > 0 && g_get_monotonic_time () < deadline);
  g_test_message ("%" G_GUINT64_FORMAT " large blocks reused over %u batches",
                  after.n_reused - before.n_reused, (paths->len + 15) / 16);
  g_assert_cmpuint (after.n_reused, >, before.n_reused);
  g_assert_cmpuint (after.cached_bytes, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("tsuzuki-train-engine-XXXXXX", &error);
  g_assert_no_error (error);

  images = g_array_new (FALSE, FALSE, sizeof (TzLearnImage));
  paths = g_ptr_array_new_with_free_func (g_free);
  for (guint c = 0; c < N_CLASSES; c++)
    for (guint i = 0; i < N_TRAIN + N_EVAL; i++)
      {
        TzLearnImage image = { write_image (c, i), class_names[c],
                               i < N_TRAIN ? TZ_SPLIT_TRAIN : TZ_SPLIT_EVAL };

        g_ptr_array_add (paths, (gpointer) image.path);
        g_array_append_val (images, image);
      }

  g_test_add_func ("/backbone/engine/train-network", test_train);
  g_test_add_func ("/backbone/engine/train-network-cancel", test_cancel);
  g_test_add_func ("/backbone/engine/release-memory", test_release_memory);

  status = g_test_run ();
  test_rm_rf (tmpdir);
  g_array_unref (images);
  g_ptr_array_unref (paths);
  g_free (tmpdir);
  return status;
}

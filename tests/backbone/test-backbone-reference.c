/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-test"

#include "config.h"

#include <math.h>
#include <string.h>

#include "tz-backbone.h"
#include "tz-backbone-private.h"
#include "tz-error.h"

#include "backbone-test-util.h"

/* torchvision computes the reference features (make-reference.py) in
 * float64 from the very checkpoint loaded here; every endpoint of every
 * image must agree to 1e-4 of that endpoint's largest magnitude. */

static char *workdir;

typedef struct
{
  const char *name;
  guint       n_images;
  guint       shapes[3][3];   /* width, height, channels */
  guint       size;
  gboolean    normalize;
} Case;

static const Case cases[] = {
  { "rgb", 4, { { 40, 40, 3 }, { 40, 40, 3 }, { 40, 40, 3 } }, 64, TRUE },
  { "grey", 3, { { 28, 28, 1 }, { 28, 28, 1 }, { 28, 28, 1 } }, 64, FALSE },
  { "wide", 2, { { 50, 30, 3 }, { 50, 30, 3 } }, 64, TRUE },
  { "mixed", 3, { { 28, 28, 1 }, { 50, 30, 3 }, { 64, 64, 3 } }, 64, FALSE },
  { "native", 2, { { 64, 64, 3 }, { 64, 64, 3 } }, 64, FALSE },
  { "small", 3, { { 28, 28, 1 }, { 28, 28, 1 }, { 28, 28, 1 } }, 32, FALSE },
};

static void
compare_endpoints (TzBackboneVariant  variant,
                   const char        *case_name,
                   const float       *got,
                   const float       *want,
                   guint              n_images,
                   TzBackboneLayers   layers)
{
  guint dim = tz_backbone_variant_get_feature_dim (variant, layers);
  double worst = 0.0;

  for (guint i = 0; i < n_images; i++)
    {
      guint col = 0;

      /* Each stage's global pool, then its grid, where @layers has them. */
      for (guint b = 0; b < 2 * TZ_BACKBONE_N_STAGES; b++)
        {
          guint s = b / 2;
          gboolean grid = b % 2 == 1;
          guint width = tz_backbone_variant_get_stage_channels (variant, s) * (grid ? 4 : 1);
          double scale = 0.0;
          double diff = 0.0;

          if (!(layers & (grid ? TZ_BACKBONE_LAYERS_GRID (s) : 1u << s)))
            continue;
          for (guint k = 0; k < width; k++)
            {
              scale = MAX (scale, fabs (want[i * dim + col + k]));
              diff = MAX (diff, fabs ((double) got[i * dim + col + k] - want[i * dim + col + k]));
            }
          /* Non-degenerate weights: no endpoint may be near zero. */
          g_assert_cmpfloat (scale, >, 1e-2);
          if (diff > 1e-4 * scale)
            g_error ("%s %s image %u features[%u]: max |diff| %g > 1e-4 x %g",
                     tz_backbone_variant_to_string (variant), case_name, i, s, diff, scale);
          worst = MAX (worst, diff / scale);
          col += width;
        }
      g_assert_cmpuint (col, ==, dim);
    }
  g_test_message ("%s %s: worst relative difference %.2g",
                  tz_backbone_variant_to_string (variant), case_name, worst);
}

static void
check_cases (TzBackbone *backbone)
{
  TzBackboneVariant variant = tz_backbone_get_variant (backbone);
  const char *vname = tz_backbone_variant_to_string (variant);

  /* One thread: the numbers do not depend on it, and on a machine shared
   * with a build, OpenMP's spinning threads can take seconds per batch. */
  tz_backbone_set_n_threads (backbone, 1);

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      const Case *tc = &cases[c];
      guint all_dim = tz_backbone_get_feature_dim (backbone, TZ_BACKBONE_LAYERS_ALL);
      g_autofree char *file = g_strdup_printf ("%s-%s.f32", vname, tc->name);
      g_autofree char *path = g_build_filename (workdir, file, NULL);
      g_autofree float *want = test_read_floats (path, (gsize) tc->n_images * all_dim);
      g_autofree float *got = g_new0 (float, (gsize) tc->n_images * all_dim);
      TzImage *images[4] = { NULL };
      TzBackboneExtractOptions options;
      g_autoptr(GError) error = NULL;

      for (guint i = 0; i < tc->n_images; i++)
        {
          const guint *shape = tc->shapes[MIN (i, 2)];

          images[i] = test_make_image (i, shape[0], shape[1], shape[2]);
        }

      tz_backbone_extract_options_init (&options);
      options.layers = TZ_BACKBONE_LAYERS_ALL;
      options.image_size = tc->size;
      options.normalize = tc->normalize;
      /* Batches of 2: a case of 3 or 4 images crosses a batch boundary. */
      options.batch_size = 2;
      g_assert_true (tz_backbone_extract (backbone, (const TzImage *const *) images,
                                          tc->n_images, &options, got, NULL, &error));
      g_assert_no_error (error);
      compare_endpoints (variant, tc->name, got, want, tc->n_images, TZ_BACKBONE_LAYERS_ALL);

      /* The named subsets are slices of the same computation. */
      {
        TzBackboneLayers subsets[] = { TZ_BACKBONE_LAYERS_PENULTIMATE, TZ_BACKBONE_LAYERS_CONCAT };

        for (guint k = 0; k < G_N_ELEMENTS (subsets); k++)
          {
            guint dim = tz_backbone_get_feature_dim (backbone, subsets[k]);
            g_autofree float *sub = g_new0 (float, (gsize) tc->n_images * dim);
            g_autofree float *want_sub = g_new0 (float, (gsize) tc->n_images * dim);

            for (guint i = 0; i < tc->n_images; i++)
              {
                guint col = 0;
                guint src = 0;

                for (guint s = 0; s < TZ_BACKBONE_N_STAGES; s++)
                  {
                    guint width = tz_backbone_variant_get_stage_channels (variant, s);

                    if (subsets[k] & (1u << s))
                      {
                        memcpy (want_sub + i * dim + col, want + i * all_dim + src, width * sizeof (float));
                        col += width;
                      }
                    src += width;
                  }
              }
            options.layers = subsets[k];
            g_assert_true (tz_backbone_extract (backbone, (const TzImage *const *) images,
                                                tc->n_images, &options, sub, NULL, &error));
            g_assert_no_error (error);
            compare_endpoints (variant, tc->name, sub, want_sub, tc->n_images, subsets[k]);
          }
      }

      /* Over the 2 x 2 grid: every stage, then the spatial set (stages 0-3
       * over the grid, 4-7 global), assembled from both references. */
      {
        g_autofree char *grid_file = g_strdup_printf ("%s-%s-grid.f32", vname, tc->name);
        g_autofree char *grid_path = g_build_filename (workdir, grid_file, NULL);
        guint grid_dim = tz_backbone_get_feature_dim (backbone, TZ_BACKBONE_LAYERS_ALL_GRID);
        guint spatial_dim = tz_backbone_get_feature_dim (backbone, TZ_BACKBONE_LAYERS_SPATIAL);
        g_autofree float *want_grid = test_read_floats (grid_path, (gsize) tc->n_images * grid_dim);
        g_autofree float *got_grid = g_new0 (float, (gsize) tc->n_images * grid_dim);
        g_autofree float *want_spatial = g_new0 (float, (gsize) tc->n_images * spatial_dim);
        g_autofree float *got_spatial = g_new0 (float, (gsize) tc->n_images * spatial_dim);

        g_assert_cmpuint (grid_dim, ==, 4 * all_dim);
        options.layers = TZ_BACKBONE_LAYERS_ALL_GRID;
        g_assert_true (tz_backbone_extract (backbone, (const TzImage *const *) images,
                                            tc->n_images, &options, got_grid, NULL, &error));
        g_assert_no_error (error);
        compare_endpoints (variant, tc->name, got_grid, want_grid, tc->n_images, TZ_BACKBONE_LAYERS_ALL_GRID);

        for (guint i = 0; i < tc->n_images; i++)
          {
            guint col = 0, src = 0;

            for (guint s = 0; s < TZ_BACKBONE_N_STAGES; s++)
              {
                guint width = tz_backbone_variant_get_stage_channels (variant, s);

                if (TZ_BACKBONE_LAYERS_SPATIAL & (1u << s))
                  {
                    memcpy (want_spatial + i * spatial_dim + col, want + i * all_dim + src, width * sizeof (float));
                    col += width;
                  }
                if (TZ_BACKBONE_LAYERS_SPATIAL & TZ_BACKBONE_LAYERS_GRID (s))
                  {
                    memcpy (want_spatial + i * spatial_dim + col, want_grid + i * grid_dim + 4 * src,
                            4 * width * sizeof (float));
                    col += 4 * width;
                  }
                src += width;
              }
            g_assert_cmpuint (col, ==, spatial_dim);
          }
        options.layers = TZ_BACKBONE_LAYERS_SPATIAL;
        g_assert_true (tz_backbone_extract (backbone, (const TzImage *const *) images,
                                            tc->n_images, &options, got_spatial, NULL, &error));
        g_assert_no_error (error);
        compare_endpoints (variant, tc->name, got_spatial, want_spatial, tc->n_images,
                           TZ_BACKBONE_LAYERS_SPATIAL);
      }

      for (guint i = 0; i < tc->n_images; i++)
        tz_image_free (images[i]);
    }
}

static int
compare_strings (const void *a,
                 const void *b)
{
  return strcmp (*(char **) a, *(char **) b);
}

static void
test_structure (void)
{
  g_autofree char *path = g_build_filename (workdir, "structure.txt", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) blocks = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  blocks = g_strsplit (contents, "## ", -1);

  for (guint v = 0; v < TZ_BACKBONE_N_VARIANTS; v++)
    {
      const char *block = blocks[v + 1];
      const char *body = strchr (block, '\n') + 1;
      g_autoptr(TzBackbone) backbone = tz_backbone_new (v, 1000, &error);
      g_autofree char *ours = NULL;
      g_auto(GStrv) want = NULL;
      g_auto(GStrv) got = NULL;
      guint n;

      g_assert_no_error (error);
      g_assert_true (g_str_has_prefix (block, tz_backbone_variant_to_string (v)));
      ours = tz_backbone_describe_state (backbone);
      want = g_strsplit (body, "\n", -1);
      got = g_strsplit (ours, "\n", -1);
      n = g_strv_length (want);
      g_assert_cmpuint (g_strv_length (got), ==, n);
      /* The stochastic-depth lines come in a different place in the
       * module walk; everything else is in the same order. */
      qsort (want, n, sizeof (char *), compare_strings);
      qsort (got, n, sizeof (char *), compare_strings);
      for (guint i = 0; i < n; i++)
        g_assert_cmpstr (got[i], ==, want[i]);
      g_test_message ("b%u: %u lines of structure agree", v, n);
    }
}

static void
test_b0_checkpoint (void)
{
  g_autofree char *path = g_build_filename (workdir, "b0.pt", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(TzBackbone) backbone = tz_backbone_new (TZ_BACKBONE_B0, 10, &error);

  g_assert_no_error (error);
  g_assert_true (tz_backbone_load_weights (backbone, path, &error));
  g_assert_no_error (error);
  check_cases (backbone);
}

static void
test_b2_checkpoint_without_head (void)
{
  g_autofree char *path = g_build_filename (workdir, "b2.pt", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(TzBackbone) backbone = tz_backbone_new (TZ_BACKBONE_B2, 0, &error);

  g_assert_no_error (error);
  g_assert_true (tz_backbone_load_weights (backbone, path, &error));
  g_assert_no_error (error);
  check_cases (backbone);
}

static void
test_b0_safetensors (void)
{
  g_autofree char *path = g_build_filename (workdir, "b0.safetensors", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(TzBackbone) backbone = tz_backbone_new (TZ_BACKBONE_B0, 10, &error);

  g_assert_no_error (error);
  g_assert_true (tz_backbone_load_weights (backbone, path, &error));
  g_assert_no_error (error);
  check_cases (backbone);
}

/* Features of @n test images at 32 px (the last stages on a 1 x 1 map). */
static float *
extract_small (TzBackbone *backbone,
               guint       n)
{
  guint dim = tz_backbone_get_feature_dim (backbone, TZ_BACKBONE_LAYERS_ALL);
  float *features = g_new0 (float, (gsize) n * dim);
  g_autoptr(GPtrArray) images = g_ptr_array_new_with_free_func ((GDestroyNotify) tz_image_free);
  TzBackboneExtractOptions options;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (images, test_make_image (i, 28, 28, 1));
  tz_backbone_extract_options_init (&options);
  options.layers = TZ_BACKBONE_LAYERS_ALL;
  options.image_size = 32;
  g_assert_true (tz_backbone_extract (backbone, (const TzImage *const *) images->pdata, n,
                                      &options, features, NULL, &error));
  g_assert_no_error (error);
  return features;
}

/* Extraction folds the batch norms into the convolutions: weights that
 * change afterwards (loaded, drawn again) must be what the next
 * extraction computes with, not the folded copies of the old ones. */
static void
test_weights_change_after_extraction (void)
{
  g_autofree char *path = g_build_filename (workdir, "b0.safetensors", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(TzBackbone) backbone = tz_backbone_new (TZ_BACKBONE_B0, 10, &error);
  g_autoptr(TzBackbone) fresh = tz_backbone_new (TZ_BACKBONE_B0, 10, &error);
  guint dim = tz_backbone_get_feature_dim (backbone, TZ_BACKBONE_LAYERS_ALL);
  g_autofree float *before = NULL;
  g_autofree float *redrawn = NULL;
  g_autofree float *want = NULL;

  g_assert_no_error (error);
  before = extract_small (backbone, 3);
  g_assert_true (tz_backbone_load_weights (backbone, path, &error));
  g_assert_no_error (error);
  check_cases (backbone);

  tz_backbone_init_random (backbone, 7);
  tz_backbone_init_random (fresh, 7);
  redrawn = extract_small (backbone, 3);
  want = extract_small (fresh, 3);
  /* The same weights, so the same features up to the order of float
   * sums (not bit for bit: oneDNN may block a reduction differently). */
  {
    double scale = 0.0, diff = 0.0;

    for (guint i = 0; i < 3 * dim; i++)
      {
        scale = MAX (scale, fabs (want[i]));
        diff = MAX (diff, fabs ((double) redrawn[i] - want[i]));
      }
    g_assert_cmpfloat (scale, >, 1e-2);
    g_assert_cmpfloat (diff, <=, 1e-6 * scale);
  }
  g_assert_true (memcmp (redrawn, before, sizeof (float) * 3 * dim) != 0);
}

/* libtorch's CPU allocator: the second of two identical batches finds
 * every large block it needs among those the first one freed, and
 * tz_backbone_release_memory() gives them all back. */
static void
test_memory_reuse (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TzBackbone) backbone = tz_backbone_new (TZ_BACKBONE_B0, 0, &error);
  TzBackboneMemoryStats first, second, released;
  g_autofree float *a = NULL;
  g_autofree float *b = NULL;
  gsize held;

  g_assert_no_error (error);
  g_free (extract_small (backbone, 16));
  tz_backbone_get_memory_stats (&first);
  a = extract_small (backbone, 16);
  tz_backbone_get_memory_stats (&second);
  g_test_message ("second batch: %" G_GUINT64_FORMAT " large blocks reused, %" G_GUINT64_FORMAT
                  " new; %" G_GSIZE_FORMAT " bytes held",
                  second.n_reused - first.n_reused, second.n_fresh - first.n_fresh,
                  second.cached_bytes);
  g_assert_cmpuint (second.n_fresh, ==, first.n_fresh);
  g_assert_cmpuint (second.n_reused - first.n_reused, >=, 20);
  g_assert_cmpuint (second.cached_bytes, >, 0);

  held = second.cached_bytes;
  g_assert_cmpuint (tz_backbone_release_memory (), ==, held);
  tz_backbone_get_memory_stats (&released);
  g_assert_cmpuint (released.cached_bytes, ==, 0);

  /* Blocks that come back from the cache hold stale data: the features
   * must not depend on it. */
  b = extract_small (backbone, 16);
  g_assert_cmpmem (a, sizeof (float) * 16 * tz_backbone_get_feature_dim (backbone, TZ_BACKBONE_LAYERS_ALL),
                   b, sizeof (float) * 16 * tz_backbone_get_feature_dim (backbone, TZ_BACKBONE_LAYERS_ALL));
}

static void
test_head_width_mismatch (void)
{
  g_autofree char *path = g_build_filename (workdir, "b0.pt", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(TzBackbone) backbone = tz_backbone_new (TZ_BACKBONE_B0, 5, &error);

  g_assert_no_error (error);
  g_assert_false (tz_backbone_load_weights (backbone, path, &error));
  g_assert_error (error, TZ_ERROR, TZ_ERROR_DIMENSION_MISMATCH);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, "classifier.1.weight"));
  g_assert_nonnull (strstr (error->message, "[10, 1280] in the file, [5, 1280] in the network"));
}

static void
test_wrong_variant (void)
{
  g_autofree char *path = g_build_filename (workdir, "b2.pt", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(TzBackbone) backbone = tz_backbone_new (TZ_BACKBONE_B1, 0, &error);

  g_assert_no_error (error);
  g_assert_false (tz_backbone_load_weights (backbone, path, &error));
  g_assert_error (error, TZ_ERROR, TZ_ERROR_DIMENSION_MISMATCH);
  g_test_message ("%s", error->message);
  /* b1 and b2 have the same depth; b2 is wider from stage 3 on. */
  g_assert_null (strstr (error->message, "missing"));
  g_assert_null (strstr (error->message, "unexpected"));
  g_assert_nonnull (strstr (error->message, "wrong shape: features.3.0.block.3.0.weight ([48, 144, 1, 1] in the file, [40, 144, 1, 1] in the network)"));
}

/* Layer sets by name and by list; dimensions from b0's channels (stem
 * 32, stages 16 24 40 80 112 192 320, head 1280). */
static void
test_layers_parse (void)
{
  const struct { const char *text; TzBackboneLayers layers; const char *name; guint dim; } good[] = {
    { "penultimate", TZ_BACKBONE_LAYERS_PENULTIMATE, "penultimate", 1280 },
    { "concat", TZ_BACKBONE_LAYERS_CONCAT, "concat", 16 + 24 + 40 + 112 + 320 },
    { "spatial", TZ_BACKBONE_LAYERS_SPATIAL, "spatial", 4 * (32 + 16 + 24 + 40) + 80 + 112 + 192 + 320 },
    { "g0, g1,g2,g3,4,5,6,7", TZ_BACKBONE_LAYERS_SPATIAL, "spatial", 1152 },
    { "1,g2,5", (1u << 1) | TZ_BACKBONE_LAYERS_GRID (2) | (1u << 5), "1,g2,5", 16 + 4 * 24 + 112 },
    { "g8,8", TZ_BACKBONE_LAYERS_GRID (8) | (1u << 8), "8,g8", 5 * 1280 },
    { "features.3", 1u << 3, "3", 40 },
  };
  const char *bad[] = { "g9", "gx", "g", "9", "", "spatial,1", "G2" };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *name = NULL;
      TzBackboneLayers layers = 0;

      g_assert_true (tz_backbone_layers_parse (good[i].text, &layers, &error));
      g_assert_no_error (error);
      g_assert_cmphex (layers, ==, good[i].layers);
      name = tz_backbone_layers_to_string (layers);
      g_assert_cmpstr (name, ==, good[i].name);
      g_assert_cmpuint (tz_backbone_variant_get_feature_dim (TZ_BACKBONE_B0, layers), ==, good[i].dim);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      TzBackboneLayers layers = 0;

      g_assert_false (tz_backbone_layers_parse (bad[i], &layers, &error));
      g_assert_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT);
    }
}

/* As many images per pass as 64 of 224 pixels hold, from 64 to 512:
 * 64 x 224² / 96² = 348.4. */
static void
test_auto_batch_size (void)
{
  TzBackboneExtractOptions options;

  g_assert_cmpuint (tz_backbone_auto_batch_size (32), ==, 512);
  g_assert_cmpuint (tz_backbone_auto_batch_size (64), ==, 512);
  g_assert_cmpuint (tz_backbone_auto_batch_size (96), ==, 348);
  g_assert_cmpuint (tz_backbone_auto_batch_size (224), ==, 64);
  g_assert_cmpuint (tz_backbone_auto_batch_size (600), ==, 64);
  tz_backbone_extract_options_init (&options);
  g_assert_cmpuint (options.batch_size, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);

  workdir = g_dir_make_tmp ("tsuzuki-backbone-XXXXXX", &error);
  g_assert_no_error (error);
  test_run_python ("make-reference.py", workdir, NULL);

  g_test_add_func ("/backbone/layers/parse", test_layers_parse);
  g_test_add_func ("/backbone/auto-batch-size", test_auto_batch_size);
  g_test_add_func ("/backbone/reference/structure", test_structure);
  g_test_add_func ("/backbone/reference/b0-checkpoint", test_b0_checkpoint);
  g_test_add_func ("/backbone/reference/b2-checkpoint-without-head", test_b2_checkpoint_without_head);
  g_test_add_func ("/backbone/reference/b0-safetensors", test_b0_safetensors);
  g_test_add_func ("/backbone/reference/weights-change-after-extraction",
                   test_weights_change_after_extraction);
  g_test_add_func ("/backbone/memory/reuse", test_memory_reuse);
  g_test_add_func ("/backbone/reference/head-width-mismatch", test_head_width_mismatch);
  g_test_add_func ("/backbone/reference/wrong-variant", test_wrong_variant);

  status = g_test_run ();
  test_rm_rf (workdir);
  g_free (workdir);
  return status;
}

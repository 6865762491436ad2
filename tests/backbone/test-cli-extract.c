/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-test"

#include "config.h"

#include <math.h>
#include <string.h>

#include <gdk-pixbuf/gdk-pixbuf.h>

#include "tz-backbone.h"
#include "tz-cli-extract.h"
#include "tz-error.h"
#include "tz-feature-set.h"
#include "tz-image.h"

#include "backbone-test-util.h"

/* `tsuzuki-cli extract` on a generated image folder: the output must hold
 * exactly the features the backbone gives for the decoded images, rows in
 * class-folder then file-name order, labels indexing the sorted class
 * names. The PNG decoder is checked against the pixels written. */

static char *workdir;

/* Writes a lossless PNG of test image @i and returns its pixels. */
static TzImage *
write_png (const char *dir,
           const char *name,
           guint       i,
           guint       width,
           guint       height,
           gboolean    grey)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, width, height);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;
  guint8 *pixels = gdk_pixbuf_get_pixels (pixbuf);
  int stride = gdk_pixbuf_get_rowstride (pixbuf);
  TzImage *image = tz_image_new (width, height, grey ? 1 : 3, NULL);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  for (guint y = 0; y < height; y++)
    for (guint x = 0; x < width; x++)
      for (guint c = 0; c < 3; c++)
        {
          guint8 v = test_pixel (i, x, y, grey ? 0 : c);

          pixels[y * stride + x * 3 + c] = v;
          if (c < image->n_channels)
            image->pixels[y * image->rowstride + x * image->n_channels + c] = v;
        }
  g_assert_true (gdk_pixbuf_save (pixbuf, path, "png", &error, NULL));
  g_assert_no_error (error);
  return image;
}

static int
run_cli (const char *first,
         ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  const char *arg;
  va_list ap;

  g_ptr_array_add (args, (gpointer) "extract");
  va_start (ap, first);
  for (arg = first; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  return tz_cli_extract (args->len - 1, (char **) args->pdata);
}

static void
test_split_folders (void)
{
  g_autofree char *data = g_build_filename (workdir, "split", NULL);
  g_autofree char *out = g_build_filename (workdir, "features.npz", NULL);
  g_autofree char *dir = NULL;
  g_autoptr(TzFeatureSet) set = NULL;
  g_autoptr(TzBackbone) backbone = NULL;
  g_autoptr(GPtrArray) expected = g_ptr_array_new_with_free_func ((GDestroyNotify) tz_image_free);
  g_autoptr(GError) error = NULL;
  g_autofree float *want = NULL;
  TzBackboneExtractOptions options;
  /* Expected order: train/cat (a, b), train/dog (a); test/cat (z),
   * test/emu (a). "emu" exists only in test/, yet has label 2. */
  static const struct { const char *split; const char *cls; const char *file; guint label; gboolean grey; guint w, h; } files[] = {
    { "train", "dog", "a.png", 1, FALSE, 40, 30 },
    { "train", "cat", "b.png", 0, TRUE, 28, 28 },
    { "train", "cat", "a.png", 0, FALSE, 32, 32 },
    { "test", "emu", "a.png", 2, FALSE, 20, 44 },
    { "test", "cat", "z.png", 0, TRUE, 33, 33 },
  };
  static const guint order[] = { 2, 1, 0, 4, 3 };
  TzImage *images[G_N_ELEMENTS (files)];

  for (guint f = 0; f < G_N_ELEMENTS (files); f++)
    {
      g_free (dir);
      dir = g_build_filename (data, files[f].split, files[f].cls, NULL);
      images[f] = write_png (dir, files[f].file, f, files[f].w, files[f].h, files[f].grey);
    }
  /* Hidden files are not images of the class. */
  g_free (dir);
  dir = g_build_filename (data, "train", "cat", ".DS_Store", NULL);
  g_assert_true (g_file_set_contents (dir, "junk", -1, NULL));

  g_assert_cmpint (run_cli ("--data", data, "-o", out, "--weights", "scratch", "--seed", "3",
                            "--image-size", "32", "--layers", "concat", "--threads", "1",
                            "--batch", "2", "--quiet", NULL), ==, 0);

  set = tz_feature_set_load (out, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (set->n_classes, ==, 3);
  g_assert_cmpstr (set->class_names[0], ==, "cat");
  g_assert_cmpstr (set->class_names[1], ==, "dog");
  g_assert_cmpstr (set->class_names[2], ==, "emu");
  g_assert_cmpuint (set->dim, ==, 512);
  g_assert_cmpuint (set->n_train, ==, 3);
  g_assert_cmpuint (set->n_test, ==, 2);

  /* The decoder gives back the PNG's pixels, grey as one channel. */
  for (guint k = 0; k < G_N_ELEMENTS (files); k++)
    {
      guint f = order[k];
      g_autofree char *path = g_build_filename (data, files[f].split, files[f].cls, files[f].file, NULL);
      TzImage *decoded = tz_image_load (path, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (decoded->n_channels, ==, images[f]->n_channels);
      g_assert_cmpuint (decoded->width, ==, files[f].w);
      for (guint y = 0; y < decoded->height; y++)
        g_assert_cmpmem (decoded->pixels + y * decoded->rowstride, decoded->width * decoded->n_channels,
                         images[f]->pixels + y * images[f]->rowstride, decoded->width * decoded->n_channels);
      g_ptr_array_add (expected, decoded);
      tz_image_free (images[f]);
      if (k < 3)
        g_assert_cmpint (set->train_y[k], ==, files[f].label);
      else
        g_assert_cmpint (set->test_y[k - 3], ==, files[f].label);
    }

  backbone = tz_backbone_new (TZ_BACKBONE_B0, 0, &error);
  g_assert_no_error (error);
  tz_backbone_init_random (backbone, 3);
  tz_backbone_set_n_threads (backbone, 1);
  tz_backbone_extract_options_init (&options);
  options.layers = TZ_BACKBONE_LAYERS_CONCAT;
  options.image_size = 32;
  options.normalize = FALSE;
  want = g_new (float, 5 * 512);
  g_assert_true (tz_backbone_extract (backbone, (const TzImage *const *) expected->pdata, 5,
                                      &options, want, NULL, &error));
  g_assert_no_error (error);
  /* Batches of 2 against one batch of 5: the same numbers, row by row,
   * to float rounding. */
  for (guint i = 0; i < 5 * 512; i++)
    {
      float got = i < 3 * 512 ? set->train_x[i] : set->test_x[i - 3 * 512];

      g_assert_cmpfloat_with_epsilon (got, want[i], 1e-5 * (1 + fabsf (want[i])));
    }
}

static void
test_errors (void)
{
  g_autofree char *data = g_build_filename (workdir, "flat", NULL);
  g_autofree char *cls = g_build_filename (data, "only", NULL);
  g_autofree char *bad = g_build_filename (cls, "broken.png", NULL);
  g_autofree char *out = g_build_filename (workdir, "flat.safetensors", NULL);
  g_autoptr(TzImage) image = NULL;

  image = write_png (cls, "good.png", 0, 16, 16, FALSE);
  g_assert_true (g_file_set_contents (bad, "not a png", -1, NULL));

  /* Usage errors: no weights, a bad extension, an unknown backbone. */
  g_assert_cmpint (run_cli ("--data", data, "-o", out, NULL), ==, 2);
  g_assert_cmpint (run_cli ("--data", data, "-o", "x.csv", "--weights", "scratch", NULL), ==, 2);
  g_assert_cmpint (run_cli ("--data", data, "-o", out, "--weights", "scratch", "--backbone", "b9", NULL), ==, 2);
  /* A file that is not an image is skipped (and named on stderr); the rest
   * is written. */
  g_assert_cmpint (run_cli ("--data", data, "-o", out, "--weights", "scratch",
                            "--image-size", "16", "--threads", "1", "--quiet", NULL), ==, 0);
  g_assert_true (g_file_test (out, G_FILE_TEST_EXISTS));
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(TzFeatureSet) set = tz_feature_set_load (out, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (set->n_train, ==, 1);
  }
  /* Only unusable files: nothing to write. */
  g_unlink (out);
  {
    g_autofree char *good = g_build_filename (cls, "good.png", NULL);

    g_assert_true (g_file_set_contents (good, "no", -1, NULL));
  }
  g_assert_cmpint (run_cli ("--data", data, "-o", out, "--weights", "scratch",
                            "--image-size", "16", "--threads", "1", "--quiet", NULL), ==, 1);
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
}

static void
test_image_errors (void)
{
  g_autofree char *path = g_build_filename (workdir, "text.png", NULL);
  g_autofree char *missing = g_build_filename (workdir, "missing.png", NULL);
  g_autoptr(GError) error = NULL;
  TzImage *image;

  g_assert_true (g_file_set_contents (path, "plain text", -1, NULL));
  image = tz_image_load (path, &error);
  g_assert_null (image);
  g_assert_error (error, TZ_ERROR, TZ_ERROR_CORRUPT);
  g_assert_nonnull (strstr (error->message, path));
  g_clear_error (&error);

  image = tz_image_load (missing, &error);
  g_assert_null (image);
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_assert_nonnull (strstr (error->message, missing));
  g_clear_error (&error);

  g_assert_null (tz_image_new (0, 5, 3, &error));
  g_assert_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (tz_image_new (1u << 15, 1u << 15, 3, &error));
  g_assert_error (error, TZ_ERROR, TZ_ERROR_TOO_LARGE);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  workdir = g_dir_make_tmp ("tsuzuki-cli-extract-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/backbone/cli-extract/split-folders", test_split_folders);
  g_test_add_func ("/backbone/cli-extract/errors", test_errors);
  g_test_add_func ("/backbone/cli-extract/image-errors", test_image_errors);

  status = g_test_run ();
  test_rm_rf (workdir);
  g_free (workdir);
  return status;
}

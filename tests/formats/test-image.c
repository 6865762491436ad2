/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tz_image_load() against PIL: every layout gdk-pixbuf hands us (palette,
 * alpha, grey, 16-bit) and EXIF orientation end as the pixels PIL's
 * convert ("RGB") and exif_transpose() give, and damaged or oversized
 * files are refused with their name and reason. The fixtures are made at
 * test time by tests/fixtures/images/make-images.py. */
#define G_LOG_DOMAIN "tsuzuki-test"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "tz-error.h"
#include "tz-format-test-util.h"
#include "tz-image.h"

static char *workdir;
static gboolean have_fixtures;

/* A binary PNM (P5 grey or P6 colour) as a TzImage. */
static TzImage *
load_pnm (const char *path)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  guint width, height, maxval;
  gsize length;
  char kind;
  int consumed = 0;
  TzImage *image;

  g_assert_true (g_file_get_contents (path, &contents, &length, &error));
  g_assert_cmpint (sscanf (contents, "P%c %u %u %u%n", &kind, &width, &height, &maxval, &consumed), ==, 4);
  g_assert_cmpuint (maxval, ==, 255);
  consumed++;  /* the single whitespace after the header */
  image = tz_image_new_from_data (width, height, kind == '5' ? 1 : 3, (gsize) width * (kind == '5' ? 1 : 3),
                                  (const guint8 *) contents + consumed, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (length - consumed, ==, (gsize) width * height * image->n_channels);
  return image;
}

static char *
reference_path (const char *name)
{
  g_autofree char *ppm = g_strdup_printf ("%s/%s.ppm", workdir, name);

  if (g_file_test (ppm, G_FILE_TEST_EXISTS))
    return g_steal_pointer (&ppm);
  return g_strdup_printf ("%s/%s.pgm", workdir, name);
}

/* Decodes @name and compares it with PIL's pixels, to within @tolerance
 * per sample (0 for lossless files). */
static void
assert_decodes_like_pil (const char *name,
                         guint       tolerance)
{
  g_autofree char *path = NULL;
  g_autofree char *reference_file = NULL;
  g_autoptr(TzImage) image = NULL;
  g_autoptr(TzImage) reference = NULL;
  g_autoptr(GError) error = NULL;
  guint worst = 0;

  if (!have_fixtures)
    {
      g_test_skip ("no Python to make the fixtures with");
      return;
    }
  path = g_build_filename (workdir, name, NULL);
  reference_file = reference_path (name);
  image = tz_image_load (path, &error);
  g_assert_no_error (error);
  reference = load_pnm (reference_file);

  g_assert_cmpuint (image->width, ==, reference->width);
  g_assert_cmpuint (image->height, ==, reference->height);
  g_assert_cmpuint (image->n_channels, ==, reference->n_channels);
  for (guint y = 0; y < image->height; y++)
    for (guint x = 0; x < image->width * image->n_channels; x++)
      {
        int a = image->pixels[y * image->rowstride + x];
        int b = reference->pixels[y * reference->rowstride + x];

        worst = MAX (worst, (guint) ABS (a - b));
      }
  g_test_message ("%s: %u × %u × %u, largest difference %u", name, image->width, image->height,
                  image->n_channels, worst);
  g_assert_cmpuint (worst, <=, tolerance);
}

static void
test_layouts (void)
{
  const char *const lossless[] = {
    "rgb.png", "rgba.png", "grey.png", "grey-alpha.png", "palette.png",
    "palette.gif", "rgb.bmp", "rgb.tiff", "rgb16.png", "grey16.png",
  };

  for (guint i = 0; i < G_N_ELEMENTS (lossless); i++)
    assert_decodes_like_pil (lossless[i], 0);
}

static void
test_orientation (void)
{
  /* Orientation 3 turns the picture half round; 6 and 8 a quarter each
   * way, swapping width and height, which is what tells them apart from a
   * decoder that ignores the tag (the comparison would fail on size). */
  for (guint o = 3; o <= 8; o += o == 3 ? 3 : 2)
    {
      g_autofree char *jpeg = g_strdup_printf ("orientation-%u.jpg", o);

      /* Both JPEG decoders are libjpeg-turbo, but allow for rounding. */
      assert_decodes_like_pil (jpeg, 2);
    }
}

static void
assert_refused (const char *name,
                GQuark      domain,
                int         code)
{
  g_autofree char *path = g_build_filename (workdir, name, NULL);
  g_autoptr(GError) error = NULL;
  TzImage *image;

  if (!have_fixtures)
    {
      g_test_skip ("no Python to make the fixtures with");
      return;
    }
  image = tz_image_load (path, &error);
  g_assert_null (image);
  tz_test_assert_error_mentions (error, domain, code, path);
}

static void
test_refusals (void)
{
  assert_refused ("empty.png", TZ_ERROR, TZ_ERROR_CORRUPT);
  assert_refused ("truncated.png", TZ_ERROR, TZ_ERROR_CORRUPT);
  /* 20000 × 20000 is refused on its header: the file is a few bytes, so a
   * decoder that tried would fail differently (or allocate 1.2 GB). */
  assert_refused ("huge.png", TZ_ERROR, TZ_ERROR_TOO_LARGE);
  assert_refused ("no-such-file.png", G_FILE_ERROR, G_FILE_ERROR_NOENT);
}

/* tz_image_load_from_data() (the engine's path, on bytes it has read
 * for their digest) decodes as tz_image_load() does and refuses the same
 * files, naming what it was told. */
static void
test_from_data (void)
{
  const char *names[] = { "rgb.png", "grey16.png", "palette.gif", "orientation-6.jpg", "rgb.tiff" };
  const char *damaged[] = { "rgb.png.ppm", "rgba.png" };

  if (!have_fixtures)
    {
      g_test_skip ("no Python to make the fixtures with");
      return;
    }

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (workdir, names[i], NULL);
      g_autofree char *contents = NULL;
      g_autoptr(TzImage) from_file = NULL;
      g_autoptr(TzImage) from_data = NULL;
      g_autoptr(GError) error = NULL;
      gsize length;

      g_assert_true (g_file_get_contents (path, &contents, &length, &error));
      from_file = tz_image_load (path, &error);
      g_assert_no_error (error);
      from_data = tz_image_load_from_data ((const guint8 *) contents, length, "in memory", &error);
      g_assert_no_error (error);
      g_assert_cmpuint (from_data->width, ==, from_file->width);
      g_assert_cmpuint (from_data->height, ==, from_file->height);
      g_assert_cmpuint (from_data->n_channels, ==, from_file->n_channels);
      g_assert_cmpmem (from_data->pixels, from_data->rowstride * from_data->height,
                       from_file->pixels, from_file->rowstride * from_file->height);
    }

  /* The first half of a file: the progressive loaders would hand back the
   * rows they had. */
  for (guint i = 0; i < G_N_ELEMENTS (damaged); i++)
    {
      g_autofree char *path = g_build_filename (workdir, damaged[i], NULL);
      g_autofree char *half = g_strdup_printf ("%s/half-%s", workdir, damaged[i]);
      g_autofree char *contents = NULL;
      g_autoptr(GError) error = NULL;
      gsize length;

      g_assert_true (g_file_get_contents (path, &contents, &length, &error));
      g_assert_true (g_file_set_contents (half, contents, length / 2, &error));
      g_assert_null (tz_image_load (half, &error));
      tz_test_assert_error_mentions (error, TZ_ERROR, TZ_ERROR_CORRUPT, half);
      g_clear_error (&error);
      g_assert_null (tz_image_load_from_data ((const guint8 *) contents, length / 2, "half", &error));
      tz_test_assert_error_mentions (error, TZ_ERROR, TZ_ERROR_CORRUPT, "half");
    }

  {
    g_autofree char *path = g_build_filename (workdir, "huge.png", NULL);
    g_autofree char *contents = NULL;
    g_autoptr(GError) error = NULL;
    gsize length;

    g_assert_true (g_file_get_contents (path, &contents, &length, &error));
    g_assert_null (tz_image_load_from_data ((const guint8 *) contents, length, "huge", &error));
    tz_test_assert_error_mentions (error, TZ_ERROR, TZ_ERROR_TOO_LARGE, "huge");
    g_clear_error (&error);
    g_assert_null (tz_image_load_from_data (NULL, 0, "nothing", &error));
    tz_test_assert_error_mentions (error, TZ_ERROR, TZ_ERROR_CORRUPT, "nothing");
  }
}

int
main (int   argc,
      char *argv[])
{
  const char *python = g_getenv ("TZ_PYTHON3");
  int status;

  g_test_init (&argc, &argv, NULL);
  workdir = tz_test_make_tmpdir ();
  if (python != NULL && g_file_test (python, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_autofree char *script = g_test_build_filename (G_TEST_DIST, "fixtures", "images", "make-images.py", NULL);
      const char *argv_make[] = { python, script, workdir, NULL };
      g_autoptr(GError) error = NULL;
      int wait_status = 0;

      g_spawn_sync (NULL, (char **) argv_make, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL,
                    &wait_status, &error);
      g_assert_no_error (error);
      g_spawn_check_wait_status (wait_status, &error);
      g_assert_no_error (error);
      have_fixtures = TRUE;
    }

  g_test_add_func ("/image/layouts", test_layouts);
  g_test_add_func ("/image/orientation", test_orientation);
  g_test_add_func ("/image/refusals", test_refusals);
  g_test_add_func ("/image/from-data", test_from_data);

  status = g_test_run ();
  tz_test_remove_tree (workdir);
  g_free (workdir);
  return status;
}

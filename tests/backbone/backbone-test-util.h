/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <glib/gstdio.h>

#include "tz-image.h"

G_BEGIN_DECLS

/* The same formula as make-reference.py's pixel (). */
static inline guint8
test_pixel (guint i,
            guint x,
            guint y,
            guint c)
{
  return (3 * x * x + 5 * y + 70 * c + 37 * i + 9 * ((x * y) % 11)) % 256;
}

/* Image @i of a case, with a padded row stride so that the backbone's
 * handling of strides is exercised too. */
G_GNUC_UNUSED static TzImage *
test_make_image (guint i,
                 guint width,
                 guint height,
                 guint n_channels)
{
  gsize stride = (gsize) width * n_channels + 5;
  g_autofree guint8 *data = g_malloc0 (stride * height);
  TzImage *image;

  for (guint y = 0; y < height; y++)
    for (guint x = 0; x < width; x++)
      for (guint c = 0; c < n_channels; c++)
        data[y * stride + x * n_channels + c] = test_pixel (i, x, y, c);
  image = tz_image_new_from_data (width, height, n_channels, stride, data, NULL);
  g_assert_nonnull (image);
  return image;
}

/* Runs a committed script with TZ_PYTHON3 (the interpreter that sees
 * Debian's torch and torchvision); aborts the test if it fails. */
G_GNUC_UNUSED static void
test_run_python (const char *script,
                 const char *arg1,
                 const char *arg2)
{
  const char *python = g_getenv ("TZ_PYTHON3");
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "backbone", script, NULL);
  const char *argv[] = { python ? python : "/usr/bin/python3", path, arg1, arg2, NULL };
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                NULL, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s failed: %s", script, err);
}

/* Reads a raw float32 file of exactly @n values. */
G_GNUC_UNUSED static float *
test_read_floats (const char *path,
                  gsize       n)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;
  gsize length = 0;

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (length, ==, n * sizeof (float));
  return (float *) contents;
}

G_GNUC_UNUSED static void
test_rm_rf (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)))
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        test_rm_rf (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

G_END_DECLS

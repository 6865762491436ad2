/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-image"

#include "config.h"

#include <string.h>

#include <gdk-pixbuf/gdk-pixbuf.h>

#include "tz-error.h"
#include "tz-image.h"

static gboolean
check_size (guint     width,
            guint     height,
            guint     n_channels,
            GError  **error)
{
  if (width == 0 || height == 0)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                   "An image of %u × %u pixels is empty", width, height);
      return FALSE;
    }
  if (n_channels != 1 && n_channels != 3)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                   "Images have 1 or 3 channels, not %u", n_channels);
      return FALSE;
    }
  if ((guint64) width * height > TZ_IMAGE_MAX_PIXELS)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_TOO_LARGE,
                   "An image of %u × %u pixels is beyond the limit of %"
                   G_GUINT64_FORMAT " pixels",
                   width, height, (guint64) TZ_IMAGE_MAX_PIXELS);
      return FALSE;
    }
  return TRUE;
}

TzImage *
tz_image_new (guint    width,
              guint    height,
              guint    n_channels,
              GError **error)
{
  TzImage *self;

  if (!check_size (width, height, n_channels, error))
    return NULL;

  self = g_new0 (TzImage, 1);
  self->width = width;
  self->height = height;
  self->n_channels = n_channels;
  self->rowstride = (gsize) width * n_channels;
  self->pixels = g_try_malloc0 (self->rowstride * height);
  if (self->pixels == NULL)
    {
      g_free (self);
      g_set_error (error, TZ_ERROR, TZ_ERROR_TOO_LARGE,
                   "Out of memory for an image of %u × %u pixels",
                   width, height);
      return NULL;
    }
  return self;
}

TzImage *
tz_image_new_from_data (guint          width,
                        guint          height,
                        guint          n_channels,
                        gsize          rowstride,
                        const guint8  *data,
                        GError       **error)
{
  TzImage *self;

  g_return_val_if_fail (data != NULL, NULL);

  if (!check_size (width, height, n_channels, error))
    return NULL;
  if (rowstride < (gsize) width * n_channels)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                   "A row stride of %" G_GSIZE_FORMAT " bytes is shorter "
                   "than a row of %u pixels", rowstride, width);
      return NULL;
    }

  self = tz_image_new (width, height, n_channels, error);
  if (self == NULL)
    return NULL;
  for (guint y = 0; y < height; y++)
    memcpy (self->pixels + y * self->rowstride,
            data + y * rowstride,
            self->rowstride);
  return self;
}

static gboolean
pixbuf_is_grey (GdkPixbuf *pixbuf)
{
  const guint8 *pixels = gdk_pixbuf_read_pixels (pixbuf);
  int width = gdk_pixbuf_get_width (pixbuf);
  int height = gdk_pixbuf_get_height (pixbuf);
  int stride = gdk_pixbuf_get_rowstride (pixbuf);
  int n = gdk_pixbuf_get_n_channels (pixbuf);

  for (int y = 0; y < height; y++)
    {
      const guint8 *row = pixels + (gsize) y * stride;

      for (int x = 0; x < width; x++)
        if (row[x * n] != row[x * n + 1] || row[x * n] != row[x * n + 2])
          return FALSE;
    }
  return TRUE;
}

TzImage *
tz_image_load (const char  *path,
               GError     **error)
{
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(TzImage) self = NULL;
  GdkPixbufFormat *format;
  const guint8 *pixels;
  int width = 0;
  int height = 0;
  int stride;
  int n;
  guint n_channels;

  g_return_val_if_fail (path != NULL, NULL);

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                   "%s: no such file", path);
      return NULL;
    }

  /* The header alone says how large the decoded image will be; refuse a
   * hostile one before gdk-pixbuf allocates it. */
  format = gdk_pixbuf_get_file_info (path, &width, &height);
  if (format == NULL)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                   "%s: not an image in a format this system can read", path);
      return NULL;
    }
  if (width <= 0 || height <= 0
      || (guint64) width * (guint64) height > TZ_IMAGE_MAX_PIXELS)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_TOO_LARGE,
                   "%s: an image of %d × %d pixels is beyond the limit of %"
                   G_GUINT64_FORMAT " pixels",
                   path, width, height, (guint64) TZ_IMAGE_MAX_PIXELS);
      return NULL;
    }

  pixbuf = gdk_pixbuf_new_from_file (path, &local_error);
  if (pixbuf == NULL)
    {
      if (local_error->domain == G_FILE_ERROR)
        g_set_error (error, G_FILE_ERROR, local_error->code,
                     "%s: %s", path, local_error->message);
      else
        g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                     "%s: cannot decode the image: %s",
                     path, local_error->message);
      return NULL;
    }

  /* A camera's picture stored sideways carries an EXIF orientation that
   * every viewer (and PIL's exif_transpose) honours: so do we, or a class
   * would be learned from rotated images. */
  {
    GdkPixbuf *oriented = gdk_pixbuf_apply_embedded_orientation (pixbuf);

    if (oriented == NULL)
      {
        g_set_error (error, TZ_ERROR, TZ_ERROR_TOO_LARGE,
                     "%s: out of memory turning the image upright", path);
        return NULL;
      }
    g_object_unref (pixbuf);
    pixbuf = oriented;
  }

  if (gdk_pixbuf_get_colorspace (pixbuf) != GDK_COLORSPACE_RGB
      || gdk_pixbuf_get_bits_per_sample (pixbuf) != 8
      || gdk_pixbuf_get_n_channels (pixbuf) < 3)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_UNSUPPORTED,
                   "%s: decoded to a pixel layout other than 8-bit RGB", path);
      return NULL;
    }

  width = gdk_pixbuf_get_width (pixbuf);
  height = gdk_pixbuf_get_height (pixbuf);
  stride = gdk_pixbuf_get_rowstride (pixbuf);
  n = gdk_pixbuf_get_n_channels (pixbuf);
  pixels = gdk_pixbuf_read_pixels (pixbuf);
  n_channels = pixbuf_is_grey (pixbuf) ? 1 : 3;

  self = tz_image_new (width, height, n_channels, error);
  if (self == NULL)
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }

  for (int y = 0; y < height; y++)
    {
      const guint8 *src = pixels + (gsize) y * stride;
      guint8 *dst = self->pixels + (gsize) y * self->rowstride;

      if (n_channels == 1)
        for (int x = 0; x < width; x++)
          dst[x] = src[x * n];
      else if (n == 3)
        memcpy (dst, src, (gsize) width * 3);
      else
        for (int x = 0; x < width; x++)
          {
            dst[3 * x] = src[x * n];
            dst[3 * x + 1] = src[x * n + 1];
            dst[3 * x + 2] = src[x * n + 2];
          }
    }

  return g_steal_pointer (&self);
}

void
tz_image_free (TzImage *self)
{
  if (self == NULL)
    return;
  g_free (self->pixels);
  g_free (self);
}

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

/* What the loader said while it decoded: the size in the header, and the
 * rows it has filled in (one byte each). */
typedef struct
{
  int      width;
  int      height;
  gboolean too_large;
  guint8  *rows;
  int      n_rows;
} LoadWatch;

static void
load_watch_clear (LoadWatch *watch)
{
  g_clear_pointer (&watch->rows, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (LoadWatch, load_watch_clear)

/* The header alone says how large the decoded image will be: a hostile
 * one is refused before gdk-pixbuf allocates it. A size of 0 x 0 makes
 * the loader stop there, as gdk_pixbuf_get_file_info () does. */
static void
on_size_prepared (GdkPixbufLoader *loader,
                  int              width,
                  int              height,
                  gpointer         user_data)
{
  LoadWatch *check = user_data;

  check->width = width;
  check->height = height;
  if (width <= 0 || height <= 0 || (guint64) width * (guint64) height > TZ_IMAGE_MAX_PIXELS)
    {
      check->too_large = TRUE;
      gdk_pixbuf_loader_set_size (loader, 0, 0);
    }
}

static void
on_area_prepared (GdkPixbufLoader *loader,
                  gpointer         user_data)
{
  LoadWatch *check = user_data;
  GdkPixbuf *pixbuf = gdk_pixbuf_loader_get_pixbuf (loader);

  g_clear_pointer (&check->rows, g_free);
  check->n_rows = gdk_pixbuf_get_height (pixbuf);
  check->rows = g_new0 (guint8, MAX (check->n_rows, 1));
}

static void
on_area_updated (GdkPixbufLoader *loader,
                 int              x,
                 int              y,
                 int              width,
                 int              height,
                 gpointer         user_data)
{
  LoadWatch *check = user_data;

  for (int row = MAX (y, 0); row < MIN (y + height, check->n_rows); row++)
    check->rows[row] = 1;
}

/* gdk-pixbuf's progressive PNG and PNM loaders hand back whatever rows
 * they had when the data ran out, where reading the file whole fails: a
 * truncated file must not become a class's image with a black bottom. */
static gboolean
is_incomplete (GdkPixbufLoader *loader,
               const LoadWatch *check)
{
  GdkPixbufFormat *format = gdk_pixbuf_loader_get_format (loader);
  g_autofree char *name = format != NULL ? gdk_pixbuf_format_get_name (format) : NULL;

  if (g_strcmp0 (name, "png") != 0 && g_strcmp0 (name, "pnm") != 0)
    return FALSE;
  if (check->rows == NULL)
    return TRUE;
  for (int row = 0; row < check->n_rows; row++)
    if (!check->rows[row])
      return TRUE;
  return FALSE;
}

/* Written in pieces, so that a file refused on its header is not read any
 * further. */
#define WRITE_CHUNK (256 * 1024)

static GdkPixbuf *
decode_pixbuf (const guint8  *data,
               gsize          length,
               const char    *name,
               GError       **error)
{
  g_autoptr(GdkPixbufLoader) loader = gdk_pixbuf_loader_new ();
  g_autoptr(GError) local_error = NULL;
  g_auto(LoadWatch) check = { 0, 0, FALSE, NULL, 0 };
  gboolean ok = TRUE;
  GdkPixbuf *pixbuf;

  g_signal_connect (loader, "size-prepared", G_CALLBACK (on_size_prepared), &check);
  g_signal_connect (loader, "area-prepared", G_CALLBACK (on_area_prepared), &check);
  g_signal_connect (loader, "area-updated", G_CALLBACK (on_area_updated), &check);
  for (gsize offset = 0; ok && offset < length && !check.too_large; offset += WRITE_CHUNK)
    ok = gdk_pixbuf_loader_write (loader, data + offset, MIN (WRITE_CHUNK, length - offset),
                                  &local_error);
  /* Closed whatever happened, or the loader complains when it goes. */
  if (!gdk_pixbuf_loader_close (loader, ok ? &local_error : NULL))
    ok = FALSE;

  if (check.too_large)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_TOO_LARGE,
                   "%s: an image of %d × %d pixels is beyond the limit of %"
                   G_GUINT64_FORMAT " pixels",
                   name, check.width, check.height, (guint64) TZ_IMAGE_MAX_PIXELS);
      return NULL;
    }
  if (length == 0 || g_error_matches (local_error, GDK_PIXBUF_ERROR, GDK_PIXBUF_ERROR_UNKNOWN_TYPE))
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                   "%s: not an image in a format this system can read", name);
      return NULL;
    }
  if (ok && is_incomplete (loader, &check))
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                   "%s: cannot decode the image: the file ends before the picture does", name);
      return NULL;
    }
  pixbuf = ok ? gdk_pixbuf_loader_get_pixbuf (loader) : NULL;
  if (pixbuf == NULL)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                   "%s: cannot decode the image: %s", name,
                   local_error != NULL ? local_error->message : "no picture in the file");
      return NULL;
    }
  return g_object_ref (pixbuf);
}

TzImage *
tz_image_load_from_data (const guint8  *data,
                         gsize          length,
                         const char    *name,
                         GError       **error)
{
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autoptr(TzImage) self = NULL;
  const guint8 *pixels;
  int width, height, stride, n;
  guint n_channels;

  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  pixbuf = decode_pixbuf (data, length, name, error);
  if (pixbuf == NULL)
    return NULL;

  /* A camera's picture stored sideways carries an EXIF orientation that
   * every viewer (and PIL's exif_transpose) honours: so do we, or a class
   * would be learned from rotated images. */
  {
    GdkPixbuf *oriented = gdk_pixbuf_apply_embedded_orientation (pixbuf);

    if (oriented == NULL)
      {
        g_set_error (error, TZ_ERROR, TZ_ERROR_TOO_LARGE,
                     "%s: out of memory turning the image upright", name);
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
                   "%s: decoded to a pixel layout other than 8-bit RGB", name);
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
      g_prefix_error (error, "%s: ", name);
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

TzImage *
tz_image_load (const char  *path,
               GError     **error)
{
  g_autoptr(GMappedFile) file = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                   "%s: no such file", path);
      return NULL;
    }
  /* Mapped, not read: pages past a refused header are never touched. */
  file = g_mapped_file_new (path, FALSE, &local_error);
  if (file == NULL)
    {
      g_set_error (error, G_FILE_ERROR, local_error->code, "%s: %s", path, local_error->message);
      return NULL;
    }
  return tz_image_load_from_data ((const guint8 *) g_mapped_file_get_contents (file),
                                  g_mapped_file_get_length (file), path, error);
}

void
tz_image_free (TzImage *self)
{
  if (self == NULL)
    return;
  g_free (self->pixels);
  g_free (self);
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Decoded images are refused beyond this many pixels (TZ_ERROR_TOO_LARGE),
 * so that a hostile header cannot make us allocate gigabytes. */
#define TZ_IMAGE_MAX_PIXELS (G_GUINT64_CONSTANT (1) << 28)

/**
 * TzImage:
 * @width: columns, at least 1
 * @height: rows, at least 1
 * @n_channels: 1 (grey) or 3 (RGB)
 * @rowstride: bytes from the start of one row to the next,
 *   at least @width * @n_channels
 * @pixels: @height rows of 8-bit samples, channels interleaved
 *
 * A decoded 8-bit image, what the backbone takes in. The struct is owned
 * by whoever created it and is not modified after creation, so it may be
 * read from several threads at once.
 */
typedef struct
{
  guint   width;
  guint   height;
  guint   n_channels;
  gsize   rowstride;
  guint8 *pixels;
} TzImage;

/* A zeroed, tightly packed image. TZ_ERROR_INVALID_ARGUMENT for a zero
 * size or a channel count other than 1 or 3, TZ_ERROR_TOO_LARGE beyond
 * TZ_IMAGE_MAX_PIXELS. */
TzImage  *tz_image_new               (guint          width,
                                      guint          height,
                                      guint          n_channels,
                                      GError       **error);
/* Copies @data (rows @rowstride bytes apart) into a packed image; the same
 * errors as tz_image_new(). */
TzImage  *tz_image_new_from_data     (guint          width,
                                      guint          height,
                                      guint          n_channels,
                                      gsize          rowstride,
                                      const guint8  *data,
                                      GError       **error);
/* Decodes any format gdk-pixbuf reads (PNG, JPEG, ...) without a display.
 * The result has 3 channels, or 1 when the file is greyscale in every
 * pixel; an alpha channel is dropped, as PIL's convert ("RGB") does, so
 * that features match what torchvision computes. Palette, grey+alpha and
 * 16-bit files end as 8-bit samples; an EXIF orientation (JPEG, TIFF) is
 * applied, as PIL's exif_transpose() does. Errors name the file: G_FILE_ERROR
 * when it cannot be read, TZ_ERROR_CORRUPT when it is not an image or is
 * damaged, TZ_ERROR_TOO_LARGE beyond TZ_IMAGE_MAX_PIXELS (checked on the
 * header, before decoding). */
TzImage  *tz_image_load              (const char    *path,
                                      GError       **error);
/* The same for a file's bytes already in memory (@name, a path, only
 * names it in errors): one decoding pass, where reading the file again
 * would open and sniff it twice. */
TzImage  *tz_image_load_from_data    (const guint8  *data,
                                      gsize          length,
                                      const char    *name,
                                      GError       **error);
void      tz_image_free              (TzImage       *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TzImage, tz_image_free)

G_END_DECLS

/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-test"

#include "config.h"

#include <math.h>

#include "tz-plot-test-util.h"

cairo_surface_t *
tz_test_render (TzTestDrawFunc     draw,
                gconstpointer      chart,
                int                width,
                int                height,
                const TzPlotStyle *style)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width, height);
  cairo_t *cr = cairo_create (surface);

  draw (chart, cr, width, height, style);
  g_assert_cmpint (cairo_status (cr), ==, CAIRO_STATUS_SUCCESS);
  cairo_destroy (cr);
  cairo_surface_flush (surface);

  return surface;
}

TzPlotColor
tz_test_pixel (cairo_surface_t *surface,
               double           x,
               double           y)
{
  int ix = (int) floor (x);
  int iy = (int) floor (y);
  const guint8 *data = cairo_image_surface_get_data (surface);
  int stride = cairo_image_surface_get_stride (surface);
  guint32 argb;
  double a;
  TzPlotColor color;

  g_assert_cmpint (ix, >=, 0);
  g_assert_cmpint (iy, >=, 0);
  g_assert_cmpint (ix, <, cairo_image_surface_get_width (surface));
  g_assert_cmpint (iy, <, cairo_image_surface_get_height (surface));

  argb = *(const guint32 *) (data + (gsize) iy * stride + 4 * ix);
  a = ((argb >> 24) & 0xff) / 255.0;
  color.alpha = a;
  if (a == 0)
    {
      color.red = color.green = color.blue = 0;
      return color;
    }
  color.red = ((argb >> 16) & 0xff) / 255.0 / a;
  color.green = ((argb >> 8) & 0xff) / 255.0 / a;
  color.blue = (argb & 0xff) / 255.0 / a;

  return color;
}

double
tz_test_color_distance (const TzPlotColor *a,
                        const TzPlotColor *b)
{
  double d = fabs (a->red - b->red);

  d = MAX (d, fabs (a->green - b->green));
  d = MAX (d, fabs (a->blue - b->blue));

  return 255 * d;
}

static double
linear (double c)
{
  return c <= 0.04045 ? c / 12.92 : pow ((c + 0.055) / 1.055, 2.4);
}

double
tz_test_luminance (const TzPlotColor *color)
{
  return 0.2126 * linear (color->red) + 0.7152 * linear (color->green) + 0.0722 * linear (color->blue);
}

gboolean
tz_test_color_near (cairo_surface_t   *surface,
                    double             x,
                    double             y,
                    int                radius,
                    const TzPlotColor *color,
                    double             tolerance)
{
  int width = cairo_image_surface_get_width (surface);
  int height = cairo_image_surface_get_height (surface);

  for (int dy = -radius; dy <= radius; dy++)
    for (int dx = -radius; dx <= radius; dx++)
      {
        double px = floor (x) + dx;
        double py = floor (y) + dy;
        TzPlotColor got;

        if (px < 0 || py < 0 || px >= width || py >= height)
          continue;
        got = tz_test_pixel (surface, px, py);
        if (tz_test_color_distance (&got, color) <= tolerance)
          return TRUE;
      }

  return FALSE;
}

guint
tz_test_count_unlike (cairo_surface_t   *surface,
                      const TzPlotRect  *rect,
                      const TzPlotColor *color,
                      double             tolerance)
{
  guint count = 0;

  for (int y = (int) ceil (rect->y); y < (int) floor (rect->y + rect->height); y++)
    for (int x = (int) ceil (rect->x); x < (int) floor (rect->x + rect->width); x++)
      {
        TzPlotColor got = tz_test_pixel (surface, x, y);

        if (tz_test_color_distance (&got, color) > tolerance)
          count++;
      }

  return count;
}

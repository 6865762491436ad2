/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-plot"

#include "config.h"

#include <math.h>
#include <string.h>

#include "tz-error.h"
#include "tz-plot.h"

static TzPlotColor
rgb (guint32 hex)
{
  TzPlotColor color = {
    ((hex >> 16) & 0xff) / 255.0,
    ((hex >> 8) & 0xff) / 255.0,
    (hex & 0xff) / 255.0,
    1.0,
  };

  return color;
}

static TzPlotColor
rgba (guint32 hex,
      double  alpha)
{
  TzPlotColor color = rgb (hex);

  color.alpha = alpha;
  return color;
}

void
tz_plot_style_init (TzPlotStyle *style,
                    gboolean     dark)
{
  g_return_if_fail (style != NULL);

  /* libadwaita's view colours, and its palette's blue and orange, which
   * stay apart for the common colour-vision deficiencies. */
  if (dark)
    {
      style->background = rgb (0x1e1e1e);
      style->foreground = rgb (0xf0f0f0);
      style->grid = rgba (0xffffff, 0.10);
      style->series[0] = rgb (0x62a0ea);
      style->series[1] = rgb (0xffa348);
      style->scale[0] = rgb (0x282d35);
      style->scale[1] = rgb (0x3f74b8);
      style->scale[2] = rgb (0xd6e6fa);
    }
  else
    {
      style->background = rgb (0xffffff);
      style->foreground = rgb (0x2e2e33);
      style->grid = rgba (0x000000, 0.08);
      style->series[0] = rgb (0x1c71d8);
      style->series[1] = rgb (0xe66100);
      /* The ends and middle of ColorBrewer's "Blues". */
      style->scale[0] = rgb (0xf7fbff);
      style->scale[1] = rgb (0x6baed6);
      style->scale[2] = rgb (0x08306b);
    }

  style->font_family = "Sans";
  style->font_size = 10.0;
}

typedef struct
{
  double l;
  double a;
  double b;
} Oklab;

static double
srgb_to_linear (double c)
{
  return c <= 0.04045 ? c / 12.92 : pow ((c + 0.055) / 1.055, 2.4);
}

static double
linear_to_srgb (double c)
{
  c = CLAMP (c, 0.0, 1.0);
  return c <= 0.0031308 ? 12.92 * c : 1.055 * pow (c, 1.0 / 2.4) - 0.055;
}

/* Björn Ottosson's OKLab (2020), whose straight lines are perceptually
 * even, unlike sRGB's. */
static Oklab
color_to_oklab (const TzPlotColor *color)
{
  double r = srgb_to_linear (color->red);
  double g = srgb_to_linear (color->green);
  double b = srgb_to_linear (color->blue);
  double l = cbrt (0.4122214708 * r + 0.5363325363 * g + 0.0514459929 * b);
  double m = cbrt (0.2119034982 * r + 0.6806995451 * g + 0.1073969566 * b);
  double s = cbrt (0.0883024619 * r + 0.2817188376 * g + 0.6299787005 * b);
  Oklab lab = {
    0.2104542553 * l + 0.7936177850 * m - 0.0040720468 * s,
    1.9779984951 * l - 2.4285922050 * m + 0.4505937099 * s,
    0.0259040371 * l + 0.7827717662 * m - 0.8086757660 * s,
  };

  return lab;
}

static TzPlotColor
oklab_to_color (Oklab lab)
{
  double l = lab.l + 0.3963377774 * lab.a + 0.2158037573 * lab.b;
  double m = lab.l - 0.1055613458 * lab.a - 0.0638541728 * lab.b;
  double s = lab.l - 0.0894841775 * lab.a - 1.2914855480 * lab.b;
  TzPlotColor color;

  l = l * l * l;
  m = m * m * m;
  s = s * s * s;

  color.red = linear_to_srgb (4.0767416621 * l - 3.3077115913 * m + 0.2309699292 * s);
  color.green = linear_to_srgb (-1.2684380046 * l + 2.6097574011 * m - 0.3413193965 * s);
  color.blue = linear_to_srgb (-0.0041960863 * l - 0.7034186147 * m + 1.7076147010 * s);
  color.alpha = 1.0;

  return color;
}

void
tz_plot_style_get_scale_color (const TzPlotStyle *style,
                               double             t,
                               TzPlotColor       *color)
{
  const guint n_segments = TZ_PLOT_N_SCALE_STOPS - 1;
  Oklab from, to, mix;
  double position;
  guint segment;

  g_return_if_fail (style != NULL);
  g_return_if_fail (color != NULL);

  if (isnan (t))
    t = 0.0;
  t = CLAMP (t, 0.0, 1.0);

  position = t * n_segments;
  segment = MIN ((guint) position, n_segments - 1);
  position -= segment;

  from = color_to_oklab (&style->scale[segment]);
  to = color_to_oklab (&style->scale[segment + 1]);
  mix.l = from.l + (to.l - from.l) * position;
  mix.a = from.a + (to.a - from.a) * position;
  mix.b = from.b + (to.b - from.b) * position;

  *color = oklab_to_color (mix);
}

gboolean
tz_plot_format_from_path (const char    *path,
                          TzPlotFormat  *format,
                          GError       **error)
{
  static const struct {
    const char *extension;
    TzPlotFormat format;
  } formats[] = {
    { ".png", TZ_PLOT_FORMAT_PNG },
    { ".svg", TZ_PLOT_FORMAT_SVG },
    { ".pdf", TZ_PLOT_FORMAT_PDF },
  };
  g_autofree char *display_name = NULL;
  const char *dot;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (format != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  dot = strrchr (path, '.');
  if (dot != NULL && strchr (dot, G_DIR_SEPARATOR) == NULL)
    {
      for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
        if (g_ascii_strcasecmp (dot, formats[i].extension) == 0)
          {
            *format = formats[i].format;
            return TRUE;
          }
    }

  display_name = g_filename_display_name (path);
  g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
               "%s: unknown picture format; the name must end in .png, .svg or .pdf",
               display_name);
  return FALSE;
}

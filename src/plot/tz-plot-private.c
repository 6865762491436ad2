/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-plot"

#include "config.h"

#include <math.h>
#include <string.h>

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <gio/gio.h>

#include "tz-error.h"
#include "tz-plot-private.h"

/* Larger pictures would take gigabytes as images; nobody needs them. */
#define MAX_PIXELS_PER_SIDE 16384

PangoContext *
tz_plot_pango_context_new (void)
{
  PangoFontMap *font_map = pango_cairo_font_map_get_default ();
  PangoContext *context = pango_font_map_create_context (font_map);
  cairo_font_options_t *options = cairo_font_options_create ();

  cairo_font_options_set_hint_metrics (options, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_hint_style (options, CAIRO_HINT_STYLE_NONE);
  pango_cairo_context_set_font_options (context, options);
  pango_cairo_context_set_resolution (context, 96.0);
  pango_context_set_round_glyph_positions (context, FALSE);
  cairo_font_options_destroy (options);

  return context;
}

double
tz_plot_style_font_px (const TzPlotStyle *style)
{
  double points = style->font_size > 0 && isfinite (style->font_size) ? style->font_size : 10.0;

  return CLAMP (points, 4.0, 200.0) * 96.0 / 72.0;
}

PangoLayout *
tz_plot_text_new (PangoContext      *context,
                  const TzPlotStyle *style,
                  const char        *text,
                  double             size_factor,
                  gboolean           bold,
                  double             max_width)
{
  PangoLayout *layout = pango_layout_new (context);
  PangoFontDescription *font = pango_font_description_new ();

  pango_font_description_set_family (font, style->font_family != NULL ? style->font_family : "Sans");
  pango_font_description_set_absolute_size (font, tz_plot_style_font_px (style) * size_factor * PANGO_SCALE);
  if (bold)
    pango_font_description_set_weight (font, PANGO_WEIGHT_BOLD);
  pango_layout_set_font_description (layout, font);
  pango_font_description_free (font);

  pango_layout_set_single_paragraph_mode (layout, TRUE);
  pango_layout_set_text (layout, text != NULL ? text : "", -1);

  if (max_width > 0)
    {
      pango_layout_set_width (layout, (int) (max_width * PANGO_SCALE));
      pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
    }

  return layout;
}

void
tz_plot_text_get_size (PangoLayout *layout,
                       double      *width,
                       double      *height)
{
  PangoRectangle logical;

  pango_layout_get_extents (layout, NULL, &logical);
  if (width != NULL)
    *width = (double) logical.width / PANGO_SCALE;
  if (height != NULL)
    *height = (double) logical.height / PANGO_SCALE;
}

void
tz_plot_text_draw (cairo_t           *cr,
                   PangoLayout       *layout,
                   double             x,
                   double             y,
                   double             anchor_x,
                   double             anchor_y,
                   double             angle,
                   const TzPlotColor *color)
{
  PangoRectangle logical;
  double width, height;

  pango_layout_get_extents (layout, NULL, &logical);
  width = (double) logical.width / PANGO_SCALE;
  height = (double) logical.height / PANGO_SCALE;

  cairo_save (cr);
  cairo_translate (cr, x, y);
  if (angle != 0)
    cairo_rotate (cr, angle);
  /* An ellipsized layout's box starts at logical.x, not 0. */
  cairo_move_to (cr,
                 -anchor_x * width - (double) logical.x / PANGO_SCALE,
                 -anchor_y * height - (double) logical.y / PANGO_SCALE);
  tz_plot_set_color (cr, color, 1.0);
  pango_cairo_show_layout (cr, layout);
  cairo_restore (cr);
}

void
tz_plot_set_color (cairo_t           *cr,
                   const TzPlotColor *color,
                   double             alpha_factor)
{
  cairo_set_source_rgba (cr, color->red, color->green, color->blue, color->alpha * alpha_factor);
}

static double
channel_luminance (double c)
{
  return c <= 0.04045 ? c / 12.92 : pow ((c + 0.055) / 1.055, 2.4);
}

double
tz_plot_color_luminance (const TzPlotColor *color)
{
  return 0.2126 * channel_luminance (color->red) +
         0.7152 * channel_luminance (color->green) +
         0.0722 * channel_luminance (color->blue);
}

char *
tz_plot_sanitize_label (const char *text)
{
  g_autofree char *valid = NULL;
  GString *out;

  if (text == NULL)
    return NULL;

  valid = g_utf8_make_valid (text, -1);
  out = g_string_sized_new (strlen (valid));
  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      /* A newline would make a two-line label, and control characters are
       * not allowed in the XML of an SVG. */
      if (g_unichar_iscntrl (c))
        g_string_append_c (out, ' ');
      else
        g_string_append_unichar (out, c);
    }

  return g_string_free (out, FALSE);
}

static cairo_status_t
append_to_byte_array (void                *closure,
                      const unsigned char *data,
                      unsigned int         length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

/* Puts <title> and <desc> right after cairo's <svg ...> start tag. */
static gboolean
insert_svg_text (GByteArray  *svg,
                 const char  *title,
                 const char  *description)
{
  g_autoptr(GString) text = g_string_new ("\n");
  const char *start;
  const char *end;
  gsize offset;

  g_byte_array_append (svg, (const guint8 *) "", 1);
  start = strstr ((const char *) svg->data, "<svg");
  end = start != NULL ? strchr (start, '>') : NULL;
  g_byte_array_set_size (svg, svg->len - 1);
  if (end == NULL)
    return FALSE;

  if (title != NULL)
    {
      g_autofree char *escaped = g_markup_escape_text (title, -1);

      g_string_append_printf (text, "<title>%s</title>\n", escaped);
    }
  if (description != NULL)
    {
      g_autofree char *escaped = g_markup_escape_text (description, -1);

      g_string_append_printf (text, "<desc>%s</desc>\n", escaped);
    }

  offset = (gsize) (end + 1 - (const char *) svg->data);
  g_string_append_len (text, (const char *) svg->data + offset, svg->len - offset);
  g_byte_array_set_size (svg, offset);
  g_byte_array_append (svg, (const guint8 *) text->str, text->len);
  return TRUE;
}

static gboolean
render (TzPlotFormat        format,
        const char         *display_name,
        double              width,
        double              height,
        double              scale,
        TzPlotDrawFunc      draw,
        gconstpointer       chart,
        const TzPlotStyle  *style,
        const char         *title,
        GByteArray         *out,
        GError            **error)
{
  cairo_surface_t *surface;
  cairo_status_t status;
  cairo_t *cr;

  switch (format)
    {
    case TZ_PLOT_FORMAT_PNG:
      surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32,
                                            (int) ceil (width * scale),
                                            (int) ceil (height * scale));
      break;
    case TZ_PLOT_FORMAT_SVG:
      surface = cairo_svg_surface_create_for_stream (append_to_byte_array, out, width, height);
      break;
    case TZ_PLOT_FORMAT_PDF:
      surface = cairo_pdf_surface_create_for_stream (append_to_byte_array, out, width, height);
      if (title != NULL)
        cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_TITLE, title);
      cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_CREATOR, "Tsuzuki " PACKAGE_VERSION);
      break;
    default:
      g_assert_not_reached ();
    }

  cr = cairo_create (surface);
  if (format == TZ_PLOT_FORMAT_PNG)
    cairo_scale (cr, scale, scale);
  draw (chart, cr, width, height, style);
  status = cairo_status (cr);
  cairo_destroy (cr);

  if (status == CAIRO_STATUS_SUCCESS)
    {
      if (format == TZ_PLOT_FORMAT_PNG)
        status = cairo_surface_write_to_png_stream (surface, append_to_byte_array, out);
      else
        {
          cairo_surface_finish (surface);
          status = cairo_surface_status (surface);
        }
    }
  cairo_surface_destroy (surface);

  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "%s: cannot draw the picture: %s",
                   display_name, cairo_status_to_string (status));
      return FALSE;
    }

  return TRUE;
}

gboolean
tz_plot_save_drawing (const char         *path,
                      double              width,
                      double              height,
                      double              scale,
                      TzPlotDrawFunc      draw,
                      gconstpointer       chart,
                      const TzPlotStyle  *style,
                      const char         *title,
                      const char         *description,
                      GError            **error)
{
  g_autofree char *display_name = g_filename_display_name (path);
  g_autoptr(GByteArray) data = g_byte_array_new ();
  g_autoptr(GError) local_error = NULL;
  TzPlotFormat format;

  g_assert (draw != NULL);

  if (!tz_plot_format_from_path (path, &format, error))
    return FALSE;

  if (!(width >= 1 && height >= 1 && scale > 0 && scale <= 16) ||
      width * scale > MAX_PIXELS_PER_SIDE || height * scale > MAX_PIXELS_PER_SIDE)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                   "%s: a picture of %g x %g at scale %g is outside what can be "
                   "drawn (1 to %d pixels a side)",
                   display_name, width, height, scale, MAX_PIXELS_PER_SIDE);
      return FALSE;
    }

  if (!render (format, display_name, width, height, scale, draw, chart, style, title, data, error))
    return FALSE;

  if (format == TZ_PLOT_FORMAT_SVG && !insert_svg_text (data, title, description))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "%s: cairo wrote an SVG without an <svg> element", display_name);
      return FALSE;
    }

  /* Written in full to a temporary file, then renamed: a full disk or a
   * crash leaves the old picture or none, never half of one. */
  if (!g_file_set_contents_full (path, (const char *) data->data, data->len,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0666, &local_error))
    {
      g_set_error (error, local_error->domain, local_error->code,
                   "Cannot write %s: %s", display_name, local_error->message);
      return FALSE;
    }

  return TRUE;
}

gboolean
tz_plot_begin (cairo_t             *cr,
               double               width,
               double               height,
               const TzPlotStyle  **style,
               TzPlotStyle         *storage)
{
  if (*style == NULL)
    {
      tz_plot_style_init (storage, FALSE);
      *style = storage;
    }
  if (!(width > 0 && height > 0 && isfinite (width) && isfinite (height)))
    return FALSE;

  cairo_save (cr);
  cairo_rectangle (cr, 0, 0, width, height);
  cairo_clip (cr);
  if ((*style)->background.alpha > 0)
    {
      tz_plot_set_color (cr, &(*style)->background, 1.0);
      cairo_paint (cr);
    }
  return TRUE;
}

void
tz_plot_draw_empty_text (cairo_t           *cr,
                         PangoContext      *context,
                         const TzPlotStyle *style,
                         const char        *text,
                         double             width,
                         double             height,
                         double             top,
                         double             pad)
{
  g_autoptr(PangoLayout) layout = tz_plot_text_new (context, style, text, 1.1, FALSE,
                                                    MAX (width - 2 * pad, 1));
  TzPlotColor dim = style->foreground;

  dim.alpha *= 0.55;
  tz_plot_text_draw (cr, layout, width / 2, (top + height) / 2, 0.5, 0.5, 0, &dim);
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-app"

#include "config.h"

#include <adwaita.h>

#include "tz-chart-style.h"

void
tz_chart_style_for_widget (GtkWidget    *widget,
                           TzPlotStyle  *style,
                           char        **family_out)
{
  PangoContext *context;
  const PangoFontDescription *font;
  gboolean dark;

  g_return_if_fail (GTK_IS_WIDGET (widget));
  g_return_if_fail (style != NULL);
  g_return_if_fail (family_out != NULL);

  dark = adw_style_manager_get_dark (adw_style_manager_get_default ());
  tz_plot_style_init (style, dark);
  /* Cell gaps and point rings still use the colour, so it stays the
   * view's; only the fill is left to the widget's CSS. */
  style->background.alpha = 0.0;

  context = gtk_widget_get_pango_context (widget);
  font = pango_context_get_font_description (context);
  if (font != NULL && pango_font_description_get_family (font) != NULL)
    {
      const char *family = pango_font_description_get_family (font);

      /* Kept when unchanged, so that a style filled earlier stays valid. */
      if (g_strcmp0 (*family_out, family) != 0)
        {
          g_free (*family_out);
          *family_out = g_strdup (family);
        }
      style->font_family = *family_out;
      if (pango_font_description_get_size (font) > 0)
        style->font_size = (double) pango_font_description_get_size (font) / PANGO_SCALE;
    }
}

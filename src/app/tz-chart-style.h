/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "tz-plot.h"

G_BEGIN_DECLS

/* Fills @style for drawing inside @widget: libadwaita's light or dark
 * palette as AdwStyleManager:dark says, a transparent background (the
 * widget's own shows through), and the widget's font. The font family is
 * kept in *@family_out (replaced only when it changes), which must
 * outlive @style's use. */
void tz_chart_style_for_widget (GtkWidget    *widget,
                                TzPlotStyle  *style,
                                char        **family_out);

G_END_DECLS

/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "tz-class-item.h"

G_BEGIN_DECLS

#define TZ_TYPE_CLASS_ROW (tz_class_row_get_type ())

G_DECLARE_FINAL_TYPE (TzClassRow, tz_class_row, TZ, CLASS_ROW, GtkListBoxRow)

/**
 * TzClassRow:
 *
 * A sidebar row for a #TzClassItem: colour swatch, name (editable while
 * the class is not committed to the engine), training and evaluation
 * counts, and whether it is learned. A new name is refused when another
 * class of @siblings (a #GListModel of #TzClassItem, or NULL) has it.
 * Files dropped on it are offered through #TzClassRow::files-dropped (a
 * #GSList of #GFile).
 */
GtkWidget   *tz_class_row_new      (TzClassItem *item,
                                    GListModel  *siblings);
TzClassItem *tz_class_row_get_item (TzClassRow  *self);

G_END_DECLS

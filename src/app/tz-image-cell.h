/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "tz-image-item.h"

G_BEGIN_DECLS

#define TZ_TYPE_IMAGE_CELL (tz_image_cell_get_type ())

G_DECLARE_FINAL_TYPE (TzImageCell, tz_image_cell, TZ, IMAGE_CELL, GtkWidget)

/**
 * TzImageCell:
 *
 * A thumbnail in the image grid, with badges for evaluation images and
 * wrong predictions (whose tooltip names the predicted class). Showing an
 * item starts loading its thumbnail off the main thread.
 */
GtkWidget   *tz_image_cell_new      (void);
TzImageItem *tz_image_cell_get_item (TzImageCell *self);
/* @item may be NULL to unbind. */
void         tz_image_cell_set_item (TzImageCell *self,
                                     TzImageItem *item);

G_END_DECLS

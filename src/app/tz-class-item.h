/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "tz-image-item.h"

G_BEGIN_DECLS

#define TZ_TYPE_CLASS_ITEM (tz_class_item_get_type ())

G_DECLARE_FINAL_TYPE (TzClassItem, tz_class_item, TZ, CLASS_ITEM, GObject)

/**
 * TzClassItem:
 *
 * A class as the sidebar shows it: its name and colour, the images the
 * person gave it (a #GListModel of #TzImageItem), and what the engine's
 * latest snapshot says of it (training and evaluation counts, whether it
 * is learned). The engine knows classes by name: until its first images
 * are sent to it ("committed") the name is the item's alone; afterwards
 * the window renames it in the engine first (tz_class_item_rename()).
 */
TzClassItem   *tz_class_item_new             (const char        *name,
                                              const GdkRGBA     *color);
const char    *tz_class_item_get_name        (TzClassItem       *self);
/* FALSE (leaving the name) once the class is committed or for an empty
 * name. */
gboolean       tz_class_item_set_name        (TzClassItem       *self,
                                              const char        *name);
/* The same, committed or not, for a rename the engine is told of; its
 * images follow. FALSE (leaving the name) for an empty name. */
gboolean       tz_class_item_rename          (TzClassItem       *self,
                                              const char        *name);
const GdkRGBA *tz_class_item_get_color       (TzClassItem       *self);
GListStore    *tz_class_item_get_images      (TzClassItem       *self);
guint          tz_class_item_get_n_train     (TzClassItem       *self);
guint          tz_class_item_get_n_eval      (TzClassItem       *self);
gboolean       tz_class_item_get_learned     (TzClassItem       *self);
void           tz_class_item_set_counts      (TzClassItem       *self,
                                              guint              n_train,
                                              guint              n_eval,
                                              gboolean           learned);
gboolean       tz_class_item_get_committed   (TzClassItem       *self);
void           tz_class_item_set_committed   (TzClassItem       *self,
                                              gboolean           committed);
/* Images sent to the engine whose learning step has not finished. */
guint          tz_class_item_get_n_pending   (TzClassItem       *self);
void           tz_class_item_add_pending     (TzClassItem       *self,
                                              int                delta);

/* The colour of the @index-th class: GNOME's palette, then variations. */
void           tz_class_item_color_for_index (guint              index,
                                              GdkRGBA           *color);

G_END_DECLS

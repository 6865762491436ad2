/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "tz-image-listing.h"

G_BEGIN_DECLS

#define TZ_TYPE_IMAGE_ITEM (tz_image_item_get_type ())

G_DECLARE_FINAL_TYPE (TzImageItem, tz_image_item, TZ, IMAGE_ITEM, GObject)

/**
 * TzImageItem:
 *
 * One image the person gave a class, as the grid shows it: its file, its
 * split, and after each learning step what the classifier predicted for
 * it (evaluation images only). The thumbnail is decoded off the main
 * thread on first request.
 */
TzImageItem  *tz_image_item_new               (const char  *path,
                                               const char  *class_name,
                                               TzSplit      split);
const char   *tz_image_item_get_path          (TzImageItem *self);
const char   *tz_image_item_get_class_name    (TzImageItem *self);
void          tz_image_item_set_class_name    (TzImageItem *self,
                                               const char  *class_name);
TzSplit       tz_image_item_get_split         (TzImageItem *self);
/* Moves the image to training or evaluation (as the engine did); a
 * training image loses its prediction. */
void          tz_image_item_set_split         (TzImageItem *self,
                                               TzSplit      split);
/* The predicted class name, NULL for training images and before any
 * classifier exists. */
const char   *tz_image_item_get_predicted     (TzImageItem *self);
gboolean      tz_image_item_get_wrong         (TzImageItem *self);
gboolean      tz_image_item_get_looks_new     (TzImageItem *self);
double        tz_image_item_get_confidence    (TzImageItem *self);
/* Sets the outcome of the latest evaluation; @predicted NULL clears it. */
void          tz_image_item_set_prediction    (TzImageItem *self,
                                               const char  *predicted,
                                               double       confidence,
                                               gboolean     looks_new);
/* Why the engine could not use the file, or NULL. */
const char   *tz_image_item_get_problem       (TzImageItem *self);
void          tz_image_item_set_problem       (TzImageItem *self,
                                               const char  *problem);
/* The thumbnail, or NULL while it is loading or when the file cannot be
 * decoded (tz_image_item_get_problem() then says why). The first call
 * starts decoding in a worker thread, newest requests first;
 * "notify::thumbnail" follows. */
GdkPaintable *tz_image_item_get_thumbnail     (TzImageItem *self);
/* Withdraws a thumbnail request that is still waiting for the decoder
 * (its cell went out of sight): the decoder skips it, and the next
 * tz_image_item_get_thumbnail() asks again. Does nothing once decoding
 * has started or ended. */
void          tz_image_item_cancel_thumbnail  (TzImageItem *self);

#define TZ_IMAGE_ITEM_THUMBNAIL_SIZE 128

G_END_DECLS

/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "tz-engine.h"

G_BEGIN_DECLS

#define TZ_TYPE_TRY_VIEW (tz_try_view_get_type ())

G_DECLARE_FINAL_TYPE (TzTryView, tz_try_view, TZ, TRY_VIEW, GtkWidget)

typedef enum
{
  TZ_TRY_STATE_EMPTY,
  TZ_TRY_STATE_BUSY,
  TZ_TRY_STATE_RESULT,
  TZ_TRY_STATE_ERROR,
} TzTryState;

/**
 * TzTryView:
 *
 * The Try page: one image scored by the engine's latest classifier, with
 * the closest classes and their posterior probabilities, the squared
 * Mahalanobis distance to the nearest class against the novelty
 * threshold, and the "Looks New" cue. Its buttons activate the window
 * actions win.try-open and win.create-class-from-try. "notify::state"
 * tells when a result or an error arrives.
 */
GtkWidget   *tz_try_view_new              (void);
void         tz_try_view_set_engine       (TzTryView   *self,
                                           TzEngine    *engine);
/* The classes (a #GListModel of #TzClassItem) whose colours the bars use. */
void         tz_try_view_set_classes      (TzTryView   *self,
                                           GListModel  *classes);
/* Extracts @path's features in the engine (through its cache) and scores
 * them with the latest snapshot's classifier. An unreadable file, no
 * learned class or an extractor failure ends in %TZ_TRY_STATE_ERROR with
 * the reason (tz_try_view_get_error()). A later call supersedes an
 * earlier one still running. */
void         tz_try_view_try_file         (TzTryView   *self,
                                           const char  *path);
TzTryState   tz_try_view_get_state        (TzTryView   *self);
const char  *tz_try_view_get_path         (TzTryView   *self);
const char  *tz_try_view_get_error        (TzTryView   *self);
/* The classes by decreasing posterior (at most 5 are kept). */
guint        tz_try_view_get_n_results    (TzTryView   *self);
const char  *tz_try_view_get_result       (TzTryView   *self,
                                           guint        index,
                                           double      *posterior);
double       tz_try_view_get_min_distance (TzTryView   *self);
double       tz_try_view_get_threshold    (TzTryView   *self);
gboolean     tz_try_view_get_looks_new    (TzTryView   *self);

G_END_DECLS

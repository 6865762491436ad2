/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "tz-class-item.h"
#include "tz-engine.h"
#include "tz-try-view.h"

G_BEGIN_DECLS

#define TZ_TYPE_WINDOW (tz_window_get_type ())

G_DECLARE_FINAL_TYPE (TzWindow, tz_window, TZ, WINDOW, AdwApplicationWindow)

/**
 * TzWindow:
 *
 * The main window: classes in the sidebar, the Images, Accuracy,
 * Confusion and Try views, and the progress of the engine's work. Every
 * command is a window action (win.add-class, win.add-images,
 * win.open-folder, win.paste, win.remove-class, win.undo-remove,
 * win.show-confusion-cell, win.try-open, win.create-class-from-try,
 * win.try-demo, win.cancel, win.export-accuracy, win.export-confusion,
 * win.show-view, win.train-network, win.rename-class (old and new name),
 * win.use-for-evaluation and win.use-for-training for the images selected
 * in the grid); the functions below are what those actions do once a
 * file is chosen, so tests can drive them without a file chooser. The
 * feature recipe follows the settings (backbone, weights, device, layers,
 * image-size, trained-weights): a change extracts every image again, and
 * a recipe that cannot be made or loaded puts the settings back.
 */
TzWindow     *tz_window_new                (AdwApplication  *application,
                                            TzEngine        *engine);
TzEngine     *tz_window_get_engine         (TzWindow        *self);
/* The classes in sidebar order: a #GListModel of #TzClassItem. */
GListModel   *tz_window_get_classes        (TzWindow        *self);
TzClassItem  *tz_window_get_selected_class (TzWindow        *self);
void          tz_window_select_class       (TzWindow        *self,
                                            TzClassItem     *item);
/* What the image grid shows: a #GListModel of #TzImageItem, which is
 * also the grid's #GtkSelectionModel (several images can be selected). */
GListModel   *tz_window_get_shown_images   (TzWindow        *self);
/* The snapshot the views show now (no new reference), or NULL. */
TzSnapshot   *tz_window_get_snapshot       (TzWindow        *self);
TzTryView    *tz_window_get_try_view       (TzWindow        *self);
/* Jobs sent to the engine whose results have not come back yet. */
guint         tz_window_get_n_pending_jobs (TzWindow        *self);
const char   *tz_window_get_visible_view   (TzWindow        *self);

/* Adds image files to @target (the selected class, or a new one, when
 * NULL) as one learning step; folders among @files are searched for
 * images (in a worker thread). Each image goes to training or evaluation
 * by the evaluation fraction (a class's first image always trains). */
void          tz_window_add_files          (TzWindow        *self,
                                            GList           *files,
                                            TzClassItem     *target);
/* Scans @folder (one sub-folder per class, or train/ and test/) in a
 * worker thread, creates the classes it names and learns them in one
 * step. Problems are shown as toasts. */
void          tz_window_open_folder        (TzWindow        *self,
                                            GFile           *folder);
/* Shows the Try view scoring @file. */
void          tz_window_try_file           (TzWindow        *self,
                                            GFile           *file);
/* Saves the chart shown, "accuracy" or "confusion", to @path as PNG, SVG
 * or PDF by its extension (tz_accuracy_chart_save()'s errors, which name
 * the file; TZ_ERROR_INVALID_ARGUMENT for another chart name). */
gboolean      tz_window_export_chart       (TzWindow        *self,
                                            const char      *chart,
                                            const char      *path,
                                            GError         **error);
void          tz_window_show_toast         (TzWindow        *self,
                                            const char      *title);

G_END_DECLS

/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "tz-accuracy-chart-widget.h"
#include "tz-confusion-chart-widget.h"
#include "tz-window.h"

G_BEGIN_DECLS

/* backbone, weights, device, layers, image-size, trained-weights */
#define TZ_WINDOW_N_RECIPE_KEYS 6

struct _TzWindow
{
  AdwApplicationWindow    parent_instance;

  /* Template widgets */
  AdwToastOverlay        *toast_overlay;
  GtkStack               *main_stack;
  AdwLeaflet             *leaflet;
  GtkWidget              *sidebar;
  GtkWidget              *content;
  GtkListBox             *class_list;
  GtkButton              *train_button;
  GtkLabel               *train_hint;
  AdwViewStack           *view_stack;
  GtkRevealer            *filter_revealer;
  GtkLabel               *filter_label;
  GtkStack               *images_stack;
  AdwStatusPage          *images_empty_page;
  GtkGridView            *image_grid;
  GtkLabel               *accuracy_label;
  TzAccuracyChartWidget  *accuracy_chart;
  TzConfusionChartWidget *confusion_chart;
  GtkToggleButton        *normalize_button;
  TzTryView              *try_view;
  GtkRevealer            *progress_revealer;
  GtkLabel               *progress_label;
  GtkProgressBar         *progress_bar;
  GMenuModel             *image_menu;
  GtkWidget              *image_popover;     /* parented to image_grid */

  /* Owned references */
  TzEngine               *engine;
  GSettings              *settings;
  GListStore             *classes;
  GtkMultiSelection      *shown_selection;
  GtkSliceListModel      *shown_slice;       /* under shown_selection */
  GSignalGroup           *shown_source_signals;
  GListStore             *filtered_images;
  TzSnapshot             *snapshot;
  GCancellable           *cancellable;
  GHashTable             *eval_items;        /* path -> TzImageItem, borrowed from classes */
  TzClassItem            *removed_item;      /* kept for Undo */
  guint                   removed_position;

  /* The demo's state */
  GArray                 *demo_images;       /* TzDemoImage */
  guint                   demo_next_class;
  guint                   demo_timeout;
  gboolean                demo_running;
  guint                   demo_done;
  guint                   demo_total;
  gboolean                demo_trained;      /* the network step is done or skipped */

  /* The feature recipe: the settings' values the engine's extractor was
   * made from (see tz-window-network.c) */
  GVariant               *recipe_values[TZ_WINDOW_N_RECIPE_KEYS];
  guint                   recipe_timeout;
  guint                   n_recipe_jobs;
  gboolean                training;

  guint                   grid_tick;
  guint                   shown_tick;        /* growing shown_slice */
  guint                   n_pending_jobs;
  gboolean                disposed;          /* late results are dropped */
  guint                   n_classes_made;
};

/* tz-window.c */
void          _tz_window_learn              (TzWindow    *self,
                                             GPtrArray   *items,
                                             const char  *label);
void          _tz_window_learn_demo         (TzWindow    *self,
                                             GPtrArray   *items,
                                             const char  *label);
TzClassItem  *_tz_window_find_class         (TzWindow    *self,
                                             const char  *name);
TzClassItem  *_tz_window_create_class       (TzWindow    *self,
                                             const char  *name);
void          _tz_window_remove_class       (TzWindow    *self,
                                             TzClassItem *item);
void          _tz_window_undo_remove        (TzWindow    *self);
void          _tz_window_show_confusion_cell (TzWindow   *self,
                                             guint        row,
                                             guint        column);
void          _tz_window_clear_filter       (TzWindow    *self);
void          _tz_window_update_progress    (TzWindow    *self);
TzSplit       _tz_window_choose_split       (TzWindow    *self,
                                             const char  *class_name,
                                             const char  *path);
void          _tz_window_apply_settings     (TzWindow    *self);
void          _tz_window_apply_snapshot     (TzWindow    *self,
                                             TzSnapshot  *snapshot);
void          _tz_window_update_main_page   (TzWindow    *self);
gboolean      _tz_window_rename_class       (TzWindow    *self,
                                             TzClassItem *item,
                                             const char  *name,
                                             GError     **error);
void          _tz_window_set_split_of_selection (TzWindow *self,
                                             TzSplit      split);

/* tz-window-actions.c */
void          _tz_window_class_init_actions (GtkWidgetClass *widget_class);
void          _tz_window_init_actions       (TzWindow    *self);
void          _tz_window_start_demo         (TzWindow    *self);
void          _tz_window_stop_demo          (TzWindow    *self);
void          _tz_window_demo_step_done     (TzWindow    *self);

/* tz-window-network.c */
void          _tz_window_init_network       (TzWindow    *self);
void          _tz_window_dispose_network    (TzWindow    *self);
void          _tz_window_train_network      (TzWindow    *self,
                                             gboolean     from_demo);
void          _tz_window_update_train_action (TzWindow   *self);

G_END_DECLS

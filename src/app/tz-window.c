/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-app"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "tz-class-row.h"
#include "tz-demo.h"
#include "tz-error.h"
#include "tz-gaussian-settings.h"
#include "tz-image-cell.h"
#include "tz-window-private.h"

G_DEFINE_FINAL_TYPE (TzWindow, tz_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_ENGINE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef struct
{
  TzWindow  *window;
  GPtrArray *items;     /* TzImageItem */
  gboolean   from_demo;
} StepData;

static void
step_data_free (StepData *step)
{
  g_object_unref (step->window);
  g_ptr_array_unref (step->items);
  g_free (step);
}

/* Classes --------------------------------------------------------------------- */

TzClassItem *
_tz_window_find_class (TzWindow   *self,
                       const char *name)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->classes));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(TzClassItem) item = g_list_model_get_item (G_LIST_MODEL (self->classes), i);

      if (g_strcmp0 (tz_class_item_get_name (item), name) == 0)
        return item;
    }
  return NULL;
}

/* A name no class has yet: @name itself, else "@name 2", "@name 3"... */
static char *
unique_class_name (TzWindow   *self,
                   const char *name)
{
  char *candidate = g_strdup (name);

  for (guint k = 2; _tz_window_find_class (self, candidate) != NULL; k++)
    {
      g_free (candidate);
      candidate = g_strdup_printf ("%s %u", name, k);
    }
  return candidate;
}

TzClassItem *
_tz_window_create_class (TzWindow   *self,
                         const char *name)
{
  g_autoptr(TzClassItem) item = NULL;
  g_autofree char *unique = NULL;
  GdkRGBA color;

  if (name == NULL)
    {
      g_autofree char *numbered = g_strdup_printf (_("Class %u"), self->n_classes_made + 1);

      unique = unique_class_name (self, numbered);
    }
  else
    unique = unique_class_name (self, name);
  tz_class_item_color_for_index (self->n_classes_made++, &color);
  item = tz_class_item_new (unique, &color);
  g_list_store_append (self->classes, item);
  return item;
}

TzClassItem *
tz_window_get_selected_class (TzWindow *self)
{
  GtkListBoxRow *row;

  g_return_val_if_fail (TZ_IS_WINDOW (self), NULL);

  row = gtk_list_box_get_selected_row (self->class_list);
  return row != NULL ? tz_class_row_get_item (TZ_CLASS_ROW (row)) : NULL;
}

void
tz_window_select_class (TzWindow    *self,
                        TzClassItem *item)
{
  guint position;

  g_return_if_fail (TZ_IS_WINDOW (self));

  if (item != NULL && g_list_store_find (self->classes, item, &position))
    gtk_list_box_select_row (self->class_list, gtk_list_box_get_row_at_index (self->class_list, position));
  else
    gtk_list_box_unselect_all (self->class_list);
}

void
_tz_window_update_main_page (TzWindow *self)
{
  gboolean empty = g_list_model_get_n_items (G_LIST_MODEL (self->classes)) == 0 &&
                   !self->demo_running && self->n_pending_jobs == 0;

  gtk_stack_set_visible_child_name (self->main_stack, empty ? "empty" : "main");
}

static void
update_images_page (TzWindow *self)
{
  GListModel *model = G_LIST_MODEL (self->shown_selection);
  TzClassItem *selected = tz_window_get_selected_class (self);

  if (g_list_model_get_n_items (model) > 0)
    {
      gtk_stack_set_visible_child_name (self->images_stack, "grid");
      return;
    }
  if (gtk_revealer_get_reveal_child (self->filter_revealer))
    {
      adw_status_page_set_title (self->images_empty_page, _("No Images Here"));
      adw_status_page_set_description (self->images_empty_page,
                                       _("No evaluation image of this class is predicted as that class."));
    }
  else if (selected == NULL)
    {
      adw_status_page_set_title (self->images_empty_page, _("No Class Selected"));
      adw_status_page_set_description (self->images_empty_page,
                                       _("Add a class, then drop, paste or add its images."));
    }
  else
    {
      adw_status_page_set_title (self->images_empty_page, _("No Images"));
      adw_status_page_set_description (self->images_empty_page,
                                       _("Drop images or folders here, paste them, or add them from your files. They are learned as soon as they are read."));
    }
  gtk_stack_set_visible_child_name (self->images_stack, "empty");
}

/* GTK 4.8's grid makes cells for 32 rows of max-columns at once: given
 * hundreds of images in one go (a class shown, a folder added), it makes
 * them all in one frame (40 to 70 ms here). shown_slice, under the
 * selection, lets at most SHOWN_CHUNK more images in a frame. */
#define SHOWN_CHUNK 32

static void
stop_growing_shown (TzWindow *self)
{
  if (self->shown_tick != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self->image_grid), self->shown_tick);
  self->shown_tick = 0;
}

static guint
shown_source_n_items (TzWindow *self)
{
  GListModel *source = gtk_slice_list_model_get_model (self->shown_slice);

  return source != NULL ? g_list_model_get_n_items (source) : 0;
}

static gboolean
grow_shown (GtkWidget     *widget,
            GdkFrameClock *clock,
            gpointer       user_data)
{
  TzWindow *self = user_data;
  guint n = shown_source_n_items (self);
  guint size = MIN (gtk_slice_list_model_get_size (self->shown_slice) + SHOWN_CHUNK, n);

  gtk_slice_list_model_set_size (self->shown_slice, size);
  if (size < n)
    return G_SOURCE_CONTINUE;
  self->shown_tick = 0;
  return G_SOURCE_REMOVE;
}

/* Lets the source's images in: all of them at once when they are few,
 * else a chunk now and a chunk a frame (the grid's frames, once it is
 * realized). The slice has held back what is beyond its size; this runs
 * after it. */
static void
update_shown_size (TzWindow *self)
{
  guint n = shown_source_n_items (self);
  guint size = gtk_slice_list_model_get_size (self->shown_slice);

  if (self->shown_tick != 0)
    return;
  if (n <= size + SHOWN_CHUNK)
    {
      gtk_slice_list_model_set_size (self->shown_slice, n);
      return;
    }
  gtk_slice_list_model_set_size (self->shown_slice, size + SHOWN_CHUNK);
  self->shown_tick = gtk_widget_add_tick_callback (GTK_WIDGET (self->image_grid), grow_shown, self, NULL);
}

static void
set_shown_model (TzWindow   *self,
                 GListModel *model)
{
  /* The same images: the selection stays, and so does the growth. */
  if (gtk_slice_list_model_get_model (self->shown_slice) == model)
    return;
  stop_growing_shown (self);
  gtk_slice_list_model_set_model (self->shown_slice, NULL);
  gtk_slice_list_model_set_size (self->shown_slice, 0);
  gtk_slice_list_model_set_model (self->shown_slice, model);
  g_signal_group_set_target (self->shown_source_signals, model);
  update_shown_size (self);
}

void
_tz_window_clear_filter (TzWindow *self)
{
  TzClassItem *selected = tz_window_get_selected_class (self);

  gtk_revealer_set_reveal_child (self->filter_revealer, FALSE);
  g_list_store_remove_all (self->filtered_images);
  set_shown_model (self, selected ? G_LIST_MODEL (tz_class_item_get_images (selected)) : NULL);
  update_images_page (self);
}

static void
row_selected (TzWindow      *self,
              GtkListBoxRow *row)
{
  _tz_window_clear_filter (self);
  if (row != NULL && adw_leaflet_get_folded (self->leaflet))
    adw_leaflet_set_visible_child (self->leaflet, self->content);
}

static void
files_dropped_on_row (TzClassRow *row,
                      GSList     *files,
                      TzWindow   *self)
{
  g_autoptr(GList) list = NULL;

  for (GSList *l = files; l != NULL; l = l->next)
    list = g_list_prepend (list, l->data);
  list = g_list_reverse (list);
  tz_window_add_files (self, list, tz_class_row_get_item (row));
}

static GtkWidget *
create_class_row (gpointer item,
                  gpointer user_data)
{
  TzWindow *self = user_data;
  GtkWidget *row = tz_class_row_new (item, G_LIST_MODEL (self->classes));

  g_signal_connect_object (row, "files-dropped", G_CALLBACK (files_dropped_on_row), self, 0);
  return row;
}

static void
classes_changed (TzWindow   *self,
                 guint       position,
                 guint       removed,
                 guint       added,
                 GListModel *model)
{
  _tz_window_update_main_page (self);
  if (added > 0 && tz_window_get_selected_class (self) == NULL)
    {
      g_autoptr(TzClassItem) item = g_list_model_get_item (model, position);

      tz_window_select_class (self, item);
    }
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.remove-selected-class",
                                 g_list_model_get_n_items (model) > 0);
}

/* Splits ---------------------------------------------------------------------- */

TzSplit
_tz_window_choose_split (TzWindow   *self,
                         const char *class_name,
                         const char *path)
{
  double fraction = g_settings_get_double (self->settings, "eval-fraction");
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree char *basename = g_path_get_basename (path);
  g_autofree char *text = g_strdup_printf ("0\n%s\n%s", class_name, basename);
  guint8 digest[32];
  gsize length = sizeof digest;
  guint64 key = 0;

  /* The same key as tz-image-listing's seeded split, compared with a
   * threshold per image, so an image keeps its side whatever else is
   * added with it. */
  g_checksum_update (checksum, (const guchar *) text, -1);
  g_checksum_get_digest (checksum, digest, &length);
  for (guint i = 0; i < 8; i++)
    key = (key << 8) | digest[i];
  return (double) key < fraction * 18446744073709551616.0 ? TZ_SPLIT_EVAL : TZ_SPLIT_TRAIN;
}

/* Snapshots ------------------------------------------------------------------- */

static void
rebuild_eval_items (TzWindow *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->classes));

  g_hash_table_remove_all (self->eval_items);
  for (guint c = 0; c < n; c++)
    {
      g_autoptr(TzClassItem) class_item = g_list_model_get_item (G_LIST_MODEL (self->classes), c);
      GListModel *images = G_LIST_MODEL (tz_class_item_get_images (class_item));
      guint m = g_list_model_get_n_items (images);

      for (guint i = 0; i < m; i++)
        {
          g_autoptr(TzImageItem) image = g_list_model_get_item (images, i);

          if (tz_image_item_get_split (image) == TZ_SPLIT_EVAL)
            g_hash_table_insert (self->eval_items, (gpointer) tz_image_item_get_path (image), image);
        }
    }
}

static char *
format_accuracy (double value)
{
  if (!isfinite (value))
    return g_strdup ("—");
  return g_strdup_printf (_("%.1f%%"), 100.0 * value);
}

static void
update_charts (TzWindow   *self,
               TzSnapshot *snapshot)
{
  g_autoptr(TzAccuracyChart) accuracy = tz_accuracy_chart_new ();
  g_autoptr(TzConfusionChart) confusion = NULL;

  tz_accuracy_chart_set_series_label (accuracy, TZ_ACCURACY_SERIES_ALL, _("All images"));
  tz_accuracy_chart_set_series_label (accuracy, TZ_ACCURACY_SERIES_LEARNED, _("Learned classes"));
  tz_accuracy_chart_set_empty_text (accuracy, _("No learning steps yet"));
  for (guint s = 0; s < snapshot->n_steps; s++)
    tz_accuracy_chart_add_step (accuracy, snapshot->steps[s].label,
                                snapshot->steps[s].accuracy, snapshot->steps[s].accuracy_learned);
  tz_accuracy_chart_widget_set_chart (self->accuracy_chart, accuracy);

  if (snapshot->n_steps > 0)
    {
      const TzSnapshotStep *last = &snapshot->steps[snapshot->n_steps - 1];
      g_autofree char *all = format_accuracy (last->accuracy);
      g_autofree char *learned = format_accuracy (last->accuracy_learned);
      g_autofree char *text = NULL;

      /* TRANSLATORS: the summary above the accuracy curve: the number of
       * steps, then the latest accuracy over all evaluation images and
       * over the images of learned classes */
      text = g_strdup_printf (ngettext ("After %u step: <b>%s</b> of all evaluation images, <b>%s</b> of the learned classes’ images",
                                        "After %u steps: <b>%s</b> of all evaluation images, <b>%s</b> of the learned classes’ images",
                                        snapshot->n_steps),
                              snapshot->n_steps, all, learned);
      gtk_label_set_markup (self->accuracy_label, text);
    }
  else
    gtk_label_set_label (self->accuracy_label, _("Each learning step adds a point: the share of evaluation images classified correctly."));

  if (snapshot->evaluation != NULL)
    {
      const TzEvaluation *evaluation = snapshot->evaluation;
      g_autofree const char **rows = g_new0 (const char *, evaluation->n_classes + 1);
      g_autofree const char **columns = g_new0 (const char *, evaluation->n_learned + 1);

      for (guint r = 0; r < evaluation->n_classes; r++)
        rows[r] = snapshot->classes[r].name;
      for (guint c = 0; c < evaluation->n_learned; c++)
        columns[c] = snapshot->classes[evaluation->learned[c]].name;
      confusion = tz_confusion_chart_new (evaluation->n_classes, rows, evaluation->n_learned, columns,
                                          evaluation->confusion);
    }
  else
    {
      /* tz_confusion_chart_new() reads one count even for an empty
       * matrix. */
      static const gint64 no_counts[1] = { 0 };

      confusion = tz_confusion_chart_new (0, NULL, 0, NULL, no_counts);
    }
  tz_confusion_chart_set_axis_titles (confusion, _("True class"), _("Predicted class"));
  tz_confusion_chart_set_empty_text (confusion, _("No classes learned yet"));
  tz_confusion_chart_widget_set_chart (self->confusion_chart, confusion);
}

void
_tz_window_apply_snapshot (TzWindow   *self,
                           TzSnapshot *snapshot)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->classes));
  g_autoptr(GHashTable) image_of_path = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter iter;
  gpointer key, value;

  g_clear_pointer (&self->snapshot, tz_snapshot_unref);
  self->snapshot = tz_snapshot_ref (snapshot);

  for (guint c = 0; c < n; c++)
    {
      g_autoptr(TzClassItem) item = g_list_model_get_item (G_LIST_MODEL (self->classes), c);
      gint k = tz_snapshot_find_class (snapshot, tz_class_item_get_name (item));

      if (k >= 0)
        tz_class_item_set_counts (item, snapshot->classes[k].n_train, snapshot->classes[k].n_eval,
                                  snapshot->classes[k].learned);
      else
        tz_class_item_set_counts (item, 0, 0, FALSE);
    }

  rebuild_eval_items (self);
  for (guint i = 0; i < snapshot->n_images; i++)
    g_hash_table_insert (image_of_path, snapshot->images[i].path, &snapshot->images[i]);
  g_hash_table_iter_init (&iter, self->eval_items);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const TzSnapshotImage *image = g_hash_table_lookup (image_of_path, key);

      if (image != NULL && image->predicted >= 0)
        tz_image_item_set_prediction (value, snapshot->classes[image->predicted].name,
                                      image->confidence, image->looks_new);
      else
        tz_image_item_set_prediction (value, NULL, NAN, FALSE);
    }

  update_charts (self, snapshot);
  _tz_window_update_train_action (self);
}

/* Learning steps --------------------------------------------------------------- */

/* Marks the items the engine could not use, from its "path: reason"
 * lines; returns how many there were. */
static guint
mark_skipped (GPtrArray  *items,
              GPtrArray  *skipped)
{
  g_autoptr(GHashTable) by_path = g_hash_table_new (g_str_hash, g_str_equal);
  guint n_marked = 0;

  for (guint i = 0; i < items->len; i++)
    g_hash_table_insert (by_path, (gpointer) tz_image_item_get_path (g_ptr_array_index (items, i)),
                         g_ptr_array_index (items, i));
  for (guint s = 0; s < skipped->len; s++)
    {
      const char *line = g_ptr_array_index (skipped, s);

      /* A path may itself hold ": ", so every split point is tried. */
      for (const char *colon = strstr (line, ": "); colon != NULL; colon = strstr (colon + 1, ": "))
        {
          g_autofree char *path = g_strndup (line, colon - line);
          TzImageItem *item = g_hash_table_lookup (by_path, path);

          if (item != NULL)
            {
              tz_image_item_set_problem (item, colon + 2);
              n_marked++;
              break;
            }
        }
    }
  return n_marked;
}

/* Counts @items as pending (@sign 1) or no longer (-1) in their classes,
 * one notification per class; pending classes are committed. */
static void
change_pending (TzWindow  *self,
                GPtrArray *items,
                int        sign)
{
  g_autoptr(GHashTable) per_class = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter iter;
  gpointer key, value;

  for (guint i = 0; i < items->len; i++)
    {
      const char *name = tz_image_item_get_class_name (g_ptr_array_index (items, i));

      g_hash_table_insert (per_class, (gpointer) name,
                           GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (per_class, name)) + 1));
    }
  g_hash_table_iter_init (&iter, per_class);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      TzClassItem *class_item = _tz_window_find_class (self, key);
      guint n = GPOINTER_TO_UINT (value);

      if (class_item == NULL)
        continue;
      if (sign > 0)
        {
          tz_class_item_set_committed (class_item, TRUE);
          tz_class_item_add_pending (class_item, (int) n);
        }
      else
        tz_class_item_add_pending (class_item, -(int) MIN (n, tz_class_item_get_n_pending (class_item)));
    }
}

/* Takes @items out of their classes, one change per class (a removal per
 * image would make the grid relayout hundreds of times). */
static void
drop_step_images (TzWindow  *self,
                  GPtrArray *items)
{
  g_autoptr(GHashTable) dropped = g_hash_table_new (NULL, NULL);
  guint n_classes = g_list_model_get_n_items (G_LIST_MODEL (self->classes));

  for (guint i = 0; i < items->len; i++)
    g_hash_table_add (dropped, g_ptr_array_index (items, i));
  for (guint c = 0; c < n_classes; c++)
    {
      g_autoptr(TzClassItem) class_item = g_list_model_get_item (G_LIST_MODEL (self->classes), c);
      GListStore *store = tz_class_item_get_images (class_item);
      guint n = g_list_model_get_n_items (G_LIST_MODEL (store));
      g_autoptr(GPtrArray) kept = g_ptr_array_new_with_free_func (g_object_unref);

      for (guint i = 0; i < n; i++)
        {
          TzImageItem *image = g_list_model_get_item (G_LIST_MODEL (store), i);

          if (g_hash_table_contains (dropped, image))
            g_object_unref (image);
          else
            g_ptr_array_add (kept, image);
        }
      if (kept->len == n)
        continue;
      g_list_store_splice (store, 0, n, kept->pdata, kept->len);
      if (kept->len == 0 && tz_class_item_get_n_train (class_item) + tz_class_item_get_n_eval (class_item) == 0)
        tz_class_item_set_committed (class_item, FALSE);
    }
}

static void
learn_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  StepData *step = user_data;
  TzWindow *self = step->window;
  g_autoptr(TzSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;

  snapshot = tz_engine_learn_finish (TZ_ENGINE (source), result, &error);
  self->n_pending_jobs--;
  if (self->disposed)
    {
      step_data_free (step);
      return;
    }

  change_pending (self, step->items, -1);
  /* A failed step changed nothing in the engine: its images leave their
   * class again, so that what is shown is what is learned. */
  if (snapshot == NULL)
    drop_step_images (self, step->items);

  if (snapshot == NULL)
    {
      g_autofree char *message = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        message = g_strdup_printf (ngettext ("Cancelled: %u image was not added",
                                             "Cancelled: %u images were not added",
                                             step->items->len), step->items->len);
      else
        message = g_strdup_printf (_("Learning failed: %s"), error->message);
      tz_window_show_toast (self, message);
      if (step->from_demo)
        _tz_window_stop_demo (self);
    }
  else
    {
      guint n_skipped = mark_skipped (step->items, snapshot->skipped);

      _tz_window_apply_snapshot (self, snapshot);
      if (n_skipped > 0)
        {
          g_autofree char *message = g_strdup_printf (ngettext ("%u file could not be used: hover over its thumbnail to see why",
                                                                "%u files could not be used: hover over their thumbnails to see why",
                                                                n_skipped), n_skipped);

          tz_window_show_toast (self, message);
        }
      if (snapshot->classifier_error != NULL)
        tz_window_show_toast (self, snapshot->classifier_error);
      if (step->from_demo)
        _tz_window_demo_step_done (self);
    }

  _tz_window_update_main_page (self);
  update_images_page (self);
  _tz_window_update_progress (self);
  step_data_free (step);
}

static void
learn_step (TzWindow   *self,
            GPtrArray  *items,
            const char *label,
            gboolean    from_demo)
{
  g_autofree TzLearnImage *images = NULL;
  StepData *step;

  g_assert (items->len > 0);

  change_pending (self, items, 1);
  images = g_new0 (TzLearnImage, items->len);
  for (guint i = 0; i < items->len; i++)
    {
      TzImageItem *image = g_ptr_array_index (items, i);

      images[i].path = tz_image_item_get_path (image);
      images[i].class_name = tz_image_item_get_class_name (image);
      images[i].split = tz_image_item_get_split (image);
    }

  step = g_new0 (StepData, 1);
  step->window = g_object_ref (self);
  step->items = g_ptr_array_ref (items);
  step->from_demo = from_demo;
  self->n_pending_jobs++;
  tz_engine_learn_async (self->engine, images, items->len, label, self->cancellable, learn_done, step);
  _tz_window_update_main_page (self);
  _tz_window_update_progress (self);
}

void
_tz_window_learn (TzWindow   *self,
                  GPtrArray  *items,
                  const char *label)
{
  learn_step (self, items, label, FALSE);
}

/* The demo's steps go through here, so that their completion moves the
 * demo on. */
void
_tz_window_learn_demo (TzWindow   *self,
                       GPtrArray  *items,
                       const char *label)
{
  learn_step (self, items, label, TRUE);
}

/* Removing and undoing ---------------------------------------------------------- */

static void
remove_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(TzWindow) self = user_data;
  g_autoptr(TzSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;

  snapshot = tz_engine_remove_class_finish (TZ_ENGINE (source), result, &error);
  self->n_pending_jobs--;
  if (self->disposed)
    return;
  if (snapshot != NULL)
    _tz_window_apply_snapshot (self, snapshot);
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    tz_window_show_toast (self, error->message);
  _tz_window_update_main_page (self);
  _tz_window_update_progress (self);
}

void
_tz_window_remove_class (TzWindow    *self,
                         TzClassItem *item)
{
  g_autofree char *title = NULL;
  AdwToast *toast;
  guint position;

  if (!g_list_store_find (self->classes, item, &position))
    return;

  g_set_object (&self->removed_item, item);
  self->removed_position = position;
  g_list_store_remove (self->classes, position);
  if (tz_class_item_get_committed (item))
    {
      self->n_pending_jobs++;
      tz_engine_remove_class_async (self->engine, tz_class_item_get_name (item), self->cancellable,
                                    remove_done, g_object_ref (self));
    }
  if (tz_window_get_selected_class (self) == NULL &&
      g_list_model_get_n_items (G_LIST_MODEL (self->classes)) > 0)
    {
      g_autoptr(TzClassItem) next =
        g_list_model_get_item (G_LIST_MODEL (self->classes),
                               MIN (position, g_list_model_get_n_items (G_LIST_MODEL (self->classes)) - 1));

      tz_window_select_class (self, next);
    }
  _tz_window_clear_filter (self);

  /* TRANSLATORS: a toast after a class was removed; %s is its name */
  title = g_strdup_printf (_("“%s” removed"), tz_class_item_get_name (item));
  toast = adw_toast_new (title);
  adw_toast_set_button_label (toast, _("_Undo"));
  adw_toast_set_action_name (toast, "win.undo-remove");
  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.undo-remove", TRUE);
}

void
_tz_window_undo_remove (TzWindow *self)
{
  g_autoptr(TzClassItem) item = g_steal_pointer (&self->removed_item);
  g_autoptr(GPtrArray) images = g_ptr_array_new_with_free_func (g_object_unref);
  GListModel *model;
  g_autofree char *label = NULL;
  guint n;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.undo-remove", FALSE);
  if (item == NULL || _tz_window_find_class (self, tz_class_item_get_name (item)) != NULL)
    return;

  g_list_store_insert (self->classes,
                       MIN (self->removed_position, g_list_model_get_n_items (G_LIST_MODEL (self->classes))),
                       item);
  tz_window_select_class (self, item);

  /* The feature cache holds every image's features, so learning the class
   * again costs no extraction. */
  tz_class_item_set_counts (item, 0, 0, FALSE);
  model = G_LIST_MODEL (tz_class_item_get_images (item));
  n = g_list_model_get_n_items (model);
  for (guint i = 0; i < n; i++)
    {
      TzImageItem *image = g_list_model_get_item (model, i);

      tz_image_item_set_problem (image, NULL);
      g_ptr_array_add (images, image);
    }
  if (images->len == 0)
    {
      tz_class_item_set_committed (item, FALSE);
      return;
    }
  label = g_strdup_printf ("+%s", tz_class_item_get_name (item));
  _tz_window_learn (self, images, label);
}

/* Renaming ------------------------------------------------------------------------ */

typedef struct
{
  TzWindow    *window;
  TzClassItem *item;
  char        *old_name;
} RenameData;

static void
rename_data_free (RenameData *data)
{
  g_object_unref (data->window);
  g_object_unref (data->item);
  g_free (data->old_name);
  g_free (data);
}

static void
rename_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  RenameData *data = user_data;
  TzWindow *self = data->window;
  g_autoptr(TzSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;

  snapshot = tz_engine_rename_class_finish (TZ_ENGINE (source), result, &error);
  self->n_pending_jobs--;
  if (self->disposed)
    {
      rename_data_free (data);
      return;
    }
  if (snapshot != NULL)
    _tz_window_apply_snapshot (self, snapshot);
  else
    {
      /* TRANSLATORS: a toast; %s is the class's name */
      g_autofree char *message = g_strdup_printf (_("“%s” keeps its name: %s"), data->old_name, error->message);

      /* The engine kept the old name: so does the sidebar. */
      tz_class_item_rename (data->item, data->old_name);
      tz_window_show_toast (self, message);
    }
  _tz_window_update_progress (self);
  rename_data_free (data);
}

gboolean
_tz_window_rename_class (TzWindow     *self,
                         TzClassItem  *item,
                         const char   *name,
                         GError      **error)
{
  g_autofree char *stripped = g_strstrip (g_strdup (name != NULL ? name : ""));
  g_autofree char *old_name = g_strdup (tz_class_item_get_name (item));
  TzClassItem *other;
  RenameData *data;

  if (*stripped == '\0' || !g_utf8_validate (stripped, -1, NULL))
    {
      g_set_error_literal (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT, _("A class needs a name"));
      return FALSE;
    }
  if (g_strcmp0 (stripped, old_name) == 0)
    return TRUE;
  other = _tz_window_find_class (self, stripped);
  if (other != NULL && other != item)
    {
      /* TRANSLATORS: %s is a class name */
      g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT, _("Another class is called “%s”"), stripped);
      return FALSE;
    }
  if (!tz_class_item_get_committed (item))
    return tz_class_item_set_name (item, stripped);

  /* The sidebar takes the new name at once, so that images added from now
   * on go to the class under it: the engine runs its jobs in order, so it
   * renames the class before it sees them. */
  tz_class_item_rename (item, stripped);
  data = g_new0 (RenameData, 1);
  data->window = g_object_ref (self);
  data->item = g_object_ref (item);
  data->old_name = g_steal_pointer (&old_name);
  self->n_pending_jobs++;
  /* Not cancellable: the new name is shown already, and cancelling is
   * meant for long work. */
  tz_engine_rename_class_async (self->engine, data->old_name, stripped, NULL, rename_done, data);
  _tz_window_update_progress (self);
  return TRUE;
}

/* Training and evaluation images ------------------------------------------------------ */

typedef struct
{
  TzWindow  *window;
  GPtrArray *items;     /* TzImageItem */
} SplitData;

static void
split_data_free (SplitData *data)
{
  g_object_unref (data->window);
  g_ptr_array_unref (data->items);
  g_free (data);
}

static void
set_split_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  SplitData *data = user_data;
  TzWindow *self = data->window;
  g_autoptr(TzSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;

  snapshot = tz_engine_set_split_finish (TZ_ENGINE (source), result, &error);
  self->n_pending_jobs--;
  if (self->disposed)
    {
      split_data_free (data);
      return;
    }
  if (snapshot != NULL)
    {
      g_autoptr(GHashTable) eval_paths = g_hash_table_new (g_str_hash, g_str_equal);

      /* The snapshot's evaluation images say where each image is now. */
      for (guint i = 0; i < snapshot->n_images; i++)
        g_hash_table_add (eval_paths, snapshot->images[i].path);
      for (guint i = 0; i < data->items->len; i++)
        {
          TzImageItem *image = g_ptr_array_index (data->items, i);

          tz_image_item_set_split (image, g_hash_table_contains (eval_paths, tz_image_item_get_path (image))
                                          ? TZ_SPLIT_EVAL : TZ_SPLIT_TRAIN);
        }
      _tz_window_apply_snapshot (self, snapshot);
      if (snapshot->classifier_error != NULL)
        tz_window_show_toast (self, snapshot->classifier_error);
    }
  else
    {
      g_autofree char *message = g_strdup_printf (_("The images were not moved: %s"), error->message);

      tz_window_show_toast (self, message);
    }
  _tz_window_update_progress (self);
  split_data_free (data);
}

void
_tz_window_set_split_of_selection (TzWindow *self,
                                   TzSplit   split)
{
  GtkSelectionModel *model = GTK_SELECTION_MODEL (self->shown_selection);
  g_autoptr(GtkBitset) selected = gtk_selection_model_get_selection (model);
  g_autoptr(GPtrArray) paths = g_ptr_array_new ();
  g_autofree char *label = NULL;
  GtkBitsetIter iter;
  guint position;
  SplitData *data;

  data = g_new0 (SplitData, 1);
  data->window = g_object_ref (self);
  data->items = g_ptr_array_new_with_free_func (g_object_unref);
  for (gboolean more = gtk_bitset_iter_init_first (&iter, selected, &position); more;
       more = gtk_bitset_iter_next (&iter, &position))
    {
      TzImageItem *image = g_list_model_get_item (G_LIST_MODEL (model), position);

      /* A file the engine could not use is in neither set. */
      if (image == NULL || tz_image_item_get_split (image) == split || tz_image_item_get_problem (image) != NULL)
        {
          g_clear_object (&image);
          continue;
        }
      g_ptr_array_add (data->items, image);
      g_ptr_array_add (paths, (gpointer) tz_image_item_get_path (image));
    }
  if (data->items->len == 0)
    {
      tz_window_show_toast (self, split == TZ_SPLIT_EVAL
                                  ? _("The selected images are used for evaluation already")
                                  : _("The selected images are used for training already"));
      split_data_free (data);
      return;
    }

  if (split == TZ_SPLIT_EVAL)
    /* TRANSLATORS: a step label on the accuracy curve */
    label = g_strdup_printf (ngettext ("%u image to evaluation", "%u images to evaluation", paths->len),
                             paths->len);
  else
    /* TRANSLATORS: a step label on the accuracy curve */
    label = g_strdup_printf (ngettext ("%u image to training", "%u images to training", paths->len),
                             paths->len);
  self->n_pending_jobs++;
  tz_engine_set_split_async (self->engine, (const char *const *) paths->pdata, paths->len, split, label, NULL,
                             set_split_done, data);
  _tz_window_update_progress (self);
}

static void
update_selection_actions (TzWindow *self)
{
  g_autoptr(GtkBitset) selected = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->shown_selection));
  gboolean any = !gtk_bitset_is_empty (selected);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.use-for-evaluation", any);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.use-for-training", any);
}

/* The confusion matrix's images ------------------------------------------------- */

void
_tz_window_show_confusion_cell (TzWindow *self,
                                guint     row,
                                guint     column)
{
  const TzEvaluation *evaluation;
  g_autofree char *text = NULL;
  gint predicted;

  if (self->snapshot == NULL || (evaluation = self->snapshot->evaluation) == NULL ||
      row >= evaluation->n_classes || column >= evaluation->n_learned)
    return;

  predicted = evaluation->learned[column];
  g_list_store_remove_all (self->filtered_images);
  for (guint i = 0; i < self->snapshot->n_images; i++)
    {
      const TzSnapshotImage *image = &self->snapshot->images[i];
      TzImageItem *item;

      if (image->class_index != row || image->predicted != predicted)
        continue;
      item = g_hash_table_lookup (self->eval_items, image->path);
      if (item != NULL)
        g_list_store_append (self->filtered_images, item);
    }

  {
    g_autofree char *escaped_true = g_markup_escape_text (self->snapshot->classes[row].name, -1);
    g_autofree char *escaped_predicted = g_markup_escape_text (self->snapshot->classes[predicted].name, -1);

    /* TRANSLATORS: the title over the images of a confusion matrix cell:
     * the count, the true class and the predicted class */
    text = g_strdup_printf (ngettext ("%u image of <b>%s</b> predicted as <b>%s</b>",
                                      "%u images of <b>%s</b> predicted as <b>%s</b>",
                                      g_list_model_get_n_items (G_LIST_MODEL (self->filtered_images))),
                            g_list_model_get_n_items (G_LIST_MODEL (self->filtered_images)),
                            escaped_true, escaped_predicted);
  }
  gtk_label_set_markup (self->filter_label, text);
  gtk_revealer_set_reveal_child (self->filter_revealer, TRUE);
  set_shown_model (self, G_LIST_MODEL (self->filtered_images));
  adw_view_stack_set_visible_child_name (self->view_stack, "images");
  update_images_page (self);
}

static void
cell_activated (TzWindow *self,
                guint     row,
                guint     column)
{
  _tz_window_show_confusion_cell (self, row, column);
}

/* Progress ----------------------------------------------------------------------- */

void
_tz_window_update_progress (TzWindow *self)
{
  g_autofree char *text = NULL;
  gboolean busy = tz_engine_get_busy (self->engine);
  guint n_total = tz_engine_get_n_total (self->engine);
  guint n_done = tz_engine_get_n_done (self->engine);
  double rate = tz_engine_get_images_per_second (self->engine);

  if (self->demo_total > 0 && self->demo_done < self->demo_total)
    {
      /* TRANSLATORS: progress while the demo's images are written */
      text = g_strdup_printf (ngettext ("Preparing the demo: %u of %u image written",
                                        "Preparing the demo: %u of %u images written",
                                        self->demo_total),
                              self->demo_done, self->demo_total);
      gtk_progress_bar_set_fraction (self->progress_bar, (double) self->demo_done / self->demo_total);
    }
  else if (busy && n_total > 0 && self->training)
    {
      const char *message = tz_engine_get_message (self->engine);

      /* The engine says which step of training it is at. */
      if (rate > 0 && message != NULL && *message != '\0')
        /* TRANSLATORS: progress: "Training the network: epoch 1 of 3", then the speed */
        text = g_strdup_printf (_("%s · %.0f images per second"), message, rate);
      else
        text = g_strdup (message != NULL && *message != '\0' ? message : _("Training the network…"));
      gtk_progress_bar_set_fraction (self->progress_bar, tz_engine_get_fraction (self->engine));
    }
  else if (busy && n_total > 0)
    {
      g_autofree char *count = g_strdup_printf (ngettext ("%u of %u image", "%u of %u images", n_total),
                                                n_done, n_total);

      if (rate > 0)
        /* TRANSLATORS: progress: "123 of 500 images", then the speed */
        text = g_strdup_printf (_("%s · %.0f images per second"), count, rate);
      else
        text = g_steal_pointer (&count);
      gtk_progress_bar_set_fraction (self->progress_bar, tz_engine_get_fraction (self->engine));
    }
  else if (self->n_pending_jobs > 0)
    {
      const char *message = tz_engine_get_message (self->engine);

      text = g_strdup (message != NULL && *message != '\0' ? message : _("Learning…"));
      gtk_progress_bar_pulse (self->progress_bar);
    }
  else if (self->demo_running)
    {
      text = g_strdup (_("Demo: the next class comes in a moment…"));
      gtk_progress_bar_set_fraction (self->progress_bar, 1.0);
    }

  gtk_revealer_set_reveal_child (self->progress_revealer, text != NULL);
  if (text != NULL)
    gtk_label_set_label (self->progress_label, text);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.cancel", text != NULL);
}

/* Settings ------------------------------------------------------------------------ */

static void
settings_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(TzWindow) self = user_data;
  g_autoptr(TzSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;

  snapshot = tz_engine_set_settings_finish (TZ_ENGINE (source), result, &error);
  self->n_pending_jobs--;
  if (self->disposed)
    return;
  if (snapshot != NULL)
    _tz_window_apply_snapshot (self, snapshot);
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    tz_window_show_toast (self, error->message);
  _tz_window_update_progress (self);
}

void
_tz_window_apply_settings (TzWindow *self)
{
  g_autofree char *covariance = g_settings_get_string (self->settings, "covariance");
  g_autofree char *regularization = g_settings_get_string (self->settings, "regularization");
  g_autofree char *prior = g_settings_get_string (self->settings, "prior");
  g_autoptr(GError) error = NULL;
  TzClassifierSettings settings;

  tz_classifier_settings_init_default (&settings);
  if (!tz_covariance_parse (covariance, &settings.covariance, &error) ||
      !tz_regularization_parse (regularization, &settings.regularization, &error) ||
      !tz_prior_parse (prior, &settings.prior, &error))
    {
      g_autofree char *message = g_strdup_printf (_("The classifier settings were not changed: %s"),
                                                  error->message);

      tz_window_show_toast (self, message);
      return;
    }
  self->n_pending_jobs++;
  tz_engine_set_settings_async (self->engine, &settings, NULL, settings_done, g_object_ref (self));
}

/* Drag and drop onto the window ----------------------------------------------------- */

static gboolean
drop_on_window (GtkDropTarget *target,
                const GValue  *value,
                double         x,
                double         y,
                TzWindow      *self)
{
  GSList *files = g_value_get_boxed (value);
  g_autoptr(GList) plain = NULL;

  if (files == NULL)
    return FALSE;
  if (g_strcmp0 (adw_view_stack_get_visible_child_name (self->view_stack), "try") == 0 &&
      gtk_stack_get_visible_child_name (self->main_stack) != NULL &&
      g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "main") == 0)
    {
      tz_window_try_file (self, files->data);
      return TRUE;
    }
  /* A single folder dropped on the window is a data set, one sub-folder
   * per class; anything else goes to the selected class. */
  if (files->next == NULL &&
      g_file_query_file_type (files->data, G_FILE_QUERY_INFO_NONE, NULL) == G_FILE_TYPE_DIRECTORY)
    {
      tz_window_open_folder (self, files->data);
      return TRUE;
    }
  for (GSList *l = files; l != NULL; l = l->next)
    plain = g_list_prepend (plain, l->data);
  plain = g_list_reverse (plain);
  tz_window_add_files (self, plain, NULL);
  return TRUE;
}

/* The image grid ------------------------------------------------------------------- */

static void
setup_cell (GtkSignalListItemFactory *factory,
            GtkListItem              *list_item)
{
  gtk_list_item_set_child (list_item, tz_image_cell_new ());
}

/* The cell does not watch the split: binding the item again redraws its
 * evaluation badge. */
static void
cell_split_changed (TzImageItem *item,
                    GParamSpec  *pspec,
                    TzImageCell *cell)
{
  tz_image_cell_set_item (cell, NULL);
  tz_image_cell_set_item (cell, item);
}

static void
bind_cell (GtkSignalListItemFactory *factory,
           GtkListItem              *list_item)
{
  TzImageCell *cell = TZ_IMAGE_CELL (gtk_list_item_get_child (list_item));
  TzImageItem *item = gtk_list_item_get_item (list_item);

  tz_image_cell_set_item (cell, item);
  g_signal_connect_object (item, "notify::split", G_CALLBACK (cell_split_changed), cell, 0);
}

static void
unbind_cell (GtkSignalListItemFactory *factory,
             GtkListItem              *list_item)
{
  TzImageCell *cell = TZ_IMAGE_CELL (gtk_list_item_get_child (list_item));
  TzImageItem *item = gtk_list_item_get_item (list_item);

  if (item != NULL)
    g_signal_handlers_disconnect_by_func (item, cell_split_changed, cell);
  tz_image_cell_set_item (cell, NULL);
}

/* A right click opens the image menu; on an image not selected yet, it
 * selects that image alone first, as file managers do. */
static void
grid_context_pressed (GtkGestureClick *gesture,
                      int              n_press,
                      double           x,
                      double           y,
                      TzWindow        *self)
{
  GtkSelectionModel *model = GTK_SELECTION_MODEL (self->shown_selection);
  GtkWidget *picked = gtk_widget_pick (GTK_WIDGET (self->image_grid), x, y, GTK_PICK_DEFAULT);
  GtkWidget *cell = picked != NULL ? gtk_widget_get_ancestor (picked, TZ_TYPE_IMAGE_CELL) : NULL;
  TzImageItem *item = cell != NULL ? tz_image_cell_get_item (TZ_IMAGE_CELL (cell)) : NULL;

  if (item != NULL)
    {
      guint n = g_list_model_get_n_items (G_LIST_MODEL (model));

      for (guint i = 0; i < n; i++)
        {
          g_autoptr(TzImageItem) shown = g_list_model_get_item (G_LIST_MODEL (model), i);

          if (shown != item)
            continue;
          if (!gtk_selection_model_is_selected (model, i))
            gtk_selection_model_select_item (model, i, TRUE);
          break;
        }
    }
  gtk_popover_set_pointing_to (GTK_POPOVER (self->image_popover), &(GdkRectangle) { (int) x, (int) y, 1, 1 });
  gtk_popover_popup (GTK_POPOVER (self->image_popover));
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
}

/* A grid view given its items before it has a size makes cells for many
 * rows it will not show (hundreds, each a small widget tree, enough to
 * stall a frame); so it gets its model once it is on screen and laid out,
 * and keeps it (its last size then bounds the cells it makes). */
static gboolean
attach_grid_model (GtkWidget     *grid,
                   GdkFrameClock *clock,
                   gpointer       user_data)
{
  TzWindow *self = user_data;

  if (gtk_widget_get_width (grid) <= 0)
    return G_SOURCE_CONTINUE;
  self->grid_tick = 0;
  gtk_grid_view_set_model (self->image_grid, GTK_SELECTION_MODEL (self->shown_selection));
  return G_SOURCE_REMOVE;
}

static void
grid_mapped (TzWindow *self)
{
  if (self->grid_tick == 0 && gtk_grid_view_get_model (self->image_grid) == NULL)
    self->grid_tick = gtk_widget_add_tick_callback (GTK_WIDGET (self->image_grid), attach_grid_model, self, NULL);
}

/* GObject ---------------------------------------------------------------------------- */

static void
engine_progress (TzWindow *self)
{
  _tz_window_update_progress (self);
}

static void
tz_window_constructed (GObject *object)
{
  TzWindow *self = TZ_WINDOW (object);
  g_autoptr(TzSnapshot) snapshot = NULL;

  G_OBJECT_CLASS (tz_window_parent_class)->constructed (object);

  g_assert (self->engine != NULL);
  tz_try_view_set_engine (self->try_view, self->engine);
  g_signal_connect_object (self->engine, "notify::n-done", G_CALLBACK (engine_progress), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->engine, "notify::busy", G_CALLBACK (engine_progress), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->engine, "notify::message", G_CALLBACK (engine_progress), self,
                           G_CONNECT_SWAPPED);
  snapshot = tz_engine_get_snapshot (self->engine);
  _tz_window_apply_snapshot (self, snapshot);
  _tz_window_apply_settings (self);
  _tz_window_init_network (self);
  _tz_window_update_progress (self);
}

static void
save_window_state (TzWindow *self)
{
  int width, height;

  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);
  g_settings_set_int (self->settings, "window-width", width);
  g_settings_set_int (self->settings, "window-height", height);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (GTK_WINDOW (self)));
}

static gboolean
tz_window_close_request (GtkWindow *window)
{
  TzWindow *self = TZ_WINDOW (window);

  save_window_state (self);
  _tz_window_stop_demo (self);
  g_cancellable_cancel (self->cancellable);
  return GTK_WINDOW_CLASS (tz_window_parent_class)->close_request (window);
}

static void
tz_window_dispose (GObject *object)
{
  TzWindow *self = TZ_WINDOW (object);

  self->disposed = TRUE;
  g_clear_handle_id (&self->demo_timeout, g_source_remove);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  /* The sidebar's rows go with the template: no selection changes may
   * reach a half-disposed window. */
  if (self->class_list != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->class_list, self);
      gtk_list_box_bind_model (self->class_list, NULL, NULL, NULL, NULL);
    }
  _tz_window_dispose_network (self);
  g_clear_pointer (&self->image_popover, gtk_widget_unparent);
  if (self->image_grid != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->image_grid, self);
      if (self->grid_tick != 0)
        gtk_widget_remove_tick_callback (GTK_WIDGET (self->image_grid), self->grid_tick);
      self->grid_tick = 0;
      stop_growing_shown (self);
    }
  if (self->shown_source_signals != NULL)
    g_signal_group_set_target (self->shown_source_signals, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), TZ_TYPE_WINDOW);

  G_OBJECT_CLASS (tz_window_parent_class)->dispose (object);
}

static void
tz_window_finalize (GObject *object)
{
  TzWindow *self = TZ_WINDOW (object);

  g_clear_object (&self->engine);
  g_clear_object (&self->settings);
  g_clear_object (&self->classes);
  g_clear_object (&self->shown_selection);
  g_clear_object (&self->shown_slice);
  g_clear_object (&self->shown_source_signals);
  g_clear_object (&self->filtered_images);
  g_clear_pointer (&self->snapshot, tz_snapshot_unref);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->eval_items, g_hash_table_unref);
  g_clear_object (&self->removed_item);
  g_clear_pointer (&self->demo_images, g_array_unref);

  G_OBJECT_CLASS (tz_window_parent_class)->finalize (object);
}

static void
tz_window_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  TzWindow *self = TZ_WINDOW (object);

  switch (prop_id)
    {
    case PROP_ENGINE:
      g_value_set_object (value, self->engine);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tz_window_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  TzWindow *self = TZ_WINDOW (object);

  switch (prop_id)
    {
    case PROP_ENGINE:
      self->engine = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tz_window_class_init (TzWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->constructed = tz_window_constructed;
  object_class->dispose = tz_window_dispose;
  object_class->finalize = tz_window_finalize;
  object_class->get_property = tz_window_get_property;
  object_class->set_property = tz_window_set_property;
  window_class->close_request = tz_window_close_request;

  properties[PROP_ENGINE] =
    g_param_spec_object ("engine", NULL, NULL, TZ_TYPE_ENGINE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  _tz_window_class_init_actions (widget_class);

  g_type_ensure (TZ_TYPE_ACCURACY_CHART_WIDGET);
  g_type_ensure (TZ_TYPE_CONFUSION_CHART_WIDGET);
  g_type_ensure (TZ_TYPE_TRY_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/tsuzuki/Tsuzuki/ui/tz-window.ui");
  gtk_widget_class_bind_template_child (widget_class, TzWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, TzWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, TzWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, TzWindow, sidebar);
  gtk_widget_class_bind_template_child (widget_class, TzWindow, content);
  gtk_widget_class_bind_template_child (widget_class, TzWindow, class_list);
  gtk_widget_class_bind_template_child (widget_class, TzWindow, train_button);
  gtk_widget_class_bind_template_child (widget_class, TzWindow, train_hint);
  gtk_widget_class_bind_template_child (widget_class, TzWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, TzWindow, filter_revealer);
  gtk_widget_class_bind_template_child (widget_class, TzWindow, filter_label);
  gtk_widget_class_bind_template_child (widget_class, TzWindow, images_stack);
  gtk_widget_class_bind_template_child (widget_class, TzWindow, images_empty_page);
  gtk_widget_class_bind_template_child (widget_class, TzWindow, image_grid);
  gtk_widget_class_bind_template_child (widget_class, TzWindow, accuracy_label);
  gtk_widget_class_bind_template_child (widget_class, TzWindow, accuracy_chart);
  gtk_widget_class_bind_template_child (widget_class, TzWindow, confusion_chart);
  gtk_widget_class_bind_template_child (widget_class, TzWindow, normalize_button);
  gtk_widget_class_bind_template_child (widget_class, TzWindow, try_view);
  gtk_widget_class_bind_template_child (widget_class, TzWindow, progress_revealer);
  gtk_widget_class_bind_template_child (widget_class, TzWindow, progress_label);
  gtk_widget_class_bind_template_child (widget_class, TzWindow, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, TzWindow, image_menu);
}

static void
tz_window_init (TzWindow *self)
{
  GtkListItemFactory *factory;
  GtkDropTarget *target;
  GtkGesture *gesture;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (APP_ID);
  self->classes = g_list_store_new (TZ_TYPE_CLASS_ITEM);
  self->filtered_images = g_list_store_new (TZ_TYPE_IMAGE_ITEM);
  self->cancellable = g_cancellable_new ();
  self->eval_items = g_hash_table_new (g_str_hash, g_str_equal);

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  gtk_list_box_bind_model (self->class_list, G_LIST_MODEL (self->classes), create_class_row, self, NULL);
  g_signal_connect_object (self->class_list, "row-selected", G_CALLBACK (row_selected), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->classes, "items-changed", G_CALLBACK (classes_changed), self,
                           G_CONNECT_SWAPPED);

  self->shown_slice = gtk_slice_list_model_new (NULL, 0, 0);
  /* After the slice's own handler: what it held back is let in here. */
  self->shown_source_signals = g_signal_group_new (G_TYPE_LIST_MODEL);
  g_signal_group_connect_swapped (self->shown_source_signals, "items-changed",
                                  G_CALLBACK (update_shown_size), self);
  self->shown_selection = gtk_multi_selection_new (g_object_ref (G_LIST_MODEL (self->shown_slice)));
  g_signal_connect_object (self->shown_selection, "items-changed", G_CALLBACK (update_images_page), self,
                           G_CONNECT_SWAPPED);
  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (setup_cell), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_cell), NULL);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_cell), NULL);
  gtk_grid_view_set_factory (self->image_grid, factory);
  g_object_unref (factory);
  g_signal_connect_object (self->image_grid, "map", G_CALLBACK (grid_mapped), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->shown_selection, "selection-changed", G_CALLBACK (update_selection_actions),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->shown_selection, "items-changed", G_CALLBACK (update_selection_actions), self,
                           G_CONNECT_SWAPPED);

  self->image_popover = gtk_popover_menu_new_from_model (self->image_menu);
  gtk_popover_set_has_arrow (GTK_POPOVER (self->image_popover), FALSE);
  gtk_widget_set_halign (self->image_popover, GTK_ALIGN_START);
  gtk_widget_set_parent (self->image_popover, GTK_WIDGET (self->image_grid));
  gesture = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (gesture), GDK_BUTTON_SECONDARY);
  g_signal_connect (gesture, "pressed", G_CALLBACK (grid_context_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self->image_grid), GTK_EVENT_CONTROLLER (gesture));

  g_signal_connect_object (self->confusion_chart, "cell-activated", G_CALLBACK (cell_activated), self,
                           G_CONNECT_SWAPPED);
  tz_try_view_set_classes (self->try_view, G_LIST_MODEL (self->classes));

  target = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect (target, "drop", G_CALLBACK (drop_on_window), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (target));

  g_signal_connect_object (self->settings, "changed::covariance", G_CALLBACK (_tz_window_apply_settings),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed::regularization", G_CALLBACK (_tz_window_apply_settings),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed::prior", G_CALLBACK (_tz_window_apply_settings),
                           self, G_CONNECT_SWAPPED);

  _tz_window_init_actions (self);
  update_selection_actions (self);
  _tz_window_update_main_page (self);
  update_images_page (self);
}

/* Public API --------------------------------------------------------------------------- */

TzWindow *
tz_window_new (AdwApplication *application,
               TzEngine       *engine)
{
  g_return_val_if_fail (application == NULL || ADW_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (TZ_IS_ENGINE (engine), NULL);

  return g_object_new (TZ_TYPE_WINDOW,
                       "application", application,
                       "engine", engine,
                       NULL);
}

TzEngine *
tz_window_get_engine (TzWindow *self)
{
  g_return_val_if_fail (TZ_IS_WINDOW (self), NULL);
  return self->engine;
}

GListModel *
tz_window_get_classes (TzWindow *self)
{
  g_return_val_if_fail (TZ_IS_WINDOW (self), NULL);
  return G_LIST_MODEL (self->classes);
}

GListModel *
tz_window_get_shown_images (TzWindow *self)
{
  g_return_val_if_fail (TZ_IS_WINDOW (self), NULL);
  return G_LIST_MODEL (self->shown_selection);
}

TzSnapshot *
tz_window_get_snapshot (TzWindow *self)
{
  g_return_val_if_fail (TZ_IS_WINDOW (self), NULL);
  return self->snapshot;
}

TzTryView *
tz_window_get_try_view (TzWindow *self)
{
  g_return_val_if_fail (TZ_IS_WINDOW (self), NULL);
  return self->try_view;
}

guint
tz_window_get_n_pending_jobs (TzWindow *self)
{
  g_return_val_if_fail (TZ_IS_WINDOW (self), 0);
  return self->n_pending_jobs;
}

const char *
tz_window_get_visible_view (TzWindow *self)
{
  g_return_val_if_fail (TZ_IS_WINDOW (self), NULL);
  return adw_view_stack_get_visible_child_name (self->view_stack);
}

void
tz_window_try_file (TzWindow *self,
                    GFile    *file)
{
  g_autofree char *path = NULL;

  g_return_if_fail (TZ_IS_WINDOW (self));
  g_return_if_fail (G_IS_FILE (file));

  adw_view_stack_set_visible_child_name (self->view_stack, "try");
  if ((path = g_file_get_path (file)) == NULL)
    {
      tz_window_show_toast (self, _("Only local files can be tried"));
      return;
    }
  tz_try_view_try_file (self->try_view, path);
}

void
tz_window_show_toast (TzWindow   *self,
                      const char *title)
{
  AdwToast *toast;
  g_autofree char *escaped = NULL;

  g_return_if_fail (TZ_IS_WINDOW (self));
  g_return_if_fail (title != NULL);

  /* Toast titles are markup; messages quote file names. */
  escaped = g_markup_escape_text (title, -1);
  toast = adw_toast_new (escaped);
  adw_toast_set_timeout (toast, 6);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

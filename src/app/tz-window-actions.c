/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The window's actions: adding classes and images (file choosers, folders,
 * the clipboard), removing and renaming, moving images between training
 * and evaluation, the demo, exporting charts, cancelling. */
#define G_LOG_DOMAIN "tsuzuki-app"

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "tz-application.h"
#include "tz-chart-style.h"
#include "tz-demo.h"
#include "tz-error.h"
#include "tz-window-private.h"

/* Pause between the demo's classes, long enough to watch the curve move. */
#define DEMO_PAUSE_MS 1500
/* The network is trained on the first five classes' training images: 120
 * each for 3 epochs is 1,800 images, under a minute on two cores at 32 px
 * (EfficientNet-b0 trains at about 20 images per processor-second there). */
#define DEMO_N_TRAIN 120
#define DEMO_N_EVAL 50

/* Collecting files ---------------------------------------------------------------- */

static gboolean
name_looks_like_image (const char *name)
{
  g_autofree char *type = g_content_type_guess (name, NULL, 0, NULL);
  g_autofree char *mime = g_content_type_get_mime_type (type);

  return mime != NULL && g_str_has_prefix (mime, "image/");
}

static void
collect_folder (GFile        *folder,
                GPtrArray    *paths,
                GHashTable   *seen,
                GCancellable *cancellable)
{
  g_autoptr(GFileEnumerator) enumerator = NULL;
  g_autofree char *folder_path = g_file_get_path (folder);
  GFileInfo *info;
  GFile *child;

  /* A link loop must not make the scan endless. */
  if (folder_path == NULL || !g_hash_table_add (seen, g_canonicalize_filename (folder_path, NULL)))
    return;
  enumerator = g_file_enumerate_children (folder,
                                          G_FILE_ATTRIBUTE_STANDARD_NAME ","
                                          G_FILE_ATTRIBUTE_STANDARD_TYPE ","
                                          G_FILE_ATTRIBUTE_STANDARD_IS_HIDDEN,
                                          G_FILE_QUERY_INFO_NONE, cancellable, NULL);
  if (enumerator == NULL)
    return;
  while (g_file_enumerator_iterate (enumerator, &info, &child, cancellable, NULL) && info != NULL)
    {
      if (g_file_info_get_is_hidden (info))
        continue;
      if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
        collect_folder (child, paths, seen, cancellable);
      else if (name_looks_like_image (g_file_info_get_name (info)))
        g_ptr_array_add (paths, g_file_get_path (child));
    }
}

static int
compare_paths (gconstpointer a,
               gconstpointer b)
{
  g_autofree char *ka = g_utf8_collate_key_for_filename (*(const char **) a, -1);
  g_autofree char *kb = g_utf8_collate_key_for_filename (*(const char **) b, -1);

  return strcmp (ka, kb);
}

static void
collect_files_thread (GTask        *task,
                      gpointer      source_object,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  GPtrArray *files = task_data;
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < files->len; i++)
    {
      GFile *file = g_ptr_array_index (files, i);
      char *path = g_file_get_path (file);

      if (path == NULL)
        continue;
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        {
          g_autoptr(GPtrArray) inside = g_ptr_array_new_with_free_func (g_free);

          collect_folder (file, inside, seen, cancellable);
          g_ptr_array_sort (inside, compare_paths);
          g_ptr_array_extend_and_steal (paths, g_steal_pointer (&inside));
          g_free (path);
        }
      else
        g_ptr_array_add (paths, path);
    }
  if (g_task_return_error_if_cancelled (task))
    return;
  g_task_return_pointer (task, g_steal_pointer (&paths), (GDestroyNotify) g_ptr_array_unref);
}

typedef struct
{
  TzWindow    *window;
  TzClassItem *target;
} AddData;

static void
add_data_free (AddData *data)
{
  g_object_unref (data->window);
  g_clear_object (&data->target);
  g_free (data);
}

/* The paths of @item's images, for membership tests in bulk. */
static GHashTable *
class_paths (TzClassItem *item)
{
  GListModel *images = G_LIST_MODEL (tz_class_item_get_images (item));
  guint n = g_list_model_get_n_items (images);
  GHashTable *paths = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(TzImageItem) image = g_list_model_get_item (images, i);

      g_hash_table_add (paths, g_strdup (tz_image_item_get_path (image)));
    }
  return paths;
}

static gboolean
class_has_training_image (TzClassItem *item)
{
  GListModel *images = G_LIST_MODEL (tz_class_item_get_images (item));
  guint n = g_list_model_get_n_items (images);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(TzImageItem) image = g_list_model_get_item (images, i);

      if (tz_image_item_get_split (image) == TZ_SPLIT_TRAIN)
        return TRUE;
    }
  return FALSE;
}

/* Appends @items (all of @class_item) in one change, so that the grid
 * lays out once however many there are. */
static void
append_images (TzClassItem *class_item,
               GPtrArray   *items,
               guint        first)
{
  GListStore *store = tz_class_item_get_images (class_item);

  if (first >= items->len)
    return;
  g_list_store_splice (store, g_list_model_get_n_items (G_LIST_MODEL (store)), 0,
                       items->pdata + first, items->len - first);
}

/* Adds @paths to @target as one learning step. */
static void
add_paths_to_class (TzWindow    *self,
                    TzClassItem *target,
                    GPtrArray   *paths)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *label = NULL;
  gboolean was_empty = g_list_model_get_n_items (G_LIST_MODEL (tz_class_item_get_images (target))) == 0;
  gboolean has_train = class_has_training_image (target);
  const char *name = tz_class_item_get_name (target);
  g_autoptr(GHashTable) known = class_paths (target);

  for (guint i = 0; i < paths->len; i++)
    {
      const char *path = g_ptr_array_index (paths, i);
      TzSplit split;

      if (!g_hash_table_add (known, g_strdup (path)))
        continue;
      split = _tz_window_choose_split (self, name, path);
      /* A class learns from its training images only: its first image
       * teaches it, whatever the split would say. */
      if (!has_train)
        split = TZ_SPLIT_TRAIN;
      has_train |= split == TZ_SPLIT_TRAIN;
      g_ptr_array_add (items, tz_image_item_new (path, name, split));
    }
  if (items->len == 0)
    {
      tz_window_show_toast (self, _("These images are in the class already"));
      return;
    }

  append_images (target, items, 0);
  if (was_empty)
    label = g_strdup_printf ("+%s", name);
  else
    /* A step label on the accuracy curve: a class grown by some images. */
    label = g_strdup_printf ("%s +%u", name, items->len);
  _tz_window_learn (self, items, label);
}

static void
collect_files_done (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  AddData *data = user_data;
  TzWindow *self = data->window;
  g_autoptr(GPtrArray) paths = NULL;
  g_autoptr(GError) error = NULL;
  TzClassItem *target = data->target;
  guint position;

  paths = g_task_propagate_pointer (G_TASK (result), &error);
  if (self->disposed)
    ;
  else if (paths == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        tz_window_show_toast (self, error->message);
    }
  else if (paths->len == 0)
    tz_window_show_toast (self, _("No images were found there"));
  else
    {
      if (target == NULL || !g_list_store_find (self->classes, target, &position))
        target = tz_window_get_selected_class (self);
      if (target == NULL)
        target = _tz_window_create_class (self, NULL);
      add_paths_to_class (self, target, paths);
    }
  add_data_free (data);
}

void
tz_window_add_files (TzWindow    *self,
                     GList       *files,
                     TzClassItem *target)
{
  g_autoptr(GTask) task = NULL;
  GPtrArray *array;
  AddData *data;

  g_return_if_fail (TZ_IS_WINDOW (self));
  g_return_if_fail (target == NULL || TZ_IS_CLASS_ITEM (target));

  if (files == NULL)
    return;
  array = g_ptr_array_new_with_free_func (g_object_unref);
  for (GList *l = files; l != NULL; l = l->next)
    g_ptr_array_add (array, g_object_ref (l->data));

  data = g_new0 (AddData, 1);
  data->window = g_object_ref (self);
  data->target = target ? g_object_ref (target) : NULL;
  task = g_task_new (NULL, self->cancellable, collect_files_done, data);
  g_task_set_source_tag (task, tz_window_add_files);
  g_task_set_task_data (task, array, (GDestroyNotify) g_ptr_array_unref);
  g_task_run_in_thread (task, collect_files_thread);
}

/* Image folders ---------------------------------------------------------------------- */

static void
scan_folder_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  GFile *folder = task_data;
  g_autofree char *path = g_file_get_path (folder);
  double fraction = *(double *) g_object_get_data (G_OBJECT (task), "eval-fraction");
  TzImageListing *listing;
  GError *error = NULL;

  listing = tz_image_listing_scan_folder (path, fraction, 0, cancellable, &error);
  if (listing == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, listing, (GDestroyNotify) tz_image_listing_free);
}

static void
scan_folder_done (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(TzWindow) self = user_data;
  g_autoptr(TzImageListing) listing = NULL;
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) new_names = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree TzClassItem **class_items = NULL;
  g_autofree char *label = NULL;

  listing = g_task_propagate_pointer (G_TASK (result), &error);
  if (self->disposed)
    return;
  if (listing == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        tz_window_show_toast (self, error->message);
      return;
    }

  class_items = g_new0 (TzClassItem *, listing->n_classes);
  for (guint c = 0; c < listing->n_classes; c++)
    {
      class_items[c] = _tz_window_find_class (self, listing->class_names[c]);
      if (class_items[c] == NULL)
        {
          class_items[c] = _tz_window_create_class (self, listing->class_names[c]);
          g_ptr_array_add (new_names, (gpointer) tz_class_item_get_name (class_items[c]));
        }
    }
  for (guint c = 0; c < listing->n_classes; c++)
    {
      g_autoptr(GHashTable) known = class_paths (class_items[c]);
      guint first = items->len;

      for (guint i = 0; i < listing->entries->len; i++)
        {
          const TzImageEntry *entry = &g_array_index (listing->entries, TzImageEntry, i);

          if (entry->class_index != c || g_hash_table_contains (known, entry->path))
            continue;
          g_ptr_array_add (items, tz_image_item_new (entry->path, tz_class_item_get_name (class_items[c]),
                                                     entry->split));
        }
      append_images (class_items[c], items, first);
    }

  if (listing->skipped->len > 0)
    {
      g_autofree char *message = g_strdup_printf (ngettext ("%u file in the folder is not an image and was left out",
                                                            "%u files in the folder are not images and were left out",
                                                            listing->skipped->len),
                                                  listing->skipped->len);

      tz_window_show_toast (self, message);
    }
  if (items->len == 0)
    {
      g_autofree char *name = g_filename_display_basename (listing->source);
      g_autofree char *message = g_strdup_printf (_("No new images in “%s”"), name);

      tz_window_show_toast (self, message);
      return;
    }

  if (new_names->len > 0 && new_names->len <= 3)
    {
      GString *text = g_string_new (NULL);

      for (guint k = 0; k < new_names->len; k++)
        g_string_append_printf (text, "%s+%s", k > 0 ? " " : "", (const char *) g_ptr_array_index (new_names, k));
      label = g_string_free (text, FALSE);
    }
  else if (new_names->len > 3)
    /* TRANSLATORS: a step label on the accuracy curve */
    label = g_strdup_printf (ngettext ("+%u class", "+%u classes", new_names->len), new_names->len);
  else
    label = g_strdup_printf (ngettext ("+%u image", "+%u images", items->len), items->len);
  _tz_window_learn (self, items, label);
}

void
tz_window_open_folder (TzWindow *self,
                       GFile    *folder)
{
  g_autoptr(GTask) task = NULL;
  double *fraction;

  g_return_if_fail (TZ_IS_WINDOW (self));
  g_return_if_fail (G_IS_FILE (folder));

  task = g_task_new (NULL, self->cancellable, scan_folder_done, g_object_ref (self));
  g_task_set_source_tag (task, tz_window_open_folder);
  g_task_set_task_data (task, g_object_ref (folder), g_object_unref);
  fraction = g_new (double, 1);
  *fraction = g_settings_get_double (self->settings, "eval-fraction");
  g_object_set_data_full (G_OBJECT (task), "eval-fraction", fraction, g_free);
  g_task_run_in_thread (task, scan_folder_thread);
}

/* File choosers ----------------------------------------------------------------------- */

static void
add_image_filters (GtkFileChooser *chooser)
{
  g_autoptr(GtkFileFilter) images = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();

  gtk_file_filter_set_name (images, _("Images"));
  gtk_file_filter_add_pixbuf_formats (images);
  gtk_file_chooser_add_filter (chooser, images);
  gtk_file_filter_set_name (all, _("All Files"));
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (chooser, all);
}

static void
add_images_response (GtkNativeDialog *dialog,
                     int              response,
                     TzWindow        *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GListModel) files = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (dialog));
      g_autoptr(GList) list = NULL;
      g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func (g_object_unref);
      guint n = g_list_model_get_n_items (files);

      for (guint i = 0; i < n; i++)
        {
          GFile *file = g_list_model_get_item (files, i);

          g_ptr_array_add (keep, file);
          list = g_list_append (list, file);
        }
      tz_window_add_files (self, list, tz_window_get_selected_class (self));
    }
  g_object_unref (dialog);
}

static void
add_images_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  TzWindow *self = TZ_WINDOW (widget);
  TzClassItem *selected = tz_window_get_selected_class (self);
  g_autofree char *title = NULL;
  GtkFileChooserNative *dialog;

  if (selected != NULL)
    /* TRANSLATORS: the title of the file chooser; %s is the class */
    title = g_strdup_printf (_("Add Images to “%s”"), tz_class_item_get_name (selected));
  else
    title = g_strdup (_("Add Images"));
  dialog = gtk_file_chooser_native_new (title, GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_OPEN,
                                        _("_Add"), _("_Cancel"));
  gtk_file_chooser_set_select_multiple (GTK_FILE_CHOOSER (dialog), TRUE);
  add_image_filters (GTK_FILE_CHOOSER (dialog));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (add_images_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
open_folder_response (GtkNativeDialog *dialog,
                      int              response,
                      TzWindow        *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) folder = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));

      if (folder != NULL)
        tz_window_open_folder (self, folder);
    }
  g_object_unref (dialog);
}

static void
open_folder_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  GtkFileChooserNative *dialog;

  dialog = gtk_file_chooser_native_new (_("Open Image Folder"), GTK_WINDOW (widget),
                                        GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _("_Open"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (open_folder_response), widget);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
try_open_response (GtkNativeDialog *dialog,
                   int              response,
                   TzWindow        *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));

      if (file != NULL)
        tz_window_try_file (self, file);
    }
  g_object_unref (dialog);
}

static void
try_open_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  GtkFileChooserNative *dialog;

  dialog = gtk_file_chooser_native_new (_("Try an Image"), GTK_WINDOW (widget),
                                        GTK_FILE_CHOOSER_ACTION_OPEN, _("_Try"), _("_Cancel"));
  add_image_filters (GTK_FILE_CHOOSER (dialog));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (try_open_response), widget);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* The clipboard ----------------------------------------------------------------------- */

static void
use_pasted_files (TzWindow *self,
                  GList    *files)
{
  if (files == NULL)
    return;
  if (g_strcmp0 (tz_window_get_visible_view (self), "try") == 0)
    tz_window_try_file (self, files->data);
  else
    tz_window_add_files (self, files, tz_window_get_selected_class (self));
}

static void
paste_files_done (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(TzWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GList) list = NULL;
  const GValue *value;

  value = gdk_clipboard_read_value_finish (GDK_CLIPBOARD (source), result, &error);
  if (self->disposed)
    return;
  if (value == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("Nothing could be pasted: %s"), error->message);

      tz_window_show_toast (self, message);
      return;
    }
  for (GSList *l = g_value_get_boxed (value); l != NULL; l = l->next)
    list = g_list_prepend (list, l->data);
  list = g_list_reverse (list);
  use_pasted_files (self, list);
}

static void
paste_texture_done (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(TzWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *folder = g_build_filename (g_get_user_cache_dir (), "tsuzuki", "pasted", NULL);
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GFile) file = NULL;
  GList list = { 0 };

  texture = gdk_clipboard_read_texture_finish (GDK_CLIPBOARD (source), result, &error);
  if (self->disposed)
    return;
  if (texture == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("Nothing could be pasted: %s"), error->message);

      tz_window_show_toast (self, message);
      return;
    }
  /* The engine reads files, so a pasted picture becomes one first. */
  name = g_strdup_printf ("pasted-%s-%06d.png", stamp, g_date_time_get_microsecond (now));
  path = g_build_filename (folder, name, NULL);
  if (g_mkdir_with_parents (folder, 0700) != 0 || !gdk_texture_save_to_png (texture, path))
    {
      g_autofree char *message = g_strdup_printf (_("The pasted image could not be saved to %s"), path);

      tz_window_show_toast (self, message);
      return;
    }
  file = g_file_new_for_path (path);
  list.data = file;
  use_pasted_files (self, &list);
}

static void
paste_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  TzWindow *self = TZ_WINDOW (widget);
  GdkClipboard *clipboard = gtk_widget_get_clipboard (widget);
  GdkContentFormats *formats = gdk_clipboard_get_formats (clipboard);

  if (gdk_content_formats_contain_gtype (formats, GDK_TYPE_FILE_LIST))
    gdk_clipboard_read_value_async (clipboard, GDK_TYPE_FILE_LIST, G_PRIORITY_DEFAULT, NULL,
                                    paste_files_done, g_object_ref (self));
  else if (gdk_content_formats_contain_gtype (formats, GDK_TYPE_TEXTURE))
    gdk_clipboard_read_texture_async (clipboard, NULL, paste_texture_done, g_object_ref (self));
  else
    tz_window_show_toast (self, _("The clipboard holds no image"));
}

/* Exporting charts ------------------------------------------------------------------ */

typedef enum
{
  EXPORT_ACCURACY,
  EXPORT_CONFUSION,
} ExportKind;

gboolean
tz_window_export_chart (TzWindow    *self,
                        const char  *chart,
                        const char  *path,
                        GError     **error)
{
  g_autofree char *family = NULL;
  TzPlotStyle style;

  g_return_val_if_fail (TZ_IS_WINDOW (self), FALSE);
  g_return_val_if_fail (chart != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  tz_chart_style_for_widget (GTK_WIDGET (self), &style, &family);
  /* A file has no window behind it: the background is painted. */
  style.background.alpha = 1.0;
  if (g_strcmp0 (chart, "accuracy") == 0)
    return tz_accuracy_chart_save (tz_accuracy_chart_widget_get_chart (self->accuracy_chart),
                                   path, 960, 600, 2.0, &style, error);
  if (g_strcmp0 (chart, "confusion") == 0)
    return tz_confusion_chart_save (tz_confusion_chart_widget_get_chart (self->confusion_chart),
                                    path, 800, 720, 2.0, &style, error);
  g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
               "There is no chart called “%s” (accuracy or confusion)", chart);
  return FALSE;
}

static void
export_response (GtkNativeDialog *dialog,
                 int              response,
                 TzWindow        *self)
{
  ExportKind kind = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (dialog), "kind"));

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;
      g_autoptr(GError) error = NULL;

      if (path == NULL)
        tz_window_show_toast (self, _("Charts can be saved only to local files"));
      else if (tz_window_export_chart (self, kind == EXPORT_ACCURACY ? "accuracy" : "confusion", path, &error))
        {
          g_autofree char *name = g_filename_display_basename (path);
          g_autofree char *message = g_strdup_printf (_("Saved “%s”"), name);

          tz_window_show_toast (self, message);
        }
      else
        tz_window_show_toast (self, error->message);
    }
  g_object_unref (dialog);
}

static void
export_chart (TzWindow   *self,
              ExportKind  kind)
{
  const struct { const char *name; const char *pattern; } formats[] = {
    { N_("PNG Image"), "*.png" },
    { N_("SVG Drawing"), "*.svg" },
    { N_("PDF Document"), "*.pdf" },
  };
  GtkFileChooserNative *dialog;

  dialog = gtk_file_chooser_native_new (kind == EXPORT_ACCURACY ? _("Export the Accuracy Curve")
                                                                : _("Export the Confusion Matrix"),
                                        GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_SAVE,
                                        _("_Export"), _("_Cancel"));
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

      gtk_file_filter_set_name (filter, _(formats[i].name));
      gtk_file_filter_add_pattern (filter, formats[i].pattern);
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
    }
  /* TRANSLATORS: default file names of the exported charts */
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog),
                                     kind == EXPORT_ACCURACY ? _("accuracy.png") : _("confusion.png"));
  g_object_set_data (G_OBJECT (dialog), "kind", GUINT_TO_POINTER (kind));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (export_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
export_accuracy_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  export_chart (TZ_WINDOW (widget), EXPORT_ACCURACY);
}

static void
export_confusion_action (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  export_chart (TZ_WINDOW (widget), EXPORT_CONFUSION);
}

static void
export_visible_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  TzWindow *self = TZ_WINDOW (widget);

  export_chart (self, g_strcmp0 (tz_window_get_visible_view (self), "confusion") == 0
                      ? EXPORT_CONFUSION : EXPORT_ACCURACY);
}

/* The demo ------------------------------------------------------------------------------ */

/* The post's protocol: the evaluation images of all ten classes are there
 * from the first step (so the curve over all images starts low and climbs
 * as classes are learned), the first five classes are taught together,
 * then each other class alone. */
static void
demo_run_step (TzWindow *self)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *label = NULL;
  guint first = self->demo_next_class;
  guint last = first == 0 ? TZ_DEMO_N_INITIAL - 1 : first;
  TzClassItem *newest = NULL;

  for (guint c = 0; c < TZ_DEMO_N_CLASSES; c++)
    {
      const char *name = tz_demo_get_class_name (c);
      TzClassItem *class_item = _tz_window_find_class (self, name);

      if (class_item == NULL)
        class_item = _tz_window_create_class (self, name);
      g_autoptr(GHashTable) known = class_paths (class_item);
      guint first_item = items->len;

      if (c == last)
        newest = class_item;
      for (guint i = 0; i < self->demo_images->len; i++)
        {
          const TzDemoImage *image = &g_array_index (self->demo_images, TzDemoImage, i);
          gboolean wanted = image->split == TZ_SPLIT_TRAIN ? c >= first && c <= last : first == 0;

          if (image->class_index != c || !wanted || g_hash_table_contains (known, image->path))
            continue;
          g_ptr_array_add (items, tz_image_item_new (image->path, name, image->split));
        }
      append_images (class_item, items, first_item);
    }
  self->demo_next_class = last + 1;
  tz_window_select_class (self, newest);

  if (items->len == 0)
    {
      /* Taught already (the demo ran before): go on, without training
       * the network again. */
      if (first == 0)
        self->demo_trained = TRUE;
      _tz_window_demo_step_done (self);
      return;
    }
  if (first == 0)
    /* TRANSLATORS: the demo's first step label: Fashion-MNIST classes 0 to 4 */
    label = g_strdup (_("Classes 0–4"));
  else
    label = g_strdup_printf ("+%s", tz_demo_get_class_name (first));
  _tz_window_learn_demo (self, items, label);
}

static gboolean
demo_timeout_cb (gpointer user_data)
{
  TzWindow *self = user_data;

  self->demo_timeout = 0;
  if (self->demo_running)
    demo_run_step (self);
  return G_SOURCE_REMOVE;
}

void
_tz_window_demo_step_done (TzWindow *self)
{
  if (!self->demo_running)
    return;
  /* The post's first step: once the first classes are learned from
   * pixels, the network is trained on them, and the other classes are
   * learned from its features. */
  if (!self->demo_trained && self->demo_next_class == TZ_DEMO_N_INITIAL)
    {
      self->demo_trained = TRUE;
      if (tz_application_can_train (self->settings))
        {
          _tz_window_train_network (self, TRUE);
          _tz_window_update_progress (self);
          return;
        }
    }
  if (self->demo_next_class >= TZ_DEMO_N_CLASSES)
    {
      _tz_window_stop_demo (self);
      tz_window_show_toast (self, _("The demo is complete: every class was learned without retraining"));
      return;
    }
  g_clear_handle_id (&self->demo_timeout, g_source_remove);
  self->demo_timeout = g_timeout_add (DEMO_PAUSE_MS, demo_timeout_cb, self);
  _tz_window_update_progress (self);
}

static void
demo_progress (guint    n_done,
               guint    n_total,
               gpointer user_data)
{
  TzWindow *self = user_data;

  if (self->disposed || !self->demo_running)
    return;
  self->demo_done = n_done;
  self->demo_total = n_total;
  _tz_window_update_progress (self);
}

static void
demo_prepared (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(TzWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  GArray *images;

  images = tz_demo_prepare_finish (result, &error);
  if (self->disposed)
    {
      g_clear_pointer (&images, g_array_unref);
      return;
    }
  self->demo_done = self->demo_total = 0;
  if (images == NULL)
    {
      _tz_window_stop_demo (self);
      if (g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        tz_window_show_toast (self, _("The demo needs Fashion-MNIST: install Debian’s dataset-fashion-mnist package"));
      else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        tz_window_show_toast (self, error->message);
      return;
    }
  g_clear_pointer (&self->demo_images, g_array_unref);
  self->demo_images = images;
  if (!self->demo_running)
    return;
  self->demo_next_class = 0;
  demo_run_step (self);
}

void
_tz_window_start_demo (TzWindow *self)
{
  g_autofree char *folder = NULL;

  if (self->demo_running)
    return;
  self->demo_running = TRUE;
  self->demo_trained = FALSE;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.try-demo", FALSE);
  gtk_stack_set_visible_child_name (self->main_stack, "main");
  adw_view_stack_set_visible_child_name (self->view_stack, "accuracy");

  folder = g_build_filename (g_get_user_cache_dir (), "tsuzuki", "demo", NULL);
  self->demo_done = 0;
  self->demo_total = 1;
  _tz_window_update_progress (self);
  tz_demo_prepare_async (TZ_FASHION_MNIST_DIR, folder, DEMO_N_TRAIN, DEMO_N_EVAL, self->cancellable,
                         demo_progress, self, demo_prepared, g_object_ref (self));
}

void
_tz_window_stop_demo (TzWindow *self)
{
  self->demo_running = FALSE;
  self->demo_done = self->demo_total = 0;
  g_clear_handle_id (&self->demo_timeout, g_source_remove);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.try-demo", TRUE);
  _tz_window_update_progress (self);
}

/* Other actions ------------------------------------------------------------------------------ */

static void
add_class_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  TzWindow *self = TZ_WINDOW (widget);
  TzClassItem *item = _tz_window_create_class (self, NULL);

  tz_window_select_class (self, item);
  adw_view_stack_set_visible_child_name (self->view_stack, "images");
}

static void
remove_class_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  TzWindow *self = TZ_WINDOW (widget);
  TzClassItem *item = _tz_window_find_class (self, g_variant_get_string (parameter, NULL));

  if (item != NULL)
    _tz_window_remove_class (self, item);
}

static void
remove_selected_class_action (GtkWidget  *widget,
                              const char *action_name,
                              GVariant   *parameter)
{
  TzWindow *self = TZ_WINDOW (widget);
  TzClassItem *item = tz_window_get_selected_class (self);

  if (item != NULL)
    _tz_window_remove_class (self, item);
}

static void
undo_remove_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  _tz_window_undo_remove (TZ_WINDOW (widget));
}

static void
show_confusion_cell_action (GtkWidget  *widget,
                            const char *action_name,
                            GVariant   *parameter)
{
  guint row, column;

  g_variant_get (parameter, "(uu)", &row, &column);
  _tz_window_show_confusion_cell (TZ_WINDOW (widget), row, column);
}

static void
clear_filter_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  _tz_window_clear_filter (TZ_WINDOW (widget));
}

static void
create_class_from_try_action (GtkWidget  *widget,
                              const char *action_name,
                              GVariant   *parameter)
{
  TzWindow *self = TZ_WINDOW (widget);
  const char *path = tz_try_view_get_path (self->try_view);
  g_autoptr(GPtrArray) paths = g_ptr_array_new ();
  TzClassItem *item;

  if (path == NULL)
    return;
  item = _tz_window_create_class (self, _("New Class"));
  g_ptr_array_add (paths, (gpointer) path);
  add_paths_to_class (self, item, paths);
  tz_window_select_class (self, item);
  adw_view_stack_set_visible_child_name (self->view_stack, "images");
}

static void
try_demo_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  _tz_window_start_demo (TZ_WINDOW (widget));
}

static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  TzWindow *self = TZ_WINDOW (widget);

  _tz_window_stop_demo (self);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
}

static void
show_view_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  TzWindow *self = TZ_WINDOW (widget);

  gtk_stack_set_visible_child_name (self->main_stack, "main");
  adw_view_stack_set_visible_child_name (self->view_stack, g_variant_get_string (parameter, NULL));
}

static void
show_classes_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  TzWindow *self = TZ_WINDOW (widget);

  adw_leaflet_set_visible_child (self->leaflet, self->sidebar);
}

static void
train_network_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  /* Enabled only when it can work; see _tz_window_update_train_action(). */
  _tz_window_train_network (TZ_WINDOW (widget), FALSE);
}

static void
rename_class_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  TzWindow *self = TZ_WINDOW (widget);
  g_autoptr(GError) error = NULL;
  const char *old_name;
  const char *new_name;
  TzClassItem *item;

  g_variant_get (parameter, "(&s&s)", &old_name, &new_name);
  item = _tz_window_find_class (self, old_name);
  if (item == NULL)
    return;
  if (!_tz_window_rename_class (self, item, new_name, &error))
    tz_window_show_toast (self, error->message);
}

static void
use_for_evaluation_action (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *parameter)
{
  _tz_window_set_split_of_selection (TZ_WINDOW (widget), TZ_SPLIT_EVAL);
}

static void
use_for_training_action (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  _tz_window_set_split_of_selection (TZ_WINDOW (widget), TZ_SPLIT_TRAIN);
}

void
_tz_window_init_actions (TzWindow *self)
{
  /* The network's action follows the settings and the classes learned:
   * _tz_window_update_train_action() decides. */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.train-network", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.undo-remove", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.remove-selected-class", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.cancel", FALSE);
}

void
_tz_window_class_init_actions (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.add-class", NULL, add_class_action);
  gtk_widget_class_install_action (widget_class, "win.add-images", NULL, add_images_action);
  gtk_widget_class_install_action (widget_class, "win.open-folder", NULL, open_folder_action);
  gtk_widget_class_install_action (widget_class, "win.paste", NULL, paste_action);
  gtk_widget_class_install_action (widget_class, "win.remove-class", "s", remove_class_action);
  gtk_widget_class_install_action (widget_class, "win.remove-selected-class", NULL, remove_selected_class_action);
  gtk_widget_class_install_action (widget_class, "win.undo-remove", NULL, undo_remove_action);
  gtk_widget_class_install_action (widget_class, "win.show-confusion-cell", "(uu)", show_confusion_cell_action);
  gtk_widget_class_install_action (widget_class, "win.clear-filter", NULL, clear_filter_action);
  gtk_widget_class_install_action (widget_class, "win.try-open", NULL, try_open_action);
  gtk_widget_class_install_action (widget_class, "win.create-class-from-try", NULL, create_class_from_try_action);
  gtk_widget_class_install_action (widget_class, "win.try-demo", NULL, try_demo_action);
  gtk_widget_class_install_action (widget_class, "win.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (widget_class, "win.export-accuracy", NULL, export_accuracy_action);
  gtk_widget_class_install_action (widget_class, "win.export-confusion", NULL, export_confusion_action);
  gtk_widget_class_install_action (widget_class, "win.export-visible", NULL, export_visible_action);
  gtk_widget_class_install_action (widget_class, "win.show-view", "s", show_view_action);
  gtk_widget_class_install_action (widget_class, "win.show-classes", NULL, show_classes_action);
  gtk_widget_class_install_action (widget_class, "win.train-network", NULL, train_network_action);
  gtk_widget_class_install_action (widget_class, "win.rename-class", "(ss)", rename_class_action);
  gtk_widget_class_install_action (widget_class, "win.use-for-evaluation", NULL, use_for_evaluation_action);
  gtk_widget_class_install_action (widget_class, "win.use-for-training", NULL, use_for_training_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK, "win.add-class", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK, "win.add-images", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.open-folder", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_v, GDK_CONTROL_MASK, "win.paste", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Delete, GDK_CONTROL_MASK,
                                       "win.remove-selected-class", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_t, GDK_CONTROL_MASK, "win.try-open", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e, GDK_CONTROL_MASK, "win.export-visible", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.use-for-evaluation", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_r, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.use-for-training", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1, GDK_ALT_MASK, "win.show-view", "s", "images");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_2, GDK_ALT_MASK, "win.show-view", "s", "accuracy");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_3, GDK_ALT_MASK, "win.show-view", "s", "confusion");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_4, GDK_ALT_MASK, "win.show-view", "s", "try");
}

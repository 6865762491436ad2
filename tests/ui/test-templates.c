/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Every GtkBuilder file of ui/ is compiled into the resources and builds
 * without a warning: each template class is instantiated and the plain
 * files are loaded (a builder error is a critical, fatal in tests). */
#define G_LOG_DOMAIN "tsuzuki-test"

#include "config.h"

#include <adwaita.h>

#include "tz-class-row.h"
#include "tz-image-cell.h"
#include "tz-preferences-window.h"
#include "tz-try-view.h"
#include "tz-ui-test-util.h"
#include "tz-window.h"

#define UI_PATH "/io/github/tsuzuki/Tsuzuki/ui/"

static void
test_every_file_is_bundled (void)
{
  g_autofree char *folder = g_test_build_filename (G_TEST_DIST, "..", "ui", NULL);
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
  g_auto(GStrv) bundled = g_resources_enumerate_children (UI_PATH, 0, NULL);
  const char *name;
  guint n_files = 0;

  g_assert_nonnull (dir);
  g_assert_nonnull (bundled);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      if (!g_str_has_suffix (name, ".ui"))
        continue;
      n_files++;
      /* The shortcuts window sits where GtkApplication looks for it. */
      if (g_strcmp0 (name, "help-overlay.ui") == 0)
        g_assert_true (g_resources_get_info ("/io/github/tsuzuki/Tsuzuki/gtk/help-overlay.ui", 0,
                                             NULL, NULL, NULL));
      else if (!g_strv_contains ((const char *const *) bundled, name))
        g_error ("%s is not in resources/tsuzuki.gresource.xml", name);
    }
  g_assert_cmpuint (n_files, ==, g_strv_length (bundled) + 1);
}

static void
test_templates_build (void)
{
  g_autoptr(TzExtractor) extractor = tz_pixel_extractor_new (4, TRUE);
  g_autoptr(TzEngine) engine = tz_engine_new (extractor, NULL, 1);
  g_autoptr(TzClassItem) item = NULL;
  g_autoptr(GtkBuilder) builder = NULL;
  GdkRGBA color = { 0.2, 0.4, 0.8, 1.0 };
  GtkWidget *widget;

  widget = GTK_WIDGET (tz_window_new (NULL, engine));
  gtk_window_destroy (GTK_WINDOW (widget));

  widget = tz_preferences_window_new (NULL, "locked");
  gtk_window_destroy (GTK_WINDOW (widget));

  item = tz_class_item_new ("Cat", &color);
  widget = g_object_ref_sink (tz_class_row_new (item, NULL));
  g_object_unref (widget);
  widget = g_object_ref_sink (tz_image_cell_new ());
  g_object_unref (widget);
  widget = g_object_ref_sink (tz_try_view_new ());
  g_object_unref (widget);

  builder = gtk_builder_new_from_resource ("/io/github/tsuzuki/Tsuzuki/gtk/help-overlay.ui");
  widget = GTK_WIDGET (gtk_builder_get_object (builder, "help_overlay"));
  g_assert_true (GTK_IS_SHORTCUTS_WINDOW (widget));
  gtk_window_destroy (GTK_WINDOW (widget));
}

static GtkWidget *
find_descendant (GtkWidget *widget,
                 GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_descendant (child, type);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static GtkWidget *
find_label_with_text (GtkWidget  *widget,
                      const char *text)
{
  if (GTK_IS_LABEL (widget) && g_strcmp0 (gtk_label_get_label (GTK_LABEL (widget)), text) == 0)
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_label_with_text (child, text);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
rename_through_row (GtkEditableLabel *label,
                    const char       *text)
{
  gtk_editable_label_start_editing (label);
  gtk_editable_set_text (GTK_EDITABLE (label), text);
  gtk_editable_label_stop_editing (label, TRUE);
}

/* The sidebar row renames its class, but never to another class's name
 * or to nothing; once the engine knows the class, through the window. */
static void
test_class_row_rename (void)
{
  g_autoptr(GListStore) classes = g_list_store_new (TZ_TYPE_CLASS_ITEM);
  GdkRGBA color = { 0.2, 0.4, 0.8, 1.0 };
  g_autoptr(TzClassItem) cat = tz_class_item_new ("Cat", &color);
  g_autoptr(TzClassItem) dog = tz_class_item_new ("Dog", &color);
  GtkWidget *row;
  GtkWindow *window = GTK_WINDOW (gtk_window_new ());
  GtkWidget *list = gtk_list_box_new ();
  GtkEditableLabel *label;

  g_list_store_append (classes, cat);
  g_list_store_append (classes, dog);
  row = tz_class_row_new (cat, G_LIST_MODEL (classes));
  gtk_list_box_append (GTK_LIST_BOX (list), row);
  gtk_window_set_child (window, list);
  gtk_window_present (window);
  label = GTK_EDITABLE_LABEL (find_descendant (row, GTK_TYPE_EDITABLE_LABEL));
  g_assert_nonnull (label);

  rename_through_row (label, "Dog");
  g_assert_cmpstr (tz_class_item_get_name (cat), ==, "Cat");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (label)), ==, "Cat");
  rename_through_row (label, "   ");
  g_assert_cmpstr (tz_class_item_get_name (cat), ==, "Cat");
  rename_through_row (label, "  Lynx ");
  g_assert_cmpstr (tz_class_item_get_name (cat), ==, "Lynx");

  /* Another class's name is refused in place, under the name. */
  rename_through_row (label, "Dog");
  g_assert_cmpstr (tz_class_item_get_name (cat), ==, "Lynx");
  g_assert_nonnull (find_label_with_text (row, "Another class is called “Dog”"));

  /* Once the engine knows the class, the item alone cannot rename it:
   * the row asks the window (win.rename-class, absent here, so nothing
   * changes); the window renames the item once the engine is told. */
  tz_class_item_set_committed (cat, TRUE);
  g_assert_true (gtk_editable_get_editable (GTK_EDITABLE (label)));
  g_assert_false (tz_class_item_set_name (cat, "Puma"));
  rename_through_row (label, "Puma");
  g_assert_cmpstr (tz_class_item_get_name (cat), ==, "Lynx");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (label)), ==, "Lynx");
  g_assert_false (tz_class_item_rename (cat, "  "));
  g_assert_true (tz_class_item_rename (cat, "Puma"));
  g_assert_cmpstr (tz_class_item_get_name (cat), ==, "Puma");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (label)), ==, "Puma");
  gtk_window_destroy (window);
}

int
main (int   argc,
      char *argv[])
{
  tz_ui_test_init (&argc, &argv);

  g_test_add_func ("/ui/templates/bundled", test_every_file_is_bundled);
  g_test_add_func ("/ui/templates/build", test_templates_build);
  g_test_add_func ("/ui/class-row/rename", test_class_row_rename);
  return g_test_run ();
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-app"

#include "config.h"

#include <glib/gi18n.h>

#include "tz-class-row.h"

struct _TzClassRow
{
  GtkListBoxRow     parent_instance;

  /* Template widgets */
  GtkDrawingArea   *swatch;
  GtkEditableLabel *name_label;
  GtkLabel         *counts_label;
  GtkStack         *state_stack;
  GtkSpinner       *spinner;

  /* Owned references */
  TzClassItem      *item;
  GListModel       *siblings;

  guint             error_timeout;      /* while the counts line shows a refused name */
};

enum {
  FILES_DROPPED,
  N_SIGNALS
};

G_DEFINE_FINAL_TYPE (TzClassRow, tz_class_row, GTK_TYPE_LIST_BOX_ROW)

static guint signals[N_SIGNALS];

static void
draw_swatch (GtkDrawingArea *area,
             cairo_t        *cr,
             int             width,
             int             height,
             gpointer        user_data)
{
  TzClassRow *self = user_data;

  gdk_cairo_set_source_rgba (cr, tz_class_item_get_color (self->item));
  cairo_arc (cr, width / 2.0, height / 2.0, MIN (width, height) / 2.0, 0, 2 * G_PI);
  cairo_fill (cr);
}

static void
update (TzClassRow *self)
{
  guint n_train = tz_class_item_get_n_train (self->item);
  guint n_eval = tz_class_item_get_n_eval (self->item);
  guint n_images = g_list_model_get_n_items (G_LIST_MODEL (tz_class_item_get_images (self->item)));
  guint n_pending = tz_class_item_get_n_pending (self->item);
  g_autofree char *counts = NULL;
  const char *tooltip;
  const char *state;

  if (n_images == 0)
    counts = g_strdup (_("No images yet"));
  else if (n_pending > 0 && n_train + n_eval == 0)
    counts = g_strdup_printf (ngettext ("%u image, learning…", "%u images, learning…", n_images), n_images);
  else
    /* TRANSLATORS: the counts under a class's name: training images, then
     * evaluation images */
    counts = g_strdup_printf (_("%u training · %u evaluation"), n_train, n_eval);
  /* A refused name is shown where the counts are, for a moment. */
  if (self->error_timeout == 0)
    gtk_label_set_label (self->counts_label, counts);

  if (n_pending > 0)
    state = "pending";
  else if (tz_class_item_get_learned (self->item))
    state = "learned";
  else
    state = "none";
  gtk_spinner_set_spinning (self->spinner, n_pending > 0);
  gtk_stack_set_visible_child_name (self->state_stack, state);

  tooltip = _("Double-click to rename");
  /* Setting a tooltip costs a round trip to the display server. */
  if (g_strcmp0 (gtk_widget_get_tooltip_text (GTK_WIDGET (self->name_label)), tooltip) != 0)
    gtk_widget_set_tooltip_text (GTK_WIDGET (self->name_label), tooltip);
}

static void
name_changed (TzClassRow *self)
{
  const char *name = tz_class_item_get_name (self->item);

  if (!gtk_editable_label_get_editing (self->name_label) &&
      g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (self->name_label)), name) != 0)
    gtk_editable_set_text (GTK_EDITABLE (self->name_label), name);
}

static gboolean
name_taken (TzClassRow *self,
            const char *name)
{
  g_autofree char *stripped = g_strstrip (g_strdup (name));
  guint n = self->siblings ? g_list_model_get_n_items (self->siblings) : 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(TzClassItem) other = g_list_model_get_item (self->siblings, i);

      if (other != self->item && g_strcmp0 (tz_class_item_get_name (other), stripped) == 0)
        return TRUE;
    }
  return FALSE;
}

static gboolean
inline_error_timeout (gpointer user_data)
{
  TzClassRow *self = user_data;

  self->error_timeout = 0;
  gtk_widget_remove_css_class (GTK_WIDGET (self->counts_label), "error");
  update (self);
  return G_SOURCE_REMOVE;
}

static void
show_inline_error (TzClassRow *self,
                   const char *message)
{
  g_clear_handle_id (&self->error_timeout, g_source_remove);
  gtk_label_set_label (self->counts_label, message);
  gtk_widget_add_css_class (GTK_WIDGET (self->counts_label), "error");
  self->error_timeout = g_timeout_add_seconds (4, inline_error_timeout, self);
}

static void
editing_changed (TzClassRow *self)
{
  g_autofree char *stripped = NULL;
  const char *name = tz_class_item_get_name (self->item);

  if (gtk_editable_label_get_editing (self->name_label))
    return;
  stripped = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->name_label))));
  if (*stripped == '\0' || g_strcmp0 (stripped, name) == 0)
    ;
  else if (name_taken (self, stripped))
    {
      /* TRANSLATORS: shown under a class's name when the name typed for it
       * is another class's; %s is that name */
      g_autofree char *message = g_strdup_printf (_("Another class is called “%s”"), stripped);

      /* The engine knows classes by name: two may not share one. */
      show_inline_error (self, message);
    }
  else if (!tz_class_item_get_committed (self->item))
    tz_class_item_set_name (self->item, stripped);
  else
    /* A class the engine knows is renamed there too, by the window. */
    gtk_widget_activate_action (GTK_WIDGET (self), "win.rename-class", "(ss)", name, stripped);
  name_changed (self);
}

static gboolean
drop (GtkDropTarget *target,
      const GValue  *value,
      double         x,
      double         y,
      TzClassRow    *self)
{
  GSList *files = g_value_get_boxed (value);

  if (files == NULL)
    return FALSE;
  g_signal_emit (self, signals[FILES_DROPPED], 0, files);
  return TRUE;
}

static void
tz_class_row_dispose (GObject *object)
{
  TzClassRow *self = TZ_CLASS_ROW (object);

  g_clear_handle_id (&self->error_timeout, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (object), TZ_TYPE_CLASS_ROW);

  G_OBJECT_CLASS (tz_class_row_parent_class)->dispose (object);
}

static void
tz_class_row_finalize (GObject *object)
{
  TzClassRow *self = TZ_CLASS_ROW (object);

  g_clear_object (&self->item);
  g_clear_weak_pointer (&self->siblings);

  G_OBJECT_CLASS (tz_class_row_parent_class)->finalize (object);
}

static void
tz_class_row_class_init (TzClassRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tz_class_row_dispose;
  object_class->finalize = tz_class_row_finalize;

  /**
   * TzClassRow::files-dropped:
   * @files: (element-type GFile): the dropped files and folders
   */
  signals[FILES_DROPPED] =
    g_signal_new ("files-dropped", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/tsuzuki/Tsuzuki/ui/tz-class-row.ui");
  gtk_widget_class_bind_template_child (widget_class, TzClassRow, swatch);
  gtk_widget_class_bind_template_child (widget_class, TzClassRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, TzClassRow, counts_label);
  gtk_widget_class_bind_template_child (widget_class, TzClassRow, state_stack);
  gtk_widget_class_bind_template_child (widget_class, TzClassRow, spinner);
}

static void
tz_class_row_init (TzClassRow *self)
{
  GtkDropTarget *target;

  gtk_widget_init_template (GTK_WIDGET (self));

  target = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect (target, "drop", G_CALLBACK (drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (target));
}

GtkWidget *
tz_class_row_new (TzClassItem *item,
                  GListModel  *siblings)
{
  TzClassRow *self;

  g_return_val_if_fail (TZ_IS_CLASS_ITEM (item), NULL);
  g_return_val_if_fail (siblings == NULL || G_IS_LIST_MODEL (siblings), NULL);

  self = g_object_new (TZ_TYPE_CLASS_ROW, NULL);
  self->item = g_object_ref (item);
  g_set_weak_pointer (&self->siblings, siblings);
  gtk_drawing_area_set_draw_func (self->swatch, draw_swatch, self, NULL);
  gtk_editable_set_text (GTK_EDITABLE (self->name_label), tz_class_item_get_name (item));
  g_signal_connect_object (item, "notify::name", G_CALLBACK (name_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->name_label, "notify::editing", G_CALLBACK (editing_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (item, "notify::n-train", G_CALLBACK (update), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (item, "notify::n-eval", G_CALLBACK (update), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (item, "notify::n-images", G_CALLBACK (update), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (item, "notify::n-pending", G_CALLBACK (update), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (item, "notify::learned", G_CALLBACK (update), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (item, "notify::committed", G_CALLBACK (update), self, G_CONNECT_SWAPPED);
  update (self);
  return GTK_WIDGET (self);
}

TzClassItem *
tz_class_row_get_item (TzClassRow *self)
{
  g_return_val_if_fail (TZ_IS_CLASS_ROW (self), NULL);
  return self->item;
}

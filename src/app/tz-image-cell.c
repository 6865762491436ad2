/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-app"

#include "config.h"

#include <glib/gi18n.h>

#include "tz-image-cell.h"

struct _TzImageCell
{
  GtkWidget    parent_instance;

  /* Template widgets */
  GtkPicture  *picture;
  GtkImage    *problem_icon;
  GtkLabel    *eval_badge;
  GtkImage    *wrong_badge;

  /* Owned references */
  TzImageItem *item;
  GSignalGroup *signals;
};

G_DEFINE_FINAL_TYPE (TzImageCell, tz_image_cell, GTK_TYPE_WIDGET)

static void
update (TzImageCell *self)
{
  const char *problem;

  if (self->item == NULL)
    {
      gtk_picture_set_paintable (self->picture, NULL);
      return;
    }

  problem = tz_image_item_get_problem (self->item);
  /* Only a cell on screen asks for its thumbnail: a grid makes cells for
   * rows it has not shown yet. */
  gtk_picture_set_paintable (self->picture,
                             gtk_widget_get_mapped (GTK_WIDGET (self))
                             ? tz_image_item_get_thumbnail (self->item) : NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->problem_icon), problem != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->eval_badge),
                          tz_image_item_get_split (self->item) == TZ_SPLIT_EVAL);
  gtk_widget_set_visible (GTK_WIDGET (self->wrong_badge), tz_image_item_get_wrong (self->item));
}

/* Tooltips are made when asked for: setting one on every update costs a
 * round trip to the display server (to see whether it is showing). */
static gboolean
query_tooltip (GtkWidget  *widget,
               int         x,
               int         y,
               gboolean    keyboard_mode,
               GtkTooltip *tooltip)
{
  TzImageCell *self = TZ_IMAGE_CELL (widget);
  g_autofree char *basename = NULL;
  g_autofree char *text = NULL;
  const char *problem;

  if (self->item == NULL)
    return FALSE;
  problem = tz_image_item_get_problem (self->item);
  basename = g_filename_display_basename (tz_image_item_get_path (self->item));
  if (problem != NULL)
    text = g_strdup_printf ("%s\n%s", basename, problem);
  else if (tz_image_item_get_wrong (self->item))
    /* TRANSLATORS: the tooltip of a misclassified image: its file name,
     * the class predicted for it and the posterior probability */
    text = g_strdup_printf (_("%s\nPredicted as %s (%.0f%%)"), basename,
                            tz_image_item_get_predicted (self->item),
                            100.0 * tz_image_item_get_confidence (self->item));
  else if (tz_image_item_get_predicted (self->item) != NULL)
    /* TRANSLATORS: a thumbnail's tooltip: the file name, then the class the
     * classifier predicted for it */
    text = g_strdup_printf (_("%s\nPredicted: %s"), basename, tz_image_item_get_predicted (self->item));
  else if (tz_image_item_get_split (self->item) == TZ_SPLIT_EVAL)
    /* TRANSLATORS: a thumbnail's tooltip: the file name, then its role */
    text = g_strdup_printf (_("%s\nHeld out for evaluation"), basename);
  else
    text = g_steal_pointer (&basename);
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static void
tz_image_cell_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (tz_image_cell_parent_class)->map (widget);
  update (TZ_IMAGE_CELL (widget));
}

static void
tz_image_cell_dispose (GObject *object)
{
  TzImageCell *self = TZ_IMAGE_CELL (object);
  GtkWidget *child;

  g_signal_group_set_target (self->signals, NULL);
  g_clear_object (&self->item);
  gtk_widget_dispose_template (GTK_WIDGET (self), TZ_TYPE_IMAGE_CELL);
  /* The template's root child is not bound to a field, so it is not
   * unparented by gtk_widget_dispose_template() in GTK 4.8. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (tz_image_cell_parent_class)->dispose (object);
}

static void
tz_image_cell_finalize (GObject *object)
{
  TzImageCell *self = TZ_IMAGE_CELL (object);

  g_clear_object (&self->signals);

  G_OBJECT_CLASS (tz_image_cell_parent_class)->finalize (object);
}

static void
tz_image_cell_class_init (TzImageCellClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tz_image_cell_dispose;
  object_class->finalize = tz_image_cell_finalize;

  widget_class->map = tz_image_cell_map;
  widget_class->query_tooltip = query_tooltip;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/tsuzuki/Tsuzuki/ui/tz-image-cell.ui");
  gtk_widget_class_bind_template_child (widget_class, TzImageCell, picture);
  gtk_widget_class_bind_template_child (widget_class, TzImageCell, problem_icon);
  gtk_widget_class_bind_template_child (widget_class, TzImageCell, eval_badge);
  gtk_widget_class_bind_template_child (widget_class, TzImageCell, wrong_badge);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
tz_image_cell_init (TzImageCell *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);

  self->signals = g_signal_group_new (TZ_TYPE_IMAGE_ITEM);
  g_signal_group_connect_swapped (self->signals, "notify::thumbnail", G_CALLBACK (update), self);
  g_signal_group_connect_swapped (self->signals, "notify::predicted", G_CALLBACK (update), self);
  g_signal_group_connect_swapped (self->signals, "notify::wrong", G_CALLBACK (update), self);
  g_signal_group_connect_swapped (self->signals, "notify::problem", G_CALLBACK (update), self);
}

GtkWidget *
tz_image_cell_new (void)
{
  return g_object_new (TZ_TYPE_IMAGE_CELL, NULL);
}

TzImageItem *
tz_image_cell_get_item (TzImageCell *self)
{
  g_return_val_if_fail (TZ_IS_IMAGE_CELL (self), NULL);
  return self->item;
}

void
tz_image_cell_set_item (TzImageCell *self,
                        TzImageItem *item)
{
  g_return_if_fail (TZ_IS_IMAGE_CELL (self));
  g_return_if_fail (item == NULL || TZ_IS_IMAGE_ITEM (item));

  if (!g_set_object (&self->item, item))
    return;
  g_signal_group_set_target (self->signals, item);
  update (self);
}

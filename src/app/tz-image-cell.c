/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-app"

#include "config.h"

#include <glib/gi18n.h>

#include "tz-image-cell.h"

/* The thumbnail: a fixed-size picture. GtkPicture queues a resize each
 * time its paintable changes, and in GTK 4 a resize goes up to the window,
 * which then lays itself out again (with X server round trips on X11):
 * one per thumbnail that arrives. Here a new thumbnail only redraws. Its
 * CSS name is GtkPicture's, so that the style sheet applies as before. */
#define TZ_TYPE_CELL_PICTURE (tz_cell_picture_get_type ())
G_DECLARE_FINAL_TYPE (TzCellPicture, tz_cell_picture, TZ, CELL_PICTURE, GtkWidget)

struct _TzCellPicture
{
  GtkWidget     parent_instance;

  GdkPaintable *paintable;
};

G_DEFINE_FINAL_TYPE (TzCellPicture, tz_cell_picture, GTK_TYPE_WIDGET)

static void
tz_cell_picture_measure (GtkWidget      *widget,
                         GtkOrientation  orientation,
                         int             for_size,
                         int            *minimum,
                         int            *natural,
                         int            *minimum_baseline,
                         int            *natural_baseline)
{
  *minimum = *natural = TZ_IMAGE_ITEM_THUMBNAIL_SIZE;
}

/* Scaled to fit and centred, as GtkPicture with can-shrink draws it. */
static void
tz_cell_picture_snapshot (GtkWidget   *widget,
                          GtkSnapshot *snapshot)
{
  TzCellPicture *self = TZ_CELL_PICTURE (widget);
  double width = gtk_widget_get_width (widget);
  double height = gtk_widget_get_height (widget);
  double ratio, draw_width = width, draw_height = height;

  if (self->paintable == NULL || width <= 0 || height <= 0)
    return;
  ratio = gdk_paintable_get_intrinsic_aspect_ratio (self->paintable);
  if (ratio > 0)
    {
      if (ratio > width / height)
        draw_height = width / ratio;
      else
        draw_width = height * ratio;
    }
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT ((float) ((width - draw_width) / 2),
                                                          (float) ((height - draw_height) / 2)));
  gdk_paintable_snapshot (self->paintable, snapshot, draw_width, draw_height);
  gtk_snapshot_restore (snapshot);
}

static void
tz_cell_picture_set_paintable (TzCellPicture *self,
                               GdkPaintable  *paintable)
{
  if (self->paintable == paintable)
    return;
  if (self->paintable != NULL)
    g_signal_handlers_disconnect_by_func (self->paintable, gtk_widget_queue_draw, self);
  g_set_object (&self->paintable, paintable);
  /* A texture never changes; another paintable might. */
  if (paintable != NULL && (gdk_paintable_get_flags (paintable) & GDK_PAINTABLE_STATIC_CONTENTS) == 0)
    g_signal_connect_swapped (paintable, "invalidate-contents", G_CALLBACK (gtk_widget_queue_draw), self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
tz_cell_picture_dispose (GObject *object)
{
  tz_cell_picture_set_paintable (TZ_CELL_PICTURE (object), NULL);

  G_OBJECT_CLASS (tz_cell_picture_parent_class)->dispose (object);
}

static void
tz_cell_picture_class_init (TzCellPictureClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tz_cell_picture_dispose;
  widget_class->measure = tz_cell_picture_measure;
  widget_class->snapshot = tz_cell_picture_snapshot;
  gtk_widget_class_set_css_name (widget_class, "picture");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
tz_cell_picture_init (TzCellPicture *self)
{
}

/* The cell ------------------------------------------------------------------ */

struct _TzImageCell
{
  GtkWidget      parent_instance;

  /* Template widgets */
  GtkOverlay    *card;

  /* Made in init */
  TzCellPicture *picture;
  /* Made the first time they show (NULL until then): most cells never
   * need them, and the grid makes hundreds of cells at once. */
  GtkWidget     *problem_icon;
  GtkWidget     *badges;
  GtkWidget     *eval_badge;
  GtkWidget     *wrong_badge;

  /* Owned references */
  TzImageItem   *item;
  GSignalGroup  *signals;
};

G_DEFINE_FINAL_TYPE (TzImageCell, tz_image_cell, GTK_TYPE_WIDGET)

static void
show_problem_icon (TzImageCell *self,
                   gboolean     visible)
{
  if (self->problem_icon == NULL)
    {
      if (!visible)
        return;
      self->problem_icon = gtk_image_new_from_icon_name ("image-missing-symbolic");
      gtk_image_set_pixel_size (GTK_IMAGE (self->problem_icon), 32);
      gtk_widget_set_halign (self->problem_icon, GTK_ALIGN_CENTER);
      gtk_widget_set_valign (self->problem_icon, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (self->problem_icon, "dim-label");
      gtk_overlay_add_overlay (self->card, self->problem_icon);
    }
  gtk_widget_set_visible (self->problem_icon, visible);
}

static void
show_badges (TzImageCell *self,
             gboolean     eval,
             gboolean     wrong)
{
  if (self->badges == NULL)
    {
      if (!eval && !wrong)
        return;
      self->badges = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 4);
      gtk_widget_set_halign (self->badges, GTK_ALIGN_END);
      gtk_widget_set_valign (self->badges, GTK_ALIGN_START);
      gtk_widget_set_margin_top (self->badges, 6);
      gtk_widget_set_margin_end (self->badges, 6);
      /* TRANSLATORS: the badge on the thumbnail of an image held out for
       * evaluation */
      self->eval_badge = gtk_label_new (_("Eval"));
      gtk_widget_add_css_class (self->eval_badge, "badge");
      gtk_widget_add_css_class (self->eval_badge, "eval-badge");
      gtk_box_append (GTK_BOX (self->badges), self->eval_badge);
      self->wrong_badge = gtk_image_new_from_icon_name ("dialog-warning-symbolic");
      gtk_widget_add_css_class (self->wrong_badge, "badge");
      gtk_widget_add_css_class (self->wrong_badge, "wrong-badge");
      gtk_box_append (GTK_BOX (self->badges), self->wrong_badge);
      gtk_overlay_add_overlay (self->card, self->badges);
    }
  gtk_widget_set_visible (self->eval_badge, eval);
  gtk_widget_set_visible (self->wrong_badge, wrong);
  gtk_widget_set_visible (self->badges, eval || wrong);
}

static void
update (TzImageCell *self)
{
  if (self->item == NULL)
    {
      tz_cell_picture_set_paintable (self->picture, NULL);
      show_problem_icon (self, FALSE);
      show_badges (self, FALSE, FALSE);
      return;
    }

  /* Only a cell on screen asks for its thumbnail: a grid makes cells for
   * rows it has not shown yet. */
  tz_cell_picture_set_paintable (self->picture,
                                 gtk_widget_get_mapped (GTK_WIDGET (self))
                                 ? tz_image_item_get_thumbnail (self->item) : NULL);
  show_problem_icon (self, tz_image_item_get_problem (self->item) != NULL);
  show_badges (self, tz_image_item_get_split (self->item) == TZ_SPLIT_EVAL,
               tz_image_item_get_wrong (self->item));
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

/* A cell scrolled out of sight withdraws its thumbnail request, so that
 * the decoder gets to the cells now on screen first. */
static void
tz_image_cell_unmap (GtkWidget *widget)
{
  TzImageCell *self = TZ_IMAGE_CELL (widget);

  if (self->item != NULL)
    tz_image_item_cancel_thumbnail (self->item);
  GTK_WIDGET_CLASS (tz_image_cell_parent_class)->unmap (widget);
}

static void
tz_image_cell_dispose (GObject *object)
{
  TzImageCell *self = TZ_IMAGE_CELL (object);
  GtkWidget *child;

  g_signal_group_set_target (self->signals, NULL);
  g_clear_object (&self->item);
  gtk_widget_dispose_template (GTK_WIDGET (self), TZ_TYPE_IMAGE_CELL);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  self->picture = NULL;
  self->problem_icon = NULL;
  self->badges = self->eval_badge = self->wrong_badge = NULL;

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
  widget_class->unmap = tz_image_cell_unmap;
  widget_class->query_tooltip = query_tooltip;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/tsuzuki/Tsuzuki/ui/tz-image-cell.ui");
  gtk_widget_class_bind_template_child (widget_class, TzImageCell, card);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
tz_image_cell_init (TzImageCell *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  self->picture = g_object_new (TZ_TYPE_CELL_PICTURE, NULL);
  gtk_overlay_set_child (self->card, GTK_WIDGET (self->picture));

  self->signals = g_signal_group_new (TZ_TYPE_IMAGE_ITEM);
  g_signal_group_connect_swapped (self->signals, "notify::thumbnail", G_CALLBACK (update), self);
  g_signal_group_connect_swapped (self->signals, "notify::split", G_CALLBACK (update), self);
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

  if (self->item == item)
    return;
  /* A recycled cell gives up the request of the image it showed. */
  if (self->item != NULL)
    tz_image_item_cancel_thumbnail (self->item);
  g_set_object (&self->item, item);
  g_signal_group_set_target (self->signals, item);
  update (self);
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-app"

#include "config.h"

#include "tz-class-item.h"

struct _TzClassItem
{
  GObject     parent_instance;

  char       *name;
  GdkRGBA     color;
  GListStore *images;
  guint       n_train;
  guint       n_eval;
  guint       n_pending;
  gboolean    learned;
  gboolean    committed;
};

enum {
  PROP_0,
  PROP_NAME,
  PROP_COLOR,
  PROP_N_TRAIN,
  PROP_N_EVAL,
  PROP_N_IMAGES,
  PROP_N_PENDING,
  PROP_LEARNED,
  PROP_COMMITTED,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (TzClassItem, tz_class_item, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];

static void
images_changed (TzClassItem *self,
                guint        position,
                guint        removed,
                guint        added,
                GListModel  *model)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_IMAGES]);
}

static void
tz_class_item_finalize (GObject *object)
{
  TzClassItem *self = TZ_CLASS_ITEM (object);

  g_free (self->name);
  g_clear_object (&self->images);

  G_OBJECT_CLASS (tz_class_item_parent_class)->finalize (object);
}

static void
tz_class_item_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  TzClassItem *self = TZ_CLASS_ITEM (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_COLOR:
      g_value_set_boxed (value, &self->color);
      break;
    case PROP_N_TRAIN:
      g_value_set_uint (value, self->n_train);
      break;
    case PROP_N_EVAL:
      g_value_set_uint (value, self->n_eval);
      break;
    case PROP_N_IMAGES:
      g_value_set_uint (value, g_list_model_get_n_items (G_LIST_MODEL (self->images)));
      break;
    case PROP_N_PENDING:
      g_value_set_uint (value, self->n_pending);
      break;
    case PROP_LEARNED:
      g_value_set_boolean (value, self->learned);
      break;
    case PROP_COMMITTED:
      g_value_set_boolean (value, self->committed);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tz_class_item_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  TzClassItem *self = TZ_CLASS_ITEM (object);

  switch (prop_id)
    {
    case PROP_NAME:
      tz_class_item_set_name (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tz_class_item_class_init (TzClassItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = tz_class_item_finalize;
  object_class->get_property = tz_class_item_get_property;
  object_class->set_property = tz_class_item_set_property;

  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_COLOR] = g_param_spec_boxed ("color", NULL, NULL, GDK_TYPE_RGBA, ro);
  properties[PROP_N_TRAIN] = g_param_spec_uint ("n-train", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_N_EVAL] = g_param_spec_uint ("n-eval", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_N_IMAGES] = g_param_spec_uint ("n-images", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_N_PENDING] = g_param_spec_uint ("n-pending", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_LEARNED] = g_param_spec_boolean ("learned", NULL, NULL, FALSE, ro);
  properties[PROP_COMMITTED] = g_param_spec_boolean ("committed", NULL, NULL, FALSE, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tz_class_item_init (TzClassItem *self)
{
  self->images = g_list_store_new (TZ_TYPE_IMAGE_ITEM);
  g_signal_connect_object (self->images, "items-changed", G_CALLBACK (images_changed), self,
                           G_CONNECT_SWAPPED);
}

TzClassItem *
tz_class_item_new (const char    *name,
                   const GdkRGBA *color)
{
  TzClassItem *self;

  g_return_val_if_fail (name != NULL && *name != '\0', NULL);
  g_return_val_if_fail (color != NULL, NULL);

  self = g_object_new (TZ_TYPE_CLASS_ITEM, NULL);
  self->name = g_strdup (name);
  self->color = *color;
  return self;
}

const char *
tz_class_item_get_name (TzClassItem *self)
{
  g_return_val_if_fail (TZ_IS_CLASS_ITEM (self), NULL);
  return self->name;
}

static gboolean
change_name (TzClassItem *self,
             const char  *name,
             gboolean     even_committed)
{
  g_autofree char *stripped = g_strstrip (g_strdup (name ? name : ""));
  guint n;

  if ((self->committed && !even_committed) || *stripped == '\0' || !g_utf8_validate (stripped, -1, NULL))
    {
      /* Tell a bound editable label to show the kept name again. */
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAME]);
      return FALSE;
    }
  if (g_strcmp0 (self->name, stripped) == 0)
    return TRUE;
  g_free (self->name);
  self->name = g_steal_pointer (&stripped);
  n = g_list_model_get_n_items (G_LIST_MODEL (self->images));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(TzImageItem) image = g_list_model_get_item (G_LIST_MODEL (self->images), i);

      tz_image_item_set_class_name (image, self->name);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAME]);
  return TRUE;
}

gboolean
tz_class_item_set_name (TzClassItem *self,
                        const char  *name)
{
  g_return_val_if_fail (TZ_IS_CLASS_ITEM (self), FALSE);

  return change_name (self, name, FALSE);
}

gboolean
tz_class_item_rename (TzClassItem *self,
                      const char  *name)
{
  g_return_val_if_fail (TZ_IS_CLASS_ITEM (self), FALSE);

  return change_name (self, name, TRUE);
}

const GdkRGBA *
tz_class_item_get_color (TzClassItem *self)
{
  g_return_val_if_fail (TZ_IS_CLASS_ITEM (self), NULL);
  return &self->color;
}

GListStore *
tz_class_item_get_images (TzClassItem *self)
{
  g_return_val_if_fail (TZ_IS_CLASS_ITEM (self), NULL);
  return self->images;
}

guint
tz_class_item_get_n_train (TzClassItem *self)
{
  g_return_val_if_fail (TZ_IS_CLASS_ITEM (self), 0);
  return self->n_train;
}

guint
tz_class_item_get_n_eval (TzClassItem *self)
{
  g_return_val_if_fail (TZ_IS_CLASS_ITEM (self), 0);
  return self->n_eval;
}

gboolean
tz_class_item_get_learned (TzClassItem *self)
{
  g_return_val_if_fail (TZ_IS_CLASS_ITEM (self), FALSE);
  return self->learned;
}

void
tz_class_item_set_counts (TzClassItem *self,
                          guint        n_train,
                          guint        n_eval,
                          gboolean     learned)
{
  g_return_if_fail (TZ_IS_CLASS_ITEM (self));

  learned = !!learned;
  if (self->n_train != n_train)
    {
      self->n_train = n_train;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_TRAIN]);
    }
  if (self->n_eval != n_eval)
    {
      self->n_eval = n_eval;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_EVAL]);
    }
  if (self->learned != learned)
    {
      self->learned = learned;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LEARNED]);
    }
}

gboolean
tz_class_item_get_committed (TzClassItem *self)
{
  g_return_val_if_fail (TZ_IS_CLASS_ITEM (self), FALSE);
  return self->committed;
}

void
tz_class_item_set_committed (TzClassItem *self,
                             gboolean     committed)
{
  g_return_if_fail (TZ_IS_CLASS_ITEM (self));

  committed = !!committed;
  if (self->committed != committed)
    {
      self->committed = committed;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COMMITTED]);
    }
}

guint
tz_class_item_get_n_pending (TzClassItem *self)
{
  g_return_val_if_fail (TZ_IS_CLASS_ITEM (self), 0);
  return self->n_pending;
}

void
tz_class_item_add_pending (TzClassItem *self,
                           int          delta)
{
  g_return_if_fail (TZ_IS_CLASS_ITEM (self));
  g_return_if_fail (delta >= 0 || (guint) -delta <= self->n_pending);

  self->n_pending += delta;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_PENDING]);
}

void
tz_class_item_color_for_index (guint    index,
                               GdkRGBA *color)
{
  /* GNOME's palette (blue 3, green 4, yellow 5, orange 3, red 3, purple 3,
   * brown 2, and the lighter and darker shades), ordered so that
   * neighbours differ in hue. */
  static const char *const palette[] = {
    "#3584e4", "#2ec27e", "#f5c211", "#ff7800", "#e01b24",
    "#9141ac", "#986a44", "#1c71d8", "#26a269", "#c64600",
    "#c061cb", "#62a0ea", "#57e389", "#e66100", "#813d9c",
    "#63452c",
  };

  g_return_if_fail (color != NULL);

  gdk_rgba_parse (color, palette[index % G_N_ELEMENTS (palette)]);
}

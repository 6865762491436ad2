/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-app"

#include "config.h"

#include <math.h>

#include "tz-image-item.h"

struct _TzImageItem
{
  GObject       parent_instance;

  char         *path;
  char         *class_name;
  TzSplit       split;
  char         *predicted;
  double        confidence;
  gboolean      looks_new;
  char         *problem;
  GdkPaintable *thumbnail;
  int           thumbnail_state;   /* atomic: ThumbnailState */
  guint         thumbnail_stamp;   /* atomic: when it was last requested */
};

enum {
  PROP_0,
  PROP_PATH,
  PROP_CLASS_NAME,
  PROP_SPLIT,
  PROP_PREDICTED,
  PROP_WRONG,
  PROP_PROBLEM,
  PROP_THUMBNAIL,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (TzImageItem, tz_image_item, G_TYPE_OBJECT)

/* g_set_str() arrives only in GLib 2.76. */
static gboolean
replace_string (char       **slot,
                const char  *value)
{
  if (g_strcmp0 (*slot, value) == 0)
    return FALSE;
  g_free (*slot);
  *slot = g_strdup (value);
  return TRUE;
}

static GParamSpec *properties[N_PROPS];

static void
tz_image_item_finalize (GObject *object)
{
  TzImageItem *self = TZ_IMAGE_ITEM (object);

  g_free (self->path);
  g_free (self->class_name);
  g_free (self->predicted);
  g_free (self->problem);
  g_clear_object (&self->thumbnail);

  G_OBJECT_CLASS (tz_image_item_parent_class)->finalize (object);
}

static void
tz_image_item_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  TzImageItem *self = TZ_IMAGE_ITEM (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case PROP_CLASS_NAME:
      g_value_set_string (value, self->class_name);
      break;
    case PROP_SPLIT:
      g_value_set_uint (value, self->split);
      break;
    case PROP_PREDICTED:
      g_value_set_string (value, self->predicted);
      break;
    case PROP_WRONG:
      g_value_set_boolean (value, tz_image_item_get_wrong (self));
      break;
    case PROP_PROBLEM:
      g_value_set_string (value, self->problem);
      break;
    case PROP_THUMBNAIL:
      g_value_set_object (value, tz_image_item_get_thumbnail (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tz_image_item_class_init (TzImageItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = tz_image_item_finalize;
  object_class->get_property = tz_image_item_get_property;

  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_CLASS_NAME] =
    g_param_spec_string ("class-name", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_SPLIT] =
    g_param_spec_uint ("split", NULL, NULL, 0, 1, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_PREDICTED] =
    g_param_spec_string ("predicted", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_WRONG] =
    g_param_spec_boolean ("wrong", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_PROBLEM] =
    g_param_spec_string ("problem", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_THUMBNAIL] =
    g_param_spec_object ("thumbnail", NULL, NULL, GDK_TYPE_PAINTABLE,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tz_image_item_init (TzImageItem *self)
{
  self->confidence = NAN;
}

TzImageItem *
tz_image_item_new (const char *path,
                   const char *class_name,
                   TzSplit     split)
{
  TzImageItem *self;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (class_name != NULL, NULL);

  self = g_object_new (TZ_TYPE_IMAGE_ITEM, NULL);
  self->path = g_strdup (path);
  self->class_name = g_strdup (class_name);
  self->split = split;
  return self;
}

const char *
tz_image_item_get_path (TzImageItem *self)
{
  g_return_val_if_fail (TZ_IS_IMAGE_ITEM (self), NULL);
  return self->path;
}

const char *
tz_image_item_get_class_name (TzImageItem *self)
{
  g_return_val_if_fail (TZ_IS_IMAGE_ITEM (self), NULL);
  return self->class_name;
}

void
tz_image_item_set_class_name (TzImageItem *self,
                              const char  *class_name)
{
  g_return_if_fail (TZ_IS_IMAGE_ITEM (self));
  g_return_if_fail (class_name != NULL);

  if (replace_string (&self->class_name, class_name))
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLASS_NAME]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WRONG]);
    }
}

TzSplit
tz_image_item_get_split (TzImageItem *self)
{
  g_return_val_if_fail (TZ_IS_IMAGE_ITEM (self), TZ_SPLIT_TRAIN);
  return self->split;
}

void
tz_image_item_set_split (TzImageItem *self,
                         TzSplit      split)
{
  g_return_if_fail (TZ_IS_IMAGE_ITEM (self));

  if (self->split == split)
    return;
  self->split = split;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SPLIT]);
  /* A training image is not scored. */
  if (split == TZ_SPLIT_TRAIN)
    tz_image_item_set_prediction (self, NULL, NAN, FALSE);
}

const char *
tz_image_item_get_predicted (TzImageItem *self)
{
  g_return_val_if_fail (TZ_IS_IMAGE_ITEM (self), NULL);
  return self->predicted;
}

gboolean
tz_image_item_get_wrong (TzImageItem *self)
{
  g_return_val_if_fail (TZ_IS_IMAGE_ITEM (self), FALSE);
  return self->predicted != NULL && g_strcmp0 (self->predicted, self->class_name) != 0;
}

gboolean
tz_image_item_get_looks_new (TzImageItem *self)
{
  g_return_val_if_fail (TZ_IS_IMAGE_ITEM (self), FALSE);
  return self->looks_new;
}

double
tz_image_item_get_confidence (TzImageItem *self)
{
  g_return_val_if_fail (TZ_IS_IMAGE_ITEM (self), NAN);
  return self->confidence;
}

void
tz_image_item_set_prediction (TzImageItem *self,
                              const char  *predicted,
                              double       confidence,
                              gboolean     looks_new)
{
  gboolean was_wrong;

  g_return_if_fail (TZ_IS_IMAGE_ITEM (self));

  was_wrong = tz_image_item_get_wrong (self);
  self->confidence = predicted != NULL ? confidence : NAN;
  self->looks_new = predicted != NULL && looks_new;
  if (replace_string (&self->predicted, predicted))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PREDICTED]);
  if (was_wrong != tz_image_item_get_wrong (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WRONG]);
}

const char *
tz_image_item_get_problem (TzImageItem *self)
{
  g_return_val_if_fail (TZ_IS_IMAGE_ITEM (self), NULL);
  return self->problem;
}

void
tz_image_item_set_problem (TzImageItem *self,
                           const char  *problem)
{
  g_return_if_fail (TZ_IS_IMAGE_ITEM (self));

  if (replace_string (&self->problem, problem))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROBLEM]);
}

/* Thumbnails are decoded by a thread of their own (so that they never
 * starve the engine's decoders) and delivered to the main thread by one
 * idle source that spends at most THUMBNAIL_BUDGET_US per run, so that a
 * grid of hundreds of images never stalls a frame. The newest request is
 * decoded first (the cells on screen now), and a request withdrawn before
 * its turn is skipped (a cell scrolled past or recycled). */
#define THUMBNAIL_THREADS 1
#define THUMBNAIL_BUDGET_US 4000

typedef enum
{
  THUMBNAIL_NONE,       /* never asked for, or withdrawn */
  THUMBNAIL_QUEUED,
  THUMBNAIL_DECODING,
  THUMBNAIL_DONE,       /* decoded, or failed (the problem says why) */
} ThumbnailState;

typedef struct
{
  TzImageItem *item;     /* a reference, released in the main thread */
  GdkTexture  *texture;
  char        *problem;
  gboolean     skipped;
} ThumbnailResult;

static GThreadPool  *thumbnail_pool;
static GAsyncQueue  *thumbnail_results;
static GMainContext *thumbnail_context;
static GSource      *thumbnail_source;
static GMutex        thumbnail_mutex;
static guint         thumbnail_clock;

static void
thumbnail_result_apply (ThumbnailResult *result)
{
  TzImageItem *self = result->item;

  if (result->skipped)
    ;
  else if (result->texture != NULL)
    {
      g_set_object (&self->thumbnail, GDK_PAINTABLE (result->texture));
      g_atomic_int_set (&self->thumbnail_state, THUMBNAIL_DONE);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_THUMBNAIL]);
    }
  else
    {
      g_atomic_int_set (&self->thumbnail_state, THUMBNAIL_DONE);
      if (self->problem == NULL)
        tz_image_item_set_problem (self, result->problem);
    }
  g_clear_object (&result->texture);
  g_free (result->problem);
  g_object_unref (result->item);
  g_free (result);
}

static gboolean
deliver_thumbnails (gpointer user_data)
{
  gint64 end = g_get_monotonic_time () + THUMBNAIL_BUDGET_US;
  ThumbnailResult *result;

  while (g_get_monotonic_time () < end &&
         (result = g_async_queue_try_pop (thumbnail_results)) != NULL)
    thumbnail_result_apply (result);

  g_mutex_lock (&thumbnail_mutex);
  if (g_async_queue_length (thumbnail_results) > 0)
    {
      g_mutex_unlock (&thumbnail_mutex);
      return G_SOURCE_CONTINUE;
    }
  g_clear_pointer (&thumbnail_source, g_source_unref);
  g_mutex_unlock (&thumbnail_mutex);
  return G_SOURCE_REMOVE;
}

static void
decode_thumbnail (gpointer data,
                  gpointer user_data)
{
  TzImageItem *self = data;
  ThumbnailResult *result = g_new0 (ThumbnailResult, 1);
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autoptr(GError) error = NULL;

  result->item = self;
  /* Withdrawn, or queued twice (withdrawn and asked for again) and
   * already taken. */
  if (!g_atomic_int_compare_and_exchange (&self->thumbnail_state, THUMBNAIL_QUEUED, THUMBNAIL_DECODING))
    result->skipped = TRUE;
  else if ((pixbuf = gdk_pixbuf_new_from_file (self->path, &error)) == NULL)
    result->problem = g_strdup (error->message);
  else
    {
      int width = gdk_pixbuf_get_width (pixbuf);
      int height = gdk_pixbuf_get_height (pixbuf);
      double scale = MIN ((double) TZ_IMAGE_ITEM_THUMBNAIL_SIZE / width,
                          (double) TZ_IMAGE_ITEM_THUMBNAIL_SIZE / height);
      g_autoptr(GdkPixbuf) scaled = NULL;

      /* Small images (Fashion-MNIST's 28 px) are enlarged without
       * smoothing, so that their pixels stay visible as pixels. */
      scaled = gdk_pixbuf_scale_simple (pixbuf,
                                        MAX (1, (int) round (width * scale)),
                                        MAX (1, (int) round (height * scale)),
                                        scale > 2 ? GDK_INTERP_NEAREST : GDK_INTERP_BILINEAR);
      /* A texture may be made in any thread. */
      result->texture = gdk_texture_new_for_pixbuf (scaled);
    }

  g_mutex_lock (&thumbnail_mutex);
  g_async_queue_push (thumbnail_results, result);
  if (thumbnail_source == NULL)
    {
      thumbnail_source = g_idle_source_new ();
      g_source_set_priority (thumbnail_source, G_PRIORITY_DEFAULT_IDLE);
      g_source_set_callback (thumbnail_source, deliver_thumbnails, NULL, NULL);
      g_source_set_static_name (thumbnail_source, "[tsuzuki] thumbnails");
      g_source_attach (thumbnail_source, thumbnail_context);
    }
  g_mutex_unlock (&thumbnail_mutex);
}

/* The newest request first. The stamps wrap around after 2^32 requests,
 * which only reorders a few. */
static int
compare_requests (gconstpointer a,
                  gconstpointer b,
                  gpointer      user_data)
{
  guint x = (guint) g_atomic_int_get ((int *) &((TzImageItem *) a)->thumbnail_stamp);
  guint y = (guint) g_atomic_int_get ((int *) &((TzImageItem *) b)->thumbnail_stamp);

  return (x < y) - (x > y);
}

GdkPaintable *
tz_image_item_get_thumbnail (TzImageItem *self)
{
  g_return_val_if_fail (TZ_IS_IMAGE_ITEM (self), NULL);

  if (g_atomic_int_compare_and_exchange (&self->thumbnail_state, THUMBNAIL_NONE, THUMBNAIL_QUEUED))
    {
      if (thumbnail_pool == NULL)
        {
          thumbnail_results = g_async_queue_new ();
          thumbnail_context = g_main_context_ref_thread_default ();
          thumbnail_pool = g_thread_pool_new (decode_thumbnail, NULL, THUMBNAIL_THREADS, FALSE, NULL);
          g_thread_pool_set_sort_function (thumbnail_pool, compare_requests, NULL);
        }
      g_atomic_int_set ((int *) &self->thumbnail_stamp, (int) ++thumbnail_clock);
      g_thread_pool_push (thumbnail_pool, g_object_ref (self), NULL);
    }
  return self->thumbnail;
}

void
tz_image_item_cancel_thumbnail (TzImageItem *self)
{
  g_return_if_fail (TZ_IS_IMAGE_ITEM (self));

  /* Only a request still waiting: one being decoded finishes. */
  g_atomic_int_compare_and_exchange (&self->thumbnail_state, THUMBNAIL_QUEUED, THUMBNAIL_NONE);
}

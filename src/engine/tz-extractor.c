/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-engine"

#include "config.h"

#include "tz-error.h"
#include "tz-extractor.h"

G_DEFINE_INTERFACE (TzExtractor, tz_extractor, G_TYPE_OBJECT)

static guint
tz_extractor_real_get_batch_size (TzExtractor *self)
{
  return 64;
}

static gboolean
tz_extractor_real_prepare (TzExtractor   *self,
                           GCancellable  *cancellable,
                           GError       **error)
{
  return TRUE;
}

static void
tz_extractor_default_init (TzExtractorInterface *iface)
{
  iface->get_batch_size = tz_extractor_real_get_batch_size;
  iface->prepare = tz_extractor_real_prepare;
}

guint
tz_extractor_get_dim (TzExtractor *self)
{
  g_return_val_if_fail (TZ_IS_EXTRACTOR (self), 0);
  return TZ_EXTRACTOR_GET_IFACE (self)->get_dim (self);
}

const char *
tz_extractor_get_recipe (TzExtractor *self)
{
  g_return_val_if_fail (TZ_IS_EXTRACTOR (self), NULL);
  return TZ_EXTRACTOR_GET_IFACE (self)->get_recipe (self);
}

guint
tz_extractor_get_batch_size (TzExtractor *self)
{
  g_return_val_if_fail (TZ_IS_EXTRACTOR (self), 1);
  return MAX (1, TZ_EXTRACTOR_GET_IFACE (self)->get_batch_size (self));
}

gboolean
tz_extractor_prepare (TzExtractor   *self,
                      GCancellable  *cancellable,
                      GError       **error)
{
  g_return_val_if_fail (TZ_IS_EXTRACTOR (self), FALSE);
  return TZ_EXTRACTOR_GET_IFACE (self)->prepare (self, cancellable, error);
}

void
tz_extractor_release_memory (TzExtractor *self)
{
  g_return_if_fail (TZ_IS_EXTRACTOR (self));
  if (TZ_EXTRACTOR_GET_IFACE (self)->release_memory != NULL)
    TZ_EXTRACTOR_GET_IFACE (self)->release_memory (self);
}

gboolean
tz_extractor_extract (TzExtractor          *self,
                      const TzImage *const *images,
                      guint                 n_images,
                      float                *features,
                      GCancellable         *cancellable,
                      GError              **error)
{
  g_return_val_if_fail (TZ_IS_EXTRACTOR (self), FALSE);
  g_return_val_if_fail (images != NULL || n_images == 0, FALSE);
  g_return_val_if_fail (features != NULL || n_images == 0, FALSE);
  return TZ_EXTRACTOR_GET_IFACE (self)->extract (self, images, n_images, features,
                                                 cancellable, error);
}

gboolean
tz_extractor_can_train (TzExtractor *self)
{
  g_return_val_if_fail (TZ_IS_EXTRACTOR (self), FALSE);
  return TZ_EXTRACTOR_GET_IFACE (self)->train != NULL;
}

TzExtractor *
tz_extractor_train (TzExtractor                   *self,
                    const TzImage *const          *images,
                    const guint                   *labels,
                    guint                          n_images,
                    guint                          n_classes,
                    const TzExtractorTrainOptions *options,
                    TzExtractorTrainProgressFunc   progress,
                    gpointer                       user_data,
                    GCancellable                  *cancellable,
                    GError                       **error)
{
  TzExtractorInterface *iface;

  g_return_val_if_fail (TZ_IS_EXTRACTOR (self), NULL);
  g_return_val_if_fail (images != NULL || n_images == 0, NULL);
  g_return_val_if_fail (labels != NULL || n_images == 0, NULL);
  g_return_val_if_fail (options != NULL, NULL);
  g_return_val_if_fail (options->weights_path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  iface = TZ_EXTRACTOR_GET_IFACE (self);
  if (iface->train == NULL)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_UNSUPPORTED,
                   "The features “%s” come from no network that can be trained",
                   tz_extractor_get_recipe (self));
      return NULL;
    }
  if (n_classes < 2 || n_images < 2)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                   "Training needs at least 2 classes and 2 images, not %u and %u",
                   n_classes, n_images);
      return NULL;
    }
  for (guint i = 0; i < n_images; i++)
    if (labels[i] >= n_classes)
      {
        g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                     "Image %u has label %u, but there are %u classes", i, labels[i], n_classes);
        return NULL;
      }
  return iface->train (self, images, labels, n_images, n_classes, options, progress, user_data,
                       cancellable, error);
}

struct _TzPixelExtractor
{
  GObject   parent_instance;
  guint     side;
  gboolean  grey;
  char     *recipe;
};

static void tz_pixel_extractor_iface_init (TzExtractorInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TzPixelExtractor, tz_pixel_extractor, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TZ_TYPE_EXTRACTOR,
                                                      tz_pixel_extractor_iface_init))

static guint
tz_pixel_extractor_get_dim (TzExtractor *extractor)
{
  TzPixelExtractor *self = TZ_PIXEL_EXTRACTOR (extractor);

  return self->side * self->side * (self->grey ? 1 : 3);
}

static const char *
tz_pixel_extractor_get_recipe (TzExtractor *extractor)
{
  return TZ_PIXEL_EXTRACTOR (extractor)->recipe;
}

/* The mean of source channel @c over the source rectangle that output
 * pixel (ox, oy) covers, weighting partly covered source pixels by their
 * overlap: exact area averaging for any scale. */
static double
area_average (const TzImage *image,
              guint          side,
              guint          ox,
              guint          oy,
              guint          c)
{
  double sx = (double) image->width / side, sy = (double) image->height / side;
  double x0 = ox * sx, x1 = (ox + 1) * sx, y0 = oy * sy, y1 = (oy + 1) * sy;
  double sum = 0.0, area = 0.0;

  for (guint y = (guint) y0; y < image->height && y < y1; y++)
    {
      double wy = MIN (y + 1.0, y1) - MAX ((double) y, y0);
      const guint8 *row = image->pixels + y * image->rowstride;

      for (guint x = (guint) x0; x < image->width && x < x1; x++)
        {
          double wx = MIN (x + 1.0, x1) - MAX ((double) x, x0);
          guint channel = image->n_channels == 1 ? 0 : c;

          sum += wx * wy * row[x * image->n_channels + channel];
          area += wx * wy;
        }
    }
  return sum / area;
}

static gboolean
tz_pixel_extractor_extract (TzExtractor          *extractor,
                            const TzImage *const *images,
                            guint                 n_images,
                            float                *features,
                            GCancellable         *cancellable,
                            GError              **error)
{
  TzPixelExtractor *self = TZ_PIXEL_EXTRACTOR (extractor);
  guint dim = tz_pixel_extractor_get_dim (extractor);

  for (guint i = 0; i < n_images; i++)
    {
      const TzImage *image = images[i];
      float *out = features + (gsize) i * dim;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      for (guint oy = 0; oy < self->side; oy++)
        for (guint ox = 0; ox < self->side; ox++)
          {
            double r = area_average (image, self->side, ox, oy, 0);
            double g = area_average (image, self->side, ox, oy, 1);
            double b = area_average (image, self->side, ox, oy, 2);
            gsize p = (gsize) oy * self->side + ox;

            if (self->grey)
              out[p] = (float) ((0.299 * r + 0.587 * g + 0.114 * b) / 255.0);
            else
              {
                out[3 * p] = (float) (r / 255.0);
                out[3 * p + 1] = (float) (g / 255.0);
                out[3 * p + 2] = (float) (b / 255.0);
              }
          }
    }
  return TRUE;
}

static void
tz_pixel_extractor_iface_init (TzExtractorInterface *iface)
{
  iface->get_dim = tz_pixel_extractor_get_dim;
  iface->get_recipe = tz_pixel_extractor_get_recipe;
  iface->extract = tz_pixel_extractor_extract;
}

static void
tz_pixel_extractor_finalize (GObject *object)
{
  g_free (TZ_PIXEL_EXTRACTOR (object)->recipe);
  G_OBJECT_CLASS (tz_pixel_extractor_parent_class)->finalize (object);
}

static void
tz_pixel_extractor_class_init (TzPixelExtractorClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = tz_pixel_extractor_finalize;
}

static void
tz_pixel_extractor_init (TzPixelExtractor *self)
{
}

TzExtractor *
tz_pixel_extractor_new (guint    side,
                        gboolean grey)
{
  TzPixelExtractor *self;

  g_return_val_if_fail (side > 0 && side <= 1024, NULL);

  self = g_object_new (TZ_TYPE_PIXEL_EXTRACTOR, NULL);
  self->side = side;
  self->grey = grey;
  self->recipe = g_strdup_printf ("pixels side=%u %s", side, grey ? "grey" : "rgb");
  return TZ_EXTRACTOR (self);
}

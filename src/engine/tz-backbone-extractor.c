/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-engine"

#include "config.h"

#include <glib/gstdio.h>

#include "tz-backbone-extractor.h"
#include "tz-deferred-extractor.h"
#include "tz-error.h"

struct _TzBackboneExtractor
{
  GObject                     parent_instance;

  TzBackboneExtractorOptions  options;
  char                       *weights;
  char                       *recipe;
  guint                       dim;
  TzBackbone                 *backbone;  /* worker thread only */
};

static void tz_backbone_extractor_iface_init (TzExtractorInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TzBackboneExtractor, tz_backbone_extractor, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TZ_TYPE_EXTRACTOR,
                                                      tz_backbone_extractor_iface_init))

static guint
get_dim (TzExtractor *extractor)
{
  return TZ_BACKBONE_EXTRACTOR (extractor)->dim;
}

static const char *
get_recipe (TzExtractor *extractor)
{
  return TZ_BACKBONE_EXTRACTOR (extractor)->recipe;
}

static guint
get_batch_size (TzExtractor *extractor)
{
  TzBackboneExtractor *self = TZ_BACKBONE_EXTRACTOR (extractor);

  return tz_backbone_extract_options_get_batch_size (&self->options.extract, self->options.variant);
}

static gboolean
prepare (TzExtractor   *extractor,
         GCancellable  *cancellable,
         GError       **error)
{
  TzBackboneExtractor *self = TZ_BACKBONE_EXTRACTOR (extractor);
  g_autoptr(TzBackbone) backbone = NULL;

  if (self->backbone != NULL)
    return TRUE;
  backbone = tz_backbone_new (self->options.variant, 0, error);
  if (backbone == NULL)
    return FALSE;
  if (self->weights != NULL)
    {
      if (!tz_backbone_load_weights (backbone, self->weights, error))
        return FALSE;
    }
  else
    tz_backbone_init_random (backbone, self->options.seed);
  if (!tz_backbone_set_device (backbone, self->options.device, error))
    return FALSE;
  tz_backbone_set_n_threads (backbone, self->options.n_threads);
  self->backbone = g_steal_pointer (&backbone);
  return TRUE;
}

static gboolean
extract (TzExtractor          *extractor,
         const TzImage *const *images,
         guint                 n_images,
         float                *features,
         GCancellable         *cancellable,
         GError              **error)
{
  TzBackboneExtractor *self = TZ_BACKBONE_EXTRACTOR (extractor);

  g_assert (self->backbone != NULL);
  return tz_backbone_extract (self->backbone, images, n_images, &self->options.extract,
                              features, cancellable, error);
}

typedef struct
{
  TzExtractorTrainProgressFunc  func;
  gpointer                      user_data;
} ProgressAdapter;

static void
forward_progress (const TzBackboneTrainProgress *progress,
                  gpointer                       user_data)
{
  ProgressAdapter *adapter = user_data;
  TzExtractorTrainProgress out = {
    progress->epoch,
    progress->n_epochs,
    progress->step,
    progress->n_steps,
    progress->epoch_loss,
    progress->images_per_second,
  };

  if (adapter->func != NULL)
    adapter->func (&out, adapter->user_data);
}

/* A fresh network of the same variant (torchvision's initialisation from
 * the seed, with a head of @n_classes), trained at the size and with the
 * normalisation its features will be extracted at, on the same device
 * and threads; the result is an extractor of the saved weights. */
static TzExtractor *
train (TzExtractor                   *extractor,
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
  TzBackboneExtractor *self = TZ_BACKBONE_EXTRACTOR (extractor);
  g_autoptr(TzBackbone) backbone = NULL;
  g_autoptr(TzExtractor) result = NULL;
  TzBackboneTrainOptions train_options;
  TzBackboneExtractorOptions result_options;
  ProgressAdapter adapter = { progress, user_data };
  TzBackboneExtractor *trained;

  backbone = tz_backbone_new (self->options.variant, 0, error);
  if (backbone == NULL)
    return NULL;
  tz_backbone_init_random (backbone, options->seed);
  tz_backbone_reset_head (backbone, n_classes, options->seed);
  if (!tz_backbone_set_device (backbone, self->options.device, error))
    return NULL;
  tz_backbone_set_n_threads (backbone, self->options.n_threads);

  /* The recipe's defaults come from the backbone; only what the caller
   * named is overridden. */
  tz_backbone_train_options_init (&train_options);
  if (options->epochs > 0)
    train_options.epochs = options->epochs;
  if (options->batch_size > 0)
    train_options.batch_size = options->batch_size;
  if (options->learning_rate > 0)
    train_options.learning_rate = options->learning_rate;
  train_options.seed = options->seed;
  train_options.image_size = tz_backbone_extract_options_get_image_size (&self->options.extract,
                                                                         self->options.variant);
  train_options.normalize = self->options.extract.normalize;

  if (!tz_backbone_train (backbone, images, labels, n_images, &train_options,
                          forward_progress, &adapter, cancellable, error) ||
      !tz_backbone_save_weights (backbone, options->weights_path, error))
    return NULL;

  result_options = self->options;
  result_options.weights = options->weights_path;
  result = tz_backbone_extractor_new (&result_options, error);
  if (result == NULL)
    {
      g_unlink (options->weights_path);
      return NULL;
    }

  /* Without its head the trained network is what prepare() would load
   * from the file just written (float32, every tensor): hand it over
   * rather than read it back. */
  tz_backbone_reset_head (backbone, 0, 0);
  trained = TZ_BACKBONE_EXTRACTOR (result);
  trained->backbone = g_steal_pointer (&backbone);
  return g_steal_pointer (&result);
}

/* libtorch's allocator holds its blocks for the whole process. */
static void
release_memory (TzExtractor *extractor)
{
  gsize released = tz_backbone_release_memory ();

  if (released > 0)
    g_debug ("Gave back %" G_GSIZE_FORMAT " MB of the network's memory", released >> 20);
}

static void
tz_backbone_extractor_iface_init (TzExtractorInterface *iface)
{
  iface->get_dim = get_dim;
  iface->get_recipe = get_recipe;
  iface->get_batch_size = get_batch_size;
  iface->prepare = prepare;
  iface->extract = extract;
  iface->train = train;
  iface->release_memory = release_memory;
}

static void
tz_backbone_extractor_finalize (GObject *object)
{
  TzBackboneExtractor *self = TZ_BACKBONE_EXTRACTOR (object);

  g_clear_pointer (&self->backbone, tz_backbone_free);
  g_free (self->weights);
  g_free (self->recipe);
  G_OBJECT_CLASS (tz_backbone_extractor_parent_class)->finalize (object);
}

static void
tz_backbone_extractor_class_init (TzBackboneExtractorClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = tz_backbone_extractor_finalize;
}

static void
tz_backbone_extractor_init (TzBackboneExtractor *self)
{
}

TzExtractor *
tz_backbone_extractor_new (const TzBackboneExtractorOptions  *options,
                           GError                           **error)
{
  g_autoptr(TzBackboneExtractor) self = NULL;

  g_return_val_if_fail (options != NULL, NULL);

  self = g_object_new (TZ_TYPE_BACKBONE_EXTRACTOR, NULL);
  if (!_tz_backbone_extractor_describe (options, &self->dim, &self->recipe, error))
    return NULL;
  self->options = *options;
  self->weights = g_strdup (options->weights);
  self->options.weights = self->weights;
  return TZ_EXTRACTOR (g_steal_pointer (&self));
}

TzBackbone *
tz_backbone_extractor_get_backbone (TzBackboneExtractor *self)
{
  g_return_val_if_fail (TZ_IS_BACKBONE_EXTRACTOR (self), NULL);
  return self->backbone;
}

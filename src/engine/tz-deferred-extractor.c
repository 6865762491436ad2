/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The EfficientNet extractor without libtorch in the program: libtorch
 * takes about half a second to load and initialise, so the application
 * does not link it. This extractor knows its dimension and recipe from
 * the options alone, and loads the backbone module (TzBackboneExtractor
 * and libtorch) in prepare(), which the engine runs in its worker: the
 * window is drawn meanwhile. */
#define G_LOG_DOMAIN "tsuzuki-engine"

#include "config.h"

#include <gmodule.h>

#include "tz-deferred-extractor.h"
#include "tz-error.h"

typedef TzExtractor *(*NewFunc) (const TzBackboneExtractorOptions *options,
                                 GError                          **error);

struct _TzDeferredExtractor
{
  GObject                     parent_instance;

  TzBackboneExtractorOptions  options;
  char                       *weights;
  char                       *recipe;
  guint                       dim;
  TzExtractor                *real;      /* worker thread only, once prepared */
};

static void tz_deferred_extractor_iface_init (TzExtractorInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TzDeferredExtractor, tz_deferred_extractor, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TZ_TYPE_EXTRACTOR,
                                                      tz_deferred_extractor_iface_init))

const char *
tz_deferred_extractor_get_module_path (void)
{
  static char *path;

  if (g_once_init_enter (&path))
    {
      const char *env = g_getenv ("TZ_BACKBONE_MODULE");
      char *chosen;

      if (env != NULL && *env != '\0')
        chosen = g_strdup (env);
      else if (g_file_test (TZ_BACKBONE_MODULE_BUILD_PATH, G_FILE_TEST_IS_REGULAR))
        chosen = g_strdup (TZ_BACKBONE_MODULE_BUILD_PATH);
      else
        chosen = g_strdup (TZ_BACKBONE_MODULE_INSTALL_PATH);
      g_once_init_leave (&path, chosen);
    }
  return path;
}

/* The module's constructor, loaded once per process. */
static NewFunc
load_module (GError **error)
{
  static GMutex lock;
  static NewFunc new_func;
  static char *failure;
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&lock);
  const char *path = tz_deferred_extractor_get_module_path ();
  GModule *module;
  gint64 start;

  if (new_func != NULL)
    return new_func;
  if (failure != NULL)
    {
      g_set_error_literal (error, TZ_ERROR, TZ_ERROR_UNSUPPORTED, failure);
      return NULL;
    }

  start = g_get_monotonic_time ();
  /* Local: the module's symbols stay its own; it finds the engine's and
   * the core's in the program. */
  module = g_module_open (path, G_MODULE_BIND_LOCAL);
  if (module == NULL || !g_module_symbol (module, "tz_backbone_extractor_new", (gpointer *) &new_func))
    {
      failure = g_strdup_printf ("The network module %s could not be loaded: %s", path, g_module_error ());
      g_set_error_literal (error, TZ_ERROR, TZ_ERROR_UNSUPPORTED, failure);
      g_clear_pointer (&module, g_module_close);
      new_func = NULL;
      return NULL;
    }
  /* Its types are registered with GObject: it can never go. */
  g_module_make_resident (module);
  g_debug ("Loaded %s (libtorch) in %.0f ms", path, (g_get_monotonic_time () - start) / 1000.0);
  return new_func;
}

static guint
get_dim (TzExtractor *extractor)
{
  return TZ_DEFERRED_EXTRACTOR (extractor)->dim;
}

static const char *
get_recipe (TzExtractor *extractor)
{
  return TZ_DEFERRED_EXTRACTOR (extractor)->recipe;
}

static guint
get_batch_size (TzExtractor *extractor)
{
  TzDeferredExtractor *self = TZ_DEFERRED_EXTRACTOR (extractor);

  return tz_backbone_extract_options_get_batch_size (&self->options.extract, self->options.variant);
}

/* The module's extractor of the same options, made once. @check_recipe:
 * refuse it when the weights file changed since this extractor was made
 * (its features would be cached under the wrong recipe); training, which
 * builds a network of its own, does not need the weights. */
static gboolean
make_real (TzDeferredExtractor  *self,
           gboolean              check_recipe,
           GError              **error)
{
  g_autoptr(TzExtractor) real = NULL;
  NewFunc new_func;

  if (self->real != NULL)
    return TRUE;
  new_func = load_module (error);
  if (new_func == NULL)
    return FALSE;
  real = new_func (&self->options, error);
  if (real == NULL)
    return FALSE;
  if (check_recipe && g_strcmp0 (tz_extractor_get_recipe (real), self->recipe) != 0)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                   "%s changed since it was chosen", self->weights);
      return FALSE;
    }
  self->real = g_steal_pointer (&real);
  return TRUE;
}

static gboolean
prepare (TzExtractor   *extractor,
         GCancellable  *cancellable,
         GError       **error)
{
  TzDeferredExtractor *self = TZ_DEFERRED_EXTRACTOR (extractor);

  return make_real (self, TRUE, error) && tz_extractor_prepare (self->real, cancellable, error);
}

static gboolean
extract (TzExtractor          *extractor,
         const TzImage *const *images,
         guint                 n_images,
         float                *features,
         GCancellable         *cancellable,
         GError              **error)
{
  TzDeferredExtractor *self = TZ_DEFERRED_EXTRACTOR (extractor);

  if (!prepare (extractor, cancellable, error))
    return FALSE;
  return tz_extractor_extract (self->real, images, n_images, features, cancellable, error);
}

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
  TzDeferredExtractor *self = TZ_DEFERRED_EXTRACTOR (extractor);

  if (!make_real (self, FALSE, error))
    return NULL;
  return tz_extractor_train (self->real, images, labels, n_images, n_classes, options,
                             progress, user_data, cancellable, error);
}

/* Nothing to give back before the module is loaded. */
static void
release_memory (TzExtractor *extractor)
{
  TzDeferredExtractor *self = TZ_DEFERRED_EXTRACTOR (extractor);

  if (self->real != NULL)
    tz_extractor_release_memory (self->real);
}

static void
tz_deferred_extractor_iface_init (TzExtractorInterface *iface)
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
tz_deferred_extractor_finalize (GObject *object)
{
  TzDeferredExtractor *self = TZ_DEFERRED_EXTRACTOR (object);

  g_clear_object (&self->real);
  g_free (self->weights);
  g_free (self->recipe);
  G_OBJECT_CLASS (tz_deferred_extractor_parent_class)->finalize (object);
}

static void
tz_deferred_extractor_class_init (TzDeferredExtractorClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = tz_deferred_extractor_finalize;
}

static void
tz_deferred_extractor_init (TzDeferredExtractor *self)
{
}

TzExtractor *
tz_deferred_extractor_new (const TzBackboneExtractorOptions  *options,
                           GError                           **error)
{
  g_autoptr(TzDeferredExtractor) self = NULL;

  g_return_val_if_fail (options != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (TZ_TYPE_DEFERRED_EXTRACTOR, NULL);
  if (!_tz_backbone_extractor_describe (options, &self->dim, &self->recipe, error))
    return NULL;
  self->options = *options;
  self->weights = g_strdup (options->weights);
  self->options.weights = self->weights;
  return TZ_EXTRACTOR (g_steal_pointer (&self));
}

/* SHA-256 of a file, read in pieces. */
static char *
digest_file (const char  *path,
             GError     **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInputStream) stream = g_file_read (file, NULL, error);
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree guint8 *buffer = g_malloc (1 << 20);
  gssize n;

  if (stream == NULL)
    return NULL;
  while ((n = g_input_stream_read (G_INPUT_STREAM (stream), buffer, 1 << 20, NULL, error)) > 0)
    g_checksum_update (checksum, buffer, n);
  if (n < 0)
    return NULL;
  return g_strdup (g_checksum_get_string (checksum));
}

gboolean
_tz_backbone_extractor_describe (const TzBackboneExtractorOptions  *options,
                                 guint                            *dim,
                                 char                            **recipe,
                                 GError                          **error)
{
  g_autofree char *digest = NULL;
  g_autofree char *layers = NULL;
  guint size;

  if (options->weights != NULL)
    {
      digest = digest_file (options->weights, error);
      if (digest == NULL)
        return FALSE;
    }
  else
    digest = g_strdup_printf ("scratch-%" G_GUINT64_FORMAT, options->seed);

  *dim = tz_backbone_variant_get_feature_dim (options->variant, options->extract.layers);
  size = tz_backbone_extract_options_get_image_size (&options->extract, options->variant);
  layers = tz_backbone_layers_to_string (options->extract.layers);
  *recipe = g_strdup_printf ("efficientnet_%s weights=%s layers=%s size=%u normalize=%s "
                             "precision=%s",
                             tz_backbone_variant_to_string (options->variant), digest,
                             layers, size, options->extract.normalize ? "imagenet" : "none",
                             options->extract.precision == TZ_BACKBONE_PRECISION_FLOAT32 ? "fp32"
                             : options->extract.precision == TZ_BACKBONE_PRECISION_BFLOAT16 ? "bf16"
                             : "fp16");
  return TRUE;
}

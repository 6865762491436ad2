/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-backbone"

#include "config.h"

#include <math.h>
#include <string.h>

#include "tz-backbone-private.h"
#include "tz-error.h"
#include "tz-safetensors.h"
#include "tz-torch-checkpoint.h"

typedef struct
{
  const char *name;
  double      width_mult;
  double      depth_mult;
  double      dropout;
  double      bn_eps;
  double      bn_momentum;
  guint       image_size;
} VariantRecipe;

/* torchvision 0.14's efficientnet_b0 ... b7: the last three use the
 * original TensorFlow batch-norm settings. */
static const VariantRecipe recipes[TZ_BACKBONE_N_VARIANTS] = {
  { "b0", 1.0, 1.0, 0.2, 1e-5, 0.1, 224 },
  { "b1", 1.0, 1.1, 0.2, 1e-5, 0.1, 240 },
  { "b2", 1.1, 1.2, 0.3, 1e-5, 0.1, 288 },
  { "b3", 1.2, 1.4, 0.3, 1e-5, 0.1, 300 },
  { "b4", 1.4, 1.8, 0.4, 1e-5, 0.1, 380 },
  { "b5", 1.6, 2.2, 0.4, 1e-3, 0.01, 456 },
  { "b6", 1.8, 2.6, 0.5, 1e-3, 0.01, 528 },
  { "b7", 2.0, 3.1, 0.5, 1e-3, 0.01, 600 },
};

/* Table 1 of the EfficientNet paper, as torchvision lists it: expand
 * ratio, kernel, stride, input channels, output channels, layers. */
static const guint base_stages[TZ_BACKBONE_N_MBCONV_STAGES][6] = {
  { 1, 3, 1, 32, 16, 1 },
  { 6, 3, 2, 16, 24, 2 },
  { 6, 5, 2, 24, 40, 2 },
  { 6, 3, 2, 40, 80, 3 },
  { 6, 5, 1, 80, 112, 3 },
  { 6, 5, 2, 112, 192, 4 },
  { 6, 3, 1, 192, 320, 1 },
};

/* torchvision's _make_divisible (from the TensorFlow reference). */
static guint
make_divisible (double value,
                guint  divisor)
{
  guint new_value = MAX (divisor, (guint) (value + divisor / 2.0) / divisor * divisor);

  if (new_value < 0.9 * value)
    new_value += divisor;
  return new_value;
}

static TzBackboneVariantInfo infos[TZ_BACKBONE_N_VARIANTS];

static gpointer
build_infos (gpointer data)
{
  for (guint v = 0; v < TZ_BACKBONE_N_VARIANTS; v++)
    {
      const VariantRecipe *recipe = &recipes[v];
      TzBackboneVariantInfo *info = &infos[v];

      info->name = recipe->name;
      info->width_mult = recipe->width_mult;
      info->depth_mult = recipe->depth_mult;
      info->dropout = recipe->dropout;
      info->bn_eps = recipe->bn_eps;
      info->bn_momentum = recipe->bn_momentum;
      info->image_size = recipe->image_size;
      for (guint s = 0; s < TZ_BACKBONE_N_MBCONV_STAGES; s++)
        {
          TzBackboneStageConfig *stage = &info->stages[s];

          stage->expand_ratio = base_stages[s][0];
          stage->kernel = base_stages[s][1];
          stage->stride = base_stages[s][2];
          stage->in_channels = make_divisible (base_stages[s][3] * recipe->width_mult, 8);
          stage->out_channels = make_divisible (base_stages[s][4] * recipe->width_mult, 8);
          stage->n_layers = (guint) ceil (base_stages[s][5] * recipe->depth_mult);
        }
      info->stem_channels = info->stages[0].in_channels;
      info->head_channels = 4 * info->stages[TZ_BACKBONE_N_MBCONV_STAGES - 1].out_channels;
    }
  return NULL;
}

const TzBackboneVariantInfo *
tz_backbone_variant_get_info (TzBackboneVariant variant)
{
  static GOnce once = G_ONCE_INIT;

  g_return_val_if_fail ((guint) variant < TZ_BACKBONE_N_VARIANTS, NULL);

  g_once (&once, build_infos, NULL);
  return &infos[variant];
}

const char *
tz_backbone_variant_to_string (TzBackboneVariant variant)
{
  g_return_val_if_fail ((guint) variant < TZ_BACKBONE_N_VARIANTS, NULL);

  return recipes[variant].name;
}

gboolean
tz_backbone_variant_from_string (const char         *string,
                                 TzBackboneVariant  *variant,
                                 GError            **error)
{
  const char *name;

  g_return_val_if_fail (string != NULL, FALSE);
  g_return_val_if_fail (variant != NULL, FALSE);

  name = g_str_has_prefix (string, "efficientnet_") ? string + strlen ("efficientnet_") : string;
  for (guint v = 0; v < TZ_BACKBONE_N_VARIANTS; v++)
    if (g_ascii_strcasecmp (name, recipes[v].name) == 0)
      {
        *variant = (TzBackboneVariant) v;
        return TRUE;
      }

  g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
               "Unknown backbone “%s”: expected b0 to b7", string);
  return FALSE;
}

guint
tz_backbone_variant_get_image_size (TzBackboneVariant variant)
{
  g_return_val_if_fail ((guint) variant < TZ_BACKBONE_N_VARIANTS, 0);

  return recipes[variant].image_size;
}

guint
tz_backbone_variant_get_stage_channels (TzBackboneVariant variant,
                                        guint             stage)
{
  const TzBackboneVariantInfo *info;

  g_return_val_if_fail ((guint) variant < TZ_BACKBONE_N_VARIANTS, 0);
  g_return_val_if_fail (stage < TZ_BACKBONE_N_STAGES, 0);

  info = tz_backbone_variant_get_info (variant);
  if (stage == 0)
    return info->stem_channels;
  if (stage == TZ_BACKBONE_N_STAGES - 1)
    return info->head_channels;
  return info->stages[stage - 1].out_channels;
}

guint
tz_backbone_variant_get_feature_dim (TzBackboneVariant variant,
                                     TzBackboneLayers  layers)
{
  guint dim = 0;

  g_return_val_if_fail ((guint) variant < TZ_BACKBONE_N_VARIANTS, 0);

  for (guint s = 0; s < TZ_BACKBONE_N_STAGES; s++)
    {
      if (layers & (1u << s))
        dim += tz_backbone_variant_get_stage_channels (variant, s);
      if (layers & TZ_BACKBONE_LAYERS_GRID (s))
        dim += 4 * tz_backbone_variant_get_stage_channels (variant, s);
    }
  return dim;
}

gboolean
tz_backbone_layers_parse (const char        *string,
                          TzBackboneLayers  *layers,
                          GError           **error)
{
  g_auto(GStrv) parts = NULL;
  TzBackboneLayers mask = 0;

  g_return_val_if_fail (string != NULL, FALSE);
  g_return_val_if_fail (layers != NULL, FALSE);

  if (g_strcmp0 (string, "penultimate") == 0)
    mask = TZ_BACKBONE_LAYERS_PENULTIMATE;
  else if (g_strcmp0 (string, "concat") == 0)
    mask = TZ_BACKBONE_LAYERS_CONCAT;
  else if (g_strcmp0 (string, "all") == 0)
    mask = TZ_BACKBONE_LAYERS_ALL;
  else if (g_strcmp0 (string, "spatial") == 0)
    mask = TZ_BACKBONE_LAYERS_SPATIAL;
  else
    {
      parts = g_strsplit (string, ",", -1);
      for (guint i = 0; parts[i] != NULL; i++)
        {
          const char *part = g_strstrip (parts[i]);
          const char *number = part;
          gboolean grid = FALSE;
          guint64 stage;

          if (g_str_has_prefix (number, "features."))
            number += strlen ("features.");
          else if (number[0] == 'g')
            {
              grid = TRUE;
              number++;
            }
          if (!g_ascii_string_to_unsigned (number, 10, 0, TZ_BACKBONE_N_STAGES - 1, &stage, NULL))
            {
              g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                           "Unknown layer “%s” in “%s”: expected penultimate, "
                           "concat, all, spatial, or stage numbers 0 to 8 (g0 to g8 "
                           "over a 2 × 2 grid)",
                           part, string);
              return FALSE;
            }
          mask |= grid ? TZ_BACKBONE_LAYERS_GRID (stage) : 1u << stage;
        }
    }

  if (mask == 0)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                   "No layers in “%s”", string);
      return FALSE;
    }
  *layers = mask;
  return TRUE;
}

char *
tz_backbone_layers_to_string (TzBackboneLayers layers)
{
  g_autoptr(GString) string = NULL;

  if (layers == TZ_BACKBONE_LAYERS_PENULTIMATE)
    return g_strdup ("penultimate");
  if (layers == TZ_BACKBONE_LAYERS_CONCAT)
    return g_strdup ("concat");
  if (layers == TZ_BACKBONE_LAYERS_ALL)
    return g_strdup ("all");
  if (layers == TZ_BACKBONE_LAYERS_SPATIAL)
    return g_strdup ("spatial");

  string = g_string_new (NULL);
  for (guint s = 0; s < TZ_BACKBONE_N_STAGES; s++)
    {
      if (layers & (1u << s))
        g_string_append_printf (string, "%s%u", string->len ? "," : "", s);
      if (layers & TZ_BACKBONE_LAYERS_GRID (s))
        g_string_append_printf (string, "%sg%u", string->len ? "," : "", s);
    }
  return g_string_free (g_steal_pointer (&string), FALSE);
}

void
tz_backbone_extract_options_init (TzBackboneExtractOptions *options)
{
  g_return_if_fail (options != NULL);

  options->layers = TZ_BACKBONE_LAYERS_PENULTIMATE;
  options->image_size = 0;
  options->normalize = TRUE;
  options->precision = TZ_BACKBONE_PRECISION_FLOAT32;
  options->batch_size = 0;
}

guint
tz_backbone_auto_batch_size (guint image_size)
{
  guint64 pixels = (guint64) MAX (image_size, 1) * MAX (image_size, 1);

  return (guint) CLAMP (64 * 224 * 224 / pixels, 64, 512);
}

guint
tz_backbone_extract_options_get_image_size (const TzBackboneExtractOptions *options,
                                            TzBackboneVariant               variant)
{
  g_return_val_if_fail (options != NULL, 0);

  return options->image_size > 0 ? options->image_size : tz_backbone_variant_get_image_size (variant);
}

guint
tz_backbone_extract_options_get_batch_size (const TzBackboneExtractOptions *options,
                                            TzBackboneVariant               variant)
{
  g_return_val_if_fail (options != NULL, 0);

  return options->batch_size > 0
    ? options->batch_size
    : tz_backbone_auto_batch_size (tz_backbone_extract_options_get_image_size (options, variant));
}

void
tz_backbone_train_options_init_post (TzBackboneTrainOptions *options)
{
  g_return_if_fail (options != NULL);

  options->epochs = 50;
  options->batch_size = 128;
  options->learning_rate = 1e-3;
  options->image_size = 64;
  options->normalize = FALSE;
  options->seed = 0;
  options->augment = TZ_BACKBONE_AUGMENT_NONE;
  options->label_smoothing = 0.0;
  options->lr_schedule = TZ_BACKBONE_LR_CONSTANT;
  options->warmup_fraction = 0.0;
  options->rotation_task = FALSE;
  options->weight_decay = 0.0;
}

void
tz_backbone_train_options_init (TzBackboneTrainOptions *options)
{
  g_return_if_fail (options != NULL);

  /* Measured on Fashion-MNIST (tests/bench/bench-recipes.sh): with 3
   * epochs, augmentation, label smoothing and a cosine schedule each left
   * the features worse for the classes added later; the rotation task
   * made them a little better. */
  tz_backbone_train_options_init_post (options);
  options->rotation_task = TRUE;
}

void
tz_tensor_record_free (TzTensorRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->name);
  g_clear_pointer (&record->storage, g_bytes_unref);
  g_free (record);
}

gboolean
tz_tensor_record_validate (const TzTensorRecord  *record,
                           const char            *display_name,
                           GError               **error)
{
  gsize item_size = tz_dtype_get_size (record->dtype);
  gsize storage_size = record->storage ? g_bytes_get_size (record->storage) : 0;
  guint64 last = 0;
  gboolean empty = FALSE;

  if (record->ndim > TZ_ARRAY_MAX_DIMS)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_UNSUPPORTED,
                   "%s: tensor “%s” has %u dimensions, more than %d",
                   display_name, record->name, record->ndim, TZ_ARRAY_MAX_DIMS);
      return FALSE;
    }
  if (record->offset < 0)
    goto outside;

  /* The highest element addressed is offset + sum (size - 1) * stride;
   * every term is bounded first so that the sum cannot overflow. */
  last = (guint64) record->offset;
  for (guint d = 0; d < record->ndim; d++)
    {
      if (record->shape[d] < 0 || record->strides[d] < 0
          || record->shape[d] > G_MAXINT32 || record->strides[d] > G_MAXINT32)
        goto outside;
      if (record->shape[d] == 0)
        empty = TRUE;
      else
        last += (guint64) (record->shape[d] - 1) * (guint64) record->strides[d];
    }
  if (empty)
    return TRUE;
  if (last >= G_MAXUINT64 / 16 || (last + 1) * item_size > storage_size)
    goto outside;
  return TRUE;

outside:
  g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
               "%s: tensor “%s” reaches outside its storage of %" G_GSIZE_FORMAT " bytes",
               display_name, record->name, storage_size);
  return FALSE;
}

static GPtrArray *
read_safetensors (const char  *path,
                  GError     **error)
{
  g_autoptr(TzSafetensors) file = NULL;
  g_autoptr(GPtrArray) records = NULL;
  const char *const *names;

  file = tz_safetensors_open (path, error);
  if (file == NULL)
    return NULL;

  records = g_ptr_array_new_with_free_func ((GDestroyNotify) tz_tensor_record_free);
  names = tz_safetensors_get_names (file);
  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    {
      g_autoptr(TzArray) array = NULL;
      g_autoptr(TzTensorRecord) record = g_new0 (TzTensorRecord, 1);
      const gint64 *shape;
      gint64 stride = 1;

      array = tz_safetensors_get (file, names[i], error);
      if (array == NULL)
        return NULL;

      record->name = g_strdup (names[i]);
      record->dtype = tz_array_get_dtype (array);
      record->ndim = tz_array_get_ndim (array);
      if (record->ndim > TZ_ARRAY_MAX_DIMS)
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_UNSUPPORTED,
                       "%s: tensor “%s” has too many dimensions", path, names[i]);
          return NULL;
        }
      shape = tz_array_get_shape (array);
      for (guint d = record->ndim; d-- > 0;)
        {
          record->shape[d] = shape[d];
          record->strides[d] = stride;
          stride *= MAX (shape[d], 1);
        }
      /* Borrowed from the array; the mapping stays alive with it. */
      record->storage = g_bytes_ref (tz_array_get_bytes (array));
      if (!tz_tensor_record_validate (record, path, error))
        return NULL;
      g_ptr_array_add (records, g_steal_pointer (&record));
    }

  return g_steal_pointer (&records);
}

GPtrArray *
tz_backbone_read_state_dict (const char  *path,
                             GError     **error)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFileInputStream) stream = NULL;
  guint8 magic[8] = { 0 };
  gsize n_read = 0;

  g_return_val_if_fail (path != NULL, NULL);

  file = g_file_new_for_path (path);
  stream = g_file_read (file, NULL, error);
  if (stream == NULL)
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }
  if (!g_input_stream_read_all (G_INPUT_STREAM (stream), magic, sizeof magic, &n_read, NULL, error))
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }
  g_input_stream_close (G_INPUT_STREAM (stream), NULL, NULL);

  if (n_read >= 2 && memcmp (magic, "PK", 2) == 0)
    return tz_torch_checkpoint_read (path, error);

  /* torch.save before PyTorch 1.6 wrote a bare pickle stream, starting with
   * PROTO 2 and a LONG1 magic number. */
  if (n_read >= 3 && magic[0] == 0x80 && magic[1] == 0x02 && magic[2] == 0x8a)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_UNSUPPORTED,
                   "%s: a checkpoint in PyTorch's legacy format (before 1.6); "
                   "save it again with a newer torch.save", path);
      return NULL;
    }

  if (n_read < 8)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                   "%s: too short to be a weight file (%" G_GSIZE_FORMAT " bytes)",
                   path, n_read);
      return NULL;
    }

  return read_safetensors (path, error);
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "tz-array.h"
#include "tz-backbone.h"

G_BEGIN_DECLS

/* Number of MBConv stages, features[1] to features[7]. */
#define TZ_BACKBONE_N_MBCONV_STAGES 7

/**
 * TzTensorRecord:
 *
 * One tensor of a state dict as a weight file holds it, before it becomes
 * a torch tensor: the readers (plain C) fill it, the network (C++) copies
 * it. Strides and offset count elements, as in torch; the readers have
 * checked that every element addressed lies inside @storage.
 */
typedef struct
{
  char    *name;
  TzDType  dtype;
  guint    ndim;
  gint64   shape[TZ_ARRAY_MAX_DIMS];
  gint64   strides[TZ_ARRAY_MAX_DIMS];
  gint64   offset;
  GBytes  *storage;
} TzTensorRecord;

void tz_tensor_record_free (TzTensorRecord *record);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TzTensorRecord, tz_tensor_record_free)

/* Checks that @record addresses only bytes of its storage; the message
 * names @display_name and the tensor. */
gboolean tz_tensor_record_validate (const TzTensorRecord  *record,
                                    const char            *display_name,
                                    GError               **error);

/* torchvision's MBConvConfig after width and depth scaling. */
typedef struct
{
  guint expand_ratio;
  guint kernel;
  guint stride;
  guint in_channels;
  guint out_channels;
  guint n_layers;
} TzBackboneStageConfig;

typedef struct
{
  const char *name;
  double      width_mult;
  double      depth_mult;
  double      dropout;
  double      bn_eps;
  double      bn_momentum;
  guint       image_size;
  guint       stem_channels;
  guint       head_channels;
  TzBackboneStageConfig stages[TZ_BACKBONE_N_MBCONV_STAGES];
} TzBackboneVariantInfo;

const TzBackboneVariantInfo *tz_backbone_variant_get_info (TzBackboneVariant variant);

/* Reads a state dict from a .safetensors file or a PyTorch zip
 * checkpoint (chosen by the magic bytes): a GPtrArray of TzTensorRecord,
 * in file order. */
GPtrArray *tz_backbone_read_state_dict (const char  *path,
                                        GError     **error);

/* Puts in the caching CPU allocator (see TzBackboneMemoryStats), once per
 * process; tz_backbone_new() calls it. */
void       tz_backbone_install_cpu_allocator (void);

/* "name shape\n" for every parameter and buffer, in module order (tests
 * compare it with torchvision's state dict). */
char      *tz_backbone_describe_state  (TzBackbone  *self);

G_END_DECLS

/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "tz-image.h"

G_BEGIN_DECLS

/**
 * TzBackboneVariant:
 *
 * The EfficientNet family b0 to b7, with torchvision's layout, parameter
 * names and shapes, so torchvision's state dicts load as they are.
 */
typedef enum
{
  TZ_BACKBONE_B0,
  TZ_BACKBONE_B1,
  TZ_BACKBONE_B2,
  TZ_BACKBONE_B3,
  TZ_BACKBONE_B4,
  TZ_BACKBONE_B5,
  TZ_BACKBONE_B6,
  TZ_BACKBONE_B7,
} TzBackboneVariant;

#define TZ_BACKBONE_N_VARIANTS 8

/* torchvision's `features` has 9 children: the stem (0), seven stages of
 * MBConv blocks (1-7) and the head convolution (8). */
#define TZ_BACKBONE_N_STAGES 9

/**
 * TzBackboneLayers:
 *
 * Which endpoints a feature vector holds: bit i set means the global
 * average pool of `features[i]`'s output (one value a channel); bit 16 + i
 * (TZ_BACKBONE_LAYERS_GRID (i)) its average pools over a 2 x 2 grid of
 * the feature map (four values a channel, channel by channel, each in the
 * order top left, top right, bottom left, bottom right), which keeps where
 * in the image a pattern is. Endpoints are concatenated in ascending
 * order of i, a stage's global pool before its grid.
 */
typedef guint32 TzBackboneLayers;

#define TZ_BACKBONE_LAYERS_GRID(stage) ((TzBackboneLayers) 1u << (16 + (stage)))

/* The head convolution's output: 1280-d for b0. */
#define TZ_BACKBONE_LAYERS_PENULTIMATE ((TzBackboneLayers) 1u << 8)
/* The five resolution drops, features[1,2,3,5,7]: 512-d for b0. */
#define TZ_BACKBONE_LAYERS_CONCAT ((TzBackboneLayers) ((1u << 1) | (1u << 2) | (1u << 3) | (1u << 5) | (1u << 7)))
#define TZ_BACKBONE_LAYERS_ALL ((TzBackboneLayers) 0x1ffu)
/* Every stage over the 2 x 2 grid. */
#define TZ_BACKBONE_LAYERS_ALL_GRID ((TzBackboneLayers) 0x1ffu << 16)
/* Where patterns are, and what they are: stages 0-3 (the high-resolution
 * ones) over the 2 x 2 grid, 4-7 globally pooled; 1152-d for b0. Chosen
 * by measurement (tests/bench/bench-recipes.sh): on Fashion-MNIST, the
 * network trained from scratch on classes 0-4, it ends 4 points above
 * the post's concat endpoints. */
#define TZ_BACKBONE_LAYERS_SPATIAL ((TzBackboneLayers) (TZ_BACKBONE_LAYERS_GRID (0) | TZ_BACKBONE_LAYERS_GRID (1) | \
                                                        TZ_BACKBONE_LAYERS_GRID (2) | TZ_BACKBONE_LAYERS_GRID (3) | \
                                                        (1u << 4) | (1u << 5) | (1u << 6) | (1u << 7)))

typedef enum
{
  TZ_BACKBONE_DEVICE_AUTO,
  TZ_BACKBONE_DEVICE_CPU,
  TZ_BACKBONE_DEVICE_CUDA,
} TzBackboneDevice;

/* Reduced precision is autocast on CUDA only; on the CPU it is refused
 * (TZ_ERROR_UNSUPPORTED) rather than silently ignored. */
typedef enum
{
  TZ_BACKBONE_PRECISION_FLOAT32,
  TZ_BACKBONE_PRECISION_BFLOAT16,
  TZ_BACKBONE_PRECISION_FLOAT16,
} TzBackbonePrecision;

/* "b0" ... "b7". */
const char  *tz_backbone_variant_to_string        (TzBackboneVariant   variant);
/* Accepts "b0" ... "b7" and "efficientnet_b0" ...; anything else is
 * TZ_ERROR_INVALID_ARGUMENT naming the string. */
gboolean     tz_backbone_variant_from_string      (const char         *string,
                                                   TzBackboneVariant  *variant,
                                                   GError            **error);
/* The input size torchvision's ImageNet weights were evaluated at
 * (224, 240, 288, 300, 380, 456, 528, 600). */
guint        tz_backbone_variant_get_image_size   (TzBackboneVariant   variant);
/* Output channels of features[@stage], @stage < TZ_BACKBONE_N_STAGES. */
guint        tz_backbone_variant_get_stage_channels (TzBackboneVariant variant,
                                                   guint               stage);
/* The length of a feature vector with the endpoints @layers. */
guint        tz_backbone_variant_get_feature_dim  (TzBackboneVariant   variant,
                                                   TzBackboneLayers    layers);

/* Parses "penultimate", "concat", "all", "spatial", or a comma-separated
 * list of stage indices 0-8, each globally pooled ("5"), or over the
 * 2 x 2 grid with a g before it ("g2"): "spatial" is
 * "g0,g1,g2,g3,4,5,6,7". TZ_ERROR_INVALID_ARGUMENT names the offending
 * part; an empty selection is refused too. */
gboolean     tz_backbone_layers_parse             (const char         *string,
                                                   TzBackboneLayers   *layers,
                                                   GError            **error);
/* The inverse of tz_backbone_layers_parse(): a name where one fits, else
 * the list. */
char        *tz_backbone_layers_to_string         (TzBackboneLayers    layers);

/* Whether this libtorch was built with CUDA and a GPU is present. */
gboolean     tz_backbone_cuda_is_available        (void);

/**
 * TzBackbone:
 *
 * An EfficientNet owned by one thread at a time (the engine's worker).
 * Every call may run for long and none may be made from two threads at
 * once. All errors leave the object usable.
 */
typedef struct _TzBackbone TzBackbone;

/* A network with torchvision's initialisation drawn from seed 0 and a
 * linear head of @n_classes outputs (0: no head, for feature extraction
 * only), on the CPU with all cores, in evaluation mode. Fails only when
 * memory runs out. */
TzBackbone  *tz_backbone_new                      (TzBackboneVariant   variant,
                                                   guint               n_classes,
                                                   GError            **error);
void         tz_backbone_free                     (TzBackbone         *self);

TzBackboneVariant tz_backbone_get_variant         (TzBackbone         *self);
guint        tz_backbone_get_n_classes            (TzBackbone         *self);

/* torchvision's scheme for training from scratch: Kaiming-normal
 * (fan-out) convolutions, batch norm at identity, uniform linear weights,
 * zero biases and fresh running statistics. The same @seed gives the same
 * weights on every device. */
void         tz_backbone_init_random              (TzBackbone         *self,
                                                   guint64             seed);
/* Replaces the head by a freshly initialised one of @n_classes outputs
 * (0 removes it), keeping the rest of the network. */
void         tz_backbone_reset_head               (TzBackbone         *self,
                                                   guint               n_classes,
                                                   guint64             seed);

/* Loads a state dict from a .safetensors file or a PyTorch zip checkpoint
 * (`torch.save (model.state_dict ())`), told apart by their first bytes.
 * Every tensor of the network must be present with its exact shape, and
 * no other tensor may be; the head's tensors (`classifier.1.*`) are skipped
 * when the network has no head, so ImageNet weights serve for features.
 * Errors name the file: G_FILE_ERROR / G_IO_ERROR when it cannot be read;
 * TZ_ERROR_CORRUPT for a damaged or truncated file; TZ_ERROR_FORBIDDEN for
 * a checkpoint whose pickle names a global outside the few a state dict
 * needs (the name is given; nothing in the file is ever executed);
 * TZ_ERROR_UNSUPPORTED for a dtype or pickle feature a state dict does
 * not use; TZ_ERROR_DIMENSION_MISMATCH listing the missing, unexpected
 * and mis-shaped tensors by name. On error the weights are unchanged. */
gboolean     tz_backbone_load_weights             (TzBackbone         *self,
                                                   const char         *path,
                                                   GError            **error);
/* Writes every parameter and buffer, with torchvision's names, as
 * float32 (int64 for `num_batches_tracked`) safetensors, atomically.
 * The metadata names the variant and the head width. */
gboolean     tz_backbone_save_weights             (TzBackbone         *self,
                                                   const char         *path,
                                                   GError            **error);

/* %TZ_BACKBONE_DEVICE_AUTO picks CUDA when available, else the CPU.
 * Asking for CUDA without it is TZ_ERROR_UNSUPPORTED. */
gboolean     tz_backbone_set_device               (TzBackbone         *self,
                                                   TzBackboneDevice    device,
                                                   GError            **error);
/* The device in use: %TZ_BACKBONE_DEVICE_CPU or %TZ_BACKBONE_DEVICE_CUDA. */
TzBackboneDevice tz_backbone_get_device           (TzBackbone         *self);
/* The number of CPU threads libtorch uses inside each operation while this
 * backbone works (0: every core). Applied in the calling thread at the
 * start of each call, since libtorch's default here is one thread. */
void         tz_backbone_set_n_threads            (TzBackbone         *self,
                                                   guint               n_threads);
guint        tz_backbone_get_n_threads            (TzBackbone         *self);

/**
 * TzBackboneExtractOptions:
 * @layers: the endpoints to pool
 * @image_size: every image is resized to this square side with
 *   antialiased bilinear interpolation (torchvision's Resize on tensors);
 *   0 means the variant's ImageNet size
 * @normalize: subtract ImageNet's mean and divide by its deviation (on for
 *   ImageNet weights; off for the post's from-scratch setting, where pixels
 *   stay in [0, 1])
 * @precision: float32, or bf16/fp16 autocast on CUDA
 * @batch_size: images per forward pass (0: tz_backbone_auto_batch_size())
 */
typedef struct
{
  TzBackboneLayers    layers;
  guint               image_size;
  gboolean            normalize;
  TzBackbonePrecision precision;
  guint               batch_size;
} TzBackboneExtractOptions;

/* Penultimate, the variant's size, ImageNet normalisation, float32,
 * batches of 64. */
void         tz_backbone_extract_options_init     (TzBackboneExtractOptions *options);
/* Images per forward pass at @image_size pixels when none is given: as
 * many as 64 images of 224 pixels hold, from 64 to 512 (512 at 32 and
 * 64 px, 64 at 224 px). Small images in small batches leave the processor
 * waiting on per-call overhead: at 32 px, 512 extracts Fashion-MNIST 14%
 * faster than 64 here. */
guint        tz_backbone_auto_batch_size          (guint                     image_size);
/* What @options mean for @variant: their image size, or the variant's
 * ImageNet size for 0; their batch size, or tz_backbone_auto_batch_size()
 * of that image size for 0. */
guint        tz_backbone_extract_options_get_image_size (const TzBackboneExtractOptions *options,
                                                         TzBackboneVariant               variant);
guint        tz_backbone_extract_options_get_batch_size (const TzBackboneExtractOptions *options,
                                                         TzBackboneVariant               variant);

guint        tz_backbone_get_feature_dim          (TzBackbone         *self,
                                                   TzBackboneLayers    layers);

/* Writes @n_images feature vectors of tz_backbone_get_feature_dim()
 * floats, row after row, to @features, in evaluation mode without
 * gradients. Grey images are replicated to three channels. Errors:
 * TZ_ERROR_INVALID_ARGUMENT for an empty layer set or an image size
 * outside 8-1024, TZ_ERROR_UNSUPPORTED for reduced precision on the CPU,
 * G_IO_ERROR_CANCELLED between batches, TZ_ERROR_NUMERICAL when the
 * network yields NaN or infinity (the message gives the image index), and
 * TZ_ERROR_TOO_LARGE when the device runs out of memory. */
gboolean     tz_backbone_extract                  (TzBackbone                     *self,
                                                   const TzImage *const           *images,
                                                   guint                           n_images,
                                                   const TzBackboneExtractOptions *options,
                                                   float                          *features,
                                                   GCancellable                   *cancellable,
                                                   GError                        **error);

/**
 * TzBackboneAugment:
 * @TZ_BACKBONE_AUGMENT_NONE: images as they are
 * @TZ_BACKBONE_AUGMENT_CROP: pad every side by image_size / 8 pixels of
 *   black (before normalisation), then crop image_size back at a random
 *   offset, per image
 * @TZ_BACKBONE_AUGMENT_FLIP: mirror left-right with probability 1/2, per
 *   image
 *
 * Flags for #TzBackboneTrainOptions.augment.
 */
typedef enum
{
  TZ_BACKBONE_AUGMENT_NONE = 0,
  TZ_BACKBONE_AUGMENT_CROP = 1 << 0,
  TZ_BACKBONE_AUGMENT_FLIP = 1 << 1,
} TzBackboneAugment;

#define TZ_BACKBONE_AUGMENT_ALL (TZ_BACKBONE_AUGMENT_CROP | TZ_BACKBONE_AUGMENT_FLIP)

/**
 * TzBackboneLrSchedule:
 * @TZ_BACKBONE_LR_CONSTANT: the learning rate throughout (after the
 *   warm-up, if any)
 * @TZ_BACKBONE_LR_COSINE: half a cosine from the learning rate down to 0
 *   over the steps after the warm-up
 */
typedef enum
{
  TZ_BACKBONE_LR_CONSTANT,
  TZ_BACKBONE_LR_COSINE,
} TzBackboneLrSchedule;

/**
 * TzBackboneTrainOptions:
 * @epochs: passes over the images
 * @batch_size: images per step (the last, smaller batch is kept)
 * @learning_rate: Adam's step size
 * @image_size: square input side (as for extraction)
 * @normalize: ImageNet normalisation, as for extraction
 * @seed: shuffling, dropout, stochastic depth and every augmentation draw
 *   from it
 * @augment: #TzBackboneAugment flags
 * @label_smoothing: the share of each target spread evenly over all the
 *   head's outputs, in [0, 1)
 * @lr_schedule: how the learning rate changes over the steps
 * @warmup_fraction: the share of all steps, in [0, 1), over which the
 *   learning rate first rises linearly from learning_rate / warm-up steps
 *   to learning_rate
 * @rotation_task: self-supervised label augmentation: every image is
 *   turned by a random multiple of 90° and the network learns the joint
 *   label class × 4 + quarter turns, through a temporary head 4 times as
 *   wide (the same number of images per epoch as without it)
 * @weight_decay: decoupled weight decay (AdamW) when positive, plain Adam
 *   at 0
 */
typedef struct
{
  guint    epochs;
  guint    batch_size;
  double   learning_rate;
  guint    image_size;
  gboolean normalize;
  guint64  seed;
  guint    augment;
  double   label_smoothing;
  TzBackboneLrSchedule lr_schedule;
  double   warmup_fraction;
  gboolean rotation_task;
  double   weight_decay;
} TzBackboneTrainOptions;

/* Tsuzuki's recipe (tests/bench/bench-recipes.sh measures it against the
 * post's and the other options): the post's 50 epochs, batch 128,
 * learning rate 1e-3, 64 px, no normalisation and seed 0, constant
 * learning rate and plain Adam, plus the rotation task. */
void         tz_backbone_train_options_init       (TzBackboneTrainOptions *options);
/* Exactly the post's recipe: the same sizes as above, with no
 * augmentation, no label smoothing, a constant learning rate without
 * warm-up, no rotation task and plain Adam. */
void         tz_backbone_train_options_init_post  (TzBackboneTrainOptions *options);

/**
 * TzBackboneTrainProgress:
 * @epoch: the current epoch, from 0
 * @n_epochs: epochs in all
 * @step: the step just taken within the epoch, from 0
 * @n_steps: steps per epoch
 * @loss: this step's mean cross-entropy
 * @epoch_loss: the mean cross-entropy over the epoch's images so far
 * @images_per_second: throughput of the epoch so far
 */
typedef struct
{
  guint  epoch;
  guint  n_epochs;
  guint  step;
  guint  n_steps;
  double loss;
  double epoch_loss;
  double images_per_second;
} TzBackboneTrainProgress;

/* Called in the training thread after every step. */
typedef void (*TzBackboneTrainProgressFunc) (const TzBackboneTrainProgress *progress,
                                             gpointer                       user_data);

/* Base training, the post's first step: Adam (AdamW with weight decay)
 * on cross-entropy over the whole network and its head, with the options
 * above, then back to evaluation mode. On the CPU the same seed, images
 * and thread count give the same weights. The network needs a head (tz_backbone_reset_head())
 * and every label must be below its width (TZ_ERROR_INVALID_ARGUMENT
 * otherwise, naming the image). @cancellable is checked between steps:
 * G_IO_ERROR_CANCELLED then, with the weights of the last step taken.
 * TZ_ERROR_NUMERICAL when the loss diverges to NaN.
 * TZ_ERROR_INVALID_ARGUMENT as well, before any step, for unknown
 * augmentation flags or schedule, label smoothing or warm-up outside
 * [0, 1), or a negative or non-finite weight decay. With @rotation_task,
 * the caller's head is given back at its width however training ends:
 * class c takes the trained weights of the joint label (c, upright), so it
 * still classifies upright images. */
gboolean     tz_backbone_train                    (TzBackbone                    *self,
                                                   const TzImage *const          *images,
                                                   const guint                   *labels,
                                                   guint                          n_images,
                                                   const TzBackboneTrainOptions  *options,
                                                   TzBackboneTrainProgressFunc    progress,
                                                   gpointer                       user_data,
                                                   GCancellable                  *cancellable,
                                                   GError                       **error);

/**
 * TzBackboneMemoryStats:
 * @cached_bytes: freed tensor memory held for reuse now
 * @n_reused: large tensors that got a held block
 * @n_fresh: large tensors that needed a new one
 *
 * libtorch's CPU memory, as the allocator that the first tz_backbone_new()
 * puts in sees it (zeros with TZ_CPU_ALLOCATOR=system). It keeps the large
 * blocks that a batch frees for the next batch's tensors of the same size
 * instead of giving them back to the system, whose fresh pages would be
 * faulted in again on every batch; it holds at most a quarter of the
 * memory (4 GiB at most).
 */
typedef struct
{
  gsize   cached_bytes;
  guint64 n_reused;
  guint64 n_fresh;
} TzBackboneMemoryStats;

void         tz_backbone_get_memory_stats         (TzBackboneMemoryStats         *stats);
/* Gives the held blocks back to the system, when a run of batches (a job)
 * is over; returns how many bytes. Any thread. */
gsize        tz_backbone_release_memory           (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TzBackbone, tz_backbone_free)

G_END_DECLS

/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-backbone"

#include "config.h"

#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/autocast_mode.h>
#include <c10/core/InferenceMode.h>
#include <torch/cuda.h>
#include <torch/nn.h>
#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>
#include <torch/version.h>

#include "tz-backbone-private.h"
#include "tz-error.h"
#include "tz-safetensors.h"

/* The network is torchvision 0.14's EfficientNet, module for module, so
 * that named_parameters () and named_buffers () give its state-dict names
 * ("features.1.0.block.0.0.weight"): torch::nn::Sequential names its
 * children "0", "1", ... as nn.Sequential does. Modules without state
 * (SiLU, the pools, stochastic depth) are folded into forward (). */

namespace {

struct ConvBnActImpl : torch::nn::Module
{
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
  bool activation;
  int64_t stride;
  int64_t padding;
  int64_t groups;
  /* The batch norm folded into the convolution, for evaluation; undefined
   * until fold_batch_norm () and whenever the weights may have changed. */
  torch::Tensor folded_weight;
  torch::Tensor folded_bias;

  ConvBnActImpl (int64_t in_channels,
                 int64_t out_channels,
                 int64_t kernel,
                 int64_t stride_,
                 int64_t groups_,
                 bool    activation_,
                 double  eps,
                 double  momentum)
    : activation (activation_), stride (stride_), padding ((kernel - 1) / 2), groups (groups_)
  {
    conv = register_module ("0", torch::nn::Conv2d (
      torch::nn::Conv2dOptions (in_channels, out_channels, kernel)
        .stride (stride)
        .padding ((kernel - 1) / 2)
        .groups (groups)
        .bias (false)));
    bn = register_module ("1", torch::nn::BatchNorm2d (
      torch::nn::BatchNorm2dOptions (out_channels).eps (eps).momentum (momentum)));
  }

  /* In evaluation the batch norm is an affine map per channel, which the
   * convolution's weights and a bias can absorb: one pass over the
   * activations instead of two. The weights get fresh channels-last
   * strides, as make_channels_last () gives the convolution's own. */
  void
  fold_batch_norm ()
  {
    torch::NoGradGuard no_grad;
    auto scale = bn->weight * torch::rsqrt (bn->running_var + bn->options.eps ());
    auto weight = conv->weight * scale.view ({-1, 1, 1, 1});

    folded_weight = torch::empty_like (weight, weight.options ().memory_format (at::MemoryFormat::ChannelsLast));
    folded_weight.copy_ (weight);
    folded_bias = bn->bias - bn->running_mean * scale;
  }

  void
  unfold_batch_norm ()
  {
    folded_weight.reset ();
    folded_bias.reset ();
  }

  /* A depthwise convolution of a 1 x 1 map (stages 6 and 7 at 32 px) is
   * a scale by the centre tap: the others see only padding. oneDNN takes
   * its general path there, a sixth of a training step at 32 px; the
   * gradient of the taps that see padding is zero either way. */
  torch::Tensor
  convolve (const torch::Tensor &x,
            const torch::Tensor &weight,
            const torch::Tensor &bias)
  {
    if (groups > 1 && x.size (2) == 1 && x.size (3) == 1)
      {
        int64_t centre = (weight.size (2) - 1) / 2;
        auto scale = weight.select (3, centre).select (2, centre).view ({1, -1, 1, 1});

        return bias.defined () ? torch::addcmul (bias.view ({1, -1, 1, 1}), x, scale) : x * scale;
      }
    return at::conv2d (x, weight, bias, {stride, stride}, {padding, padding}, {1, 1}, groups);
  }

  torch::Tensor
  forward (torch::Tensor x)
  {
    if (folded_weight.defined () && !is_training ())
      x = convolve (x, folded_weight, folded_bias);
    else
      x = bn->forward (convolve (x, conv->weight, torch::Tensor ()));
    if (activation)
      at::silu_ (x);
    return x;
  }
};
TORCH_MODULE (ConvBnAct);

struct SqueezeExcitationImpl : torch::nn::Module
{
  torch::nn::Conv2d fc1{nullptr};
  torch::nn::Conv2d fc2{nullptr};

  SqueezeExcitationImpl (int64_t channels,
                         int64_t squeeze_channels)
  {
    fc1 = register_module ("fc1", torch::nn::Conv2d (torch::nn::Conv2dOptions (channels, squeeze_channels, 1)));
    fc2 = register_module ("fc2", torch::nn::Conv2d (torch::nn::Conv2dOptions (squeeze_channels, channels, 1)));
  }

  torch::Tensor
  forward (torch::Tensor x)
  {
    auto scale = at::adaptive_avg_pool2d (x, {1, 1});

    scale = fc1->forward (scale);
    at::silu_ (scale);
    scale = fc2->forward (scale);
    at::sigmoid_ (scale);
    return scale * x;
  }
};
TORCH_MODULE (SqueezeExcitation);

struct MBConvImpl : torch::nn::Module
{
  torch::nn::Sequential block;
  bool use_residual;
  double stochastic_depth_prob;

  MBConvImpl (const TzBackboneStageConfig &cfg,
              int64_t                      in_channels,
              int64_t                      stride,
              double                       sd_prob,
              double                       eps,
              double                       momentum)
    : stochastic_depth_prob (sd_prob)
  {
    /* _make_divisible (in * expand_ratio, 8): the inputs are already
     * multiples of 8, so the product is too. */
    int64_t expanded = in_channels * cfg.expand_ratio;

    use_residual = stride == 1 && in_channels == cfg.out_channels;
    if (expanded != in_channels)
      block->push_back (ConvBnAct (in_channels, expanded, 1, 1, 1, true, eps, momentum));
    block->push_back (ConvBnAct (expanded, expanded, cfg.kernel, stride, expanded, true, eps, momentum));
    block->push_back (SqueezeExcitation (expanded, std::max<int64_t> (1, in_channels / 4)));
    block->push_back (ConvBnAct (expanded, cfg.out_channels, 1, 1, 1, false, eps, momentum));
    register_module ("block", block);
  }

  torch::Tensor
  forward (torch::Tensor x)
  {
    auto result = block->forward (x);

    if (!use_residual)
      return result;
    /* torchvision's StochasticDepth in "row" mode: whole samples dropped
     * during training, identity in evaluation. */
    if (is_training () && stochastic_depth_prob > 0.0)
      {
        double survival = 1.0 - stochastic_depth_prob;
        auto noise = torch::empty ({result.size (0), 1, 1, 1}, result.options ()).bernoulli_ (survival);

        result = result * noise.div_ (survival);
      }
    /* In place, as torchvision does: at 224 px a block's output is
     * 100 MB a batch, and a fresh sum would be one more to fault in. */
    return result.add_ (x);
  }
};
TORCH_MODULE (MBConv);

/* A stage (features[1] ... features[7]): an nn.Sequential of MBConv
 * blocks, which libtorch can only nest with a concrete forward (). */
struct StageImpl : torch::nn::SequentialImpl
{
  using SequentialImpl::SequentialImpl;

  torch::Tensor
  forward (torch::Tensor x)
  {
    return SequentialImpl::forward (x);
  }
};
TORCH_MODULE (Stage);

struct EfficientNetImpl : torch::nn::Module
{
  const TzBackboneVariantInfo *info;
  torch::nn::Sequential features;
  ConvBnAct stem{nullptr};
  std::vector<Stage> stages;
  ConvBnAct head{nullptr};
  torch::nn::Sequential classifier{nullptr};
  torch::nn::Linear fc{nullptr};

  explicit EfficientNetImpl (const TzBackboneVariantInfo *info_)
    : info (info_)
  {
    double eps = info->bn_eps;
    double momentum = info->bn_momentum;
    guint total_blocks = 0;
    guint block_id = 0;

    for (guint s = 0; s < TZ_BACKBONE_N_MBCONV_STAGES; s++)
      total_blocks += info->stages[s].n_layers;

    stem = ConvBnAct (3, info->stem_channels, 3, 2, 1, true, eps, momentum);
    features->push_back (stem);
    for (guint s = 0; s < TZ_BACKBONE_N_MBCONV_STAGES; s++)
      {
        const TzBackboneStageConfig &cfg = info->stages[s];
        Stage stage;

        for (guint l = 0; l < cfg.n_layers; l++)
          {
            double sd_prob = 0.2 * block_id / total_blocks;

            stage->push_back (MBConv (cfg,
                                      l == 0 ? cfg.in_channels : cfg.out_channels,
                                      l == 0 ? cfg.stride : 1,
                                      sd_prob, eps, momentum));
            block_id++;
          }
        stages.push_back (stage);
        features->push_back (stage);
      }
    head = ConvBnAct (info->stages[TZ_BACKBONE_N_MBCONV_STAGES - 1].out_channels,
                      info->head_channels, 1, 1, 1, true, eps, momentum);
    features->push_back (head);
    register_module ("features", features);
  }

  /* Folds every batch norm into its convolution, or undoes that. */
  void
  set_batch_norm_folded (bool folded)
  {
    for (auto &module : modules (/* include_self */ false))
      if (auto *unit = module->as<ConvBnActImpl> ())
        {
          if (folded)
            unit->fold_batch_norm ();
          else
            unit->unfold_batch_norm ();
        }
  }

  torch::Tensor
  forward_stage (guint         stage,
                 torch::Tensor x)
  {
    if (stage == 0)
      return stem->forward (x);
    if (stage == TZ_BACKBONE_N_STAGES - 1)
      return head->forward (x);
    return stages[stage - 1]->forward (x);
  }

  /* The pooled outputs of the stages in @layers, in ascending order (a
   * stage's global pool, then its 2 x 2 grid); stages past the last one
   * asked for are not run. */
  std::vector<torch::Tensor>
  forward_endpoints (torch::Tensor    x,
                     TzBackboneLayers layers)
  {
    std::vector<torch::Tensor> pooled;
    guint stages = (layers | (layers >> 16)) & TZ_BACKBONE_LAYERS_ALL;

    for (guint s = 0; s < TZ_BACKBONE_N_STAGES && (stages >> s) != 0; s++)
      {
        x = forward_stage (s, x);
        if (layers & (1u << s))
          pooled.push_back (at::adaptive_avg_pool2d (x, {1, 1}).flatten (1));
        if (layers & TZ_BACKBONE_LAYERS_GRID (s))
          pooled.push_back (at::adaptive_avg_pool2d (x, {2, 2}).flatten (1));
      }
    return pooled;
  }

  torch::Tensor
  forward (torch::Tensor x)
  {
    for (guint s = 0; s < TZ_BACKBONE_N_STAGES; s++)
      x = forward_stage (s, x);
    x = at::adaptive_avg_pool2d (x, {1, 1}).flatten (1);
    return classifier->forward (x);
  }
};
TORCH_MODULE (EfficientNet);

int64_t
conv_padding (const torch::nn::detail::ConvNdOptions<2> &options)
{
  /* A c10::variant before PyTorch 2.1, a std::variant since. */
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 1)
  return std::get<torch::ExpandingArray<2>> (options.padding ())->at (0);
#else
  return c10::get<torch::ExpandingArray<2>> (options.padding ())->at (0);
#endif
}

const char *
dtype_name (TzDType dtype)
{
  return tz_dtype_to_string (dtype);
}

bool
scalar_type_for (TzDType            dtype,
                 c10::ScalarType   *out)
{
  switch (dtype)
    {
    case TZ_DTYPE_F32: *out = torch::kFloat; return true;
    case TZ_DTYPE_F64: *out = torch::kDouble; return true;
    case TZ_DTYPE_F16: *out = torch::kHalf; return true;
    case TZ_DTYPE_BF16: *out = torch::kBFloat16; return true;
    case TZ_DTYPE_I64: *out = torch::kLong; return true;
    case TZ_DTYPE_I32: *out = torch::kInt; return true;
    case TZ_DTYPE_I16: *out = torch::kShort; return true;
    case TZ_DTYPE_I8: *out = torch::kChar; return true;
    case TZ_DTYPE_U8: *out = torch::kByte; return true;
    case TZ_DTYPE_BOOL: *out = torch::kBool; return true;
    case TZ_DTYPE_U16:
    case TZ_DTYPE_U32:
    case TZ_DTYPE_U64:
    case TZ_DTYPE_UNICODE:
    default:
      return false;
    }
}

std::string
shape_string (c10::IntArrayRef shape)
{
  std::string s = "[";

  for (size_t i = 0; i < shape.size (); i++)
    s += (i ? ", " : "") + std::to_string (shape[i]);
  return s + "]";
}

/* Converts a libtorch exception into a GError; running out of memory is
 * an input too large for the device, anything else a failure of ours that
 * still must not abort the program. */
void
set_error_from_exception (GError     **error,
                          const char  *what_doing,
                          const char  *message)
{
  std::string text (message);
  size_t newline = text.find ('\n');

  /* c10 appends a C++ backtrace after the first line. */
  if (newline != std::string::npos)
    text.resize (newline);
  g_set_error (error, TZ_ERROR,
               text.find ("out of memory") != std::string::npos ? TZ_ERROR_TOO_LARGE : TZ_ERROR_NUMERICAL,
               "%s failed: %s", what_doing, text.c_str ());
}

} /* namespace */

struct _TzBackbone
{
  TzBackboneVariant variant;
  guint n_classes;
  guint n_threads;
  TzBackboneDevice device_kind;
  torch::Device device{torch::kCPU};
  EfficientNet net{nullptr};
  /* Whether the batch norms are folded for the weights as they are now:
   * everything that changes a weight or moves the network unfolds them. */
  bool folded = false;
};

namespace {

/* Folded for extraction, unfolded before anything that changes a weight
 * or moves the network; each only when the state changes. */
void
set_batch_norm_folded (TzBackbone *self,
                       bool        folded)
{
  if (self->folded == folded)
    return;
  self->net->set_batch_norm_folded (folded);
  self->folded = folded;
}

void
unfold_batch_norm (TzBackbone *self)
{
  set_batch_norm_folded (self, false);
}

void
apply_threads (TzBackbone *self)
{
  int wanted = self->n_threads ? (int) self->n_threads : (int) g_get_num_processors ();

  /* libtorch's intra-op thread count is kept per calling thread by OpenMP,
   * so it is set in whichever thread runs this call. */
  if (at::get_num_threads () != wanted)
    at::set_num_threads (wanted);
}

/* Channels-last (NHWC) convolution weights and inputs: the depthwise
 * convolutions are several times faster this way on both CPU and GPU. */
void
make_channels_last (torch::nn::Module &module)
{
  torch::NoGradGuard no_grad;

  /* Not contiguous (ChannelsLast): a 1x1 or depthwise weight counts as
   * channels-last already in its default strides, yet oneDNN then reorders
   * it on every call. Fresh channels-last strides, as Python's
   * module.to (memory_format=...) gives, avoid that. */
  for (auto &p : module.parameters ())
    if (p.dim () == 4)
      {
        auto restrided = torch::empty_like (p.data (), p.options ().memory_format (at::MemoryFormat::ChannelsLast));

        restrided.copy_ (p.data ());
        p.set_data (restrided);
      }
}

void
init_module (torch::nn::Module &module,
             at::Generator     &gen)
{
  torch::NoGradGuard no_grad;

  if (auto *conv = module.as<torch::nn::Conv2d> ())
    {
      auto &w = conv->weight;
      double fan_out = (double) w.size (0) * w.size (2) * w.size (3);
      auto values = torch::empty (w.sizes (), torch::kFloat).normal_ (0.0, std::sqrt (2.0 / fan_out), gen);

      w.copy_ (values);
      if (conv->bias.defined ())
        conv->bias.zero_ ();
    }
  else if (auto *bn = module.as<torch::nn::BatchNorm2d> ())
    {
      bn->weight.fill_ (1.0);
      bn->bias.zero_ ();
      bn->reset_running_stats ();
    }
  else if (auto *linear = module.as<torch::nn::Linear> ())
    {
      double range = 1.0 / std::sqrt ((double) linear->weight.size (0));
      auto values = torch::empty (linear->weight.sizes (), torch::kFloat).uniform_ (-range, range, gen);

      linear->weight.copy_ (values);
      linear->bias.zero_ ();
    }
}

void
build_head (TzBackbone *self,
            guint       n_classes,
            guint64     seed)
{
  auto &net = self->net;
  auto gen = at::make_generator<at::CPUGeneratorImpl> (seed);

  if (net->classifier)
    {
      net->unregister_module ("classifier");
      net->classifier = nullptr;
      net->fc = nullptr;
    }
  self->n_classes = n_classes;
  if (n_classes == 0)
    return;

  net->fc = torch::nn::Linear (net->info->head_channels, n_classes);
  net->classifier = torch::nn::Sequential (
    torch::nn::Dropout (torch::nn::DropoutOptions (net->info->dropout)),
    net->fc);
  init_module (*net->fc, gen);
  net->classifier->to (self->device);
  net->classifier->train (net->is_training ());
  net->register_module ("classifier", net->classifier);
}

torch::Tensor
normalize_imagenet (torch::Tensor x)
{
  auto opts = torch::TensorOptions ().dtype (torch::kFloat).device (x.device ());
  auto mean = torch::tensor ({0.485f, 0.456f, 0.406f}, opts).view ({1, 3, 1, 1});
  auto std = torch::tensor ({0.229f, 0.224f, 0.225f}, opts).view ({1, 3, 1, 1});

  return (x - mean) / std;
}

/* Every image of the batch as a float tensor [n, 3, size, size] on the
 * device, pixels in [0, 1], resized with antialiased bilinear
 * interpolation and optionally normalised with ImageNet's statistics. */
torch::Tensor
preprocess (TzBackbone           *self,
            const TzImage *const *images,
            guint                 n_images,
            guint                 size,
            bool                  normalize)
{
  const TzImage *first = images[0];
  bool uniform = true;
  std::vector<torch::Tensor> parts;
  torch::Tensor x;

  for (guint i = 1; i < n_images && uniform; i++)
    uniform = images[i]->width == first->width
              && images[i]->height == first->height
              && images[i]->n_channels == first->n_channels;

  for (guint start = 0; start < n_images; start += uniform ? n_images : 1)
    {
      guint count = uniform ? n_images : 1;
      const TzImage *image = images[start];
      int64_t row = (int64_t) image->width * image->n_channels;
      auto pixels = torch::empty ({count, image->height, image->width, image->n_channels}, torch::kUInt8);
      guint8 *dst = pixels.data_ptr<guint8> ();

      for (guint i = 0; i < count; i++)
        for (guint y = 0; y < image->height; y++)
          memcpy (dst + ((size_t) i * image->height + y) * row,
                  images[start + i]->pixels + (size_t) y * images[start + i]->rowstride,
                  row);

      auto part = pixels.to (self->device).permute ({0, 3, 1, 2}).to (torch::kFloat).div_ (255.0);
      if (image->width != size || image->height != size)
        part = torch::nn::functional::interpolate (
          part,
          torch::nn::functional::InterpolateFuncOptions ()
            .size (std::vector<int64_t> {size, size})
            .mode (torch::kBilinear)
            .align_corners (false)
            .antialias (true));
      if (image->n_channels == 1)
        part = part.expand ({-1, 3, -1, -1});
      parts.push_back (part);
    }

  x = parts.size () == 1 ? parts[0] : torch::cat (parts, 0);
  if (normalize)
    x = normalize_imagenet (x);
  return x.contiguous (at::MemoryFormat::ChannelsLast);
}

bool
check_images (const TzImage *const *images,
              guint                 n_images,
              GError              **error)
{
  for (guint i = 0; i < n_images; i++)
    {
      const TzImage *image = images[i];

      if (image == NULL || image->pixels == NULL || image->width == 0 || image->height == 0
          || (image->n_channels != 1 && image->n_channels != 3)
          || image->rowstride < (gsize) image->width * image->n_channels)
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                       "Image %u of the batch is not a valid 1- or 3-channel image", i);
          return false;
        }
    }
  return true;
}

bool
check_image_size (guint    size,
                  GError **error)
{
  if (size < 8 || size > 1024)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                   "An input size of %u pixels is outside 8-1024", size);
      return false;
    }
  return true;
}

/* Autocast for the duration of a scope, on CUDA only. */
struct AutocastScope
{
  bool enabled;

  AutocastScope (bool                cuda,
                 TzBackbonePrecision precision)
    : enabled (cuda && precision != TZ_BACKBONE_PRECISION_FLOAT32)
  {
    if (!enabled)
      return;
    at::ScalarType dtype = precision == TZ_BACKBONE_PRECISION_BFLOAT16 ? at::kBFloat16 : at::kHalf;

    /* PyTorch 2.4 made autocast per device type and deprecated the
     * CUDA-only calls. */
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    at::autocast::set_autocast_dtype (at::kCUDA, dtype);
    at::autocast::set_autocast_enabled (at::kCUDA, true);
#else
    at::autocast::set_autocast_gpu_dtype (dtype);
    at::autocast::set_enabled (true);
#endif
  }

  ~AutocastScope ()
  {
    if (!enabled)
      return;
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    at::autocast::set_autocast_enabled (at::kCUDA, false);
#else
    at::autocast::set_enabled (false);
#endif
    at::autocast::clear_cache ();
  }
};

/* Training mode for the duration of a scope: back to evaluation however
 * training ends. */
struct TrainScope
{
  EfficientNet &net;

  explicit TrainScope (EfficientNet &net_)
    : net (net_)
  {
    net->train ();
  }

  ~TrainScope ()
  {
    net->eval ();
  }
};

/* The recipe's augmentations of a batch [n, 3, s, s] of pixels in [0, 1],
 * before normalisation so that the padding is black. Every draw comes from
 * the CPU's default generator (seeded by the caller) and then moves to the
 * device, so a seed gives the same augmentations on every device. Returns
 * the quarter turns of each image when @rotate, else an undefined tensor. */
torch::Tensor
augment_batch (torch::Tensor &x,
               guint          augment,
               bool           rotate)
{
  int64_t n = x.size (0);
  int64_t size = x.size (2);
  auto device = x.device ();
  auto cpu_long = torch::TensorOptions ().dtype (torch::kLong);
  torch::Tensor turns;

  if (augment & TZ_BACKBONE_AUGMENT_CROP)
    {
      /* 4 pixels at 32 px, as the usual CIFAR recipe; the padded image is
       * indexed at a random offset per image in one gather. */
      int64_t pad = MAX (1, size / 8);
      auto padded = torch::constant_pad_nd (x, {pad, pad, pad, pad}, 0.0);
      auto offset_y = torch::randint (0, 2 * pad + 1, {n}, cpu_long).to (device);
      auto offset_x = torch::randint (0, 2 * pad + 1, {n}, cpu_long).to (device);
      auto span = torch::arange (size, torch::TensorOptions ().dtype (torch::kLong).device (device));
      auto rows = (offset_y.view ({n, 1}) + span.view ({1, size})).view ({n, 1, size, 1});
      auto cols = (offset_x.view ({n, 1}) + span.view ({1, size})).view ({n, 1, 1, size});
      auto batch = torch::arange (n, torch::TensorOptions ().dtype (torch::kLong).device (device)).view ({n, 1, 1, 1});
      auto channel = torch::arange (x.size (1), torch::TensorOptions ().dtype (torch::kLong).device (device)).view ({1, -1, 1, 1});

      x = padded.index ({batch, channel, rows, cols});
    }
  if (augment & TZ_BACKBONE_AUGMENT_FLIP)
    {
      auto flip = torch::randint (0, 2, {n}, cpu_long).to (device).to (torch::kBool).view ({n, 1, 1, 1});

      x = torch::where (flip, x.flip ({3}), x);
    }
  if (rotate)
    {
      turns = torch::randint (0, 4, {n}, cpu_long);
      x = x.clone ();
      for (int64_t k = 1; k < 4; k++)
        {
          auto which = (turns == k).nonzero ().squeeze (1).to (device);

          if (which.numel () > 0)
            x.index_put_ ({which}, torch::rot90 (x.index_select (0, which), k, {2, 3}));
        }
      turns = turns.to (device);
    }
  return turns;
}

/* Training with rotation as label augmentation swaps in a head 4 times as
 * wide for the duration of a scope; the caller's head gets back the rows
 * of the upright images, however training ends. */
struct RotationHeadScope
{
  EfficientNet &net;
  torch::nn::Sequential saved_classifier{nullptr};
  torch::nn::Linear saved_fc{nullptr};
  bool active = false;

  RotationHeadScope (EfficientNet &net_,
                     guint         n_classes,
                     guint64       seed,
                     at::Device    device)
    : net (net_)
  {
    auto gen = at::make_generator<at::CPUGeneratorImpl> (seed ^ G_GUINT64_CONSTANT (0x5a4d));
    auto fc = torch::nn::Linear (net->info->head_channels, 4 * n_classes);
    auto classifier = torch::nn::Sequential (
      torch::nn::Dropout (torch::nn::DropoutOptions (net->info->dropout)),
      fc);

    init_module (*fc, gen);
    classifier->to (device);
    saved_classifier = net->classifier;
    saved_fc = net->fc;
    net->unregister_module ("classifier");
    net->classifier = classifier;
    net->fc = fc;
    net->register_module ("classifier", classifier);
    active = true;
  }

  ~RotationHeadScope ()
  {
    if (!active)
      return;
    torch::NoGradGuard no_grad;
    auto upright = torch::arange (0, net->fc->weight.size (0), 4,
                                  torch::TensorOptions ().dtype (torch::kLong).device (net->fc->weight.device ()));

    saved_fc->weight.copy_ (net->fc->weight.index_select (0, upright));
    saved_fc->bias.copy_ (net->fc->bias.index_select (0, upright));
    net->unregister_module ("classifier");
    net->classifier = saved_classifier;
    net->fc = saved_fc;
    net->register_module ("classifier", saved_classifier);
    saved_classifier->train (net->is_training ());
  }
};

/* The learning rate at @step of @n_steps (from 0): a linear rise over
 * @warmup steps, then constant or half a cosine down to 0. */
double
learning_rate_at (const TzBackboneTrainOptions *options,
                  guint64                       step,
                  guint64                       n_steps,
                  guint64                       warmup)
{
  double base = options->learning_rate;

  if (step < warmup)
    return base * (double) (step + 1) / (double) warmup;
  if (options->lr_schedule == TZ_BACKBONE_LR_CONSTANT || n_steps <= warmup)
    return base;
  return base * 0.5 * (1.0 + std::cos (G_PI * (double) (step - warmup) / (double) (n_steps - warmup)));
}

bool
check_recipe (const TzBackboneTrainOptions *options,
              GError                      **error)
{
  if ((options->augment & ~(guint) TZ_BACKBONE_AUGMENT_ALL) != 0)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                   "Unknown augmentation flags 0x%x", options->augment);
      return false;
    }
  if (options->lr_schedule != TZ_BACKBONE_LR_CONSTANT && options->lr_schedule != TZ_BACKBONE_LR_COSINE)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                   "Unknown learning-rate schedule %d", (int) options->lr_schedule);
      return false;
    }
  if (!(options->label_smoothing >= 0.0 && options->label_smoothing < 1.0))
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                   "Label smoothing %g is outside [0, 1)", options->label_smoothing);
      return false;
    }
  if (!(options->warmup_fraction >= 0.0 && options->warmup_fraction < 1.0))
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                   "A warm-up over %g of the steps is outside [0, 1)", options->warmup_fraction);
      return false;
    }
  if (!(options->weight_decay >= 0.0) || !std::isfinite (options->weight_decay))
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                   "Weight decay %g is negative or not finite", options->weight_decay);
      return false;
    }
  return true;
}

} /* namespace */

gboolean
tz_backbone_cuda_is_available (void)
{
  try
    {
      return torch::cuda::is_available ();
    }
  catch (const std::exception &)
    {
      return FALSE;
    }
}

TzBackbone *
tz_backbone_new (TzBackboneVariant   variant,
                 guint               n_classes,
                 GError            **error)
{
  g_return_val_if_fail ((guint) variant < TZ_BACKBONE_N_VARIANTS, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  try
    {
      TzBackbone *self;

      tz_backbone_install_cpu_allocator ();
      self = new TzBackbone;

      self->variant = variant;
      self->n_classes = 0;
      self->n_threads = 0;
      self->device_kind = TZ_BACKBONE_DEVICE_CPU;
      self->net = EfficientNet (tz_backbone_variant_get_info (variant));
      build_head (self, n_classes, 0);
      tz_backbone_init_random (self, 0);
      make_channels_last (*self->net);
      self->net->eval ();
      return self;
    }
  catch (const std::exception &e)
    {
      set_error_from_exception (error, "Creating the network", e.what ());
      return NULL;
    }
}

void
tz_backbone_free (TzBackbone *self)
{
  delete self;
}

TzBackboneVariant
tz_backbone_get_variant (TzBackbone *self)
{
  g_return_val_if_fail (self != NULL, TZ_BACKBONE_B0);

  return self->variant;
}

guint
tz_backbone_get_n_classes (TzBackbone *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->n_classes;
}

void
tz_backbone_init_random (TzBackbone *self,
                         guint64     seed)
{
  g_return_if_fail (self != NULL);

  auto gen = at::make_generator<at::CPUGeneratorImpl> (seed);

  unfold_batch_norm (self);
  for (auto &module : self->net->modules (/* include_self */ false))
    init_module (*module, gen);
}

void
tz_backbone_reset_head (TzBackbone *self,
                        guint       n_classes,
                        guint64     seed)
{
  g_return_if_fail (self != NULL);

  build_head (self, n_classes, seed);
}

gboolean
tz_backbone_set_device (TzBackbone        *self,
                        TzBackboneDevice   device,
                        GError           **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  bool cuda = tz_backbone_cuda_is_available ();

  if (device == TZ_BACKBONE_DEVICE_CUDA && !cuda)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_UNSUPPORTED,
                   "CUDA was asked for, but this libtorch was built without it "
                   "or no NVIDIA GPU is present");
      return FALSE;
    }
  if (device == TZ_BACKBONE_DEVICE_AUTO)
    device = cuda ? TZ_BACKBONE_DEVICE_CUDA : TZ_BACKBONE_DEVICE_CPU;

  try
    {
      torch::Device target (device == TZ_BACKBONE_DEVICE_CUDA ? torch::kCUDA : torch::kCPU);

      unfold_batch_norm (self);
      self->net->to (target);
      make_channels_last (*self->net);
      self->device = target;
      self->device_kind = device;
      return TRUE;
    }
  catch (const std::exception &e)
    {
      set_error_from_exception (error, "Moving the network", e.what ());
      return FALSE;
    }
}

TzBackboneDevice
tz_backbone_get_device (TzBackbone *self)
{
  g_return_val_if_fail (self != NULL, TZ_BACKBONE_DEVICE_CPU);

  return self->device_kind;
}

void
tz_backbone_set_n_threads (TzBackbone *self,
                           guint       n_threads)
{
  g_return_if_fail (self != NULL);

  self->n_threads = n_threads;
}

guint
tz_backbone_get_n_threads (TzBackbone *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->n_threads ? self->n_threads : g_get_num_processors ();
}

guint
tz_backbone_get_feature_dim (TzBackbone       *self,
                             TzBackboneLayers  layers)
{
  g_return_val_if_fail (self != NULL, 0);

  return tz_backbone_variant_get_feature_dim (self->variant, layers);
}

char *
tz_backbone_describe_state (TzBackbone *self)
{
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (self != NULL, NULL);

  for (auto &item : self->net->named_modules ("", false))
    {
      const char *name = item.key ().c_str ();
      torch::nn::Module *module = item.value ().get ();

      if (auto *conv = module->as<torch::nn::Conv2d> ())
        g_string_append_printf (out, "%s Conv2d stride=%ld padding=%ld groups=%ld\n", name,
                                (long) (*conv->options.stride ())[0],
                                (long) conv_padding (conv->options),
                                (long) conv->options.groups ());
      else if (auto *bn = module->as<torch::nn::BatchNorm2d> ())
        g_string_append_printf (out, "%s BatchNorm2d eps=%g momentum=%g\n", name,
                                bn->options.eps (), bn->options.momentum ().value ());
      else if (auto *dropout = module->as<torch::nn::Dropout> ())
        g_string_append_printf (out, "%s Dropout p=%g\n", name, dropout->options.p ());
      else if (auto *mbconv = dynamic_cast<MBConvImpl *> (module))
        g_string_append_printf (out, "%s.stochastic_depth StochasticDepth p=%g\n", name,
                                mbconv->stochastic_depth_prob);

      for (auto &p : module->named_parameters (false))
        g_string_append_printf (out, "%s.%s %s\n", name, p.key ().c_str (),
                                shape_string (p.value ().sizes ()).c_str ());
      for (auto &b : module->named_buffers (false))
        g_string_append_printf (out, "%s.%s %s\n", name, b.key ().c_str (),
                                shape_string (b.value ().sizes ()).c_str ());
    }
  return g_string_free (out, FALSE);
}

namespace {

/* A list of names for a message, cut after a few. */
std::string
name_list (const std::vector<std::string> &names)
{
  std::string s;
  size_t shown = std::min<size_t> (names.size (), 6);

  for (size_t i = 0; i < shown; i++)
    s += (i ? ", " : "") + names[i];
  if (names.size () > shown)
    s += " and " + std::to_string (names.size () - shown) + " more";
  return s;
}

bool
assign_state (TzBackbone  *self,
              GPtrArray   *records,
              const char  *path,
              GError     **error)
{
  std::map<std::string, torch::Tensor> expected;
  std::vector<std::string> order;
  std::vector<std::string> missing;
  std::vector<std::string> unexpected;
  std::vector<std::string> misshaped;
  std::vector<std::pair<const TzTensorRecord *, torch::Tensor>> pairs;

  for (auto &p : self->net->named_parameters (true))
    {
      expected[p.key ()] = p.value ();
      order.push_back (p.key ());
    }
  for (auto &b : self->net->named_buffers (true))
    {
      expected[b.key ()] = b.value ();
      order.push_back (b.key ());
    }

  std::map<std::string, bool> seen;
  for (guint i = 0; i < records->len; i++)
    {
      auto *record = (const TzTensorRecord *) g_ptr_array_index (records, i);
      auto it = expected.find (record->name);
      c10::ScalarType type;

      if (it == expected.end ())
        {
          /* ImageNet weights on a network without a head: the
           * classifier is not wanted, everything else is. */
          if (self->n_classes == 0 && g_str_has_prefix (record->name, "classifier."))
            continue;
          unexpected.push_back (record->name);
          continue;
        }
      seen[record->name] = true;

      auto &tensor = it->second;
      std::vector<int64_t> shape (record->shape, record->shape + record->ndim);
      if (c10::IntArrayRef (shape) != tensor.sizes ())
        {
          misshaped.push_back (std::string (record->name) + " (" + shape_string (shape)
                               + " in the file, " + shape_string (tensor.sizes ()) + " in the network)");
          continue;
        }
      if (!scalar_type_for (record->dtype, &type)
          || c10::isFloatingType (type) != c10::isFloatingType (tensor.scalar_type ()))
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_UNSUPPORTED,
                       "%s: tensor “%s” has dtype %s, where the network holds %s",
                       path, record->name, dtype_name (record->dtype),
                       c10::toString (tensor.scalar_type ()));
          return false;
        }
      pairs.emplace_back (record, tensor);
    }
  for (auto &name : order)
    if (!seen.count (name))
      missing.push_back (name);

  if (!missing.empty () || !unexpected.empty () || !misshaped.empty ())
    {
      std::string message;

      if (!missing.empty ())
        message += "missing " + name_list (missing);
      if (!unexpected.empty ())
        message += (message.empty () ? "" : "; ") + std::string ("unexpected ") + name_list (unexpected);
      if (!misshaped.empty ())
        message += (message.empty () ? "" : "; ") + std::string ("wrong shape: ") + name_list (misshaped);
      g_set_error (error, TZ_ERROR, TZ_ERROR_DIMENSION_MISMATCH,
                   "%s: the weights do not fit EfficientNet-%s with %u classes: %s",
                   path, tz_backbone_variant_to_string (self->variant), self->n_classes,
                   message.c_str ());
      return false;
    }

  torch::NoGradGuard no_grad;
  for (auto &pair : pairs)
    {
      const TzTensorRecord *record = pair.first;
      c10::ScalarType type = torch::kFloat;
      gsize storage_size;
      const guint8 *base = (const guint8 *) g_bytes_get_data (record->storage, &storage_size);
      gsize item_size = tz_dtype_get_size (record->dtype);
      g_autofree guint8 *aligned = NULL;
      std::vector<int64_t> shape (record->shape, record->shape + record->ndim);
      std::vector<int64_t> strides (record->strides, record->strides + record->ndim);

      scalar_type_for (record->dtype, &type);
      /* A safetensors file is mapped as it lies on disk, where a tensor
       * may start at any byte. */
      if (((guintptr) base) % item_size != 0)
        base = aligned = (guint8 *) g_memdup2 (base, storage_size);
      auto source = torch::from_blob ((void *) (base + record->offset * item_size),
                                      shape, strides,
                                      torch::TensorOptions ().dtype (type));
      pair.second.copy_ (source);
    }
  return true;
}

} /* namespace */

gboolean
tz_backbone_load_weights (TzBackbone  *self,
                          const char  *path,
                          GError     **error)
{
  g_autoptr(GPtrArray) records = NULL;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  records = tz_backbone_read_state_dict (path, error);
  if (records == NULL)
    return FALSE;

  try
    {
      unfold_batch_norm (self);
      return assign_state (self, records, path, error);
    }
  catch (const std::exception &e)
    {
      g_autofree char *doing = g_strdup_printf ("Loading %s", path);

      set_error_from_exception (error, doing, e.what ());
      return FALSE;
    }
}

gboolean
tz_backbone_save_weights (TzBackbone  *self,
                          const char  *path,
                          GError     **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) arrays = g_ptr_array_new_with_free_func ((GDestroyNotify) tz_array_unref);
  g_autoptr(GHashTable) metadata = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);

  try
    {
      torch::NoGradGuard no_grad;

      for (auto &item : self->net->named_modules ("", false))
        {
          std::vector<std::pair<std::string, torch::Tensor>> tensors;

          for (auto &p : item.value ()->named_parameters (false))
            tensors.emplace_back (item.key () + "." + p.key (), p.value ());
          for (auto &b : item.value ()->named_buffers (false))
            tensors.emplace_back (item.key () + "." + b.key (), b.value ());

          for (auto &t : tensors)
            {
              auto host = t.second.detach ().to (torch::kCPU).contiguous ();
              std::vector<gint64> shape (host.sizes ().begin (), host.sizes ().end ());
              TzArray *array;

              if (host.is_floating_point ())
                {
                  host = host.to (torch::kFloat).contiguous ();
                  array = tz_array_new_float32 (shape.size (), shape.data (), host.data_ptr<float> ());
                }
              else
                {
                  host = host.to (torch::kLong).contiguous ();
                  array = tz_array_new_int64 (shape.size (), shape.data (), host.data_ptr<int64_t> ());
                }
              g_ptr_array_add (names, g_strdup (t.first.c_str ()));
              g_ptr_array_add (arrays, array);
            }
        }
    }
  catch (const std::exception &e)
    {
      set_error_from_exception (error, "Saving the weights", e.what ());
      return FALSE;
    }

  g_hash_table_insert (metadata, (gpointer) "format", g_strdup ("pt"));
  g_hash_table_insert (metadata, (gpointer) "tsuzuki.backbone",
                       g_strdup (tz_backbone_variant_to_string (self->variant)));
  g_hash_table_insert (metadata, (gpointer) "tsuzuki.n_classes",
                       g_strdup_printf ("%u", self->n_classes));
  g_ptr_array_add (names, NULL);

  return tz_safetensors_write (path,
                               (const char *const *) names->pdata,
                               (TzArray *const *) arrays->pdata,
                               arrays->len,
                               metadata,
                               error);
}

gboolean
tz_backbone_extract (TzBackbone                     *self,
                     const TzImage *const           *images,
                     guint                           n_images,
                     const TzBackboneExtractOptions *options,
                     float                          *features,
                     GCancellable                   *cancellable,
                     GError                        **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (images != NULL || n_images == 0, FALSE);
  g_return_val_if_fail (options != NULL, FALSE);
  g_return_val_if_fail (features != NULL || n_images == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  TzBackboneLayers layers = options->layers & (TZ_BACKBONE_LAYERS_ALL | TZ_BACKBONE_LAYERS_ALL_GRID);
  guint size = tz_backbone_extract_options_get_image_size (options, self->variant);
  guint batch = tz_backbone_extract_options_get_batch_size (options, self->variant);
  guint dim = tz_backbone_get_feature_dim (self, layers);
  bool cuda = self->device.is_cuda ();

  if (layers == 0 || layers != options->layers)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                   "The layer set 0x%x is empty or names stages beyond 8", options->layers);
      return FALSE;
    }
  if (!check_image_size (size, error) || !check_images (images, n_images, error))
    return FALSE;
  if (!cuda && options->precision != TZ_BACKBONE_PRECISION_FLOAT32)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_UNSUPPORTED,
                   "Reduced precision is for CUDA; the CPU computes in float32");
      return FALSE;
    }

  try
    {
      apply_threads (self);
      self->net->eval ();
      set_batch_norm_folded (self, true);

      c10::InferenceMode inference;
      AutocastScope autocast (cuda, options->precision);
      for (guint start = 0; start < n_images; start += batch)
        {
          guint count = MIN (batch, n_images - start);

          if (g_cancellable_set_error_if_cancelled (cancellable, error))
            return FALSE;

          auto x = preprocess (self, images + start, count, size, options->normalize);
          auto pooled = self->net->forward_endpoints (x, layers);
          auto out = torch::cat (pooled, 1).to (torch::kCPU, torch::kFloat).contiguous ();
          g_assert (out.size (0) == count && out.size (1) == dim);

          if (!torch::isfinite (out).all ().item<bool> ())
            {
              auto bad = torch::isfinite (out).all (1).logical_not ().nonzero ();

              g_set_error (error, TZ_ERROR, TZ_ERROR_NUMERICAL,
                           "The network gave NaN or infinity for image %u of the batch",
                           start + (guint) bad[0][0].item<int64_t> ());
              return FALSE;
            }
          memcpy (features + (size_t) start * dim, out.data_ptr<float> (), sizeof (float) * count * dim);
        }
      return TRUE;
    }
  catch (const std::exception &e)
    {
      set_error_from_exception (error, "Feature extraction", e.what ());
      return FALSE;
    }
}

gboolean
tz_backbone_train (TzBackbone                    *self,
                   const TzImage *const          *images,
                   const guint                   *labels,
                   guint                          n_images,
                   const TzBackboneTrainOptions  *options,
                   TzBackboneTrainProgressFunc    progress,
                   gpointer                       user_data,
                   GCancellable                  *cancellable,
                   GError                       **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (images != NULL, FALSE);
  g_return_val_if_fail (labels != NULL, FALSE);
  g_return_val_if_fail (options != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->n_classes == 0)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                   "Training needs a classification head; this network has none");
      return FALSE;
    }
  if (n_images < 2 || options->epochs == 0 || options->batch_size < 2
      || !(options->learning_rate > 0.0) || !std::isfinite (options->learning_rate))
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                   "Training needs at least 2 images, 1 epoch, batches of 2 or more "
                   "and a positive learning rate");
      return FALSE;
    }
  if (!check_recipe (options, error)
      || !check_image_size (options->image_size, error) || !check_images (images, n_images, error))
    return FALSE;
  for (guint i = 0; i < n_images; i++)
    if (labels[i] >= self->n_classes)
      {
        g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                     "Image %u has label %u, but the head has %u classes",
                     i, labels[i], self->n_classes);
        return FALSE;
      }

  try
    {
      /* Training's tensors have sizes of their own: what the cache holds
       * once they are freed (the optimiser's state last) goes back. */
      struct ReleaseScope
      {
        ~ReleaseScope ()
        {
          tz_backbone_release_memory ();
        }
      } release_memory;

      apply_threads (self);
      unfold_batch_norm (self);
      torch::manual_seed (options->seed);

      bool rotate = options->rotation_task;
      std::unique_ptr<RotationHeadScope> rotation_head;
      if (rotate)
        rotation_head.reset (new RotationHeadScope (self->net, self->n_classes, options->seed, self->device));
      TrainScope scope (self->net);
      std::unique_ptr<torch::optim::Optimizer> optimizer;
      if (options->weight_decay > 0.0)
        optimizer.reset (new torch::optim::AdamW (self->net->parameters (),
                                                  torch::optim::AdamWOptions (options->learning_rate)
                                                    .weight_decay (options->weight_decay)));
      else
        optimizer.reset (new torch::optim::Adam (self->net->parameters (),
                                                 torch::optim::AdamOptions (options->learning_rate)));
      auto loss_options = torch::nn::functional::CrossEntropyFuncOptions ()
                            .label_smoothing (options->label_smoothing);
      std::vector<int64_t> all_labels (labels, labels + n_images);
      auto targets = torch::tensor (all_labels, torch::kLong);
      /* Batch norm cannot train on a single image at a 1x1 map, so a
       * last batch of one is left out. */
      guint n_steps = (n_images + options->batch_size - 1) / options->batch_size;
      if (n_images % options->batch_size == 1)
        n_steps--;
      guint64 total_steps = (guint64) n_steps * options->epochs;
      guint64 warmup = (guint64) std::ceil (options->warmup_fraction * (double) total_steps);
      bool scheduled = warmup > 0 || options->lr_schedule != TZ_BACKBONE_LR_CONSTANT;

      for (guint epoch = 0; epoch < options->epochs; epoch++)
        {
          auto order = torch::randperm (n_images, torch::kLong);
          const int64_t *index = order.data_ptr<int64_t> ();
          gint64 started = g_get_monotonic_time ();
          double loss_sum = 0.0;
          guint seen = 0;

          for (guint step = 0; step < n_steps; step++)
            {
              guint first = step * options->batch_size;
              guint count = MIN (options->batch_size, n_images - first);
              std::vector<const TzImage *> batch (count);
              TzBackboneTrainProgress info;

              for (guint i = 0; i < count; i++)
                batch[i] = images[index[first + i]];
              auto x = preprocess (self, batch.data (), count, options->image_size, false);
              auto y = targets.index_select (0, order.slice (0, first, first + count)).to (self->device);

              if (options->augment != TZ_BACKBONE_AUGMENT_NONE || rotate)
                {
                  auto turns = augment_batch (x, options->augment, rotate);

                  if (rotate)
                    y = y * 4 + turns;
                }
              if (options->normalize)
                x = normalize_imagenet (x);
              x = x.contiguous (at::MemoryFormat::ChannelsLast);

              if (scheduled)
                {
                  double rate = learning_rate_at (options, (guint64) epoch * n_steps + step, total_steps, warmup);

                  for (auto &group : optimizer->param_groups ())
                    group.options ().set_lr (rate);
                }

              auto logits = self->net->forward (x);
              auto loss = torch::nn::functional::cross_entropy (logits, y, loss_options);
              /* No gradient rather than zeros: the backward pass then
               * stores its result instead of adding it to a zeroed one. */
              for (auto &group : optimizer->param_groups ())
                for (auto &parameter : group.params ())
                  parameter.mutable_grad ().reset ();
              loss.backward ();
              optimizer->step ();

              double value = loss.item<double> ();
              if (!std::isfinite (value))
                {
                  g_set_error (error, TZ_ERROR, TZ_ERROR_NUMERICAL,
                               "Training diverged: the loss is not finite at epoch %u, step %u "
                               "(try a smaller learning rate)", epoch + 1, step + 1);
                  return FALSE;
                }
              loss_sum += value * count;
              seen += count;

              info.epoch = epoch;
              info.n_epochs = options->epochs;
              info.step = step;
              info.n_steps = n_steps;
              info.loss = value;
              info.epoch_loss = loss_sum / seen;
              info.images_per_second = seen / MAX (1e-9, (g_get_monotonic_time () - started) / 1e6);
              if (progress != NULL)
                progress (&info, user_data);

              if (g_cancellable_set_error_if_cancelled (cancellable, error))
                return FALSE;
            }
        }
      return TRUE;
    }
  catch (const std::exception &e)
    {
      set_error_from_exception (error, "Training", e.what ());
      return FALSE;
    }
}

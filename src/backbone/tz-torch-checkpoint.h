/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The largest data.pkl we parse: a state dict's pickle is metadata only
 * (56 KiB for b0, under 1 MiB for b7). */
#define TZ_TORCH_CHECKPOINT_MAX_PICKLE (64u << 20)

/* Reads a PyTorch zip checkpoint holding a state dict, as
 * `torch.save (model.state_dict ())` writes it, into a GPtrArray of
 * TzTensorRecord (tz-backbone-private.h), in the dict's order.
 *
 * The pickle is interpreted by a restricted machine that knows only the
 * opcodes pickle protocols 2-4 use for plain data and the globals a state
 * dict needs (collections.OrderedDict, torch._utils._rebuild_tensor_v2,
 * torch._utils._rebuild_parameter and the torch.*Storage types). Any other
 * global is TZ_ERROR_FORBIDDEN naming it ("os.system"), found before
 * anything is called; nothing is ever executed or imported. A dict holding
 * the state dict under "state_dict" or "model" (training checkpoints) is
 * accepted too. Errors name the file: TZ_ERROR_CORRUPT for a truncated
 * archive, a missing storage member, a malformed pickle or a tensor that
 * reaches outside its storage; TZ_ERROR_UNSUPPORTED for opcodes or values
 * a state dict never holds and for big-endian checkpoints. */
GPtrArray *tz_torch_checkpoint_read        (const char  *path,
                                            GError     **error);
/* The same from bytes in memory (for fuzzing); @display_name is used in
 * messages. */
GPtrArray *tz_torch_checkpoint_read_bytes  (GBytes      *bytes,
                                            const char  *display_name,
                                            GError     **error);

G_END_DECLS

/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-backbone"

#include "config.h"

#include <string.h>

#include "tz-backbone-private.h"
#include "tz-error.h"
#include "tz-torch-checkpoint.h"
#include "tz-zip-reader.h"

/* A restricted unpickler. Python's pickle is a small stack machine whose
 * GLOBAL and REDUCE opcodes import and call arbitrary functions; here
 * GLOBAL only resolves names from a fixed table of inert markers and REDUCE
 * only builds the three kinds of value a state dict holds (dicts, tensors,
 * parameters). Nothing is imported or called, whatever the file says. */

typedef enum
{
  VALUE_NONE,
  VALUE_BOOL,
  VALUE_INT,
  VALUE_FLOAT,
  VALUE_STRING,
  VALUE_TUPLE,
  VALUE_LIST,
  VALUE_DICT,
  VALUE_GLOBAL,
  VALUE_STORAGE,
  VALUE_TENSOR,
} ValueKind;

typedef enum
{
  GLOBAL_ORDERED_DICT,
  GLOBAL_REBUILD_TENSOR_V2,
  GLOBAL_REBUILD_PARAMETER,
  GLOBAL_STORAGE_TYPE,
} GlobalKind;

typedef struct _Value Value;

struct _Value
{
  ValueKind kind;
  union
  {
    gboolean   boolean;
    gint64     integer;
    double     real;
    char      *string;
    /* Tuple and list items; a dict's keys and values alternate. Borrowed:
     * every value belongs to the machine's arena. */
    GPtrArray *items;
    struct
    {
      GlobalKind kind;
      TzDType    dtype;
      const char *name;
    } global;
    struct
    {
      TzDType  dtype;
      char    *key;
      gint64   n_elements;
    } storage;
    struct
    {
      Value   *storage;
      gint64   offset;
      guint    ndim;
      gint64   shape[TZ_ARRAY_MAX_DIMS];
      gint64   strides[TZ_ARRAY_MAX_DIMS];
    } tensor;
  };
};

typedef struct
{
  const char *module;
  const char *name;
  GlobalKind  kind;
  TzDType     dtype;
} AllowedGlobal;

static const AllowedGlobal allowed_globals[] = {
  { "collections", "OrderedDict", GLOBAL_ORDERED_DICT, 0 },
  { "torch._utils", "_rebuild_tensor_v2", GLOBAL_REBUILD_TENSOR_V2, 0 },
  { "torch._utils", "_rebuild_parameter", GLOBAL_REBUILD_PARAMETER, 0 },
  { "torch", "FloatStorage", GLOBAL_STORAGE_TYPE, TZ_DTYPE_F32 },
  { "torch", "DoubleStorage", GLOBAL_STORAGE_TYPE, TZ_DTYPE_F64 },
  { "torch", "HalfStorage", GLOBAL_STORAGE_TYPE, TZ_DTYPE_F16 },
  { "torch", "BFloat16Storage", GLOBAL_STORAGE_TYPE, TZ_DTYPE_BF16 },
  { "torch", "LongStorage", GLOBAL_STORAGE_TYPE, TZ_DTYPE_I64 },
  { "torch", "IntStorage", GLOBAL_STORAGE_TYPE, TZ_DTYPE_I32 },
  { "torch", "ShortStorage", GLOBAL_STORAGE_TYPE, TZ_DTYPE_I16 },
  { "torch", "CharStorage", GLOBAL_STORAGE_TYPE, TZ_DTYPE_I8 },
  { "torch", "ByteStorage", GLOBAL_STORAGE_TYPE, TZ_DTYPE_U8 },
  { "torch", "BoolStorage", GLOBAL_STORAGE_TYPE, TZ_DTYPE_BOOL },
};

typedef struct
{
  const char   *display_name;
  const guint8 *data;
  gsize         size;
  gsize         pos;
  GPtrArray    *arena;
  GPtrArray    *stack;
  GArray       *marks;
  GHashTable   *memo;
} Machine;

static void
value_free (Value *value)
{
  switch (value->kind)
    {
    case VALUE_STRING:
      g_free (value->string);
      break;
    case VALUE_TUPLE:
    case VALUE_LIST:
    case VALUE_DICT:
      g_ptr_array_unref (value->items);
      break;
    case VALUE_STORAGE:
      g_free (value->storage.key);
      break;
    case VALUE_NONE:
    case VALUE_BOOL:
    case VALUE_INT:
    case VALUE_FLOAT:
    case VALUE_GLOBAL:
    case VALUE_TENSOR:
    default:
      break;
    }
  g_free (value);
}

static const char *
value_kind_name (ValueKind kind)
{
  static const char *names[] = {
    "None", "bool", "int", "float", "str", "tuple", "list", "dict",
    "global", "storage", "tensor",
  };

  return names[kind];
}

static Value *
machine_new_value (Machine   *m,
                   ValueKind  kind)
{
  Value *value = g_new0 (Value, 1);

  value->kind = kind;
  if (kind == VALUE_TUPLE || kind == VALUE_LIST || kind == VALUE_DICT)
    value->items = g_ptr_array_new ();
  g_ptr_array_add (m->arena, value);
  return value;
}

G_GNUC_PRINTF (3, 4)
static gboolean
machine_fail (Machine     *m,
              GError     **error,
              const char  *format,
              ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
               "%s: malformed pickle at byte %" G_GSIZE_FORMAT ": %s",
               m->display_name, m->pos, message);
  return FALSE;
}

static gboolean
machine_take (Machine       *m,
              gsize          n,
              const guint8 **out,
              GError       **error)
{
  if (n > m->size - m->pos)
    return machine_fail (m, error, "the stream ends inside an opcode's argument");
  *out = m->data + m->pos;
  m->pos += n;
  return TRUE;
}

static guint64
read_le (const guint8 *p,
         guint         n)
{
  guint64 v = 0;

  for (guint i = n; i-- > 0;)
    v = (v << 8) | p[i];
  return v;
}

static void
machine_push (Machine *m,
              Value   *value)
{
  g_ptr_array_add (m->stack, value);
}

static Value *
machine_pop (Machine  *m,
             GError  **error)
{
  guint floor = m->marks->len ? g_array_index (m->marks, guint, m->marks->len - 1) : 0;

  if (m->stack->len <= floor)
    {
      machine_fail (m, error, "the stack is empty");
      return NULL;
    }
  return g_ptr_array_steal_index (m->stack, m->stack->len - 1);
}

static Value *
machine_top (Machine  *m,
             GError  **error)
{
  if (m->stack->len == 0)
    {
      machine_fail (m, error, "the stack is empty");
      return NULL;
    }
  return g_ptr_array_index (m->stack, m->stack->len - 1);
}

/* Pops everything above the last MARK into @items (in order). */
static gboolean
machine_pop_mark (Machine    *m,
                  GPtrArray  *items,
                  GError    **error)
{
  guint mark;

  if (m->marks->len == 0)
    return machine_fail (m, error, "no MARK to pop to");
  mark = g_array_index (m->marks, guint, m->marks->len - 1);
  g_array_set_size (m->marks, m->marks->len - 1);
  for (guint i = mark; i < m->stack->len; i++)
    g_ptr_array_add (items, g_ptr_array_index (m->stack, i));
  g_ptr_array_set_size (m->stack, mark);
  return TRUE;
}

static gboolean
machine_push_string (Machine  *m,
                     guint64   length,
                     GError  **error)
{
  const guint8 *bytes;
  Value *value;

  if (length > m->size - m->pos)
    return machine_fail (m, error, "a string runs past the end of the stream");
  if (!machine_take (m, length, &bytes, error))
    return FALSE;
  if (!g_utf8_validate_len ((const char *) bytes, length, NULL))
    return machine_fail (m, error, "a string is not valid UTF-8");
  value = machine_new_value (m, VALUE_STRING);
  value->string = g_strndup ((const char *) bytes, length);
  machine_push (m, value);
  return TRUE;
}

static gboolean
machine_global (Machine     *m,
                const char  *module,
                const char  *name,
                GError     **error)
{
  Value *value;

  for (guint i = 0; i < G_N_ELEMENTS (allowed_globals); i++)
    if (strcmp (allowed_globals[i].module, module) == 0
        && strcmp (allowed_globals[i].name, name) == 0)
      {
        value = machine_new_value (m, VALUE_GLOBAL);
        value->global.kind = allowed_globals[i].kind;
        value->global.dtype = allowed_globals[i].dtype;
        value->global.name = allowed_globals[i].name;
        machine_push (m, value);
        return TRUE;
      }

  g_set_error (error, TZ_ERROR, TZ_ERROR_FORBIDDEN,
               "%s: the pickle asks for the global “%s.%s”, which a state "
               "dict never needs; the file was refused and nothing in it "
               "was run",
               m->display_name, module, name);
  return FALSE;
}

static gboolean
get_int_tuple (Machine  *m,
               Value    *tuple,
               gint64   *out,
               guint    *n_out,
               GError  **error)
{
  if (tuple->kind != VALUE_TUPLE)
    return machine_fail (m, error, "a tensor's size or stride is a %s, not a tuple",
                         value_kind_name (tuple->kind));
  if (tuple->items->len > TZ_ARRAY_MAX_DIMS)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_UNSUPPORTED,
                   "%s: a tensor has %u dimensions, more than %d",
                   m->display_name, tuple->items->len, TZ_ARRAY_MAX_DIMS);
      return FALSE;
    }
  for (guint i = 0; i < tuple->items->len; i++)
    {
      Value *item = g_ptr_array_index (tuple->items, i);

      if (item->kind != VALUE_INT)
        return machine_fail (m, error, "a tensor's size or stride holds a %s",
                             value_kind_name (item->kind));
      out[i] = item->integer;
    }
  *n_out = tuple->items->len;
  return TRUE;
}

static gboolean
machine_reduce (Machine  *m,
                GError  **error)
{
  Value *args;
  Value *callable;
  Value *result;

  if (!(args = machine_pop (m, error)) || !(callable = machine_pop (m, error)))
    return FALSE;
  if (callable->kind != VALUE_GLOBAL)
    return machine_fail (m, error, "REDUCE calls a %s", value_kind_name (callable->kind));
  if (args->kind != VALUE_TUPLE)
    return machine_fail (m, error, "REDUCE arguments are a %s", value_kind_name (args->kind));

  switch (callable->global.kind)
    {
    case GLOBAL_ORDERED_DICT:
      if (args->items->len != 0)
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_UNSUPPORTED,
                       "%s: an OrderedDict built from arguments", m->display_name);
          return FALSE;
        }
      machine_push (m, machine_new_value (m, VALUE_DICT));
      return TRUE;

    case GLOBAL_REBUILD_TENSOR_V2:
      {
        Value *storage;
        Value *offset;
        guint n_shape = 0;
        guint n_strides = 0;

        /* (storage, storage_offset, size, stride, requires_grad,
         *  backward_hooks[, metadata]) */
        if (args->items->len != 6 && args->items->len != 7)
          return machine_fail (m, error, "_rebuild_tensor_v2 takes 6 or 7 arguments, not %u",
                               args->items->len);
        storage = g_ptr_array_index (args->items, 0);
        offset = g_ptr_array_index (args->items, 1);
        if (storage->kind != VALUE_STORAGE)
          return machine_fail (m, error, "a tensor is built on a %s, not a storage",
                               value_kind_name (storage->kind));
        if (offset->kind != VALUE_INT)
          return machine_fail (m, error, "a tensor's storage offset is a %s",
                               value_kind_name (offset->kind));
        result = machine_new_value (m, VALUE_TENSOR);
        result->tensor.storage = storage;
        result->tensor.offset = offset->integer;
        if (!get_int_tuple (m, g_ptr_array_index (args->items, 2),
                            result->tensor.shape, &n_shape, error)
            || !get_int_tuple (m, g_ptr_array_index (args->items, 3),
                               result->tensor.strides, &n_strides, error))
          return FALSE;
        if (n_shape != n_strides)
          return machine_fail (m, error, "a tensor has %u sizes but %u strides",
                               n_shape, n_strides);
        result->tensor.ndim = n_shape;
        machine_push (m, result);
        return TRUE;
      }

    case GLOBAL_REBUILD_PARAMETER:
      {
        Value *data;

        /* (data, requires_grad, backward_hooks): the tensor is all we keep. */
        if (args->items->len != 3)
          return machine_fail (m, error, "_rebuild_parameter takes 3 arguments, not %u",
                               args->items->len);
        data = g_ptr_array_index (args->items, 0);
        if (data->kind != VALUE_TENSOR)
          return machine_fail (m, error, "a parameter wraps a %s", value_kind_name (data->kind));
        machine_push (m, data);
        return TRUE;
      }

    case GLOBAL_STORAGE_TYPE:
    default:
      g_set_error (error, TZ_ERROR, TZ_ERROR_UNSUPPORTED,
                   "%s: the pickle calls torch.%s, which a state dict does not",
                   m->display_name, callable->global.name);
      return FALSE;
    }
}

/* BINPERSID: torch.save replaces each storage by the persistent id
 * ('storage', storage_type, key, location, numel). */
static gboolean
machine_persistent_load (Machine  *m,
                         GError  **error)
{
  Value *pid;
  Value *tag;
  Value *type;
  Value *key;
  Value *numel;
  Value *storage;

  if (!(pid = machine_pop (m, error)))
    return FALSE;
  if (pid->kind != VALUE_TUPLE || pid->items->len != 5)
    return machine_fail (m, error, "a persistent id is not a 5-tuple");
  tag = g_ptr_array_index (pid->items, 0);
  type = g_ptr_array_index (pid->items, 1);
  key = g_ptr_array_index (pid->items, 2);
  numel = g_ptr_array_index (pid->items, 4);
  if (tag->kind != VALUE_STRING || strcmp (tag->string, "storage") != 0)
    return machine_fail (m, error, "a persistent id is not a storage");
  if (type->kind != VALUE_GLOBAL || type->global.kind != GLOBAL_STORAGE_TYPE)
    return machine_fail (m, error, "a storage's type is not a torch storage type");
  if (key->kind != VALUE_STRING || key->string[0] == '\0'
      || strspn (key->string, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_") != strlen (key->string))
    return machine_fail (m, error, "a storage key is not a plain name");
  if (numel->kind != VALUE_INT || numel->integer < 0)
    return machine_fail (m, error, "a storage's size is not a count");

  storage = machine_new_value (m, VALUE_STORAGE);
  storage->storage.dtype = type->global.dtype;
  storage->storage.key = g_strdup (key->string);
  storage->storage.n_elements = numel->integer;
  machine_push (m, storage);
  return TRUE;
}

static gboolean
machine_memo_put (Machine  *m,
                  guint64   index,
                  GError  **error)
{
  Value *top = machine_top (m, error);

  if (top == NULL)
    return FALSE;
  g_hash_table_insert (m->memo, GUINT_TO_POINTER ((guint) index), top);
  return TRUE;
}

static gboolean
machine_memo_get (Machine  *m,
                  guint64   index,
                  GError  **error)
{
  Value *value;

  if (index > G_MAXUINT32
      || !(value = g_hash_table_lookup (m->memo, GUINT_TO_POINTER ((guint) index))))
    return machine_fail (m, error, "memo entry %" G_GUINT64_FORMAT " was never stored", index);
  machine_push (m, value);
  return TRUE;
}

static gboolean
machine_set_items (Machine    *m,
                   Value      *dict,
                   GPtrArray  *pairs,
                   GError    **error)
{
  if (dict->kind != VALUE_DICT)
    return machine_fail (m, error, "SETITEM on a %s", value_kind_name (dict->kind));
  if (pairs->len % 2 != 0)
    return machine_fail (m, error, "SETITEMS with an odd number of values");
  /* Keys are appended as they come; repeats are caught on the final
   * state dict, where a hash table keeps the check linear. */
  for (guint i = 0; i < pairs->len; i++)
    g_ptr_array_add (dict->items, g_ptr_array_index (pairs, i));
  return TRUE;
}

static Value *
machine_run (Machine  *m,
             GError  **error)
{
  while (m->pos < m->size)
    {
      guint8 op = m->data[m->pos++];
      const guint8 *arg = NULL;
      Value *value;
      Value *a;
      Value *b;

      switch (op)
        {
        case 0x80: /* PROTO */
          if (!machine_take (m, 1, &arg, error))
            return NULL;
          if (arg[0] > 5)
            {
              g_set_error (error, TZ_ERROR, TZ_ERROR_UNSUPPORTED,
                           "%s: pickle protocol %u is newer than 5",
                           m->display_name, arg[0]);
              return NULL;
            }
          break;

        case 0x95: /* FRAME: a length hint only */
          if (!machine_take (m, 8, &arg, error))
            return NULL;
          break;

        case 'c': /* GLOBAL "module\nname\n" */
          {
            const guint8 *end1;
            const guint8 *end2;
            g_autofree char *module = NULL;
            g_autofree char *name = NULL;

            end1 = memchr (m->data + m->pos, '\n', m->size - m->pos);
            if (end1 == NULL)
              return machine_fail (m, error, "GLOBAL without a module name"), NULL;
            end2 = memchr (end1 + 1, '\n', m->data + m->size - (end1 + 1));
            if (end2 == NULL)
              return machine_fail (m, error, "GLOBAL without a name"), NULL;
            module = g_strndup ((const char *) m->data + m->pos, end1 - (m->data + m->pos));
            name = g_strndup ((const char *) end1 + 1, end2 - (end1 + 1));
            m->pos = end2 + 1 - m->data;
            if (!g_utf8_validate (module, -1, NULL) || !g_utf8_validate (name, -1, NULL))
              return machine_fail (m, error, "a GLOBAL name is not valid UTF-8"), NULL;
            if (!machine_global (m, module, name, error))
              return NULL;
          }
          break;

        case 0x93: /* STACK_GLOBAL */
          if (!(b = machine_pop (m, error)) || !(a = machine_pop (m, error)))
            return NULL;
          if (a->kind != VALUE_STRING || b->kind != VALUE_STRING)
            return machine_fail (m, error, "STACK_GLOBAL on non-strings"), NULL;
          if (!machine_global (m, a->string, b->string, error))
            return NULL;
          break;

        case 'q': /* BINPUT */
          if (!machine_take (m, 1, &arg, error) || !machine_memo_put (m, arg[0], error))
            return NULL;
          break;

        case 'r': /* LONG_BINPUT */
          if (!machine_take (m, 4, &arg, error) || !machine_memo_put (m, read_le (arg, 4), error))
            return NULL;
          break;

        case 0x94: /* MEMOIZE */
          if (!machine_memo_put (m, g_hash_table_size (m->memo), error))
            return NULL;
          break;

        case 'h': /* BINGET */
          if (!machine_take (m, 1, &arg, error) || !machine_memo_get (m, arg[0], error))
            return NULL;
          break;

        case 'j': /* LONG_BINGET */
          if (!machine_take (m, 4, &arg, error) || !machine_memo_get (m, read_le (arg, 4), error))
            return NULL;
          break;

        case '(': /* MARK */
          {
            guint len = m->stack->len;

            g_array_append_val (m->marks, len);
          }
          break;

        case '0': /* POP */
          if (!machine_pop (m, error))
            return NULL;
          break;

        case '1': /* POP_MARK */
          {
            g_autoptr(GPtrArray) dropped = g_ptr_array_new ();

            if (!machine_pop_mark (m, dropped, error))
              return NULL;
          }
          break;

        case ')': /* EMPTY_TUPLE */
          machine_push (m, machine_new_value (m, VALUE_TUPLE));
          break;

        case 0x85: /* TUPLE1 */
        case 0x86: /* TUPLE2 */
        case 0x87: /* TUPLE3 */
          {
            guint n = op - 0x84;
            guint floor = m->marks->len ? g_array_index (m->marks, guint, m->marks->len - 1) : 0;

            if (m->stack->len < floor + n)
              return machine_fail (m, error, "TUPLE%u on a short stack", n), NULL;
            value = machine_new_value (m, VALUE_TUPLE);
            for (guint i = m->stack->len - n; i < m->stack->len; i++)
              g_ptr_array_add (value->items, g_ptr_array_index (m->stack, i));
            g_ptr_array_set_size (m->stack, m->stack->len - n);
            machine_push (m, value);
          }
          break;

        case 't': /* TUPLE */
          value = machine_new_value (m, VALUE_TUPLE);
          if (!machine_pop_mark (m, value->items, error))
            return NULL;
          machine_push (m, value);
          break;

        case ']': /* EMPTY_LIST */
          machine_push (m, machine_new_value (m, VALUE_LIST));
          break;

        case 'a': /* APPEND */
          if (!(a = machine_pop (m, error)) || !(value = machine_top (m, error)))
            return NULL;
          if (value->kind != VALUE_LIST)
            return machine_fail (m, error, "APPEND to a %s", value_kind_name (value->kind)), NULL;
          g_ptr_array_add (value->items, a);
          break;

        case 'e': /* APPENDS */
          {
            g_autoptr(GPtrArray) items = g_ptr_array_new ();

            if (!machine_pop_mark (m, items, error) || !(value = machine_top (m, error)))
              return NULL;
            if (value->kind != VALUE_LIST)
              return machine_fail (m, error, "APPENDS to a %s", value_kind_name (value->kind)), NULL;
            for (guint i = 0; i < items->len; i++)
              g_ptr_array_add (value->items, g_ptr_array_index (items, i));
          }
          break;

        case '}': /* EMPTY_DICT */
          machine_push (m, machine_new_value (m, VALUE_DICT));
          break;

        case 's': /* SETITEM */
          {
            g_autoptr(GPtrArray) pair = g_ptr_array_new ();

            if (!(b = machine_pop (m, error)) || !(a = machine_pop (m, error))
                || !(value = machine_top (m, error)))
              return NULL;
            g_ptr_array_add (pair, a);
            g_ptr_array_add (pair, b);
            if (!machine_set_items (m, value, pair, error))
              return NULL;
          }
          break;

        case 'u': /* SETITEMS */
          {
            g_autoptr(GPtrArray) pairs = g_ptr_array_new ();

            if (!machine_pop_mark (m, pairs, error) || !(value = machine_top (m, error))
                || !machine_set_items (m, value, pairs, error))
              return NULL;
          }
          break;

        case 'X': /* BINUNICODE */
          if (!machine_take (m, 4, &arg, error) || !machine_push_string (m, read_le (arg, 4), error))
            return NULL;
          break;

        case 0x8c: /* SHORT_BINUNICODE */
          if (!machine_take (m, 1, &arg, error) || !machine_push_string (m, arg[0], error))
            return NULL;
          break;

        case 0x8d: /* BINUNICODE8 */
          if (!machine_take (m, 8, &arg, error) || !machine_push_string (m, read_le (arg, 8), error))
            return NULL;
          break;

        case 'K': /* BININT1 */
        case 'M': /* BININT2 */
        case 'J': /* BININT */
          {
            guint n = op == 'K' ? 1 : op == 'M' ? 2 : 4;

            if (!machine_take (m, n, &arg, error))
              return NULL;
            value = machine_new_value (m, VALUE_INT);
            value->integer = op == 'J' ? (gint64) (gint32) read_le (arg, 4) : (gint64) read_le (arg, n);
            machine_push (m, value);
          }
          break;

        case 0x8a: /* LONG1: little-endian two's complement */
          {
            guint64 v;

            if (!machine_take (m, 1, &arg, error))
              return NULL;
            if (arg[0] > 8)
              return machine_fail (m, error, "an integer of %u bytes", arg[0]), NULL;
            {
              guint n = arg[0];

              if (!machine_take (m, n, &arg, error))
                return NULL;
              v = read_le (arg, n);
              if (n > 0 && n < 8 && (arg[n - 1] & 0x80))
                v |= G_MAXUINT64 << (8 * n);
            }
            value = machine_new_value (m, VALUE_INT);
            value->integer = (gint64) v;
            machine_push (m, value);
          }
          break;

        case 'G': /* BINFLOAT, big-endian */
          {
            guint64 bits = 0;

            if (!machine_take (m, 8, &arg, error))
              return NULL;
            for (guint i = 0; i < 8; i++)
              bits = (bits << 8) | arg[i];
            value = machine_new_value (m, VALUE_FLOAT);
            memcpy (&value->real, &bits, sizeof bits);
            machine_push (m, value);
          }
          break;

        case 'N': /* NONE */
          machine_push (m, machine_new_value (m, VALUE_NONE));
          break;

        case 0x88: /* NEWTRUE */
        case 0x89: /* NEWFALSE */
          value = machine_new_value (m, VALUE_BOOL);
          value->boolean = op == 0x88;
          machine_push (m, value);
          break;

        case 'R': /* REDUCE */
          if (!machine_reduce (m, error))
            return NULL;
          break;

        case 'Q': /* BINPERSID */
          if (!machine_persistent_load (m, error))
            return NULL;
          break;

        case 'b': /* BUILD */
          /* torch.save's OrderedDict carries its `_metadata` (module
           * versions) as instance state: nothing the weights need. */
          if (!(a = machine_pop (m, error)) || !(value = machine_top (m, error)))
            return NULL;
          if (value->kind != VALUE_DICT || (a->kind != VALUE_DICT && a->kind != VALUE_NONE))
            {
              g_set_error (error, TZ_ERROR, TZ_ERROR_UNSUPPORTED,
                           "%s: the pickle sets the state of a %s, which a state dict does not",
                           m->display_name, value_kind_name (value->kind));
              return NULL;
            }
          break;

        case '.': /* STOP */
          if (m->marks->len != 0 || m->stack->len != 1)
            return machine_fail (m, error, "STOP with %u values on the stack", m->stack->len), NULL;
          return g_ptr_array_index (m->stack, 0);

        default:
          m->pos--;
          g_set_error (error, TZ_ERROR, TZ_ERROR_UNSUPPORTED,
                       "%s: pickle opcode 0x%02x at byte %" G_GSIZE_FORMAT
                       " is not one a state dict uses",
                       m->display_name, op, m->pos);
          return NULL;
        }
    }

  machine_fail (m, error, "the stream ends without STOP");
  return NULL;
}

static gboolean
dict_has_tensors (Value *dict)
{
  for (guint i = 1; i < dict->items->len; i += 2)
    if (((Value *) g_ptr_array_index (dict->items, i))->kind == VALUE_TENSOR)
      return TRUE;
  return FALSE;
}

/* A training checkpoint ({"model": state_dict, "optimizer": ...}) holds
 * the state dict one level down. */
static Value *
find_state_dict (Value *root)
{
  static const char *keys[] = { "state_dict", "model", "model_state_dict" };

  if (root->kind != VALUE_DICT || dict_has_tensors (root))
    return root;
  for (guint k = 0; k < G_N_ELEMENTS (keys); k++)
    for (guint i = 0; i < root->items->len; i += 2)
      {
        Value *key = g_ptr_array_index (root->items, i);
        Value *value = g_ptr_array_index (root->items, i + 1);

        if (key->kind == VALUE_STRING && strcmp (key->string, keys[k]) == 0
            && value->kind == VALUE_DICT && dict_has_tensors (value))
          return value;
      }
  return root;
}

static GBytes *
read_storage (TzZipReader  *zip,
              const char   *prefix,
              Value        *storage,
              GHashTable   *cache,
              const char   *display_name,
              GError      **error)
{
  g_autofree char *member = g_strconcat (prefix, "data/", storage->storage.key, NULL);
  gsize item_size = tz_dtype_get_size (storage->storage.dtype);
  GBytes *bytes;
  gint64 size;

  if ((bytes = g_hash_table_lookup (cache, storage->storage.key)))
    return bytes;

  size = tz_zip_reader_get_entry_size (zip, member);
  if (size < 0)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                   "%s: the storage “%s” is missing from the archive",
                   display_name, member);
      return NULL;
    }
  if (storage->storage.n_elements > G_MAXINT64 / 16
      || (guint64) size != (guint64) storage->storage.n_elements * item_size)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                   "%s: the storage “%s” holds %" G_GINT64_FORMAT " bytes, "
                   "not the %" G_GINT64_FORMAT " elements of %" G_GSIZE_FORMAT
                   " bytes the pickle announces",
                   display_name, member, size, storage->storage.n_elements, item_size);
      return NULL;
    }
  bytes = tz_zip_reader_read_entry (zip, member, (gsize) size, error);
  if (bytes == NULL)
    return NULL;
  if (g_bytes_get_size (bytes) != (gsize) size)
    {
      g_bytes_unref (bytes);
      g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                   "%s: the storage “%s” is shorter than the archive says",
                   display_name, member);
      return NULL;
    }
  g_hash_table_insert (cache, g_strdup (storage->storage.key), bytes);
  return bytes;
}

static char *
find_pickle (TzZipReader  *zip,
             const char   *display_name,
             GError      **error)
{
  guint n = tz_zip_reader_get_n_entries (zip);

  /* torch.save writes "<archive name>/data.pkl"; the archive name is the
   * file's stem when saved, so it can be anything. */
  for (guint i = 0; i < n; i++)
    {
      const char *name = tz_zip_reader_get_entry_name (zip, i);
      const char *slash = name ? strchr (name, '/') : NULL;

      if (slash != NULL && strcmp (slash, "/data.pkl") == 0)
        return g_strndup (name, slash - name + 1);
    }

  g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
               "%s: a zip archive without data.pkl, so not a PyTorch checkpoint",
               display_name);
  return NULL;
}

static GPtrArray *
read_checkpoint (TzZipReader  *zip,
                 const char   *display_name,
                 GError      **error)
{
  g_autofree char *prefix = NULL;
  g_autofree char *pickle_name = NULL;
  g_autofree char *byteorder_name = NULL;
  g_autoptr(GBytes) pickle = NULL;
  g_autoptr(GPtrArray) arena = NULL;
  g_autoptr(GPtrArray) stack = NULL;
  g_autoptr(GArray) marks = NULL;
  g_autoptr(GHashTable) memo = NULL;
  g_autoptr(GHashTable) storages = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GHashTable) seen = NULL;
  Machine m = { 0 };
  Value *root;
  Value *dict;

  if (!(prefix = find_pickle (zip, display_name, error)))
    return NULL;

  byteorder_name = g_strconcat (prefix, "byteorder", NULL);
  if (tz_zip_reader_has_entry (zip, byteorder_name))
    {
      g_autoptr(GBytes) order = tz_zip_reader_read_entry (zip, byteorder_name, 16, error);
      gsize len;
      const char *text;

      if (order == NULL)
        return NULL;
      text = g_bytes_get_data (order, &len);
      if (len != strlen ("little") || memcmp (text, "little", len) != 0)
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_UNSUPPORTED,
                       "%s: a checkpoint saved on a big-endian machine", display_name);
          return NULL;
        }
    }

  pickle_name = g_strconcat (prefix, "data.pkl", NULL);
  pickle = tz_zip_reader_read_entry (zip, pickle_name, TZ_TORCH_CHECKPOINT_MAX_PICKLE, error);
  if (pickle == NULL)
    return NULL;

  arena = g_ptr_array_new_with_free_func ((GDestroyNotify) value_free);
  stack = g_ptr_array_new ();
  marks = g_array_new (FALSE, FALSE, sizeof (guint));
  memo = g_hash_table_new (NULL, NULL);
  m.display_name = display_name;
  m.data = g_bytes_get_data (pickle, &m.size);
  m.arena = arena;
  m.stack = stack;
  m.marks = marks;
  m.memo = memo;

  root = machine_run (&m, error);
  if (root == NULL)
    return NULL;

  dict = find_state_dict (root);
  if (dict->kind != VALUE_DICT)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_UNSUPPORTED,
                   "%s: the checkpoint holds a %s, not a state dict",
                   display_name, value_kind_name (dict->kind));
      return NULL;
    }

  storages = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_bytes_unref);
  seen = g_hash_table_new (g_str_hash, g_str_equal);
  records = g_ptr_array_new_with_free_func ((GDestroyNotify) tz_tensor_record_free);
  for (guint i = 0; i < dict->items->len; i += 2)
    {
      Value *key = g_ptr_array_index (dict->items, i);
      Value *tensor = g_ptr_array_index (dict->items, i + 1);
      g_autoptr(TzTensorRecord) record = NULL;
      GBytes *bytes;

      if (key->kind != VALUE_STRING)
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_UNSUPPORTED,
                       "%s: a state dict key is a %s, not a name",
                       display_name, value_kind_name (key->kind));
          return NULL;
        }
      if (!g_hash_table_add (seen, key->string))
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT,
                       "%s: the state dict names “%s” twice",
                       display_name, key->string);
          return NULL;
        }
      if (tensor->kind != VALUE_TENSOR)
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_UNSUPPORTED,
                       "%s: the entry “%s” is a %s, not a tensor",
                       display_name, key->string, value_kind_name (tensor->kind));
          return NULL;
        }

      bytes = read_storage (zip, prefix, tensor->tensor.storage, storages, display_name, error);
      if (bytes == NULL)
        return NULL;

      record = g_new0 (TzTensorRecord, 1);
      record->name = g_strdup (key->string);
      record->dtype = tensor->tensor.storage->storage.dtype;
      record->ndim = tensor->tensor.ndim;
      memcpy (record->shape, tensor->tensor.shape, sizeof record->shape);
      memcpy (record->strides, tensor->tensor.strides, sizeof record->strides);
      record->offset = tensor->tensor.offset;
      record->storage = g_bytes_ref (bytes);
      if (!tz_tensor_record_validate (record, display_name, error))
        return NULL;
      g_ptr_array_add (records, g_steal_pointer (&record));
    }

  return g_steal_pointer (&records);
}

GPtrArray *
tz_torch_checkpoint_read (const char  *path,
                          GError     **error)
{
  g_autoptr(TzZipReader) zip = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  zip = tz_zip_reader_open (path, error);
  if (zip == NULL)
    return NULL;
  return read_checkpoint (zip, path, error);
}

GPtrArray *
tz_torch_checkpoint_read_bytes (GBytes      *bytes,
                                const char  *display_name,
                                GError     **error)
{
  g_autoptr(TzZipReader) zip = NULL;

  g_return_val_if_fail (bytes != NULL, NULL);
  g_return_val_if_fail (display_name != NULL, NULL);

  zip = tz_zip_reader_open_bytes (bytes, display_name, error);
  if (zip == NULL)
    return NULL;
  return read_checkpoint (zip, display_name, error);
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-formats"

#include "config.h"

#include <string.h>

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "tz-error.h"
#include "tz-format-private.h"
#include "tz-safetensors.h"

#define SAFETENSORS_MAX_HEADER_LEN ((guint64) 100 * 1024 * 1024)
#define METADATA_KEY "__metadata__"
/* A valid header nests three deep (header, tensor, shape). */
#define SAFETENSORS_MAX_JSON_DEPTH 16

typedef struct
{
  TzDType dtype;
  guint ndim;
  gint64 shape[TZ_ARRAY_MAX_DIMS];
  guint64 begin;
  guint64 end;
} TensorInfo;

struct _TzSafetensors
{
  char *display_name;
  /* The data area (after the header), a view of the mapped file that
   * every tensor view shares. */
  GBytes *data;
  GPtrArray *names;         /* NULL-terminated, header order */
  GHashTable *tensors;      /* name -> TensorInfo */
  GHashTable *metadata;     /* string -> string */
};

static gboolean
corrupt (GError     **error,
         const char  *display_name,
         const char  *format,
         ...) G_GNUC_PRINTF (3, 4);

static gboolean
corrupt (GError     **error,
         const char  *display_name,
         const char  *format,
         ...)
{
  g_autofree char *reason = NULL;
  va_list args;

  va_start (args, format);
  reason = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (error, TZ_ERROR, TZ_ERROR_CORRUPT, "%s: %s", display_name, reason);

  return FALSE;
}

static gboolean
node_get_uint (JsonNode *node,
               guint64  *value)
{
  gint64 v;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;

  v = json_node_get_int (node);
  if (v < 0)
    return FALSE;

  *value = (guint64) v;

  return TRUE;
}

static gboolean
parse_tensor (TzSafetensors  *self,
              const char     *name,
              JsonNode       *node,
              guint64         data_size,
              TensorInfo     *info,
              GError        **error)
{
  JsonObject *object;
  JsonNode *member;
  JsonArray *array;
  const char *dtype_name;
  guint64 begin;
  guint64 end;
  gsize n_bytes = 0;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return corrupt (error, self->display_name, "the header entry “%s” is not an object", name);
  object = json_node_get_object (node);

  member = json_object_get_member (object, "dtype");
  if (member == NULL || !JSON_NODE_HOLDS_VALUE (member) ||
      json_node_get_value_type (member) != G_TYPE_STRING)
    return corrupt (error, self->display_name, "tensor “%s” has no dtype string", name);

  dtype_name = json_node_get_string (member);
  if (!tz_dtype_from_string (dtype_name, &info->dtype) || info->dtype == TZ_DTYPE_UNICODE)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_UNSUPPORTED,
                   "%s: tensor “%s” has the unknown dtype “%s”",
                   self->display_name, name, dtype_name);
      return FALSE;
    }

  member = json_object_get_member (object, "shape");
  if (member == NULL || !JSON_NODE_HOLDS_ARRAY (member))
    return corrupt (error, self->display_name, "tensor “%s” has no shape list", name);
  array = json_node_get_array (member);

  if (json_array_get_length (array) > TZ_ARRAY_MAX_DIMS)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_UNSUPPORTED,
                   "%s: tensor “%s” has %u dimensions, more than the %u supported",
                   self->display_name, name, json_array_get_length (array), TZ_ARRAY_MAX_DIMS);
      return FALSE;
    }

  info->ndim = json_array_get_length (array);
  for (guint i = 0; i < info->ndim; i++)
    {
      guint64 dim;

      if (!node_get_uint (json_array_get_element (array, i), &dim))
        return corrupt (error, self->display_name,
                        "dimension %u of tensor “%s” is not a non-negative integer", i, name);
      info->shape[i] = (gint64) dim;
    }

  member = json_object_get_member (object, "data_offsets");
  if (member == NULL || !JSON_NODE_HOLDS_ARRAY (member) ||
      json_array_get_length (json_node_get_array (member)) != 2 ||
      !node_get_uint (json_array_get_element (json_node_get_array (member), 0), &begin) ||
      !node_get_uint (json_array_get_element (json_node_get_array (member), 1), &end))
    return corrupt (error, self->display_name,
                    "tensor “%s” has no data_offsets pair of non-negative integers", name);

  if (end < begin)
    return corrupt (error, self->display_name,
                    "tensor “%s” ends (%" G_GUINT64_FORMAT ") before it begins (%" G_GUINT64_FORMAT ")",
                    name, end, begin);

  if (end > data_size)
    return corrupt (error, self->display_name,
                    "tensor “%s” ends at byte %" G_GUINT64_FORMAT " of a data area of %" G_GUINT64_FORMAT " bytes",
                    name, end, data_size);

  if (!tz_format_checked_size (info->ndim, info->shape, tz_dtype_get_size (info->dtype), NULL, &n_bytes) ||
      n_bytes != end - begin)
    return corrupt (error, self->display_name,
                    "tensor “%s” spans %" G_GUINT64_FORMAT " bytes but its dtype %s and shape need %" G_GSIZE_FORMAT,
                    name, end - begin, dtype_name, n_bytes);

  info->begin = begin;
  info->end = end;

  return TRUE;
}

static gboolean
parse_metadata (TzSafetensors  *self,
                JsonNode       *node,
                GError        **error)
{
  JsonObject *object;
  g_autoptr(GList) members = NULL;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return corrupt (error, self->display_name, "“" METADATA_KEY "” is not an object");

  object = json_node_get_object (node);
  members = json_object_get_members (object);
  for (const GList *l = members; l != NULL; l = l->next)
    {
      const char *key = l->data;
      JsonNode *value = json_object_get_member (object, key);

      if (!JSON_NODE_HOLDS_VALUE (value) || json_node_get_value_type (value) != G_TYPE_STRING)
        return corrupt (error, self->display_name, "metadata “%s” is not a string", key);

      g_hash_table_replace (self->metadata, g_strdup (key), g_strdup (json_node_get_string (value)));
    }

  return TRUE;
}

typedef struct
{
  const char *name;
  const TensorInfo *info;
} Span;

static int
compare_spans (gconstpointer a,
               gconstpointer b)
{
  const Span *sa = a;
  const Span *sb = b;

  if (sa->info->begin != sb->info->begin)
    return sa->info->begin < sb->info->begin ? -1 : 1;

  return 0;
}

static gboolean
check_overlaps (TzSafetensors  *self,
                GError        **error)
{
  g_autoptr(GArray) spans = g_array_new (FALSE, FALSE, sizeof (Span));
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, self->tensors);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      Span span = { key, value };

      /* An empty tensor occupies no bytes and so overlaps nothing. */
      if (span.info->end > span.info->begin)
        g_array_append_val (spans, span);
    }

  g_array_sort (spans, compare_spans);

  for (guint i = 1; i < spans->len; i++)
    {
      const Span *previous = &g_array_index (spans, Span, i - 1);
      const Span *current = &g_array_index (spans, Span, i);

      if (current->info->begin < previous->info->end)
        return corrupt (error, self->display_name,
                        "the data of tensors “%s” and “%s” overlap",
                        previous->name, current->name);
    }

  return TRUE;
}

TzSafetensors *
tz_safetensors_open (const char  *path,
                     GError     **error)
{
  g_autoptr(TzSafetensors) self = NULL;
  g_autoptr(GMappedFile) mapped = NULL;
  g_autoptr(GBytes) file_bytes = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GList) members = NULL;
  const guint8 *raw;
  gsize size = 0;
  guint64 header_len = 0;
  JsonNode *root;
  JsonObject *object;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_new0 (TzSafetensors, 1);
  self->display_name = tz_format_display_name (path);
  self->names = g_ptr_array_new_with_free_func (g_free);
  self->tensors = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  self->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  mapped = g_mapped_file_new (path, FALSE, &local_error);
  if (mapped == NULL)
    {
      g_set_error (error, local_error->domain, local_error->code,
                   "%s: %s", self->display_name, local_error->message);
      return NULL;
    }

  file_bytes = g_mapped_file_get_bytes (mapped);
  raw = g_bytes_get_data (file_bytes, &size);

  if (size < 8)
    {
      corrupt (error, self->display_name, "too short (%" G_GSIZE_FORMAT " bytes) for a safetensors file", size);
      return NULL;
    }

  for (guint i = 0; i < 8; i++)
    header_len |= (guint64) raw[i] << (8 * i);

  if (header_len > SAFETENSORS_MAX_HEADER_LEN)
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_TOO_LARGE,
                   "%s: the safetensors header claims %" G_GUINT64_FORMAT " bytes, over the limit of %" G_GUINT64_FORMAT,
                   self->display_name, header_len, SAFETENSORS_MAX_HEADER_LEN);
      return NULL;
    }

  if (header_len > size - 8)
    {
      corrupt (error, self->display_name,
               "the header claims %" G_GUINT64_FORMAT " bytes but the file holds only %" G_GSIZE_FORMAT " after the length",
               header_len, size - 8);
      return NULL;
    }

  if (!g_utf8_validate ((const char *) raw + 8, (gssize) header_len, NULL))
    {
      corrupt (error, self->display_name, "the header is not UTF-8 text");
      return NULL;
    }

  if (!tz_format_json_depth_ok ((const char *) raw + 8, (gsize) header_len, SAFETENSORS_MAX_JSON_DEPTH))
    {
      corrupt (error, self->display_name, "the header nests deeper than %d levels",
               SAFETENSORS_MAX_JSON_DEPTH);
      return NULL;
    }

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, (const char *) raw + 8, (gssize) header_len, &local_error))
    {
      corrupt (error, self->display_name, "the header is not valid JSON: %s", local_error->message);
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      corrupt (error, self->display_name, "the header is not a JSON object");
      return NULL;
    }

  self->data = g_bytes_new_from_bytes (file_bytes, 8 + (gsize) header_len, size - 8 - (gsize) header_len);

  object = json_node_get_object (root);
  members = json_object_get_members (object);
  for (const GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;
      JsonNode *node = json_object_get_member (object, name);
      g_autofree TensorInfo *info = NULL;
      char *copy;

      if (strcmp (name, METADATA_KEY) == 0)
        {
          if (!parse_metadata (self, node, error))
            return NULL;
          continue;
        }

      info = g_new0 (TensorInfo, 1);
      if (!parse_tensor (self, name, node, g_bytes_get_size (self->data), info, error))
        return NULL;

      copy = g_strdup (name);
      g_ptr_array_add (self->names, copy);
      g_hash_table_insert (self->tensors, copy, g_steal_pointer (&info));
    }
  g_ptr_array_add (self->names, NULL);

  if (!check_overlaps (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

void
tz_safetensors_free (TzSafetensors *self)
{
  if (self == NULL)
    return;

  g_clear_pointer (&self->tensors, g_hash_table_unref);
  g_clear_pointer (&self->names, g_ptr_array_unref);
  g_clear_pointer (&self->metadata, g_hash_table_unref);
  g_clear_pointer (&self->data, g_bytes_unref);
  g_free (self->display_name);
  g_free (self);
}

const char *const *
tz_safetensors_get_names (TzSafetensors *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return (const char *const *) self->names->pdata;
}

gboolean
tz_safetensors_has (TzSafetensors *self,
                    const char    *name)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  return g_hash_table_contains (self->tensors, name);
}

TzArray *
tz_safetensors_get (TzSafetensors  *self,
                    const char     *name,
                    GError        **error)
{
  g_autoptr(GBytes) view = NULL;
  g_autoptr(GError) local_error = NULL;
  const TensorInfo *info;
  TzArray *array;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  info = g_hash_table_lookup (self->tensors, name);
  if (info == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "%s: no tensor “%s”", self->display_name, name);
      return NULL;
    }

  view = g_bytes_new_from_bytes (self->data, (gsize) info->begin, (gsize) (info->end - info->begin));

  /* safetensors is little-endian; only a big-endian host pays a copy. */
  if (G_BYTE_ORDER == G_BIG_ENDIAN && tz_dtype_get_size (info->dtype) > 1)
    {
      gsize size = 0;
      guint8 *copy = g_bytes_unref_to_data (g_steal_pointer (&view), &size);

      tz_format_swap_bytes (copy, size / tz_dtype_get_size (info->dtype), tz_dtype_get_size (info->dtype));
      view = g_bytes_new_take (copy, size);
    }

  array = tz_array_new (info->dtype, 0, info->ndim, info->shape, view, &local_error);
  if (array == NULL)
    {
      g_set_error (error, local_error->domain, local_error->code,
                   "%s: tensor “%s”: %s", self->display_name, name, local_error->message);
      return NULL;
    }

  return array;
}

const char *
tz_safetensors_get_metadata (TzSafetensors *self,
                             const char    *key)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);

  return g_hash_table_lookup (self->metadata, key);
}

typedef struct
{
  const char *name;
  TzArray *array;
} Entry;

/* Larger elements first keeps every tensor aligned for its type when the
 * data area starts aligned, as the reference implementation does; names
 * break ties so that the layout does not depend on the caller's order. */
static int
compare_entries (gconstpointer a,
                 gconstpointer b)
{
  const Entry *ea = a;
  const Entry *eb = b;
  gsize size_a = tz_dtype_get_size (tz_array_get_dtype (ea->array));
  gsize size_b = tz_dtype_get_size (tz_array_get_dtype (eb->array));

  if (size_a != size_b)
    return size_a > size_b ? -1 : 1;

  return strcmp (ea->name, eb->name);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

gboolean
tz_safetensors_write (const char        *path,
                      const char *const *names,
                      TzArray *const    *arrays,
                      guint              n_arrays,
                      GHashTable        *metadata,
                      GError           **error)
{
  g_autoptr(TzAtomicFile) file = NULL;
  g_autoptr(GArray) entries = NULL;
  g_autoptr(GHashTable) seen = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonGenerator) generator = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *display_name = NULL;
  g_autofree char *json = NULL;
  g_autoptr(GString) header = NULL;
  guint8 length_bytes[8];
  guint64 offset = 0;
  gsize json_len = 0;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (n_arrays == 0 || names != NULL, FALSE);
  g_return_val_if_fail (n_arrays == 0 || arrays != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  display_name = tz_format_display_name (path);
  seen = g_hash_table_new (g_str_hash, g_str_equal);
  entries = g_array_sized_new (FALSE, FALSE, sizeof (Entry), n_arrays);

  for (guint i = 0; i < n_arrays; i++)
    {
      Entry entry = { names[i], arrays[i] };

      g_return_val_if_fail (names[i] != NULL, FALSE);
      g_return_val_if_fail (arrays[i] != NULL, FALSE);

      if (!g_utf8_validate (names[i], -1, NULL) || strcmp (names[i], METADATA_KEY) == 0 ||
          !g_hash_table_add (seen, (gpointer) names[i]))
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                       "%s: the tensor name “%s” is reserved, not UTF-8 or repeated",
                       display_name, names[i]);
          return FALSE;
        }

      if (tz_array_get_dtype (arrays[i]) == TZ_DTYPE_UNICODE)
        {
          g_set_error (error, TZ_ERROR, TZ_ERROR_UNSUPPORTED,
                       "%s: tensor “%s” holds strings, which safetensors cannot store",
                       display_name, names[i]);
          return FALSE;
        }

      g_array_append_val (entries, entry);
    }

  g_array_sort (entries, compare_entries);

  builder = json_builder_new ();
  json_builder_begin_object (builder);

  if (metadata != NULL && g_hash_table_size (metadata) > 0)
    {
      g_autofree gpointer *keys = NULL;
      guint n_keys = 0;

      keys = g_hash_table_get_keys_as_array (metadata, &n_keys);
      qsort (keys, n_keys, sizeof (gpointer), compare_strings);

      json_builder_set_member_name (builder, METADATA_KEY);
      json_builder_begin_object (builder);
      for (guint i = 0; i < n_keys; i++)
        {
          const char *value = g_hash_table_lookup (metadata, keys[i]);

          g_return_val_if_fail (value != NULL, FALSE);
          if (!g_utf8_validate (keys[i], -1, NULL) || !g_utf8_validate (value, -1, NULL))
            {
              g_set_error (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                           "%s: metadata must be UTF-8 text", display_name);
              return FALSE;
            }
          json_builder_set_member_name (builder, keys[i]);
          json_builder_add_string_value (builder, value);
        }
      json_builder_end_object (builder);
    }

  for (guint i = 0; i < entries->len; i++)
    {
      const Entry *entry = &g_array_index (entries, Entry, i);
      guint ndim = tz_array_get_ndim (entry->array);
      const gint64 *shape = tz_array_get_shape (entry->array);
      gsize size = 0;

      tz_array_get_data (entry->array, &size);

      json_builder_set_member_name (builder, entry->name);
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "dtype");
      json_builder_add_string_value (builder, tz_dtype_to_string (tz_array_get_dtype (entry->array)));
      json_builder_set_member_name (builder, "shape");
      json_builder_begin_array (builder);
      for (guint k = 0; k < ndim; k++)
        json_builder_add_int_value (builder, shape[k]);
      json_builder_end_array (builder);
      json_builder_set_member_name (builder, "data_offsets");
      json_builder_begin_array (builder);
      json_builder_add_int_value (builder, (gint64) offset);
      json_builder_add_int_value (builder, (gint64) (offset + size));
      json_builder_end_array (builder);
      json_builder_end_object (builder);

      offset += size;
    }

  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  generator = json_generator_new ();
  json_generator_set_root (generator, root);
  json = json_generator_to_data (generator, &json_len);

  /* Spaces up to a multiple of 8 bytes, as the reference writer pads, so
   * that the data area starts 8-byte aligned. */
  header = g_string_new_len (json, (gssize) json_len);
  while (header->len % 8 != 0)
    g_string_append_c (header, ' ');

  for (guint i = 0; i < 8; i++)
    length_bytes[i] = (guint8) (((guint64) header->len >> (8 * i)) & 0xff);

  file = tz_atomic_file_new (path, error);
  if (file == NULL)
    return FALSE;

  if (!tz_atomic_file_write (file, length_bytes, sizeof length_bytes, error) ||
      !tz_atomic_file_write (file, header->str, header->len, error))
    return FALSE;

  for (guint i = 0; i < entries->len; i++)
    {
      const Entry *entry = &g_array_index (entries, Entry, i);
      gsize size = 0;
      gconstpointer data = tz_array_get_data (entry->array, &size);
      gsize item_size = tz_dtype_get_size (tz_array_get_dtype (entry->array));

      if (G_BYTE_ORDER == G_BIG_ENDIAN && item_size > 1)
        {
          g_autofree guint8 *copy = g_memdup2 (data, size);

          tz_format_swap_bytes (copy, size / item_size, item_size);
          if (!tz_atomic_file_write (file, copy, size, error))
            return FALSE;
        }
      else if (!tz_atomic_file_write (file, data, size, error))
        return FALSE;
    }

  return tz_atomic_file_commit (file, error);
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-engine"

#include "config.h"

#include <string.h>
#ifdef __linux__
#include <errno.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include <glib/gi18n-lib.h>

#include "tz-engine-private.h"
#include "tz-error.h"

/* Decoded batches allowed ahead of the one being extracted: enough to keep
 * the worker fed, few enough to bound memory. */
#define BATCHES_AHEAD 3
#define NOTIFY_INTERVAL_US (50 * G_TIME_SPAN_MILLISECOND)

typedef enum
{
  PROP_0,
  PROP_BUSY,
  PROP_FRACTION,
  PROP_N_DONE,
  PROP_N_TOTAL,
  PROP_IMAGES_PER_SECOND,
  PROP_MESSAGE,
  N_PROPS
} TzEngineProperty;

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (TzEngine, tz_engine, G_TYPE_OBJECT)

void
tz_extraction_free (TzExtraction *self)
{
  if (self == NULL)
    return;
  g_free (self->features);
  g_free (self->ok);
  g_ptr_array_unref (self->skipped);
  g_free (self);
}

void
tz_engine_job_free (Job *job)
{
  if (job->slots != NULL)
    for (guint i = 0; i < job->n_inputs; i++)
      {
        if (job->slots[i].decoded)
          tz_image_free (job->slots[i].image);
        g_free (job->slots[i].skip_reason);
      }
  g_free (job->slots);
  g_strfreev (job->paths);
  g_clear_pointer (&job->images, g_ptr_array_unref);
  g_clear_pointer (&job->result, tz_extraction_free);
  if (job->data_free != NULL)
    g_clear_pointer (&job->data, job->data_free);
  g_clear_object (&job->task);
  g_mutex_clear (&job->mutex);
  g_cond_clear (&job->cond);
  g_free (job);
}

Job *
tz_engine_job_new (JobFunc run,
                   GTask  *task)
{
  Job *job = g_new0 (Job, 1);

  job->run = run;
  job->task = task;
  g_mutex_init (&job->mutex);
  g_cond_init (&job->cond);
  return job;
}

/* Progress ---------------------------------------------------------------- */

static gboolean
notify_progress (gpointer data)
{
  TzEngine *self = data;

  g_mutex_lock (&self->mutex);
  self->notify_pending = FALSE;
  g_mutex_unlock (&self->mutex);

  g_object_freeze_notify (G_OBJECT (self));
  for (guint i = PROP_BUSY; i < N_PROPS; i++)
    g_object_notify_by_pspec (G_OBJECT (self), properties[i]);
  g_object_thaw_notify (G_OBJECT (self));
  return G_SOURCE_REMOVE;
}

/* Records progress from the worker; schedules one low-priority idle in the
 * engine's context to notify, unless one is pending or the last was under
 * NOTIFY_INTERVAL_US ago (@force bypasses the interval). */
void
tz_engine_publish_progress (TzEngine   *self,
                  gboolean    busy,
                  guint       n_done,
                  guint       n_total,
                  double      images_per_second,
                  const char *message,
                  gboolean    force)
{
  gint64 now = g_get_monotonic_time ();
  gboolean schedule = FALSE;

  g_mutex_lock (&self->mutex);
  self->busy = busy;
  self->n_done = n_done;
  self->n_total = n_total;
  self->images_per_second = images_per_second;
  if (message != NULL && g_strcmp0 (message, self->message) != 0)
    {
      g_free (self->message);
      self->message = g_strdup (message);
    }
  if (!self->notify_pending && (force || now - self->last_publish >= NOTIFY_INTERVAL_US))
    {
      self->notify_pending = TRUE;
      self->last_publish = now;
      schedule = TRUE;
    }
  g_mutex_unlock (&self->mutex);

  if (schedule)
    {
      GSource *source = g_idle_source_new ();

      g_source_set_priority (source, G_PRIORITY_LOW);
      g_source_set_callback (source, notify_progress, g_object_ref (self), g_object_unref);
      g_source_set_static_name (source, "[tsuzuki] engine progress");
      g_source_attach (source, self->context);
      g_source_unref (source);
    }
}

/* Marks the end of a job in the progress properties, keeping its counts. */
void
tz_engine_end_job (TzEngine *self)
{
  g_autofree char *message = NULL;
  guint n_done, n_total;
  double rate;

  g_mutex_lock (&self->mutex);
  n_done = self->n_done;
  n_total = self->n_total;
  rate = self->images_per_second;
  message = g_strdup (self->message);
  g_mutex_unlock (&self->mutex);
  tz_engine_publish_progress (self, FALSE, n_done, n_total, rate, message, TRUE);
}

/* Decoding ---------------------------------------------------------------- */

typedef struct
{
  Job   *job;
  guint  index;
} DecodeItem;

static void
key_for_image (const TzImage *image,
               guint8        *key)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  guint32 header[3] = { image->width, image->height, image->n_channels };
  gsize length = TZ_FEATURE_CACHE_KEY_SIZE;

  g_checksum_update (checksum, (const guchar *) header, sizeof header);
  for (guint y = 0; y < image->height; y++)
    g_checksum_update (checksum, image->pixels + y * image->rowstride,
                       (gssize) image->width * image->n_channels);
  g_checksum_get_digest (checksum, key, &length);
}

/* In a decode thread: digest, look up, and decode on a miss. */
/* Once per thread of the engine, when it is in the background: threads
 * it starts later (libtorch's) inherit the priority. */
static void
lower_thread_priority (TzEngine *self)
{
  static GPrivate lowered;

  if (!g_atomic_int_get (&self->background) || g_private_get (&lowered) != NULL)
    return;
  g_private_set (&lowered, GINT_TO_POINTER (1));
#ifdef __linux__
  {
    pid_t tid = (pid_t) syscall (SYS_gettid);
    int nice_now;

    errno = 0;
    nice_now = getpriority (PRIO_PROCESS, (id_t) tid);
    if (errno == 0 && setpriority (PRIO_PROCESS, (id_t) tid, MIN (nice_now + 5, 19)) != 0)
      g_debug ("The engine's thread keeps its priority: %s", g_strerror (errno));
  }
#endif
}

void
tz_engine_set_background (TzEngine *self)
{
  g_return_if_fail (TZ_IS_ENGINE (self));

  g_atomic_int_set (&self->background, TRUE);
}

static void
decode_slot (gpointer data,
             gpointer user_data)
{
  DecodeItem *item = data;
  Job *job = item->job;
  Slot *slot = &job->slots[item->index];

  lower_thread_priority (user_data);
  float *row = job->result != NULL
    ? job->result->features + (gsize) item->index * job->result->dim
    : NULL;
  gboolean stopping;

  g_mutex_lock (&job->mutex);
  stopping = job->stopping;
  g_mutex_unlock (&job->mutex);

  if (stopping)
    {
      slot->skip_reason = g_strdup ("cancelled");
    }
  else if (job->decode_only)
    {
      g_autoptr(GError) error = NULL;

      slot->image = tz_image_load (job->paths[item->index], &error);
      if (slot->image == NULL)
        slot->skip_reason = g_strdup (error->message);
      else
        slot->decoded = slot->was_decoded = TRUE;
    }
  else if (job->paths != NULL)
    {
      const char *path = job->paths[item->index];
      g_autoptr(GError) error = NULL;
      g_autofree char *contents = NULL;
      gsize length;

      if (!g_file_get_contents (path, &contents, &length, &error))
        slot->skip_reason = g_strdup (error->message);
      else
        {
          tz_feature_cache_key_for_data (contents, length, slot->key);
          slot->hit = tz_feature_cache_lookup (job->cache, slot->key, row);
          if (!slot->hit)
            {
              slot->image = tz_image_load_from_data ((const guint8 *) contents, length, path, &error);
              if (slot->image == NULL)
                slot->skip_reason = g_strdup (error->message);
              else
                slot->decoded = slot->was_decoded = TRUE;
            }
        }
    }
  else
    {
      slot->image = g_ptr_array_index (job->images, item->index);
      key_for_image (slot->image, slot->key);
      slot->hit = tz_feature_cache_lookup (job->cache, slot->key, row);
    }

  g_mutex_lock (&job->mutex);
  slot->state = SLOT_READY;
  g_cond_broadcast (&job->cond);
  g_mutex_unlock (&job->mutex);
  g_free (item);
}

static void
submit_decode (TzEngine *self,
               Job      *job,
               guint     index)
{
  DecodeItem *item = g_new0 (DecodeItem, 1);

  item->job = job;
  item->index = index;
  g_thread_pool_push (self->decoders, item, NULL);
}

static void
wait_ready (Job   *job,
            guint  start,
            guint  end)
{
  g_mutex_lock (&job->mutex);
  for (guint i = start; i < end; i++)
    while (job->slots[i].state != SLOT_READY)
      g_cond_wait (&job->cond, &job->mutex);
  g_mutex_unlock (&job->mutex);
}

/* Extraction job ----------------------------------------------------------- */

/* "path: reason", once: the decoder's own messages already start with the
 * file's name, and a list that repeats it is harder to read. */
static char *
skip_line (const char *path,
           const char *reason)
{
  if (g_str_has_prefix (reason, path) && g_str_has_prefix (reason + strlen (path), ": "))
    return g_strdup (reason);
  return g_strdup_printf ("%s: %s", path, reason);
}

static char *
progress_message (guint done,
                  guint total)
{
  /* TRANSLATORS: progress of feature extraction, "123 of 500 images" */
  return g_strdup_printf (ngettext ("%u of %u image", "%u of %u images", total), done, total);
}

/* Extracts the batch [start, end): misses not seen before in this job go
 * through the extractor once; repeats copy the row of their first. */
static gboolean
extract_batch (TzEngine      *self,
               Job           *job,
               GHashTable    *first_of_key,
               guint          start,
               guint          end,
               GCancellable  *cancellable,
               GError       **error)
{
  TzExtraction *result = job->result;
  g_autoptr(GPtrArray) batch = g_ptr_array_new ();
  g_autoptr(GArray) batch_index = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GArray) repeats = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autofree float *features = NULL;
  guint dim = result->dim;

  for (guint i = start; i < end; i++)
    {
      Slot *slot = &job->slots[i];
      float *row = result->features + (gsize) i * dim;

      if (slot->skip_reason != NULL)
        {
          g_ptr_array_add (result->skipped, skip_line (job->paths ? job->paths[i] : "image",
                                                       slot->skip_reason));
          continue;
        }
      if (slot->hit)
        {
          result->n_cache_hits++;
          result->ok[i] = TRUE;
          g_hash_table_insert (first_of_key, slot->key, GUINT_TO_POINTER (i + 1));
          continue;
        }
      if (g_hash_table_contains (first_of_key, slot->key))
        {
          g_array_append_val (repeats, i);
          continue;
        }
      /* Another job, or an earlier batch, may have stored it since. */
      if (tz_feature_cache_lookup (job->cache, slot->key, row))
        {
          result->n_cache_hits++;
          result->ok[i] = TRUE;
          g_hash_table_insert (first_of_key, slot->key, GUINT_TO_POINTER (i + 1));
          continue;
        }
      g_hash_table_insert (first_of_key, slot->key, GUINT_TO_POINTER (i + 1));
      g_ptr_array_add (batch, slot->image);
      g_array_append_val (batch_index, i);
    }

  if (batch->len > 0)
    {
      features = g_new (float, (gsize) batch->len * dim);
      if (!tz_extractor_extract (job->extractor, (const TzImage *const *) batch->pdata,
                                 batch->len, features, cancellable, error))
        return FALSE;
      result->n_extracted += batch->len;
      for (guint k = 0; k < batch->len; k++)
        {
          guint i = g_array_index (batch_index, guint, k);
          Slot *slot = &job->slots[i];
          g_autoptr(GError) cache_error = NULL;

          memcpy (result->features + (gsize) i * dim, features + (gsize) k * dim,
                  sizeof (float) * dim);
          result->ok[i] = TRUE;
          if (!tz_feature_cache_insert (job->cache, slot->key, features + (gsize) k * dim,
                                        &cache_error))
            g_warning ("%s", cache_error->message);
          if (slot->decoded)
            {
              g_clear_pointer (&slot->image, tz_image_free);
              slot->decoded = FALSE;
            }
        }
    }

  for (guint k = 0; k < repeats->len; k++)
    {
      guint i = g_array_index (repeats, guint, k);
      guint first = GPOINTER_TO_UINT (g_hash_table_lookup (first_of_key, job->slots[i].key)) - 1;

      memcpy (result->features + (gsize) i * dim, result->features + (gsize) first * dim,
              sizeof (float) * dim);
      result->ok[i] = result->ok[first];
      result->n_cache_hits++;
      if (job->slots[i].decoded)
        {
          g_clear_pointer (&job->slots[i].image, tz_image_free);
          job->slots[i].decoded = FALSE;
        }
    }
  return TRUE;
}

static guint
key_hash (gconstpointer key)
{
  guint hash;

  memcpy (&hash, key, sizeof hash);
  return hash;
}

static gboolean
key_equal (gconstpointer a,
           gconstpointer b)
{
  return memcmp (a, b, TZ_FEATURE_CACHE_KEY_SIZE) == 0;
}

/* Extracts the job's inputs (paths or images) in the worker: the shared
 * first half of every job that takes images. Publishes progress but not
 * the end of the job; returns NULL with @error on failure or cancellation,
 * leaving no state behind but the cache's new entries. */
TzExtraction *
tz_engine_extract_inputs (TzEngine        *self,
                          Job             *job,
                          TzExtractor     *extractor,
                          TzFeatureCache  *cache,
                          GCancellable    *cancellable,
                          GError         **error)
{
  g_autoptr(GHashTable) first_of_key = g_hash_table_new (key_hash, key_equal);
  g_autoptr(GTimer) timer = g_timer_new ();
  g_autoptr(GError) local_error = NULL;
  guint n = job->n_inputs;
  guint batch, window;
  guint submitted = 0, done = 0;
  g_autofree char *message = NULL;

  g_assert (job->slots == NULL && job->result == NULL);
  g_assert ((extractor == NULL) == (cache == NULL));

  job->extractor = extractor != NULL ? extractor : self->extractor;
  job->cache = cache != NULL ? cache : self->cache;
  batch = tz_extractor_get_batch_size (job->extractor);
  window = batch * (BATCHES_AHEAD + 1);

  job->slots = g_new0 (Slot, MAX (n, 1));
  job->result = g_new0 (TzExtraction, 1);
  job->result->n_inputs = n;
  job->result->dim = tz_extractor_get_dim (job->extractor);
  job->result->features = g_new0 (float, (gsize) MAX (n, 1) * job->result->dim);
  job->result->ok = g_new0 (gboolean, MAX (n, 1));
  job->result->skipped = g_ptr_array_new_with_free_func (g_free);

  message = progress_message (0, n);
  tz_engine_publish_progress (self, TRUE, 0, n, 0.0, message, TRUE);

  if (extractor == NULL && !self->prepared)
    {
      if (!tz_extractor_prepare (self->extractor, cancellable, &local_error))
        goto out;
      self->prepared = TRUE;
    }

  while (done < n)
    {
      guint end = MIN (n, done + batch);

      while (submitted < n && submitted < done + window)
        submit_decode (self, job, submitted++);
      wait_ready (job, done, end);

      if (g_cancellable_set_error_if_cancelled (cancellable, &local_error) ||
          !extract_batch (self, job, first_of_key, done, end, cancellable, &local_error))
        break;
      done = end;

      g_free (message);
      message = progress_message (done, n);
      tz_engine_publish_progress (self, TRUE, done, n,
                                  done / MAX (g_timer_elapsed (timer, NULL), 1e-9),
                                  message, done == n);
    }

out:
  /* The pool must be done with this job before it goes away. */
  g_mutex_lock (&job->mutex);
  job->stopping = TRUE;
  g_mutex_unlock (&job->mutex);
  wait_ready (job, 0, submitted);

  for (guint i = 0; i < n; i++)
    job->result->n_decoded += job->slots[i].was_decoded;
  job->result->seconds = g_timer_elapsed (timer, NULL);

  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  return g_steal_pointer (&job->result);
}

static char *
reading_message (guint done,
                 guint total)
{
  /* TRANSLATORS: progress of reading the images a network is trained on,
   * "Reading 120 of 500 images" */
  return g_strdup_printf (ngettext ("Reading %u of %u image", "Reading %u of %u images", total),
                          done, total);
}

char *
tz_engine_training_message (guint epoch,
                            guint n_epochs)
{
  /* TRANSLATORS: progress of training, "Training the network: epoch 2 of 3" */
  return g_strdup_printf (_("Training the network: epoch %u of %u"), epoch, n_epochs);
}

GPtrArray *
tz_engine_decode_paths (TzEngine           *self,
                        const char *const  *paths,
                        guint               n_paths,
                        GPtrArray          *skipped,
                        GCancellable       *cancellable,
                        GError            **error)
{
  Job *job = tz_engine_job_new (NULL, NULL);
  g_autoptr(GPtrArray) images = g_ptr_array_new_full (n_paths, (GDestroyNotify) tz_image_free);
  g_autoptr(GTimer) timer = g_timer_new ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *message = NULL;
  guint done = 0;

  job->decode_only = TRUE;
  job->n_inputs = n_paths;
  job->paths = g_new0 (char *, n_paths + 1);
  for (guint i = 0; i < n_paths; i++)
    job->paths[i] = g_strdup (paths[i]);
  job->slots = g_new0 (Slot, MAX (n_paths, 1));

  message = reading_message (0, n_paths);
  tz_engine_publish_progress (self, TRUE, 0, n_paths, 0.0, message, TRUE);

  /* The decoded images are all kept for training anyway: no window. */
  for (guint i = 0; i < n_paths; i++)
    submit_decode (self, job, i);
  for (; done < n_paths; done++)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, &local_error))
        break;
      wait_ready (job, done, done + 1);
      g_free (message);
      message = reading_message (done + 1, n_paths);
      tz_engine_publish_progress (self, TRUE, done + 1, n_paths,
                                  (done + 1) / MAX (g_timer_elapsed (timer, NULL), 1e-9),
                                  message, done + 1 == n_paths);
    }

  g_mutex_lock (&job->mutex);
  job->stopping = TRUE;
  g_mutex_unlock (&job->mutex);
  wait_ready (job, 0, n_paths);

  if (local_error == NULL)
    for (guint i = 0; i < n_paths; i++)
      {
        Slot *slot = &job->slots[i];

        if (slot->decoded)
          {
            g_ptr_array_add (images, g_steal_pointer (&slot->image));
            slot->decoded = FALSE;
          }
        else
          {
            g_ptr_array_add (images, NULL);
            g_ptr_array_add (skipped, skip_line (paths[i], slot->skip_reason));
          }
      }
  tz_engine_job_free (job);

  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  return g_steal_pointer (&images);
}

static void
run_extraction (TzEngine *self,
                Job      *job)
{
  g_autoptr(GError) error = NULL;
  TzExtraction *result;

  result = tz_engine_extract_inputs (self, job, NULL, NULL, g_task_get_cancellable (job->task),
                                     &error);
  if (result == NULL)
    g_task_return_error (job->task, g_steal_pointer (&error));
  else
    g_task_return_pointer (job->task, result, (GDestroyNotify) tz_extraction_free);
  tz_engine_end_job (self);
}

/* The worker -------------------------------------------------------------- */

static void
run_quit (TzEngine *self,
          Job      *job)
{
}

static gboolean
release_task (gpointer data)
{
  g_object_unref (data);
  return G_SOURCE_REMOVE;
}

static gpointer
worker_main (gpointer data)
{
  TzEngine *self = data;

  for (;;)
    {
      Job *job = g_async_queue_pop (self->jobs);
      gboolean quit = job->run == run_quit;

      lower_thread_priority (self);

      job->run (self, job);
      /* What a run of batches kept for the next goes back once the queue
       * is empty, not between two jobs that would reuse it. */
      if (!quit && g_async_queue_length (self->jobs) <= 0)
        {
          g_autoptr(TzExtractor) extractor = tz_engine_dup_extractor (self);

          tz_extractor_release_memory (extractor);
        }
      /* A task holds its engine: its last reference must not fall in this
       * thread, where disposing the engine would wait for itself. */
      if (job->task != NULL)
        {
          GSource *source = g_idle_source_new ();

          g_source_set_callback (source, release_task, g_steal_pointer (&job->task), NULL);
          g_source_set_static_name (source, "[tsuzuki] release engine task");
          g_source_attach (source, self->context);
          g_source_unref (source);
        }
      tz_engine_job_free (job);
      if (quit)
        break;
    }
  return NULL;
}

/* GObject ----------------------------------------------------------------- */

static void
tz_engine_dispose (GObject *object)
{
  TzEngine *self = TZ_ENGINE (object);

  if (self->worker != NULL)
    {
      g_async_queue_push (self->jobs, tz_engine_job_new (run_quit, NULL));
      g_thread_join (g_steal_pointer (&self->worker));
    }
  if (self->decoders != NULL)
    g_thread_pool_free (g_steal_pointer (&self->decoders), FALSE, TRUE);

  G_OBJECT_CLASS (tz_engine_parent_class)->dispose (object);
}

static void
tz_engine_finalize (GObject *object)
{
  TzEngine *self = TZ_ENGINE (object);

  g_clear_object (&self->extractor);
  g_clear_pointer (&self->cache, tz_feature_cache_unref);
  g_clear_pointer (&self->jobs, g_async_queue_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->learn, tz_learn_state_free);
  g_clear_pointer (&self->snapshot, tz_snapshot_unref);
  g_free (self->message);
  g_mutex_clear (&self->mutex);

  G_OBJECT_CLASS (tz_engine_parent_class)->finalize (object);
}

static void
tz_engine_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  TzEngine *self = TZ_ENGINE (object);

  g_mutex_lock (&self->mutex);
  switch ((TzEngineProperty) prop_id)
    {
    case PROP_BUSY:
      g_value_set_boolean (value, self->busy);
      break;
    case PROP_FRACTION:
      g_value_set_double (value, self->n_total ? (double) self->n_done / self->n_total : 0.0);
      break;
    case PROP_N_DONE:
      g_value_set_uint (value, self->n_done);
      break;
    case PROP_N_TOTAL:
      g_value_set_uint (value, self->n_total);
      break;
    case PROP_IMAGES_PER_SECOND:
      g_value_set_double (value, self->images_per_second);
      break;
    case PROP_MESSAGE:
      g_value_set_string (value, self->message);
      break;
    case PROP_0:
    case N_PROPS:
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
  g_mutex_unlock (&self->mutex);
}

static void
tz_engine_class_init (TzEngineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tz_engine_dispose;
  object_class->finalize = tz_engine_finalize;
  object_class->get_property = tz_engine_get_property;

  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_FRACTION] =
    g_param_spec_double ("fraction", NULL, NULL, 0.0, 1.0, 0.0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_DONE] =
    g_param_spec_uint ("n-done", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_TOTAL] =
    g_param_spec_uint ("n-total", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_IMAGES_PER_SECOND] =
    g_param_spec_double ("images-per-second", NULL, NULL, 0.0, G_MAXDOUBLE, 0.0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_MESSAGE] =
    g_param_spec_string ("message", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tz_engine_init (TzEngine *self)
{
  g_mutex_init (&self->mutex);
  tz_transform_init_default (&self->requested_transform);
}

TzEngine *
tz_engine_new (TzExtractor    *extractor,
               TzFeatureCache *cache,
               guint           n_decode_threads)
{
  TzEngine *self;

  g_return_val_if_fail (TZ_IS_EXTRACTOR (extractor), NULL);
  g_return_val_if_fail (cache == NULL ||
                        tz_feature_cache_get_dim (cache) == tz_extractor_get_dim (extractor), NULL);

  self = g_object_new (TZ_TYPE_ENGINE, NULL);
  self->extractor = g_object_ref (extractor);
  self->cache = cache != NULL
    ? tz_feature_cache_ref (cache)
    : tz_feature_cache_new (tz_extractor_get_recipe (extractor),
                            tz_extractor_get_dim (extractor), NULL, NULL);
  self->context = g_main_context_ref_thread_default ();
  self->jobs = g_async_queue_new ();
  self->decoders = g_thread_pool_new (decode_slot, self,
                                      (gint) MAX (1, n_decode_threads), FALSE, NULL);
  self->worker = g_thread_new ("tsuzuki-engine", worker_main, self);
  return self;
}

void
tz_engine_push_job (TzEngine *self,
                    Job      *job)
{
  g_async_queue_push (self->jobs, job);
}

TzExtractor *
tz_engine_dup_extractor (TzEngine *self)
{
  TzExtractor *extractor;

  g_return_val_if_fail (TZ_IS_ENGINE (self), NULL);
  g_mutex_lock (&self->mutex);
  extractor = g_object_ref (self->extractor);
  g_mutex_unlock (&self->mutex);
  return extractor;
}

TzFeatureCache *
tz_engine_dup_cache (TzEngine *self)
{
  TzFeatureCache *cache;

  g_return_val_if_fail (TZ_IS_ENGINE (self), NULL);
  g_mutex_lock (&self->mutex);
  cache = tz_feature_cache_ref (self->cache);
  g_mutex_unlock (&self->mutex);
  return cache;
}

void
tz_engine_swap_extractor (TzEngine       *self,
                          TzExtractor    *extractor,
                          TzFeatureCache *cache)
{
  g_autoptr(TzExtractor) old_extractor = NULL;
  g_autoptr(TzFeatureCache) old_cache = NULL;

  g_mutex_lock (&self->mutex);
  old_extractor = g_steal_pointer (&self->extractor);
  old_cache = g_steal_pointer (&self->cache);
  self->extractor = g_object_ref (extractor);
  self->cache = tz_feature_cache_ref (cache);
  g_mutex_unlock (&self->mutex);
  /* The caller prepared it in this thread. */
  self->prepared = TRUE;
}

#define DEFINE_LOCKED_GETTER(type, name, expr)      \
  type                                              \
  tz_engine_get_##name (TzEngine *self)             \
  {                                                 \
    type value;                                     \
                                                    \
    g_return_val_if_fail (TZ_IS_ENGINE (self), 0);  \
    g_mutex_lock (&self->mutex);                    \
    value = (expr);                                 \
    g_mutex_unlock (&self->mutex);                  \
    return value;                                   \
  }

DEFINE_LOCKED_GETTER (gboolean, busy, self->busy)
DEFINE_LOCKED_GETTER (double, fraction, self->n_total ? (double) self->n_done / self->n_total : 0.0)
DEFINE_LOCKED_GETTER (guint, n_done, self->n_done)
DEFINE_LOCKED_GETTER (guint, n_total, self->n_total)
DEFINE_LOCKED_GETTER (double, images_per_second, self->images_per_second)

/* Only for the engine's own context, where the string is not replaced
 * behind the caller's back between notifications. */
const char *
tz_engine_get_message (TzEngine *self)
{
  const char *message;

  g_return_val_if_fail (TZ_IS_ENGINE (self), NULL);
  g_mutex_lock (&self->mutex);
  message = self->message;
  g_mutex_unlock (&self->mutex);
  return message;
}

void
tz_engine_extract_files_async (TzEngine            *self,
                               const char *const   *paths,
                               guint                n_paths,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  GTask *task;
  Job *job;

  g_return_if_fail (TZ_IS_ENGINE (self));
  g_return_if_fail (paths != NULL || n_paths == 0);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tz_engine_extract_files_async);
  job = tz_engine_job_new (run_extraction, task);
  job->paths = g_new0 (char *, n_paths + 1);
  for (guint i = 0; i < n_paths; i++)
    job->paths[i] = g_strdup (paths[i]);
  job->n_inputs = n_paths;
  tz_engine_push_job (self, job);
}

TzExtraction *
tz_engine_extract_files_finish (TzEngine      *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tz_engine_extract_files_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
tz_engine_extract_images_async (TzEngine            *self,
                                GPtrArray           *images,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  GTask *task;
  Job *job;

  g_return_if_fail (TZ_IS_ENGINE (self));
  g_return_if_fail (images != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tz_engine_extract_images_async);
  job = tz_engine_job_new (run_extraction, task);
  job->images = g_ptr_array_ref (images);
  job->n_inputs = images->len;
  tz_engine_push_job (self, job);
}

TzExtraction *
tz_engine_extract_images_finish (TzEngine      *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tz_engine_extract_images_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

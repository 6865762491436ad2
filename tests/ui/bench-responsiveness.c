/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A responsiveness probe, not a timed test: while the window imports and
 * learns a folder of 2,000 images (with the application's own engine, and
 * the grid showing thumbnails), it measures the gaps between frames (a
 * tick callback keeps the frame clock running) and between runs of a
 * 5 ms high-priority timeout (how long the main loop went without getting
 * back to its sources: the stall), and prints the worst ones. The main
 * loop should never stall longer than 50 ms.
 *
 * It also says where the stalls went: each frame's phases (stamped at the
 * end of each frame-clock signal), the time spent in the snapshot vfuncs
 * of the window, the charts and the image cells and in the grid's
 * allocation (where cells are made and bound), and, for what happens
 * outside frames (the window's handlers of the engine's results, idle
 * sources), a sampler: a watchdog thread interrupts the main thread every
 * SAMPLE_US while it is stalled and records its stack.
 *
 *   bench-responsiveness [N_IMAGES [VIEW]]
 *
 * VIEW is the view shown meanwhile: images (the default), accuracy,
 * confusion or try. TZ_BENCH_SAMPLE=0 in the environment turns the sampler
 * off; TZ_BENCH_STACKS=TEXT prints the whole stacks of the stall samples
 * whose place holds TEXT.
 */
#define G_LOG_DOMAIN "tsuzuki-bench"

#include "config.h"

#include <adwaita.h>
#include <dlfcn.h>
#include <execinfo.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tz-accuracy-chart-widget.h"
#include "tz-application.h"
#include "tz-confusion-chart-widget.h"
#include "tz-image-cell.h"
#include "tz-window.h"
#include "tz-ui-test-util.h"

#define N_CLASSES 4
#define SIDE 32
#define STALL_US 50000
/* The sampler looks at the main thread this often, and samples it once it
 * has not been back to its sources for STALLED_US. */
#define SAMPLE_US 4000
#define STALLED_US 20000
#define MAX_SAMPLES 20000
#define MAX_DEPTH 64

typedef struct
{
  gint64  last;
  gint64  last_cpu;
  gint64  worst;
  GArray *gaps;    /* Gap */
} GapMeter;

typedef struct
{
  gint64 end;
  gint64 length;
  gint64 cpu;      /* the main thread's CPU time in the gap */
} Gap;

/* One frame: when each frame-clock phase ended (0: not reached), and what
 * the instrumented vfuncs cost during it. */
typedef struct
{
  gint64 start;          /* before-paint emitted */
  gint64 before_paint;
  gint64 update;
  gint64 layout;
  gint64 paint;
  gint64 after_paint;
  /* The main thread's CPU time at the same points. */
  gint64 cpu_start;
  gint64 cpu_before_paint;
  gint64 cpu_update;
  gint64 cpu_layout;
  gint64 cpu_paint;
  gint64 cpu_after_paint;
  gint64 window_snapshot_us;
  gint64 charts_us;
  gint64 cells_us;
  gint64 grid_allocate_us;
  guint  n_cells_made;
} Frame;

typedef struct
{
  gint64 time;
  int    depth;
  void  *frames[MAX_DEPTH];
} Sample;

static struct
{
  GArray        *frames;      /* Frame */
  gboolean       in_frame;
  Frame          outside;     /* the vfuncs' costs outside frames */

  /* The originals of the wrapped vfuncs. */
  void         (*window_snapshot) (GtkWidget *, GtkSnapshot *);
  void         (*accuracy_snapshot) (GtkWidget *, GtkSnapshot *);
  void         (*confusion_snapshot) (GtkWidget *, GtkSnapshot *);
  void         (*cell_snapshot) (GtkWidget *, GtkSnapshot *);
  void         (*grid_allocate) (GtkWidget *, int, int, int);
  void         (*cell_constructed) (GObject *);

  /* Each is a layout of the whole window, which on X11 asks the X server
   * for the work area (round trips). */
  guint          n_toplevel_layouts;

  /* The sampler. */
  pthread_t     main_thread;
  gsize         heartbeat;    /* atomic: the timeout's last run */
  gint          stop;         /* atomic */
  Sample       *samples;
  volatile sig_atomic_t n_samples;
} probe;

static Frame *
current_frame (void)
{
  if (!probe.in_frame || probe.frames->len == 0)
    return &probe.outside;
  return &g_array_index (probe.frames, Frame, probe.frames->len - 1);
}

/* A stall (or a frame) is either work (the main thread on a CPU) or waiting (for the
 * X server, a lock, or a CPU that other processes hold). */
static gint64
thread_cpu_time (void)
{
  struct timespec now;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &now);
  return (gint64) now.tv_sec * G_USEC_PER_SEC + now.tv_nsec / 1000;
}

/* Frame phases ---------------------------------------------------------------- */

/* An emission hook runs before the signal's handlers: the frame starts
 * when "before-paint" is emitted (GDK 4.8 emits no "flush-events" in
 * paint cycles). */
static gboolean
frame_started (GSignalInvocationHint *hint,
               guint                  n_values,
               const GValue          *values,
               gpointer               user_data)
{
  Frame frame = { 0 };

  if (g_value_get_object (&values[0]) == user_data)
    {
      frame.start = g_get_monotonic_time ();
      frame.cpu_start = thread_cpu_time ();
      g_array_append_val (probe.frames, frame);
      probe.in_frame = TRUE;
    }
  return TRUE;
}

#define STAMP_PHASE(name)                                   \
  static void                                               \
  phase_##name (GdkFrameClock *clock)                       \
  {                                                         \
    if (probe.in_frame)                                     \
      {                                                     \
        current_frame ()->name = g_get_monotonic_time ();   \
        current_frame ()->cpu_##name = thread_cpu_time ();  \
      }                                                     \
  }

STAMP_PHASE (before_paint)
STAMP_PHASE (update)
STAMP_PHASE (layout)
STAMP_PHASE (paint)

static void
phase_after_paint (GdkFrameClock *clock)
{
  if (probe.in_frame)
    {
      current_frame ()->after_paint = g_get_monotonic_time ();
      current_frame ()->cpu_after_paint = thread_cpu_time ();
    }
  probe.in_frame = FALSE;
}

static void
toplevel_compute_size (GdkToplevel     *toplevel,
                       GdkToplevelSize *size)
{
  probe.n_toplevel_layouts++;
}

static void
watch_frame_clock (GdkFrameClock *clock)
{
  g_signal_add_emission_hook (g_signal_lookup ("before-paint", GDK_TYPE_FRAME_CLOCK), 0,
                              frame_started, clock, NULL);
  g_signal_connect (clock, "before-paint", G_CALLBACK (phase_before_paint), NULL);
  g_signal_connect (clock, "update", G_CALLBACK (phase_update), NULL);
  g_signal_connect (clock, "layout", G_CALLBACK (phase_layout), NULL);
  g_signal_connect (clock, "paint", G_CALLBACK (phase_paint), NULL);
  g_signal_connect (clock, "after-paint", G_CALLBACK (phase_after_paint), NULL);
}

/* Wrapped vfuncs ---------------------------------------------------------------- */

#define TIMED_SNAPSHOT(name, field)                                 \
  static void                                                       \
  timed_##name (GtkWidget   *widget,                                \
                GtkSnapshot *snapshot)                              \
  {                                                                 \
    gint64 start = g_get_monotonic_time ();                         \
                                                                    \
    probe.name (widget, snapshot);                                  \
    current_frame ()->field += g_get_monotonic_time () - start;     \
  }

TIMED_SNAPSHOT (window_snapshot, window_snapshot_us)
TIMED_SNAPSHOT (accuracy_snapshot, charts_us)
TIMED_SNAPSHOT (confusion_snapshot, charts_us)
TIMED_SNAPSHOT (cell_snapshot, cells_us)

static void
timed_grid_allocate (GtkWidget *widget,
                     int        width,
                     int        height,
                     int        baseline)
{
  gint64 start = g_get_monotonic_time ();

  probe.grid_allocate (widget, width, height, baseline);
  current_frame ()->grid_allocate_us += g_get_monotonic_time () - start;
}

static void
counted_cell_constructed (GObject *object)
{
  probe.cell_constructed (object);
  current_frame ()->n_cells_made++;
}

/* Class structures are per type, so replacing a vfunc here changes only
 * that type (and no subclass made before). */
static void
wrap_vfuncs (void)
{
  GtkWidgetClass *klass;
  GObjectClass *object_class;

  klass = g_type_class_ref (TZ_TYPE_WINDOW);
  probe.window_snapshot = klass->snapshot;
  klass->snapshot = timed_window_snapshot;
  klass = g_type_class_ref (TZ_TYPE_ACCURACY_CHART_WIDGET);
  probe.accuracy_snapshot = klass->snapshot;
  klass->snapshot = timed_accuracy_snapshot;
  klass = g_type_class_ref (TZ_TYPE_CONFUSION_CHART_WIDGET);
  probe.confusion_snapshot = klass->snapshot;
  klass->snapshot = timed_confusion_snapshot;
  klass = g_type_class_ref (TZ_TYPE_IMAGE_CELL);
  probe.cell_snapshot = klass->snapshot;
  klass->snapshot = timed_cell_snapshot;
  object_class = G_OBJECT_CLASS (klass);
  probe.cell_constructed = object_class->constructed;
  object_class->constructed = counted_cell_constructed;
  klass = g_type_class_ref (GTK_TYPE_GRID_VIEW);
  probe.grid_allocate = klass->size_allocate;
  klass->size_allocate = timed_grid_allocate;
}

/* The sampler ------------------------------------------------------------------ */

/* backtrace() is not promised to be async-signal-safe, but with glibc and
 * libgcc's unwinder it is once loaded (the warm-up call does that), and
 * it only runs while the main thread is interrupted. */
static void
take_sample (int signum)
{
  int n = probe.n_samples;

  if (n >= MAX_SAMPLES)
    return;
  probe.samples[n].time = g_get_monotonic_time ();
  probe.samples[n].depth = backtrace (probe.samples[n].frames, MAX_DEPTH);
  probe.n_samples = n + 1;
}

static gpointer
watchdog (gpointer user_data)
{
  while (!g_atomic_int_get (&probe.stop))
    {
      gint64 beat = (gint64) g_atomic_pointer_get (&probe.heartbeat);

      if (beat != 0 && g_get_monotonic_time () - beat > STALLED_US)
        pthread_kill (probe.main_thread, SIGPROF);
      g_usleep (SAMPLE_US);
    }
  return NULL;
}

static GThread *
start_sampler (void)
{
  struct sigaction action = { 0 };
  void *warm[4];

  if (g_strcmp0 (g_getenv ("TZ_BENCH_SAMPLE"), "0") == 0)
    return NULL;
  (void) backtrace (warm, G_N_ELEMENTS (warm));
  probe.samples = g_new0 (Sample, MAX_SAMPLES);
  probe.main_thread = pthread_self ();
  action.sa_handler = take_sample;
  action.sa_flags = SA_RESTART;
  sigemptyset (&action.sa_mask);
  sigaction (SIGPROF, &action, NULL);
  return g_thread_new ("bench-watchdog", watchdog, NULL);
}

static void
stop_sampler (GThread *thread)
{
  if (thread == NULL)
    return;
  g_atomic_int_set (&probe.stop, 1);
  g_thread_join (thread);
  signal (SIGPROF, SIG_IGN);
}

/* Names of code addresses: exported symbols by dladdr(), the rest of the
 * executable (the application is linked into it statically) by
 * addr2line, when binutils is there. */
typedef struct
{
  GHashTable *names;      /* address → name */
  gpointer    exe_base;
} Symbols;

static void
symbols_resolve (Symbols *symbols,
                 GArray  *addresses)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *output = NULL;
  g_auto(GStrv) lines = NULL;
  g_autofree char *addr2line = g_find_program_in_path ("addr2line");
  GArray *pending = g_array_new (FALSE, FALSE, sizeof (gpointer));

  for (guint i = 0; i < addresses->len; i++)
    {
      gpointer address = g_array_index (addresses, gpointer, i);
      Dl_info info;

      if (g_hash_table_contains (symbols->names, address))
        continue;
      if (dladdr (address, &info) != 0 && info.dli_sname != NULL)
        g_hash_table_insert (symbols->names, address, g_strdup (info.dli_sname));
      else if (dladdr (address, &info) != 0 && info.dli_fbase == symbols->exe_base)
        {
          g_hash_table_insert (symbols->names, address, NULL);
          g_array_append_val (pending, address);
        }
      else
        g_hash_table_insert (symbols->names, address,
                             g_strdup_printf ("?@%s", info.dli_fname ? strrchr (info.dli_fname, '/') + 1 : "?"));
    }
  if (pending->len == 0 || addr2line == NULL || exe == NULL)
    {
      g_array_unref (pending);
      return;
    }
  g_ptr_array_add (argv, g_strdup (addr2line));
  g_ptr_array_add (argv, g_strdup ("-f"));
  g_ptr_array_add (argv, g_strdup ("-e"));
  g_ptr_array_add (argv, g_strdup (exe));
  for (guint i = 0; i < pending->len; i++)
    /* A return address: the call is the byte before. */
    g_ptr_array_add (argv, g_strdup_printf ("%#lx", (unsigned long) ((char *) g_array_index (pending, gpointer, i) -
                                                                     (char *) symbols->exe_base - 1)));
  g_ptr_array_add (argv, NULL);
  if (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                    &output, NULL, NULL, NULL))
    {
      lines = g_strsplit (output, "\n", -1);
      for (guint i = 0; i < pending->len && lines[2 * i] != NULL; i++)
        g_hash_table_insert (symbols->names, g_array_index (pending, gpointer, i), g_strdup (lines[2 * i]));
    }
  g_array_unref (pending);
}

static const char *
symbols_name (Symbols *symbols,
              gpointer address)
{
  const char *name = g_hash_table_lookup (symbols->names, address);

  return name != NULL ? name : "?";
}

static gboolean
is_plumbing (const char *name)
{
  static const char *const prefixes[] = {
    "?", "g_closure_", "g_signal_", "g_cclosure_", "g_main_", "g_object_notify", "g_task_return",
    "signal_emit", "_g_closure",
  };

  for (guint i = 0; i < G_N_ELEMENTS (prefixes); i++)
    if (g_str_has_prefix (name, prefixes[i]))
      return TRUE;
  return FALSE;
}

static gboolean
is_probe_frame (const char *name)
{
  return g_str_equal (name, "main") || g_str_equal (name, "_start") || g_str_has_prefix (name, "tz_ui_test_");
}

/* A sample's place: the innermost function of the application on its
 * stack and the library function it was in; without one, the outermost
 * named functions under the main loop's dispatch (what the main loop was
 * running) and the innermost one (where it was). */
static char *
sample_place (Symbols      *symbols,
              const Sample *sample)
{
  GString *place;
  int outer = sample->depth - 1;
  guint n = 0;

  /* frames[0] is the handler, frames[1] the signal trampoline. */
  for (int i = 2; i < sample->depth; i++)
    {
      Dl_info info;
      const char *name = symbols_name (symbols, sample->frames[i]);

      if (dladdr (sample->frames[i], &info) != 0 && info.dli_fbase == symbols->exe_base &&
          !is_probe_frame (name))
        {
          for (int j = i - 1; j >= 2; j--)
            if (!is_plumbing (symbols_name (symbols, sample->frames[j])))
              return g_strdup_printf ("%s > %s", name, symbols_name (symbols, sample->frames[j]));
          return g_strdup (name);
        }
    }

  for (int i = 2; i < sample->depth; i++)
    if (g_str_equal (symbols_name (symbols, sample->frames[i]), "g_main_context_dispatch"))
      outer = i - 1;
  place = g_string_new (NULL);
  for (int i = outer; i >= 2 && n < 3; i--)
    {
      const char *name = symbols_name (symbols, sample->frames[i]);

      if (is_plumbing (name) || is_probe_frame (name) || g_str_has_prefix (name, "__libc"))
        continue;
      g_string_append_printf (place, "%s%s", n++ > 0 ? " > " : "", name);
    }
  for (int i = 2; i < outer; i++)
    if (!is_plumbing (symbols_name (symbols, sample->frames[i])))
      {
        g_string_append_printf (place, " ... %s", symbols_name (symbols, sample->frames[i]));
        break;
      }
  return g_string_free (place, FALSE);
}

/* Gaps ---------------------------------------------------------------------- */

static void
meter_tick (GapMeter *meter)
{
  gint64 now = g_get_monotonic_time ();
  gint64 cpu = thread_cpu_time ();

  if (meter->last != 0)
    {
      Gap gap = { now, now - meter->last, cpu - meter->last_cpu };

      meter->worst = MAX (meter->worst, gap.length);
      g_array_append_val (meter->gaps, gap);
    }
  meter->last = now;
  meter->last_cpu = cpu;
}

static gboolean
frame_tick (GtkWidget     *widget,
            GdkFrameClock *clock,
            gpointer       user_data)
{
  meter_tick (user_data);
  return G_SOURCE_CONTINUE;
}

static gboolean
timer_tick (gpointer user_data)
{
  meter_tick (user_data);
  g_atomic_pointer_set (&probe.heartbeat, (gsize) g_get_monotonic_time ());
  return G_SOURCE_CONTINUE;
}

static int
compare_lengths (gconstpointer a,
                 gconstpointer b)
{
  gint64 x = ((const Gap *) a)->length, y = ((const Gap *) b)->length;

  return (x > y) - (x < y);
}

static void
report (const char *name,
        GapMeter   *meter)
{
  g_autoptr(GArray) sorted = NULL;
  guint n_long = 0;

  if (meter->gaps->len == 0)
    return;
  sorted = g_array_copy (meter->gaps);
  g_array_sort (sorted, compare_lengths);
  for (guint i = 0; i < sorted->len; i++)
    n_long += g_array_index (sorted, Gap, i).length > STALL_US;
  g_print ("%-6s gaps: %u, median %.1f ms, 99th percentile %.1f ms, worst %.1f ms, %u over %d ms\n", name,
           sorted->len,
           g_array_index (sorted, Gap, sorted->len / 2).length / 1000.0,
           g_array_index (sorted, Gap, sorted->len * 99 / 100).length / 1000.0,
           meter->worst / 1000.0, n_long, STALL_US / 1000);
}

static gint64
overlap (gint64 a0,
         gint64 a1,
         gint64 b0,
         gint64 b1)
{
  return MAX (0, MIN (a1, b1) - MAX (a0, b0));
}

enum {
  PART_EVENTS,     /* before-paint */
  PART_UPDATE,     /* tick callbacks, animations */
  PART_LAYOUT,     /* measuring and allocating */
  PART_PAINT,      /* snapshot and render */
  PART_AFTER,      /* after-paint */
  PART_OUTSIDE,    /* not in a frame */
  N_PARTS
};

static const char *const part_names[N_PARTS] = {
  "before-paint", "update", "layout", "paint", "after-paint", "outside frames",
};

typedef struct
{
  gint64 parts[N_PARTS];
  gint64 grid_allocate_us;
  gint64 window_snapshot_us;
  gint64 cells_us;
  gint64 charts_us;
  guint  n_cells_made;
  guint  n_frames;
} Breakdown;

/* Splits the stall [@start, @end] among the frame phases that overlap it. */
static void
break_down (gint64     start,
            gint64     end,
            Breakdown *breakdown)
{
  gint64 in_frames = 0;

  for (guint f = 0; f < probe.frames->len; f++)
    {
      const Frame *frame = &g_array_index (probe.frames, Frame, f);
      gint64 stamps[N_PARTS];
      gint64 last = frame->start;
      gint64 frame_overlap;

      if (frame->after_paint == 0 || overlap (start, end, frame->start, frame->after_paint) == 0)
        continue;
      /* A phase not reached takes no time: it ends where the last did. */
      stamps[PART_EVENTS] = last = MAX (last, frame->before_paint);
      stamps[PART_UPDATE] = last = MAX (last, frame->update);
      stamps[PART_LAYOUT] = last = MAX (last, frame->layout);
      stamps[PART_PAINT] = last = MAX (last, frame->paint);
      stamps[PART_AFTER] = MAX (last, frame->after_paint);
      last = frame->start;
      for (guint p = PART_EVENTS; p <= PART_AFTER; p++)
        {
          breakdown->parts[p] += overlap (start, end, last, stamps[p]);
          last = stamps[p];
        }
      frame_overlap = overlap (start, end, frame->start, frame->after_paint);
      in_frames += frame_overlap;
      /* The vfuncs are counted when most of their frame is in the stall. */
      if (2 * frame_overlap >= frame->after_paint - frame->start)
        {
          breakdown->grid_allocate_us += frame->grid_allocate_us;
          breakdown->window_snapshot_us += frame->window_snapshot_us;
          breakdown->cells_us += frame->cells_us;
          breakdown->charts_us += frame->charts_us;
          breakdown->n_cells_made += frame->n_cells_made;
          breakdown->n_frames++;
        }
    }
  breakdown->parts[PART_OUTSIDE] += MAX (0, (end - start) - in_frames);
}

static void
print_breakdown (const char      *indent,
                 const Breakdown *breakdown)
{
  g_print ("%s", indent);
  for (guint p = 0; p < N_PARTS; p++)
    g_print ("%s%s %.0f", p > 0 ? ", " : "", part_names[p], breakdown->parts[p] / 1000.0);
  g_print (" ms\n%s  in %u frames: grid allocation %.0f ms (%u cells made), window snapshot %.0f ms "
           "(image cells %.0f, charts %.0f)\n", indent,
           breakdown->n_frames, breakdown->grid_allocate_us / 1000.0, breakdown->n_cells_made,
           breakdown->window_snapshot_us / 1000.0, breakdown->cells_us / 1000.0, breakdown->charts_us / 1000.0);
}

static int
compare_counts (gconstpointer a,
                gconstpointer b,
                gpointer      user_data)
{
  GHashTable *counts = user_data;
  guint x = GPOINTER_TO_UINT (g_hash_table_lookup (counts, *(const char **) a));
  guint y = GPOINTER_TO_UINT (g_hash_table_lookup (counts, *(const char **) b));

  return (x < y) - (x > y);
}

static void
report_stalls (GapMeter *timer,
               gint64    origin)
{
  g_autoptr(GArray) sorted = g_array_copy (timer->gaps);
  g_autoptr(GHashTable) counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) places = g_ptr_array_new ();
  g_autoptr(GArray) addresses = g_array_new (FALSE, FALSE, sizeof (gpointer));
  Symbols symbols = { g_hash_table_new_full (NULL, NULL, NULL, g_free), NULL };
  Breakdown total = { { 0 } };
  guint n_stalls = 0, n_stall_samples = 0;
  gint64 stalled = 0, stalled_cpu = 0;
  const char *show = g_getenv ("TZ_BENCH_STACKS");
  Dl_info info;

  g_array_sort (sorted, compare_lengths);
  for (guint i = 0; i < sorted->len; i++)
    {
      const Gap *gap = &g_array_index (sorted, Gap, i);

      if (gap->length > STALL_US)
        {
          break_down (gap->end - gap->length, gap->end, &total);
          stalled += gap->length;
          stalled_cpu += gap->cpu;
          n_stalls++;
        }
    }
  if (n_stalls == 0)
    {
      g_print ("no stall over %d ms\n", STALL_US / 1000);
      g_hash_table_unref (symbols.names);
      return;
    }
  g_print ("where the %u stalls over %d ms went (%.0f ms in all, %.0f ms of it on a CPU):\n",
           n_stalls, STALL_US / 1000, stalled / 1000.0, stalled_cpu / 1000.0);
  print_breakdown ("  ", &total);
  g_print ("the worst stalls:\n");
  for (guint i = sorted->len; i > 0 && i > sorted->len - 8; i--)
    {
      const Gap *gap = &g_array_index (sorted, Gap, i - 1);
      Breakdown one = { { 0 } };

      if (gap->length <= STALL_US)
        break;
      break_down (gap->end - gap->length, gap->end, &one);
      g_print ("  %.1f ms at %.2f s (%.0f ms on a CPU):\n", gap->length / 1000.0,
               (gap->end - gap->length - origin) / 1e6, gap->cpu / 1000.0);
      print_breakdown ("    ", &one);
    }

  if (probe.samples == NULL)
    {
      g_hash_table_unref (symbols.names);
      return;
    }
  /* The samples taken in stalls over STALL_US, by place. */
  if (dladdr ((void *) report_stalls, &info) != 0)
    symbols.exe_base = info.dli_fbase;
  for (int s = 0; s < probe.n_samples; s++)
    for (int i = 0; i < probe.samples[s].depth; i++)
      g_array_append_val (addresses, probe.samples[s].frames[i]);
  symbols_resolve (&symbols, addresses);
  for (int s = 0; s < probe.n_samples; s++)
    {
      const Sample *sample = &probe.samples[s];
      gboolean in_stall = FALSE;
      char *place;

      for (guint i = 0; i < timer->gaps->len && !in_stall; i++)
        {
          const Gap *gap = &g_array_index (timer->gaps, Gap, i);

          in_stall = gap->length > STALL_US && sample->time <= gap->end && sample->time >= gap->end - gap->length;
        }
      if (!in_stall)
        continue;
      n_stall_samples++;
      place = sample_place (&symbols, sample);
      if (show != NULL && strstr (place, show) != NULL)
        {
          g_print ("stack of a sample at %s:\n", place);
          for (int i = 2; i < sample->depth; i++)
            g_print ("    %s\n", symbols_name (&symbols, sample->frames[i]));
        }
      if (!g_hash_table_contains (counts, place))
        g_ptr_array_add (places, place);
      g_hash_table_insert (counts, place,
                           GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (counts, place)) + 1));
    }
  g_ptr_array_sort_with_data (places, compare_counts, counts);
  g_print ("where the main thread was in those stalls (%u samples, one per %d ms of stall):\n",
           n_stall_samples, SAMPLE_US / 1000);
  for (guint i = 0; i < places->len && i < 25; i++)
    g_print ("  %5u  %s\n", GPOINTER_TO_UINT (g_hash_table_lookup (counts, places->pdata[i])),
             (const char *) places->pdata[i]);
  g_hash_table_unref (symbols.names);
}

/* What the main thread's CPU time went to: robust where the wall time is
 * not (on a loaded machine a stall is mostly waiting for a CPU). */
static int
compare_frame_cpu (gconstpointer a,
                   gconstpointer b)
{
  const Frame *x = *(const Frame **) a, *y = *(const Frame **) b;
  gint64 cx = x->cpu_after_paint - x->cpu_start, cy = y->cpu_after_paint - y->cpu_start;

  return (cx < cy) - (cx > cy);
}

static void
report_cpu (gint64 cpu_total,
            gint64 wall,
            gint64 origin)
{
  g_autoptr(GPtrArray) heavy = g_ptr_array_new ();
  static const char *const phase_names[] = { "before-paint", "update", "layout", "paint", "after-paint" };
  gint64 phases[G_N_ELEMENTS (phase_names)] = { 0 };
  gint64 worst[G_N_ELEMENTS (phase_names)] = { 0 };
  gint64 in_frames = 0, worst_total = 0;
  g_autoptr(GArray) per_frame = g_array_new (FALSE, FALSE, sizeof (Gap));
  guint n_long = 0;

  for (guint f = 0; f < probe.frames->len; f++)
    {
      const Frame *frame = &g_array_index (probe.frames, Frame, f);
      gint64 stamps[] = { frame->cpu_before_paint, frame->cpu_update, frame->cpu_layout,
                          frame->cpu_paint, frame->cpu_after_paint };
      gint64 these[G_N_ELEMENTS (phase_names)];
      gint64 last = frame->cpu_start;
      Gap one = { 0, 0, 0 };

      if (frame->cpu_after_paint == 0)
        continue;
      for (guint p = 0; p < G_N_ELEMENTS (phase_names); p++)
        {
          these[p] = stamps[p] != 0 ? stamps[p] - last : 0;
          last = stamps[p] != 0 ? stamps[p] : last;
          phases[p] += these[p];
        }
      one.cpu = one.length = frame->cpu_after_paint - frame->cpu_start;
      g_array_append_val (per_frame, one);
      g_ptr_array_add (heavy, (gpointer) frame);
      in_frames += one.cpu;
      n_long += one.cpu > STALL_US;
      if (one.cpu > worst_total)
        {
          worst_total = one.cpu;
          memcpy (worst, these, sizeof worst);
        }
    }
  g_array_sort (per_frame, compare_lengths);
  g_print ("main thread on a CPU: %.0f ms of %.0f ms (%.0f%%); in %u frames %.0f ms (",
           cpu_total / 1000.0, wall / 1000.0, 100.0 * cpu_total / MAX (wall, 1), per_frame->len, in_frames / 1000.0);
  for (guint p = 0; p < G_N_ELEMENTS (phase_names); p++)
    g_print ("%s%s %.0f", p > 0 ? ", " : "", phase_names[p], phases[p] / 1000.0);
  g_print ("), outside frames %.0f ms; the window laid out as a whole %u times\n",
           (cpu_total - in_frames) / 1000.0, probe.n_toplevel_layouts);
  if (per_frame->len == 0)
    return;
  g_print ("CPU per frame: median %.1f ms, 99th percentile %.1f ms, worst %.1f ms (",
           g_array_index (per_frame, Gap, per_frame->len / 2).cpu / 1000.0,
           g_array_index (per_frame, Gap, per_frame->len * 99 / 100).cpu / 1000.0, worst_total / 1000.0);
  for (guint p = 0; p < G_N_ELEMENTS (phase_names); p++)
    g_print ("%s%s %.0f", p > 0 ? ", " : "", phase_names[p], worst[p] / 1000.0);
  g_print ("), %u frames over %d ms\nthe frames with the most CPU:\n", n_long, STALL_US / 1000);
  g_ptr_array_sort (heavy, compare_frame_cpu);
  for (guint i = 0; i < heavy->len && i < 5; i++)
    {
      const Frame *frame = g_ptr_array_index (heavy, i);

      g_print ("  %.1f ms at %.2f s: layout %.1f, paint %.1f (window snapshot %.1f: cells %.1f, charts %.1f; "
               "the rest is rendering), %u cells made\n",
               (frame->cpu_after_paint - frame->cpu_start) / 1000.0, (frame->start - origin) / 1e6,
               (frame->cpu_layout - frame->cpu_update) / 1000.0, (frame->cpu_paint - frame->cpu_layout) / 1000.0,
               frame->window_snapshot_us / 1000.0, frame->cells_us / 1000.0, frame->charts_us / 1000.0,
               frame->n_cells_made);
    }
}

/* The data set and the run ----------------------------------------------------- */

static void
write_dataset (const char *folder,
               guint       n_images)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);

  for (guint i = 0; i < n_images; i++)
    {
      guint c = i % N_CLASSES;
      g_autofree char *class_folder = g_strdup_printf ("%s/class%u", folder, c);
      g_autofree char *path = g_strdup_printf ("%s/%05u.png", class_folder, i);
      g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, SIDE, SIDE);
      guint8 *pixels = gdk_pixbuf_get_pixels (pixbuf);
      int stride = gdk_pixbuf_get_rowstride (pixbuf);

      g_mkdir_with_parents (class_folder, 0755);
      for (guint y = 0; y < SIDE; y++)
        for (guint x = 0; x < SIDE; x++)
          for (guint k = 0; k < 3; k++)
            pixels[y * stride + x * 3 + k] = (guint8) ((k == c % 3 ? 160 : 60) + g_rand_int_range (rand, 0, 80));
      if (!gdk_pixbuf_save (pixbuf, path, "png", NULL, NULL))
        g_error ("Cannot write %s", path);
    }
}

static gboolean
all_learned (gpointer user_data)
{
  TzWindow *window = user_data;
  TzSnapshot *snapshot = tz_window_get_snapshot (window);

  return snapshot != NULL && snapshot->n_classes == N_CLASSES && snapshot->n_steps >= 1 &&
         tz_window_get_n_pending_jobs (window) == 0;
}

int
main (int   argc,
      char *argv[])
{
  guint n_images = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 2000;
  const char *view = argc > 2 ? argv[2] : "images";
  g_autoptr(GError) error = NULL;
  g_autofree char *tmpdir = NULL;
  g_autoptr(TzEngine) engine = NULL;
  g_autoptr(GFile) folder = NULL;
  g_autofree char *command = NULL;
  GapMeter frames = { 0, 0, 0, g_array_new (FALSE, FALSE, sizeof (Gap)) };
  GapMeter timer = { 0, 0, 0, g_array_new (FALSE, FALSE, sizeof (Gap)) };
  GThread *sampler;
  TzWindow *window;
  gint64 start, cpu_start;
  guint timer_id;

  tz_ui_test_init (&argc, &argv);
  tmpdir = g_dir_make_tmp ("tsuzuki-bench-XXXXXX", &error);
  g_assert_no_error (error);
  write_dataset (tmpdir, n_images);
  probe.frames = g_array_new (FALSE, FALSE, sizeof (Frame));
  wrap_vfuncs ();

  /* The application's engine with a cache in memory: every image is
   * decoded and extracted. */
  engine = tz_application_create_engine (NULL);
  window = tz_window_new (NULL, engine);
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 720);
  gtk_window_present (GTK_WINDOW (window));
  tz_ui_test_wait_frame (GTK_WIDGET (window));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-view", "s", view);
  watch_frame_clock (gtk_widget_get_frame_clock (GTK_WIDGET (window)));
  g_signal_connect (gtk_native_get_surface (GTK_NATIVE (window)), "compute-size",
                    G_CALLBACK (toplevel_compute_size), NULL);

  gtk_widget_add_tick_callback (GTK_WIDGET (window), frame_tick, &frames, NULL);
  timer_id = g_timeout_add_full (G_PRIORITY_HIGH, 5, timer_tick, &timer, NULL);
  sampler = start_sampler ();
  start = g_get_monotonic_time ();
  cpu_start = thread_cpu_time ();
  folder = g_file_new_for_path (tmpdir);
  tz_window_open_folder (window, folder);
  tz_ui_test_wait_until (all_learned, window, 600, "the folder to be learned");
  g_source_remove (timer_id);
  stop_sampler (sampler);
  cpu_start = thread_cpu_time () - cpu_start;

  g_print ("%u images in %u classes imported and learned in %.2f s (%.0f images per second)\n",
           n_images, N_CLASSES, (g_get_monotonic_time () - start) / 1e6,
           n_images / ((g_get_monotonic_time () - start) / 1e6));
  report ("frame", &frames);
  report ("timer", &timer);
  report_cpu (cpu_start, timer.last - start, start);
  report_stalls (&timer, start);
  g_print ("worst main-loop stall: %.1f ms, worst frame gap %.1f ms (goal: under 50 ms)\n",
           timer.worst / 1000.0, frames.worst / 1000.0);

  gtk_window_destroy (GTK_WINDOW (window));
  command = g_strdup_printf ("rm -rf '%s'", tmpdir);
  (void) !system (command);
  g_free (probe.samples);
  return EXIT_SUCCESS;
}

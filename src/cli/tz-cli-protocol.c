/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tsuzuki-cli"

#include "config.h"

#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "tz-accuracy-chart.h"
#ifdef TZ_HAVE_BACKBONE
#include "tz-cli-backbone.h"
#endif
#include "tz-cli-data.h"
#include "tz-cli-protocol.h"
#include "tz-confusion-chart.h"
#include "tz-error.h"
#include "tz-feature-set.h"
#include "tz-protocol.h"


typedef struct
{
  char *initial;
  char *order;
  char *covariance;
  char *regularization;
  char *prior;
  char *transform;
  char *json;
  char *csv;
  char *plots;
  char *data;
  char *backbone;
  char *cache;
  int image_size;
  double eval_fraction;
  gint64 seed;
  gboolean quiet;
#ifdef TZ_HAVE_BACKBONE
  TzCliBackboneArgs network;
#endif
} ProtocolArgs;

static void
protocol_args_clear (ProtocolArgs *args)
{
  g_free (args->initial);
  g_free (args->order);
  g_free (args->covariance);
  g_free (args->regularization);
  g_free (args->prior);
  g_free (args->transform);
  g_free (args->json);
  g_free (args->csv);
  g_free (args->plots);
  g_free (args->data);
  g_free (args->backbone);
  g_free (args->cache);
#ifdef TZ_HAVE_BACKBONE
  tz_cli_backbone_args_clear (&args->network);
#endif
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ProtocolArgs, protocol_args_clear)

/* Where a run's wall time went, for --json: bench-experiment compares each
 * phase with the Python references. Seconds, from g_get_monotonic_time(). */
typedef struct
{
  gint64   started;
  double   reading;     /* the source listed, IDX or CIFAR-10 pixels read */
  double   training;    /* the network made, and base-trained from scratch */
  double   extraction;  /* features through the engine and its cache */
  double   fitting;     /* every step's fit and scoring */
  gboolean from_images; /* --data rather than --features */
  guint    n_inputs;
  guint    n_decoded;
  guint    n_extracted;
  guint    n_cache_hits;
} PhaseTimes;

static double
seconds_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / 1e6;
}

static GOptionGroup *
protocol_option_group (ProtocolArgs *args)
{
  const GOptionEntry entries[] = {
    { "initial", 0, 0, G_OPTION_ARG_STRING, &args->initial,
      N_("Classes fitted first (default 0-4)"), N_("LIST") },
    { "order", 0, 0, G_OPTION_ARG_STRING, &args->order,
      N_("Classes then added one at a time (default: the others, ascending)"), N_("LIST") },
    { "covariance", 0, 0, G_OPTION_ARG_STRING, &args->covariance,
      N_("class-averaged, pooled or per-class"), N_("MODE") },
    { "regularization", 0, 0, G_OPTION_ARG_STRING, &args->regularization,
      N_("ridge:EPS, shrink:ALPHA or oas"), N_("SPEC") },
    { "prior", 0, 0, G_OPTION_ARG_STRING, &args->prior,
      N_("counts or uniform"), N_("PRIOR") },
    { "transform", 0, 0, G_OPTION_ARG_STRING, &args->transform,
      N_("none, l2 or power:P"), N_("SPEC") },
    { "json", 0, 0, G_OPTION_ARG_FILENAME, &args->json,
      N_("Also write the results as JSON to FILE"), N_("FILE") },
    { "csv", 0, 0, G_OPTION_ARG_FILENAME, &args->csv,
      N_("Also write the accuracy after each step as CSV to FILE"), N_("FILE") },
    { "plots", 0, 0, G_OPTION_ARG_FILENAME, &args->plots,
      N_("Also draw the accuracy curve and the confusion matrix as PNG, SVG and PDF in DIR"),
      N_("DIR") },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &args->quiet,
      N_("Print only the summary line"), NULL },
    G_OPTION_ENTRY_NULL
  };
  GOptionGroup *group = g_option_group_new ("protocol", _("Protocol options"),
                                            _("Show the protocol options"), NULL, NULL);

  g_option_group_add_entries (group, entries);
  g_option_group_set_translation_domain (group, GETTEXT_PACKAGE);
  return group;
}

/* Fills @options from the parsed arguments and @data. */
static gboolean
build_options (const ProtocolArgs  *args,
               const TzFeatureSet  *data,
               TzProtocolOptions   *options,
               GError             **error)
{
  tz_classifier_settings_init_default (&options->settings);
  tz_transform_init_default (&options->transform);
  options->initial = g_array_new (FALSE, FALSE, sizeof (guint));
  options->order = g_array_new (FALSE, FALSE, sizeof (guint));

  if ((args->covariance && !tz_covariance_parse (args->covariance, &options->settings.covariance, error)) ||
      (args->regularization && !tz_regularization_parse (args->regularization, &options->settings.regularization, error)) ||
      (args->prior && !tz_prior_parse (args->prior, &options->settings.prior, error)) ||
      (args->transform && !tz_transform_parse (args->transform, &options->transform, error)))
    return FALSE;

  if (!tz_protocol_parse_class_list (args->initial ? args->initial : "0-4",
                                     data->n_classes, options->initial, error))
    return FALSE;
  if (args->order && !tz_protocol_parse_class_list (args->order, data->n_classes,
                                                    options->order, error))
    return FALSE;
  tz_protocol_options_complete (options, data);
  return tz_protocol_options_validate (options, data, error);
}

static void
options_clear (TzProtocolOptions *options)
{
  g_clear_pointer (&options->initial, g_array_unref);
  g_clear_pointer (&options->order, g_array_unref);
}

static char *
describe_added (const TzFeatureSet   *data,
                const TzProtocolStep *step)
{
  GString *text = g_string_new (step->index == 0 ? "" : "+");

  for (guint i = 0; i < step->added->len; i++)
    {
      guint c = g_array_index (step->added, guint, i);

      if (i > 0)
        g_string_append (text, ", ");
      g_string_append_printf (text, "%u %s", c, data->class_names[c]);
    }
  return g_string_free (text, FALSE);
}

typedef struct
{
  const TzFeatureSet *data;
  gboolean            quiet;
} PrintContext;

/* Terminal columns taken by @text: East Asian wide characters take two. */
static guint
display_width (const char *text)
{
  guint width = 0;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    width += g_unichar_iswide (g_utf8_get_char (p)) ? 2 : 1;
  return width;
}

/* Prints @text cut or padded to @width columns, on the left or the right. */
static void
print_cell (const char *text,
            guint       width,
            gboolean    right)
{
  g_autoptr(GString) cell = g_string_new (NULL);
  guint used = 0;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar ch = g_utf8_get_char (p);
      guint w = g_unichar_iswide (ch) ? 2 : 1;

      if (used + w > width)
        break;
      g_string_append_unichar (cell, ch);
      used += w;
    }
  if (right)
    g_print ("%*s%s", (int) (width - used), "", cell->str);
  else
    g_print ("%s%*s", cell->str, (int) (width - used), "");
}

static void
print_step (const TzProtocolStep *step,
            gpointer              user_data)
{
  PrintContext *ctx = user_data;
  g_autofree char *added = NULL;
  g_autofree char *numbers = NULL;

  if (ctx->quiet)
    return;
  if (step->index == 0)
    {
      print_cell (_("step"), 4, TRUE);
      g_print ("  ");
      print_cell (_("learned"), 40, FALSE);
      g_print ("  ");
      print_cell (_("accuracy"), 8, TRUE);
      g_print ("  ");
      print_cell (_("on learned"), 10, TRUE);
      g_print ("  ");
      print_cell (_("fit s"), 7, TRUE);
      g_print ("  ");
      print_cell (_("score s"), 7, TRUE);
      g_print ("\n");
    }
  added = describe_added (ctx->data, step);
  if (display_width (added) > 40)
    {
      g_autofree char *cut = g_strdup (added);

      for (char *end = cut + strlen (cut); display_width (cut) > 37; )
        {
          end = g_utf8_prev_char (end);
          *end = '\0';
        }
      g_free (added);
      added = g_strconcat (cut, "...", NULL);
    }
  g_print ("%4u  ", step->index);
  print_cell (added, 40, FALSE);
  g_print ("  %8.4f  %10.4f  %7.3f  %7.3f\n",
           step->evaluation->accuracy, step->evaluation->accuracy_learned,
           step->fit_seconds, step->score_seconds);
}

static void
print_confusion (const TzFeatureSet *data,
                 const TzEvaluation *eval)
{
  g_print ("\n%s\n", _("Confusion matrix after the last step (rows: true class, columns: predicted class):"));
  g_print ("%-16s", "");
  for (guint j = 0; j < eval->n_learned; j++)
    g_print (" %6d", eval->learned[j]);
  g_print ("\n");
  for (guint i = 0; i < eval->n_classes; i++)
    {
      g_autofree char *label = g_strdup_printf ("%u %s", i, data->class_names[i]);

      print_cell (label, 16, FALSE);
      for (guint j = 0; j < eval->n_learned; j++)
        g_print (" %6" G_GINT64_FORMAT, eval->confusion[(gsize) i * eval->n_learned + j]);
      g_print ("\n");
    }
}

static JsonNode *
uint_array_node (GArray *array)
{
  JsonArray *out = json_array_new ();

  for (guint i = 0; i < array->len; i++)
    json_array_add_int_element (out, g_array_index (array, guint, i));
  return json_node_init_array (json_node_alloc (), out);
}

static void
add_doubles (JsonBuilder  *builder,
             const char   *name,
             const double *values,
             guint         n)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  for (guint i = 0; i < n; i++)
    json_builder_add_double_value (builder, values[i]);
  json_builder_end_array (builder);
}

static void
add_ints (JsonBuilder  *builder,
          const char   *name,
          const gint32 *values,
          guint         n)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  for (guint i = 0; i < n; i++)
    json_builder_add_int_value (builder, values[i]);
  json_builder_end_array (builder);
}

static void
add_timings (JsonBuilder      *builder,
             const PhaseTimes *times)
{
  json_builder_set_member_name (builder, "timings");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "reading_seconds");
  json_builder_add_double_value (builder, times->reading);
  json_builder_set_member_name (builder, "training_seconds");
  json_builder_add_double_value (builder, times->training);
  json_builder_set_member_name (builder, "extraction_seconds");
  json_builder_add_double_value (builder, times->extraction);
  json_builder_set_member_name (builder, "fitting_seconds");
  json_builder_add_double_value (builder, times->fitting);
  json_builder_set_member_name (builder, "total_seconds");
  json_builder_add_double_value (builder, seconds_since (times->started));
  json_builder_end_object (builder);

  if (!times->from_images)
    return;
  json_builder_set_member_name (builder, "images");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "inputs");
  json_builder_add_int_value (builder, times->n_inputs);
  json_builder_set_member_name (builder, "decoded");
  json_builder_add_int_value (builder, times->n_decoded);
  json_builder_set_member_name (builder, "extracted");
  json_builder_add_int_value (builder, times->n_extracted);
  json_builder_set_member_name (builder, "from_cache");
  json_builder_add_int_value (builder, times->n_cache_hits);
  json_builder_end_object (builder);
}

static gboolean
write_json (const char               *path,
            const char               *source,
            const TzFeatureSet       *data,
            const TzProtocolOptions  *options,
            const TzProtocolResult   *result,
            const PhaseTimes         *times,
            GError                  **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *regularization = tz_regularization_to_string (&options->settings.regularization);
  g_autofree char *transform = tz_transform_to_string (&options->transform);
  const TzProtocolStep *last = g_ptr_array_index (result->steps, result->steps->len - 1);
  const TzEvaluation *final = last->evaluation;
  g_autofree char *text = NULL;

  json_builder_begin_object (builder);

  json_builder_set_member_name (builder, "steps");
  json_builder_begin_array (builder);
  for (guint s = 0; s < result->steps->len; s++)
    {
      const TzProtocolStep *step = g_ptr_array_index (result->steps, s);

      json_builder_begin_object (builder);
      add_ints (builder, "learned", step->evaluation->learned, step->evaluation->n_learned);
      json_builder_set_member_name (builder, "added");
      json_builder_add_value (builder, uint_array_node (step->added));
      json_builder_set_member_name (builder, "accuracy");
      json_builder_add_double_value (builder, step->evaluation->accuracy);
      json_builder_set_member_name (builder, "accuracy_learned");
      json_builder_add_double_value (builder, step->evaluation->accuracy_learned);
      json_builder_set_member_name (builder, "fit_seconds");
      json_builder_add_double_value (builder, step->fit_seconds);
      json_builder_set_member_name (builder, "score_seconds");
      json_builder_add_double_value (builder, step->score_seconds);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "average_incremental_accuracy");
  json_builder_add_double_value (builder, result->average_incremental_accuracy);

  json_builder_set_member_name (builder, "confusion");
  json_builder_begin_array (builder);
  for (guint i = 0; i < final->n_classes; i++)
    {
      json_builder_begin_array (builder);
      for (guint j = 0; j < final->n_learned; j++)
        json_builder_add_int_value (builder, final->confusion[(gsize) i * final->n_learned + j]);
      json_builder_end_array (builder);
    }
  json_builder_end_array (builder);

  add_ints (builder, "confusion_columns", final->learned, final->n_learned);

  add_doubles (builder, "precision", final->precision, final->n_learned);
  add_doubles (builder, "recall", final->recall, final->n_learned);

  json_builder_set_member_name (builder, "class_names");
  json_builder_begin_array (builder);
  for (guint c = 0; c < data->n_classes; c++)
    json_builder_add_string_value (builder, data->class_names[c]);
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "settings");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "features");
  json_builder_add_string_value (builder, source);
  json_builder_set_member_name (builder, "dim");
  json_builder_add_int_value (builder, data->dim);
  json_builder_set_member_name (builder, "covariance");
  json_builder_add_string_value (builder, tz_covariance_to_string (options->settings.covariance));
  json_builder_set_member_name (builder, "regularization");
  json_builder_add_string_value (builder, regularization);
  json_builder_set_member_name (builder, "prior");
  json_builder_add_string_value (builder, tz_prior_to_string (options->settings.prior));
  json_builder_set_member_name (builder, "transform");
  json_builder_add_string_value (builder, transform);
  json_builder_set_member_name (builder, "initial");
  json_builder_add_value (builder, uint_array_node (options->initial));
  json_builder_set_member_name (builder, "order");
  json_builder_add_value (builder, uint_array_node (options->order));
  json_builder_end_object (builder);

  add_timings (builder, times);

  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  if (!g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644, error))
    return FALSE;
  return TRUE;
}

static gboolean
write_csv (const char              *path,
           const TzFeatureSet      *data,
           const TzProtocolResult  *result,
           GError                 **error)
{
  g_autoptr(GString) text = g_string_new ("step,added,n_learned,accuracy,accuracy_learned,"
                                          "fit_seconds,score_seconds\n");

  for (guint s = 0; s < result->steps->len; s++)
    {
      const TzProtocolStep *step = g_ptr_array_index (result->steps, s);
      g_autofree char *added = describe_added (data, step);
      g_autofree char *quoted = NULL;
      char numbers[4][G_ASCII_DTOSTR_BUF_SIZE];
      g_auto(GStrv) parts = g_strsplit (added, "\"", -1);

      /* RFC 4180: quote the field, double its quotes. */
      quoted = g_strjoinv ("\"\"", parts);
      g_string_append_printf (text, "%u,\"%s\",%u,%s,%s,%s,%s\n", step->index, quoted,
                              step->evaluation->n_learned,
                              g_ascii_dtostr (numbers[0], sizeof numbers[0], step->evaluation->accuracy),
                              g_ascii_dtostr (numbers[1], sizeof numbers[1], step->evaluation->accuracy_learned),
                              g_ascii_dtostr (numbers[2], sizeof numbers[2], step->fit_seconds),
                              g_ascii_dtostr (numbers[3], sizeof numbers[3], step->score_seconds));
    }
  return g_file_set_contents_full (path, text->str, (gssize) text->len,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
}

/* Writes accuracy.{png,svg,pdf} and confusion.{png,svg,pdf} into @dir
 * (created when missing), drawn by src/plot as the application draws them. */
static gboolean
write_plots (const char              *dir,
             const TzFeatureSet      *data,
             const TzProtocolResult  *result,
             GError                 **error)
{
  static const char *const extensions[] = { "png", "svg", "pdf" };
  const TzProtocolStep *last = g_ptr_array_index (result->steps, result->steps->len - 1);
  const TzEvaluation *final = last->evaluation;
  g_autoptr(TzAccuracyChart) accuracy = tz_accuracy_chart_new ();
  g_autoptr(TzConfusionChart) confusion = NULL;
  g_autoptr(GPtrArray) columns = g_ptr_array_new ();
  TzPlotStyle style;

  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Cannot create the folder %s: %s"), dir, g_strerror (saved_errno));
      return FALSE;
    }

  tz_accuracy_chart_set_title (accuracy, _("Accuracy after each step"));
  tz_accuracy_chart_set_series_label (accuracy, TZ_ACCURACY_SERIES_ALL, _("All images"));
  tz_accuracy_chart_set_series_label (accuracy, TZ_ACCURACY_SERIES_LEARNED, _("Learned classes"));
  for (guint s = 0; s < result->steps->len; s++)
    {
      const TzProtocolStep *step = g_ptr_array_index (result->steps, s);
      g_autofree char *label = describe_added (data, step);

      tz_accuracy_chart_add_step (accuracy, label, step->evaluation->accuracy,
                                  step->evaluation->accuracy_learned);
    }

  for (guint j = 0; j < final->n_learned; j++)
    g_ptr_array_add (columns, data->class_names[final->learned[j]]);
  g_ptr_array_add (columns, NULL);
  confusion = tz_confusion_chart_new (final->n_classes, (const char *const *) data->class_names,
                                      final->n_learned, (const char *const *) columns->pdata,
                                      final->confusion);
  tz_confusion_chart_set_title (confusion, _("Confusion after the last step"));
  tz_confusion_chart_set_axis_titles (confusion, _("True class"), _("Predicted class"));

  tz_plot_style_init (&style, FALSE);
  for (guint k = 0; k < G_N_ELEMENTS (extensions); k++)
    {
      g_autofree char *name_a = g_strconcat ("accuracy.", extensions[k], NULL);
      g_autofree char *name_c = g_strconcat ("confusion.", extensions[k], NULL);
      g_autofree char *path_a = g_build_filename (dir, name_a, NULL);
      g_autofree char *path_c = g_build_filename (dir, name_c, NULL);

      if (!tz_accuracy_chart_save (accuracy, path_a, 720, 420, 1.0, &style, error) ||
          !tz_confusion_chart_save (confusion, path_c, 720, 640, 1.0, &style, error))
        return FALSE;
    }
  return TRUE;
}

/* Runs the protocol on @data and reports it; returns the exit status. */
static int
run_and_report (const TzFeatureSet *data,
                const char         *source,
                const ProtocolArgs *args,
                PhaseTimes         *times)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TzProtocolResult) result = NULL;
  g_autofree char *regularization = NULL;
  g_autofree char *transform = NULL;
  TzProtocolOptions options = { 0 };
  PrintContext ctx = { data, args->quiet };
  const TzProtocolStep *last;
  gint64 start;

  if (!build_options (args, data, &options, &error))
    {
      g_printerr ("tsuzuki-cli: %s\n", error->message);
      options_clear (&options);
      return 2;
    }

  regularization = tz_regularization_to_string (&options.settings.regularization);
  transform = tz_transform_to_string (&options.transform);
  if (!args->quiet)
    {
      g_autofree char *n_train = g_strdup_printf ("%" G_GSIZE_FORMAT, data->n_train);
      g_autofree char *n_test = g_strdup_printf ("%" G_GSIZE_FORMAT, data->n_test);

      g_print (_("Features: %s: %u dimensions, %s training and %s evaluation vectors, %u classes\n"),
               source, data->dim, n_train, n_test, data->n_classes);
      g_print (_("Settings: --covariance %s --regularization %s --prior %s --transform %s\n\n"),
               tz_covariance_to_string (options.settings.covariance), regularization,
               tz_prior_to_string (options.settings.prior), transform);
    }

  start = g_get_monotonic_time ();
  result = tz_protocol_run (data, &options, print_step, &ctx, NULL, &error);
  times->fitting = seconds_since (start);
  if (result == NULL)
    {
      g_printerr ("tsuzuki-cli: %s: %s\n", source, error->message);
      options_clear (&options);
      return 1;
    }

  last = g_ptr_array_index (result->steps, result->steps->len - 1);
  if (!args->quiet)
    print_confusion (data, last->evaluation);
  g_print (_("\nFinal accuracy %.4f, average incremental accuracy %.4f over %u steps\n"),
           last->evaluation->accuracy, result->average_incremental_accuracy, result->steps->len);

  if ((args->json != NULL &&
       !write_json (args->json, source, data, &options, result, times, &error)) ||
      (args->csv != NULL && !write_csv (args->csv, data, result, &error)) ||
      (args->plots != NULL && !write_plots (args->plots, data, result, &error)))
    {
      g_printerr ("tsuzuki-cli: %s\n", error->message);
      options_clear (&options);
      return 1;
    }
  options_clear (&options);
  return 0;
}

static gboolean
parse_arguments (GOptionContext  *context,
                 int             *argc,
                 char          ***argv)
{
  g_autoptr(GError) error = NULL;

  if (!g_option_context_parse (context, argc, argv, &error))
    {
      g_printerr ("tsuzuki-cli: %s\n", error->message);
      return FALSE;
    }
  return TRUE;
}

static GOptionGroup *
data_option_group (ProtocolArgs *args)
{
  const GOptionEntry entries[] = {
    { "data", 0, 0, G_OPTION_ARG_FILENAME, &args->data,
      N_("Images: fashion-mnist, a folder of class folders, a CIFAR-10 or IDX folder, "
         "or a list file"), N_("SOURCE") },
    { "backbone", 0, 0, G_OPTION_ARG_STRING, &args->backbone,
#ifdef TZ_HAVE_BACKBONE
      N_("Features from: b0 … b7 (EfficientNet, default b0) or pixels"), N_("NAME") },
#else
      N_("Features from: pixels (the default in this build)"), N_("NAME") },
#endif
    { "image-size", 0, 0, G_OPTION_ARG_INT, &args->image_size,
      N_("Side of the square images the features are computed from"), N_("PIXELS") },
    { "eval-fraction", 0, 0, G_OPTION_ARG_DOUBLE, &args->eval_fraction,
      N_("Share of each class kept for evaluation when the source has no test split "
         "(default 0.2)"), N_("FRACTION") },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &args->seed,
      N_("Seed of that split (default 0)"), N_("N") },
    G_OPTION_ENTRY_NULL
  };
  GOptionGroup *group = g_option_group_new ("data", _("Image options"),
                                            _("Show the options for images"), NULL, NULL);

  g_option_group_add_entries (group, entries);
  g_option_group_set_translation_domain (group, GETTEXT_PACKAGE);
  return group;
}

/* Features for @args->data, through the engine and its cache. */
static TzFeatureSet *
load_data (const ProtocolArgs  *args,
           char               **source,
           PhaseTimes          *times,
           GError             **error)
{
  g_autoptr(TzCliData) data = NULL;
  g_autoptr(TzExtractor) extractor = NULL;
  g_autoptr(TzEngine) engine = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(TzFeatureCache) cache = NULL;
  TzFeatureSet *set;
  guint side = 0, signal_source;
  gint64 start = g_get_monotonic_time ();

#ifdef TZ_HAVE_BACKBONE
  const char *backbone = args->backbone ? args->backbone : "b0";
#else
  const char *backbone = args->backbone ? args->backbone : "pixels";

  if (!g_str_equal (backbone, "pixels"))
    {
      g_set_error (error, TZ_ERROR, TZ_ERROR_UNSUPPORTED,
                   _("--backbone %s: this build has no network backbone; use pixels"),
                   args->backbone);
      return NULL;
    }
#endif
  if (args->image_size < 0 || args->image_size > 1024 ||
      args->eval_fraction < 0.0 || args->eval_fraction >= 1.0)
    {
      g_set_error_literal (error, TZ_ERROR, TZ_ERROR_INVALID_ARGUMENT,
                           _("--image-size must be within 1–1024 and --eval-fraction within [0, 1)"));
      return NULL;
    }

  data = tz_cli_data_load (args->data, args->eval_fraction > 0.0 ? args->eval_fraction : 0.2,
                           (guint64) args->seed, cancellable, error);
  if (data == NULL)
    return NULL;
  times->reading = seconds_since (start);
  start = g_get_monotonic_time ();

  signal_source = tz_cli_cancel_on_interrupt (cancellable);
  if (g_str_equal (backbone, "pixels"))
    {
      side = args->image_size > 0 ? (guint) args->image_size : data->grey ? 28 : 32;
      extractor = tz_pixel_extractor_new (side, data->grey);
    }
#ifdef TZ_HAVE_BACKBONE
  else
    {
      g_autoptr(GArray) initial = g_array_new (FALSE, FALSE, sizeof (guint));
      TzCliBackboneArgs network = args->network;
      g_autofree char *folder = g_build_filename (g_get_user_cache_dir (), "tsuzuki", "features", NULL);

      network.backbone = (char *) backbone;
      network.image_size = args->image_size;
      network.seed = args->seed;
      if (tz_protocol_parse_class_list (args->initial ? args->initial : "0-4", data->n_classes,
                                        initial, error))
        extractor = tz_cli_backbone_create (&network, data, initial, args->quiet, cancellable, error);
      if (extractor != NULL)
        cache = tz_feature_cache_new (tz_extractor_get_recipe (extractor),
                                      tz_extractor_get_dim (extractor), folder, error);
      if (cache == NULL)
        {
          g_source_remove (signal_source);
          return NULL;
        }
    }
#endif
  times->training = seconds_since (start);
  engine = tz_engine_new (extractor, cache, MAX (1, g_get_num_processors ()));
  start = g_get_monotonic_time ();
  set = tz_cli_data_extract (data, engine, args->quiet, cancellable, error);
  g_source_remove (signal_source);
  if (set == NULL)
    return NULL;
  /* Wall time: it includes preparing the network in the worker. */
  times->extraction = seconds_since (start);
  times->from_images = TRUE;
  times->n_inputs = data->labels->len;
  times->n_decoded = data->n_decoded;
  times->n_extracted = data->n_extracted;
  times->n_cache_hits = data->n_cache_hits;

  if (data->skipped->len > 0)
    {
      g_printerr (ngettext ("Skipped %u file:\n", "Skipped %u files:\n", data->skipped->len),
                  data->skipped->len);
      for (guint i = 0; i < data->skipped->len && i < 20; i++)
        g_printerr ("  %s\n", (const char *) g_ptr_array_index (data->skipped, i));
      if (data->skipped->len > 20)
        g_printerr (_("  … and %u more\n"), data->skipped->len - 20);
    }
  *source = g_strdup_printf (_("%s, features: %s"), data->description,
                             tz_extractor_get_recipe (extractor));
  return set;
}

int
tz_cli_protocol (int    argc,
                 char **argv)
{
  g_auto(ProtocolArgs) args = { 0 };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(TzFeatureSet) data = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *features = NULL;
  g_autofree char *source = NULL;
  PhaseTimes times = { g_get_monotonic_time () };
  const GOptionEntry entries[] = {
    { "features", 'f', 0, G_OPTION_ARG_FILENAME, &features,
      N_("Feature file (.npz or .safetensors) with train_x, train_y, test_x, test_y"), N_("FILE") },
    G_OPTION_ENTRY_NULL
  };

  context = g_option_context_new (_("— run the class-incremental protocol"));
  g_option_context_set_summary (context,
    _("Fits the initial classes, then adds the others one at a time, scoring the\n"
      "whole evaluation set after every step. The blog post's settings are\n"
      "--covariance class-averaged --regularization ridge:1e-6 --prior counts --transform none."));
  g_option_context_set_main_group (context, protocol_option_group (&args));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_add_group (context, data_option_group (&args));
#ifdef TZ_HAVE_BACKBONE
  g_option_context_add_group (context, tz_cli_backbone_option_group (&args.network));
#endif
  if (!parse_arguments (context, &argc, &argv))
    return 2;
  if ((features == NULL) == (args.data == NULL))
    {
      g_printerr ("tsuzuki-cli protocol: %s\n", _("give either --features FILE or --data SOURCE"));
      return 2;
    }

  if (features != NULL)
    {
      data = tz_feature_set_load (features, &error);
      source = g_strdup (features);
    }
  else
    data = load_data (&args, &source, &times, &error);
  if (data == NULL)
    {
      g_printerr ("tsuzuki-cli: %s\n", error->message);
      return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ? 130 : 1;
    }
  return run_and_report (data, source, &args, &times);
}

int
tz_cli_demo (int    argc,
             char **argv)
{
  g_auto(ProtocolArgs) args = { 0 };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(TzFeatureSet) data = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *source = NULL;
  PhaseTimes times = { g_get_monotonic_time () };

  context = g_option_context_new (_("— the post's experiment on Fashion-MNIST"));
  g_option_context_set_summary (context,
    _("Replays the protocol on Fashion-MNIST as Debian's dataset-fashion-mnist\n"
      "ships it: classes 0-4 first, then 5-9 one at a time. The network (EfficientNet\n"
      "b0 where this build has it, else the raw pixels) is trained on classes 0-4\n"
      "first, 3 epochs at 32 px: a few minutes on two cores, once; later runs reuse\n"
      "the trained weights and the features from the cache."));
  g_option_context_set_main_group (context, protocol_option_group (&args));
  g_option_context_add_group (context, data_option_group (&args));
#ifdef TZ_HAVE_BACKBONE
  g_option_context_add_group (context, tz_cli_backbone_option_group (&args.network));
#endif
  if (!parse_arguments (context, &argc, &argv))
    return 2;
  if (args.data == NULL)
    args.data = g_strdup ("fashion-mnist");

  data = load_data (&args, &source, &times, &error);
  if (data == NULL)
    {
      g_printerr ("tsuzuki-cli demo: %s\n", error->message);
      if (g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_printerr ("%s\n", _("Install Debian's dataset-fashion-mnist package, or pass --data DIR."));
      return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ? 130 : 1;
    }
  return run_and_report (data, source, &args, &times);
}

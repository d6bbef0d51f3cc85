COPY comparisons FROM '{dir}/comparisons.csv' (FORMAT 'csv', allow_quoted_nulls false, force_not_null ('comparison_id', 'criterion'), quote '"', delimiter ',', header 1);
COPY generations FROM '{dir}/generations.csv' (FORMAT 'csv', allow_quoted_nulls false, force_not_null 'gen_id', quote '"', delimiter ',', header 1);
COPY human_labels FROM '{dir}/human_labels.csv' (FORMAT 'csv', allow_quoted_nulls false, force_not_null ('generation_id', 'rubric', 'criterion', 'annotator'), quote '"', delimiter ',', header 1);
COPY models FROM '{dir}/models.csv' (FORMAT 'csv', allow_quoted_nulls false, force_not_null ('name', 'variant'), quote '"', delimiter ',', header 1);
COPY prompts FROM '{dir}/prompts.csv' (FORMAT 'csv', allow_quoted_nulls false, force_not_null 'prompt_key', quote '"', delimiter ',', header 1);
COPY rubrics FROM '{dir}/rubrics.csv' (FORMAT 'csv', allow_quoted_nulls false, force_not_null ('name', 'version'), quote '"', delimiter ',', header 1);
COPY runs FROM '{dir}/runs.csv' (FORMAT 'csv', allow_quoted_nulls false, force_not_null 'run_id', quote '"', delimiter ',', header 1);
COPY verdicts FROM '{dir}/verdicts.csv' (FORMAT 'csv', allow_quoted_nulls false, force_not_null ('verdict_id', 'criterion'), quote '"', delimiter ',', header 1);
COPY _judge_migrations FROM '{dir}/_judge_migrations.csv' (FORMAT 'csv', allow_quoted_nulls false, force_not_null 'name', quote '"', delimiter ',', header 1);

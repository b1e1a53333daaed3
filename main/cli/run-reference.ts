// How the command line names a run: commands take a run's id (`graft show 11`, `--experiment 11`,
// `--model 11`), while its name ("Run 9", "Run 9 adapted (AdaBN)") counts within a project, so the
// two differ; the id comes first, marked as what to type.

/** `[id 11] “Run 9”`: the id commands take, then the run's name. */
export function runReference(run: { id: number; name: string }): string {
  return `[id ${run.id}] “${run.name}”`;
}

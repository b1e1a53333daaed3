// Side-by-side comparison of two runs: pure, so the app and the renderer's fake API share it.

import type { ExperimentComparison, ExperimentDetail, FinalMetrics } from './training';

export function compareExperiments(a: ExperimentDetail, b: ExperimentDetail): ExperimentComparison {
  const keys = [...new Set([...Object.keys(a.config), ...Object.keys(b.config)])].sort();
  const value = (d: ExperimentDetail, key: string) => (d.config as unknown as Record<string, unknown>)[key];
  const configDiff = keys
    .map((key) => ({ key, a: value(a, key), b: value(b, key) }))
    .filter((d) => JSON.stringify(d.a) !== JSON.stringify(d.b));
  const metric = (d: ExperimentDetail, pick: (m: FinalMetrics) => number | undefined) =>
    d.metrics ? (pick(d.metrics) ?? null) : null;
  const metricDiff = [
    { key: 'val accuracy', a: metric(a, (m) => m.val?.accuracy), b: metric(b, (m) => m.val?.accuracy) },
    { key: 'val macro F1', a: metric(a, (m) => m.val?.macroF1), b: metric(b, (m) => m.val?.macroF1) },
    { key: 'val log loss', a: metric(a, (m) => m.val?.logLoss), b: metric(b, (m) => m.val?.logLoss) },
    { key: 'test accuracy', a: metric(a, (m) => m.test?.accuracy), b: metric(b, (m) => m.test?.accuracy) },
    { key: 'best epoch', a: metric(a, (m) => m.bestEpoch), b: metric(b, (m) => m.bestEpoch) },
    { key: 'duration (s)', a: a.durationSeconds, b: b.durationSeconds },
  ];
  const f1 = (d: ExperimentDetail, name: string) => {
    const cls = d.snapshot.classes.find((c) => c.name === name);
    return d.metrics?.val?.perClass.find((p) => p.classId === cls?.id)?.f1 ?? null;
  };
  const names = [...new Set([...a.snapshot.classes, ...b.snapshot.classes].map((c) => c.name))];
  const perClassDiff = names.map((className) => ({ className, aF1: f1(a, className), bF1: f1(b, className) }));
  return { a, b, configDiff, metricDiff, perClassDiff };
}

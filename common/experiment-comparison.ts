// Side-by-side comparison of two runs: pure, so the app and the renderer's fake API share it.

import type { ExperimentComparison, ExperimentDetail, FinalMetrics, Prediction, PredictionChange } from './training';

/**
 * The held-out photos both runs predicted whose label or predicted class differs between them
 * (a relabelled photo, a fixed or a new mistake), by photo id; photos removed since are left out.
 */
export function predictionChanges(a: Prediction[], b: Prediction[]): PredictionChange[] {
  const before = new Map(a.filter((p) => p.imageId !== null).map((p) => [p.imageId, p]));
  const side = (p: Prediction) => ({
    trueClassId: p.trueClassId,
    predictedClassId: p.predictedClassId,
    confidence: p.confidence,
  });
  return b.flatMap((after) => {
    const was = after.imageId === null ? undefined : before.get(after.imageId);
    if (!was || (was.trueClassId === after.trueClassId && was.predictedClassId === after.predictedClassId)) return [];
    return [{ imageId: after.imageId as number, name: after.name, a: side(was), b: side(after) }];
  });
}

/**
 * `predictions`: each run's held-out predictions (required: without them no photo could show as changed,
 * which reads as "nothing changed" even when the two runs score differently on the same photos).
 */
export function compareExperiments(
  a: ExperimentDetail,
  b: ExperimentDetail,
  predictions: { a: Prediction[]; b: Prediction[] },
): ExperimentComparison {
  const keys = [...new Set([...Object.keys(a.config), ...Object.keys(b.config)])].sort();
  const value = (d: ExperimentDetail, key: string) => (d.config as unknown as Record<string, unknown>)[key];
  const configDiff = keys
    .map((key) => ({ key, a: value(a, key), b: value(b, key) }))
    .filter((d) => JSON.stringify(d.a) !== JSON.stringify(d.b));
  const metric = (d: ExperimentDetail, pick: (m: FinalMetrics) => number | undefined) =>
    d.metrics ? (pick(d.metrics) ?? null) : null;
  // A later best epoch or a longer run is neither better nor worse, so only scores carry a direction.
  const metricDiff: ExperimentComparison['metricDiff'] = [
    {
      key: 'val accuracy',
      a: metric(a, (m) => m.val?.accuracy),
      b: metric(b, (m) => m.val?.accuracy),
      better: 'higher',
    },
    { key: 'val macro F1', a: metric(a, (m) => m.val?.macroF1), b: metric(b, (m) => m.val?.macroF1), better: 'higher' },
    { key: 'val log loss', a: metric(a, (m) => m.val?.logLoss), b: metric(b, (m) => m.val?.logLoss), better: 'lower' },
    {
      key: 'test accuracy',
      a: metric(a, (m) => m.test?.accuracy),
      b: metric(b, (m) => m.test?.accuracy),
      better: 'higher',
    },
    { key: 'best epoch', a: metric(a, (m) => m.bestEpoch), b: metric(b, (m) => m.bestEpoch), better: null },
    { key: 'duration (s)', a: a.durationSeconds, b: b.durationSeconds, better: null },
  ];
  const f1 = (d: ExperimentDetail, name: string) => {
    const cls = d.snapshot.classes.find((c) => c.name === name);
    return d.metrics?.val?.perClass.find((p) => p.classId === cls?.id)?.f1 ?? null;
  };
  const names = [...new Set([...a.snapshot.classes, ...b.snapshot.classes].map((c) => c.name))];
  const perClassDiff = names.map((className) => ({ className, aF1: f1(a, className), bF1: f1(b, className) }));
  return {
    a,
    b,
    configDiff,
    metricDiff,
    perClassDiff,
    predictionChanges: predictionChanges(predictions.a, predictions.b),
  };
}

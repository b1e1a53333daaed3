import type { Id, Split } from '../../common/contract';
import type { SplitEvaluation } from '../../common/training';
import { argmaxRows, classificationReport } from '../ml/metrics';
import type { ItemPrediction, SnapshotItem } from './experiments';

/**
 * Scores one held-out split and appends each photo's prediction to `predictions`
 * (class indices mapped back to the snapshot's class ids).
 */
export function evaluateSplit(
  split: Split,
  items: SnapshotItem[],
  labels: Int32Array,
  probabilities: Float32Array,
  classIds: Id[],
  predictions: ItemPrediction[],
): SplitEvaluation | null {
  if (items.length === 0) return null;
  const k = classIds.length;
  const report = classificationReport(labels, probabilities, k);
  const predicted = argmaxRows(probabilities, k);
  items.forEach((item, i) => {
    const row = Array.from(probabilities.subarray(i * k, (i + 1) * k));
    predictions.push({
      contentHash: item.contentHash,
      predictedClassId: classIds[predicted[i]],
      confidence: row[predicted[i]],
      probabilities: row,
    });
  });
  return {
    split,
    accuracy: report.accuracy,
    macroF1: report.macroF1,
    logLoss: report.logLoss,
    perClass: report.perClass.map((s, i) => ({ classId: classIds[i], ...s })),
    confusion: report.confusion,
    count: report.count,
  };
}

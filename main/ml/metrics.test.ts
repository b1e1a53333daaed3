import { describe, expect, it } from 'vitest';
import {
  accuracy,
  argmaxRows,
  classificationReport,
  classScores,
  confusionMatrix,
  logLoss,
  macroF1,
  mostConfidentMistakes,
} from './metrics';

// 3 classes, 6 examples. Predictions (argmax): 0, 0, 1, 2, 2, 0.
const labels = Int32Array.from([0, 0, 1, 1, 2, 2]);
const probabilities = Float32Array.from(
  [
    [0.7, 0.2, 0.1],
    [0.5, 0.3, 0.2],
    [0.1, 0.8, 0.1],
    [0.2, 0.2, 0.6],
    [0.1, 0.1, 0.8],
    [0.9, 0.05, 0.05],
  ].flat(),
);

describe('metrics', () => {
  it('takes the first largest probability as the prediction', () => {
    expect([...argmaxRows(probabilities, 3)]).toEqual([0, 0, 1, 2, 2, 0]);
    expect([...argmaxRows(Float32Array.from([0.5, 0.5]), 2)]).toEqual([0]);
  });

  it('builds the confusion matrix with true classes as rows', () => {
    expect(confusionMatrix(labels, argmaxRows(probabilities, 3), 3)).toEqual([
      [2, 0, 0],
      [0, 1, 1],
      [1, 0, 1],
    ]);
  });

  it('computes precision, recall, F1 and support per class by hand', () => {
    const scores = classScores(confusionMatrix(labels, argmaxRows(probabilities, 3), 3));
    // class 0: TP 2, predicted 3, support 2 -> P 2/3, R 1, F1 0.8
    expect(scores[0].precision).toBeCloseTo(2 / 3, 12);
    expect(scores[0].recall).toBe(1);
    expect(scores[0].f1).toBeCloseTo(0.8, 12);
    expect(scores[0].support).toBe(2);
    // class 1: TP 1, predicted 1, support 2 -> P 1, R 0.5, F1 2/3
    expect(scores[1]).toMatchObject({ precision: 1, recall: 0.5, support: 2 });
    expect(scores[1].f1).toBeCloseTo(2 / 3, 12);
    // class 2: TP 1, predicted 2, support 2 -> P 0.5, R 0.5, F1 0.5
    expect(scores[2]).toEqual({ precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
  });

  it('averages F1 over the classes present and scores empty denominators as 0', () => {
    const confusion = confusionMatrix(labels, argmaxRows(probabilities, 3), 3);
    expect(macroF1(confusion)).toBeCloseTo((0.8 + 2 / 3 + 0.5) / 3, 12);
    // Class 2 never occurs and is never predicted: it does not count. Class 1 is never predicted: P = 0.
    const partial = confusionMatrix(Int32Array.from([0, 1]), Int32Array.from([0, 0]), 3);
    expect(classScores(partial)[1]).toEqual({ precision: 0, recall: 0, f1: 0, support: 1 });
    expect(macroF1(partial)).toBeCloseTo((2 / 3 + 0) / 2, 12);
  });

  it('gives a class with no examples no scores and leaves it out of macro F1', () => {
    // Class 2 has no examples but one photo of class 1 is predicted as it.
    const confusion = confusionMatrix(Int32Array.from([0, 0, 1, 1]), Int32Array.from([0, 0, 1, 2]), 3);
    expect(classScores(confusion)[2]).toEqual({ precision: null, recall: null, f1: null, support: 0 });
    // class 0: F1 1; class 1: P 1, R 0.5, F1 2/3.
    expect(macroF1(confusion)).toBeCloseTo((1 + 2 / 3) / 2, 12);
  });

  it('computes accuracy and log loss', () => {
    expect(accuracy(labels, probabilities, 3)).toBeCloseTo(4 / 6, 12);
    const expected =
      -(Math.log(0.7) + Math.log(0.5) + Math.log(0.8) + Math.log(0.2) + Math.log(0.8) + Math.log(0.05)) / 6;
    expect(logLoss(labels, probabilities, 3)).toBeCloseTo(expected, 6);
    expect(logLoss(Int32Array.from([1]), Float32Array.from([1, 0]), 2)).toBeCloseTo(-Math.log(1e-7), 9);
  });

  it('lists wrong predictions, most confident first', () => {
    expect(mostConfidentMistakes(labels, probabilities, 3)).toEqual([
      { index: 5, trueClass: 2, predictedClass: 0, confidence: Math.fround(0.9) },
      { index: 3, trueClass: 1, predictedClass: 2, confidence: Math.fround(0.6) },
    ]);
    expect(mostConfidentMistakes(labels, probabilities, 3, 1).map((m) => m.index)).toEqual([5]);
  });

  it('summarises a split in one report', () => {
    const report = classificationReport(labels, probabilities, 3);
    expect(report.count).toBe(6);
    expect(report.accuracy).toBeCloseTo(4 / 6, 12);
    expect(report.confusion[2]).toEqual([1, 0, 1]);
    expect(report.perClass.map((s) => s.support)).toEqual([2, 2, 2]);
  });

  it('rejects probabilities that do not match the labels', () => {
    expect(() => accuracy(labels, new Float32Array(5), 3)).toThrow(RangeError);
    expect(() => logLoss(Int32Array.from([3]), new Float32Array(3), 3)).toThrow(/outside/);
  });
});

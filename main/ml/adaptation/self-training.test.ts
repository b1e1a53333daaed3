import { describe, expect, it } from 'vitest';
import { predictWithHead } from '../head/head-model';
import { trainHead } from '../head/train-head';
import { accuracy } from '../metrics';
import { classBalancedPseudoLabels, DEFAULT_SELF_TRAINING, selfTrainHead } from './self-training';
import { shiftedDomains } from './shifted-domains';

describe('classBalancedPseudoLabels', () => {
  it('keeps confident rows only, at most n / classes per class, the most confident first', () => {
    // 4 rows, 2 classes: three confident "0"s (cap 2), one unsure row.
    const p = Float32Array.from([0.99, 0.01, 0.95, 0.05, 0.97, 0.03, 0.55, 0.45]);
    expect(Array.from(classBalancedPseudoLabels(p, 2, 0.9))).toEqual([0, -1, 0, -1]);
    expect(Array.from(classBalancedPseudoLabels(p, 2, 0.999))).toEqual([-1, -1, -1, -1]);
  });
});

describe('selfTrainHead', () => {
  it('raises accuracy on a shifted, unevenly mixed target, the same from the same input', async () => {
    const domains = shiftedDomains({
      dim: 16,
      classCount: 4,
      perClass: 60,
      targetPerClass: [30, 60, 45, 60],
      shift: 'diagonal',
      seed: 9,
    });
    const { source, sourceVal, target, classCount } = domains;
    const { artifacts } = await trainHead(
      { dim: 16, classCount, train: { x: source.x, y: source.y }, val: { x: sourceVal.x, y: sourceVal.y } },
      { maxEpochs: 40 },
    );
    const n = target.y.length;
    const before = accuracy(target.y, await predictWithHead(artifacts, target.x, n), classCount);
    const rows = { x: target.x, dim: 16 };
    const a = await selfTrainHead(artifacts, rows, DEFAULT_SELF_TRAINING);
    const b = await selfTrainHead(artifacts, rows, DEFAULT_SELF_TRAINING);
    const after = accuracy(target.y, await predictWithHead(a.head, target.x, n), classCount);
    expect(before).toBeLessThan(0.85);
    expect(after).toBeGreaterThan(before + 0.05);
    expect(a.pseudoLabelled).toBeGreaterThan(0);
    expect(Buffer.from(b.head.weightData).equals(Buffer.from(a.head.weightData))).toBe(true);
  });

  it('stops when cancelled', async () => {
    const { source, sourceVal, target, classCount } = shiftedDomains({
      dim: 8,
      classCount: 2,
      perClass: 20,
      shift: 'diagonal',
      seed: 2,
    });
    const { artifacts } = await trainHead(
      { dim: 8, classCount, train: { x: source.x, y: source.y }, val: { x: sourceVal.x, y: sourceVal.y } },
      { maxEpochs: 3 },
    );
    const controller = new AbortController();
    controller.abort(new Error('Cancelled.'));
    await expect(
      selfTrainHead(artifacts, { x: target.x, dim: 8 }, { ...DEFAULT_SELF_TRAINING, signal: controller.signal }),
    ).rejects.toThrow('Cancelled.');
  });
});

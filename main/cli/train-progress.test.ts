import { describe, expect, it } from 'vitest';
import type { EpochMetrics, TrainingProgress } from '../../common/training';
import { progressPrinter } from './train-command';

const progress = (phase: TrainingProgress['phase'], done: number, total: number): TrainingProgress => ({
  experimentId: 1,
  projectId: 1,
  phase,
  done,
  total,
  imagesPerSecond: null,
  etaSeconds: null,
});
const epoch = (n: number, stage?: 1 | 2): EpochMetrics => ({
  epoch: n,
  ...(stage && { stage }),
  trainLoss: 1,
  trainAccuracy: 0.5,
  valLoss: 1,
  valAccuracy: 0.5,
  learningRate: 0.001,
  seconds: 0.1,
});

describe('graft train progress', () => {
  it('prints every stage-2 epoch of fine-tuning, even when they come quickly, and thins fast stage-1 epochs', () => {
    const lines: string[] = [];
    const printer = progressPrinter({ out: (l) => lines.push(String(l)), err: () => {} });
    printer.progress(progress('training', 0, 30));
    for (let n = 1; n <= 5; n++) printer.epoch(epoch(n, 1));
    printer.progress(progress('fine-tuning', 0, 10));
    for (let n = 6; n <= 15; n++) {
      printer.epoch(epoch(n, 2));
      printer.progress(progress('fine-tuning', n - 5, 10));
    }
    const stage2 = lines.filter((l) => l.includes('stage 2 epoch'));
    expect(stage2.map((l) => l.match(/epoch (\d+\/\d+)/)![1])).toEqual(
      Array.from({ length: 10 }, (_, i) => `${i + 1}/10`),
    );
    // Within one interval the fast stage-1 epochs are not all printed; only the phase's end repeats an epoch line.
    expect(lines.filter((l) => l.includes('stage 1 epoch')).length).toBeLessThan(5);
    expect(lines.filter((l) => /fine-tuning \d+\/10/.test(l))).toEqual(['  fine-tuning 10/10']);
  });
});

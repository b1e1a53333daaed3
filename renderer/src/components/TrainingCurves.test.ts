import { render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { EpochMetrics } from '../../../common/training';
import TrainingCurves from './TrainingCurves.svelte';

function epoch(n: number, stage?: 1 | 2): EpochMetrics {
  return {
    epoch: n,
    ...(stage ? { stage } : {}),
    trainLoss: 1 / n,
    trainAccuracy: 0.5,
    valLoss: 1 / n,
    valAccuracy: 0.5,
    learningRate: 0.1,
    seconds: 1,
  };
}

describe('TrainingCurves', () => {
  it('names the epochs of each stage of a fine-tuning run', () => {
    render(TrainingCurves, { props: { epochs: [epoch(1, 1), epoch(2, 1), epoch(3, 2), epoch(4, 2)], bestEpoch: 4 } });
    expect(screen.getByTestId('curves-stages').textContent?.replace(/\s+/g, ' ').trim()).toBe(
      'Stage 1, the classifier on the frozen backbone: epochs 1–2. Stage 2, the backbone’s last blocks with the classifier: epochs 3–4.',
    );
    expect(screen.getByTestId('loss-chart').dataset.epochs).toBe('4');
    expect(screen.getByTestId('loss-chart-kept').textContent).toBe('┆ Epoch 4 kept (lowest validation loss)');
  });

  it('marks a kept stage-1 epoch of a fine-tuning run as from stage 1, stage 2 not having improved on it', () => {
    render(TrainingCurves, { props: { epochs: [epoch(1, 1), epoch(2, 1), epoch(3, 2)], bestEpoch: 2 } });
    expect(screen.getByTestId('loss-chart-kept').textContent).toBe(
      '┆ Epoch 2 kept, from stage 1: stage 2 did not improve on it (lowest validation loss)',
    );
  });

  it('says stage 2 has not started while stage 1 runs, and nothing for a one-stage run', () => {
    const { unmount } = render(TrainingCurves, { props: { epochs: [epoch(1, 1)] } });
    expect(screen.getByTestId('curves-stages').textContent).toContain('epoch 1. Stage 2 has not started.');
    unmount();
    render(TrainingCurves, { props: { epochs: [epoch(1), epoch(2)] } });
    expect(screen.queryByTestId('curves-stages')).toBeNull();
  });
});

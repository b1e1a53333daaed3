import { fireEvent, render, screen } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import PreflightWarnings from './PreflightWarnings.svelte';

describe('PreflightWarnings', () => {
  it('links a dataset health warning to the Health view, and no other warning', async () => {
    const onopenhealth = vi.fn();
    render(PreflightWarnings, {
      props: {
        warnings: [
          { level: 'warning', code: 'IMBALANCED', message: 'Classes are imbalanced.' },
          { level: 'warning', code: 'DATASET_HEALTH', message: 'Dataset health found 1 near copies.' },
        ],
        onopenhealth,
      },
    });
    expect(screen.getAllByTestId('train-open-health')).toHaveLength(1);
    await fireEvent.click(screen.getByTestId('train-open-health'));
    expect(onopenhealth).toHaveBeenCalledOnce();
  });
});

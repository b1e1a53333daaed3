import { render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import PredictionCard from './PredictionCard.svelte';

const top = [{ className: 'ants', probability: 0.79 }];

function show(result: { unlikeTraining?: boolean; oodScore?: number | null }) {
  render(PredictionCard, {
    props: {
      prediction: { key: 1, name: 'bee.png', previewUrl: '', result: { name: 'bee.png', top, error: null, ...result } },
    },
  });
}

describe('PredictionCard', () => {
  it('warns when the photo is unlike the training photos', () => {
    show({ unlikeTraining: true, oodScore: 7.2 });
    expect(screen.getByTestId('predict-unlike-training').textContent).toContain(
      'This photo is unlike the photos the model was trained on — treat this answer with caution.',
    );
  });

  it('says nothing more for a familiar photo or a run without statistics', () => {
    show({ unlikeTraining: false, oodScore: 0.9 });
    show({});
    expect(screen.queryByTestId('predict-unlike-training')).toBeNull();
  });
});

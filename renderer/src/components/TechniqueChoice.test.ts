import { render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { BackboneInfo } from '../../../common/training';
import { FAKE_BACKBONES } from '../lib/api/fake-backbones';
import TechniqueChoice from './TechniqueChoice.svelte';

function show(fineTuning: BackboneInfo['fineTuning']) {
  const backbone = { ...FAKE_BACKBONES[0], fineTuning };
  const estimate = { seconds: 90, basis: 'measured' };
  render(TechniqueChoice, {
    props: { backbone, technique: 'fine-tune', fineTuneEstimate: estimate, disabled: false, onchange: () => {} },
  });
}

describe('TechniqueChoice', () => {
  it('says how many blocks of a model can be retrained, and which node stops more', () => {
    show({
      supported: true,
      reason: null,
      maxBlocks: 1,
      limit: 'Node "Concat_205" (Concat) cannot be trained by Graft.',
    });
    const limit = screen.getByTestId('fine-tune-limit');
    expect(limit.textContent).toMatch(/Only this model’s last block\s+can be retrained\. Node "Concat_205" \(Concat\)/);
    expect(screen.getByTestId('fine-tune-estimate')).toBeTruthy();
  });

  it('shows no limit where every block can be retrained, and no estimate where none can', () => {
    show({ supported: true, reason: null, maxBlocks: 5, limit: null });
    expect(screen.queryByTestId('fine-tune-limit')).toBeNull();
    screen.getByTestId('fine-tune-estimate');
    document.body.innerHTML = '';
    show({ supported: false, reason: 'It reads 3 tensors.', maxBlocks: null, limit: null });
    expect(screen.getByTestId('fine-tune-unavailable').textContent).toContain('It reads 3 tensors.');
    expect(screen.queryByTestId('fine-tune-estimate')).toBeNull();
  });
});

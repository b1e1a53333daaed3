// An adapted run in Experiments and Evaluate: named as a domain adaptation of its source run, with
// its new-domain accuracy beside the training domain's validation accuracy.
import { render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { AdaptationSummary } from '../../../common/adaptation';
import type { ExperimentSummary } from '../../../common/training';
import { startTestApp } from '../test-utils';
import { petsProject, trainToEnd } from '../training-test-utils';
import Evaluate from './Evaluate.svelte';
import Experiments from './Experiments.svelte';

/** Two finished runs; the fake adapts nothing, so the second is made to carry an adaptation summary. */
async function withAdaptedRun(targetTest: AdaptationSummary['targetTest']) {
  const app = await startTestApp({ projects: [petsProject()] });
  const projectId = app.session.project!.id;
  const source = await trainToEnd(app.api, projectId, { seed: 1 });
  const adapted = await trainToEnd(app.api, projectId, { seed: 2 });
  const adaptation: AdaptationSummary = {
    sourceExperimentId: source,
    sourceName: 'Run 1',
    method: 'adabn+self-train',
    targetTest,
  };
  const mark = <T extends ExperimentSummary>(run: T): T => (run.id === adapted ? { ...run, adaptation } : run);
  const call = app.api.call.bind(app.api);
  app.api.call = (async (name, args) => {
    const result = await call(name, args);
    if (name === 'experiments:list') return (result as ExperimentSummary[]).map(mark);
    if (name === 'experiments:get') return mark(result as ExperimentSummary);
    return result;
  }) as typeof app.api.call;
  return { app, source, adapted };
}

describe('adapted runs', () => {
  it('Experiments names the technique in words with its source run and shows the new-domain accuracy', async () => {
    const { app, source, adapted } = await withAdaptedRun({ accuracy: 0.64, count: 100 });
    render(Experiments, { props: { session: app.session }, context: app.context });
    await waitFor(() => expect(screen.queryAllByTestId('experiment-row')).toHaveLength(2));
    const row = (id: number) => screen.getAllByTestId('experiment-row').find((r) => r.dataset.id === String(id))!;
    expect(within(row(adapted)).getByTestId('experiment-technique').textContent).toBe(
      'Domain adaptation (AdaBN + self-training) of Run 1',
    );
    expect(within(row(adapted)).getByTestId('experiment-target-accuracy').textContent?.trim()).toBe(
      'new domain: 64.0%',
    );
    expect(within(row(source)).getByTestId('experiment-technique').textContent).toBe('Feature extraction');
    expect(within(row(source)).queryByTestId('experiment-target-accuracy')).toBeNull();
  });

  it('Evaluate says what the adapted run is and how it does on the new domain, or that it was not measured', async () => {
    const { app, adapted } = await withAdaptedRun(null);
    app.session.evaluate(adapted);
    render(Evaluate, { props: { session: app.session }, context: app.context });
    expect((await screen.findByTestId('eval-technique')).textContent).toBe(
      'Domain adaptation (AdaBN + self-training) of Run 1',
    );
    expect(screen.getByTestId('eval-target-accuracy').textContent).toBe('not measured (no labelled new-domain photos)');
    const technique = screen.getByTestId('eval-config').querySelector('[data-setting="technique"]');
    expect(technique?.textContent).toMatch(
      /^Domain adaptation \(AdaBN \+ self-training\) of Run 1; the source run: Feature extraction/,
    );
  });
});

describe('Evaluate for an adapted run', () => {
  it('headlines the new-domain accuracy, then the training-domain validation, and names source-run facts as such', async () => {
    const { app, adapted } = await withAdaptedRun({ accuracy: 0.64, count: 100 });
    app.session.evaluate(adapted);
    render(Evaluate, { props: { session: app.session }, context: app.context });
    const scores = await screen.findAllByRole('region', { name: /New-domain test|Training-domain validation/ });
    expect(scores.map((s) => s.getAttribute('aria-label'))).toEqual([
      'New-domain test (labelled new-domain photos)',
      'Training-domain validation (photos like the training photos)',
    ]);
    expect(screen.getByTestId('eval-new-domain-accuracy').textContent).toBe('64.0%');
    expect(screen.getByTestId('eval-best-epoch-label').textContent?.trim()).toBe('Source run (Run 1) best epoch');
    expect(screen.getByTestId('eval-embedded-label').textContent).toBe('Source run embedded');
  });

  it('keeps the plain Validation headline and facts for a run trained on labelled photos', async () => {
    const { app, source } = await withAdaptedRun(null);
    app.session.evaluate(source);
    render(Evaluate, { props: { session: app.session }, context: app.context });
    expect(await screen.findByRole('region', { name: 'Validation' })).toBeTruthy();
    expect(screen.queryByTestId('eval-new-domain-accuracy')).toBeNull();
    expect(screen.getByTestId('eval-best-epoch-label').textContent?.trim()).toBe('Best epoch');
  });
});

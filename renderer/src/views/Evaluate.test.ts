import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { startTestApp } from '../test-utils';
import { petsProject, trainEachTechnique, trainToEnd } from '../training-test-utils';
import Evaluate from './Evaluate.svelte';

async function openEvaluate(choose: boolean) {
  const app = await startTestApp({ projects: [petsProject()] });
  const projectId = app.session.project!.id;
  const first = await trainToEnd(app.api, projectId, { seed: 1 });
  const latest = await trainToEnd(app.api, projectId, { seed: 2 });
  if (choose) app.session.evaluate(first);
  render(Evaluate, { props: { session: app.session }, context: app.context });
  await screen.findByTestId('confusion-matrix');
  return { ...app, first, latest };
}

describe('Evaluate', () => {
  it('shows the scores and a confusion matrix with true classes as rows', async () => {
    const { api, first } = await openEvaluate(true);
    const detail = await api.call('experiments:get', { experimentId: first });
    const val = detail.metrics!.val!;
    const classIds = detail.snapshot.classes.map((c) => String(c.id));

    expect(screen.getByTestId('eval-name').textContent).toBe('Run 1');
    expect(screen.getByTestId('eval-accuracy').textContent).toBe(`${(val.accuracy * 100).toFixed(1)}%`);
    expect(screen.getByTestId('eval-test-accuracy')).toBeTruthy();
    const cells = screen.getAllByTestId('confusion-cell');
    expect(cells).toHaveLength(4);
    for (const cell of cells) {
      const t = classIds.indexOf(cell.dataset.true!);
      const p = classIds.indexOf(cell.dataset.predicted!);
      expect(cell.textContent).toBe(String(val.confusion[t][p]));
    }
    // The fake gets some of each class wrong, so the matrix is not just its diagonal.
    expect(cells.filter((c) => c.dataset.true !== c.dataset.predicted).some((c) => c.textContent !== '0')).toBe(true);
    expect(screen.getAllByTestId('class-metrics-row')).toHaveLength(2);
    expect(screen.getByTestId('eval-hash').textContent).toBe(detail.snapshot.hash.slice(0, 12));
    expect(screen.getByTestId('eval-backbone').textContent).toBe('MobileNetV2 224 (fake)');
  });

  it('names the run’s settings as a person reads them, not by their config keys', async () => {
    await openEvaluate(true);
    const settings = screen.getByTestId('eval-config');
    const text = settings.textContent ?? '';
    for (const key of ['backboneId', 'hiddenUnits', 'l2', 'flipTestTime', 'labelSmoothing', 'true', 'false']) {
      expect(text).not.toContain(key);
    }
    const value = (key: string) => settings.querySelector(`[data-setting="${key}"]`);
    expect(value('backboneId')?.previousElementSibling?.textContent).toBe('Model');
    expect(value('backboneId')?.textContent).toBe('MobileNetV2 224 (fake)');
    expect(value('flipTestTime')?.previousElementSibling?.textContent).toBe('Mirror averaging');
    expect(value('flipTestTime')?.textContent).toMatch(/^(on|off)$/);
    expect(value('hiddenUnits')?.textContent).toMatch(/^(Linear \(no hidden layer\)|One hidden layer of \d+ units)$/);
    expect(screen.getByTestId('eval-backend').textContent).toBe('CPU (WebAssembly)');
    expect(screen.getByText('Computed on').title).toMatch(/^Where the training arithmetic ran\. WebAssembly is/);
    // The scores' jargon is explained where it is named.
    expect(screen.getAllByText('Macro F1')[0].title).toMatch(/^Macro F1: for each class, how well the model/);
    expect(screen.getAllByText('Log loss')[0].title).toMatch(/^Log loss: how much the model’s confidence was off/);
  });

  it('shows fine-tuning settings only for a fine-tuning run, each with a person’s label', async () => {
    const app = await startTestApp({ projects: [petsProject()] });
    const projectId = app.session.project!.id;
    const extraction = await trainToEnd(app.api, projectId, { seed: 1 });
    const fineTuned = await trainToEnd(app.api, projectId, { seed: 2, technique: 'fine-tune' });
    const fineTuningKeys = ['unfreezeBlocks', 'blockLearningRate', 'fineTuneHeadLearningRate', 'fineTuneEpochs'];
    const shownKeys = () =>
      [...screen.getByTestId('eval-config').querySelectorAll('[data-setting]')].map((e) =>
        e.getAttribute('data-setting'),
      );

    app.session.evaluate(extraction);
    const first = render(Evaluate, { props: { session: app.session }, context: app.context });
    await waitFor(() => expect(screen.getByTestId('evaluation').dataset.id).toBe(String(extraction)));
    await waitFor(() => expect(shownKeys()).toContain('flipTestTime'));
    for (const key of fineTuningKeys) expect(shownKeys()).not.toContain(key);
    first.unmount();

    app.session.evaluate(fineTuned);
    render(Evaluate, { props: { session: app.session }, context: app.context });
    await waitFor(() => expect(screen.getByTestId('evaluation').dataset.id).toBe(String(fineTuned)));
    await waitFor(() => expect(shownKeys()).toEqual(expect.arrayContaining(fineTuningKeys)));
    expect(screen.getByTestId('eval-config').textContent).not.toMatch(/unfreezeBlocks|fineTune|blockLearningRate/);
  });

  it('says plainly which model a fine-tuning run kept, and nothing of stages for feature extraction', async () => {
    const app = await startTestApp({ projects: [petsProject()] });
    const { extraction, stage1, stage2 } = await trainEachTechnique(app.api, app.session.project!.id);
    const shown = async (id: number) => {
      app.session.evaluate(id);
      const view = render(Evaluate, { props: { session: app.session }, context: app.context });
      await waitFor(() => expect(screen.getByTestId('evaluation').dataset.id).toBe(String(id)));
      await screen.findByTestId('eval-backend');
      const text = screen.queryByTestId('eval-kept-stage')?.textContent ?? null;
      view.unmount();
      return text;
    };
    expect(await shown(stage1)).toMatch(/^Fine-tuning did not improve on the frozen model; the stage-1 model is kept/);
    expect(await shown(stage2)).toMatch(/^Fine-tuning improved on the frozen model; the fine-tuned model/);
    expect(await shown(extraction)).toBeNull();
  });

  it('shows the photos of a clicked cell, with their predicted class and confidence', async () => {
    const { api, first } = await openEvaluate(true);
    const wrong = screen
      .getAllByTestId('confusion-cell')
      .find((c) => c.dataset.true !== c.dataset.predicted && c.textContent !== '0')!;

    await fireEvent.click(wrong);

    const panel = await screen.findByTestId('cell-photos');
    await waitFor(() => expect(within(panel).getAllByTestId('cell-photo')).toHaveLength(Number(wrong.textContent)));
    expect(api.argsOf('experiments:predictions')).toEqual([
      {
        experimentId: first,
        split: 'val',
        trueClassId: Number(wrong.dataset.true),
        predictedClassId: Number(wrong.dataset.predicted),
      },
    ]);
    const photo = within(panel).getAllByTestId('cell-photo')[0];
    expect(photo.querySelector('img')?.getAttribute('src')).toBe(`fake-media://${photo.dataset.imageId}/thumb`);
    expect(photo.textContent).toMatch(/predicted (cat|dog)\s*\d+\.\d% sure/);
  });

  it('lists the most confident mistakes with their true and predicted classes', async () => {
    const { api, first } = await openEvaluate(true);
    const mistakes = await api.call('experiments:mistakes', { experimentId: first, split: 'val' });
    const shown = screen.getAllByTestId('mistake');
    expect(shown).toHaveLength(mistakes.length);
    expect(shown[0].textContent).toMatch(/is (cat|dog)\s*predicted (cat|dog)/);
  });

  it('lists the mistakes of the chosen split only, naming the split on each card', async () => {
    const { api, first } = await openEvaluate(true);
    const ids = async (split: 'val' | 'test') =>
      (await api.call('experiments:mistakes', { experimentId: first, split })).map((p) => String(p.imageId));
    const [val, test] = [await ids('val'), await ids('test')];
    expect(val.length + test.length).toBeGreaterThan(0);
    const shownIds = () => screen.queryAllByTestId('mistake').map((m) => m.dataset.imageId);
    await waitFor(() => expect(shownIds()).toEqual(val));
    for (const split of screen.queryAllByTestId('mistake-split')) expect(split.textContent).toBe('validation photo');

    await fireEvent.click(screen.getByTestId('eval-split-test'));
    await waitFor(() => expect(shownIds()).toEqual(test));
    for (const split of screen.queryAllByTestId('mistake-split')) expect(split.textContent).toBe('test photo');
  });

  it('opens the shown run in Export', async () => {
    const { session, first } = await openEvaluate(true);
    await fireEvent.click(await screen.findByTestId('eval-export'));
    expect(session.view).toBe('export');
    expect(session.experimentId).toBe(first);
  });

  it('without a chosen run shows the latest finished one, and switches runs', async () => {
    const { session, first, latest } = await openEvaluate(false);
    expect(screen.getByTestId('evaluation').dataset.id).toBe(String(latest));

    await fireEvent.change(screen.getByTestId('eval-run'), { target: { value: String(first) } });

    expect(session.experimentId).toBe(first);
    await waitFor(() => expect(screen.getByTestId('evaluation').dataset.id).toBe(String(first)));
  });
});

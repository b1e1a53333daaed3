import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { FakeApiOptions } from '../lib/api/fake-api';
import { FAKE_EPOCHS } from '../lib/api/fake-training';
import { pickLocation, startTestApp } from '../test-utils';
import { petsProject, trainToEnd } from '../training-test-utils';
import Train from './Train.svelte';

async function openTrain(options: FakeApiOptions) {
  const app = await startTestApp(options);
  render(Train, { props: { session: app.session }, context: app.context });
  await screen.findByTestId('backbone-select');
  return app;
}

const trainButton = () => screen.getByTestId('train-button') as HTMLButtonElement;
const warnings = () => screen.queryAllByTestId('train-warning').map((w) => [w.dataset.level, w.dataset.code]);

describe('Train preflight', () => {
  it('blocks training while a problem is an error, and shows why', async () => {
    const labels = { 0: 'cat', 1: 'cat', 2: 'cat' };
    await openTrain({ projects: [{ name: 'Cats', classes: ['cat', 'dog'], photos: 5, labels, opened: true }] });

    await waitFor(() => expect(warnings()).toContainEqual(['error', 'TOO_FEW_CLASSES']));
    expect(warnings()).toContainEqual(['info', 'UNLABELLED']);
    expect(screen.getAllByTestId('train-warning')[0].textContent).toContain('at least two classes');
    expect(trainButton().disabled).toBe(true);
  });

  it('describes the model without a count of zero classes when nothing is labelled', async () => {
    await openTrain({ projects: [{ name: 'New', classes: [], photos: 3, opened: true }] });

    await waitFor(() => expect(warnings()).toContainEqual(['error', 'TOO_FEW_CLASSES']));
    expect(screen.getByTestId('plan-summary').textContent).toMatch(/the classes you label; none has photos yet\./);
    expect(screen.getByTestId('plan-summary').textContent).not.toContain('0 classes');
  });

  it('shows warnings that do not block: imbalance, few photos, unlabelled, no split', async () => {
    const labels: Record<number, string> = { 0: 'dog', 1: 'dog', 2: 'dog' };
    for (let i = 3; i < 23; i++) labels[i] = 'cat';
    await openTrain({ projects: [{ name: 'Pets', classes: ['cat', 'dog'], photos: 25, labels, opened: true }] });

    await waitFor(() => expect(warnings()).toContainEqual(['warning', 'IMBALANCED']));
    expect(warnings()).toEqual(
      expect.arrayContaining([
        ['warning', 'TOO_FEW_PHOTOS'],
        ['info', 'UNLABELLED'],
        ['info', 'NO_SPLIT'],
      ]),
    );
    expect(screen.getByText(/“dog” has only 3 photos/)).toBeTruthy();
    expect(trainButton().disabled).toBe(false);
  });

  it('says first what a person needs: the model in plain words, photos per split, how long it takes', async () => {
    await openTrain({ projects: [petsProject()] });
    expect((screen.getByTestId('backbone-select') as HTMLSelectElement).value).toBe('fake-mobilenet');
    const plan = screen.getByTestId('train-plan');
    expect(screen.getByTestId('plan-summary').textContent).toMatch(/your 2 classes — cat, dog\./);
    expect(screen.getByTestId('model-plain').textContent).toContain('already knows how everyday photos look');
    await waitFor(() => expect(screen.getAllByTestId('plan-split-row')).toHaveLength(2));
    expect(screen.getByTestId('plan-estimate').textContent).toMatch(/Training should take roughly \d+ s to \d+ s/);
    // Implementation terms wait behind Advanced.
    for (const term of ['backbone', 'feature', 'tensor', 'head', 'px']) {
      expect(plan.textContent?.toLowerCase()).not.toContain(term);
    }
    expect(screen.queryByTestId('backbone-facts')).toBeNull();
    await fireEvent.click(screen.getByTestId('advanced-toggle'));
    expect(screen.getByTestId('backbone-facts').textContent).toContain('1,280');
  });

  it('before the first run shows the split training will make, not all zeros', async () => {
    await openTrain({ projects: [petsProject()] });
    const cells = (row: Element) => [...row.querySelectorAll('td')].map((td) => td.textContent);
    // The fake splits each class's photos without a split 3:1:1, as the preflight plans it.
    await waitFor(() =>
      expect(screen.getAllByTestId('plan-split-row').map(cells)).toEqual([
        ['12', '4', '4'],
        ['12', '4', '4'],
      ]),
    );
    expect(cells(screen.getByTestId('plan-splits').querySelector('tfoot tr')!)).toEqual(['24', '8', '8']);
    expect(screen.getByTestId('plan-unassigned').textContent?.replace(/\s+/g, ' ')).toContain(
      'Planned: 40 labelled photos without a split get one when training starts',
    );
  });

  it('offers the choice of technique in the plan, in plain words, with Advanced closed', async () => {
    await openTrain({ projects: [petsProject()] });
    expect(screen.queryByTestId('setting-seed')).toBeNull();
    expect(screen.getByLabelText(/Feature extraction — quick/)).toBeTruthy();
    expect(screen.getByLabelText(/Fine-tuning — slower, also retrains the model’s last layers/)).toBeTruthy();
    expect(screen.getByTestId('technique').textContent).toContain('otherwise the quick model is kept');
    await fireEvent.click(screen.getByTestId('technique-fine-tune'));
    await waitFor(() => expect(screen.getByTestId('fine-tune-estimate').textContent).toMatch(/up to \d+ (s|min)\b/));
  });

  it('estimates from the last feature-extraction run with the chosen model, whatever ran after it', async () => {
    const app = await startTestApp({ projects: [petsProject()] });
    const projectId = app.session.project!.id;
    await trainToEnd(app.api, projectId);
    await trainToEnd(app.api, projectId, { backboneId: 'fake-inception' });
    await trainToEnd(app.api, projectId, { technique: 'fine-tune' });
    render(Train, { props: { session: app.session }, context: app.context });
    await waitFor(() =>
      expect(screen.getByTestId('plan-estimate').textContent).toContain('from your last run with this model'),
    );
    expect(screen.getByTestId('plan-estimate').textContent).toMatch(/Training should take about \d+ s /);
  });
});

describe('Training a model', () => {
  it('streams epochs into the charts and ends with a link to the evaluation', async () => {
    const { api, session } = await openTrain({ projects: [petsProject()], trainingStepMs: 5 });
    await waitFor(() => expect(trainButton().disabled).toBe(false));

    await fireEvent.click(trainButton());

    expect(api.argsOf('training:start')).toEqual([{ projectId: session.project!.id, config: {} }]);
    await screen.findByTestId('train-progress');
    expect(trainButton().disabled).toBe(true);
    await waitFor(() => expect(screen.getByTestId('epoch-count').textContent).toBe('2'));
    expect(screen.getByTestId('train-phase').dataset.phase).toBe('training');
    expect(screen.getByTestId('loss-chart')).toBeTruthy();
    expect(screen.getByTestId('accuracy-chart')).toBeTruthy();

    const outcome = await screen.findByTestId('train-outcome', {}, { timeout: 3000 });
    expect(outcome.dataset.status).toBe('finished');
    expect(screen.queryByTestId('train-kept-stage')).toBeNull();
    expect(screen.getByTestId('epoch-count').textContent).toBe(String(FAKE_EPOCHS));
    expect(screen.getByTestId('loss-chart').dataset.epochs).toBe(String(FAKE_EPOCHS));
    expect(
      screen.getByRole('img', { name: new RegExp(`^Accuracy at epoch ${FAKE_EPOCHS}: Train accuracy`) }),
    ).toBeTruthy();
    expect(screen.queryByTestId('train-progress')).toBeNull();

    // The banner states the score, and both charts mark the epoch the model keeps.
    const [finished] = await api.call('experiments:list', { projectId: session.project!.id });
    const { metrics } = await api.call('experiments:get', { experimentId: finished.id });
    const test = metrics!.test!;
    await waitFor(() =>
      expect(screen.getByTestId('train-accuracy').textContent).toBe(
        `${(test.accuracy * 100).toFixed(1)}% accuracy on ${test.count} test photos (validation ${(metrics!.val!.accuracy * 100).toFixed(1)}%).`,
      ),
    );
    for (const chart of ['loss-chart', 'accuracy-chart']) {
      expect(screen.getByTestId(chart).dataset.kept).toBe(String(metrics!.bestEpoch));
      expect(screen.getByTestId(`${chart}-kept`).textContent).toContain(`Epoch ${metrics!.bestEpoch} kept`);
    }

    await fireEvent.click(screen.getByTestId('open-evaluation'));
    const [run] = await api.call('experiments:list', { projectId: session.project!.id });
    expect(session.view).toBe('evaluate');
    expect(session.experimentId).toBe(run.id);
  });

  it('shows progress and the result right under the Train button, above open Advanced settings', async () => {
    await openTrain({ projects: [petsProject()], trainingStepMs: 5 });
    await fireEvent.click(screen.getByTestId('advanced-toggle'));
    await waitFor(() => expect(trainButton().disabled).toBe(false));
    await fireEvent.click(trainButton());

    const precedes = (a: Element, b: Element) =>
      (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0;
    const settings = screen.getByTestId('setting-seed');
    const progress = await screen.findByTestId('train-progress');
    expect(precedes(trainButton(), progress) && precedes(progress, settings)).toBe(true);
    const outcome = await screen.findByTestId('train-outcome', {}, { timeout: 3000 });
    expect(precedes(outcome, screen.getByTestId('setting-seed'))).toBe(true);
  });

  it('sends only the settings changed under Advanced, and the chosen backbone', async () => {
    const { api } = await openTrain({ projects: [petsProject()] });
    await fireEvent.click(screen.getByTestId('advanced-toggle'));
    await fireEvent.input(screen.getByTestId('setting-seed'), { target: { value: '7' } });
    await fireEvent.click(screen.getByTestId('setting-augmentFlip'));
    await fireEvent.input(screen.getByTestId('setting-dropout'), { target: { value: '0.2' } });
    await fireEvent.change(screen.getByTestId('backbone-select'), { target: { value: 'fake-inception' } });

    await fireEvent.click(trainButton());

    expect(api.argsOf('training:start')[0].config).toEqual({
      seed: 7,
      augmentFlip: false,
      backboneId: 'fake-inception',
    });
    expect((await screen.findByTestId('train-outcome')).dataset.status).toBe('finished');
  });

  it('offers fine-tuning with what it does and how long it takes, only where the model allows it', async () => {
    const { api } = await openTrain({ projects: [petsProject()] });
    await fireEvent.click(screen.getByTestId('advanced-toggle'));
    const fineTune = screen.getByTestId('technique-fine-tune') as HTMLInputElement;
    expect(fineTune.disabled).toBe(false);
    expect(screen.getByTestId('technique').textContent?.replace(/\s+/g, ' ')).toContain(
      'the starting model’s last few layers learn from your photos too',
    );
    await fireEvent.click(fineTune);
    expect(screen.getByTestId('fine-tune-estimate').textContent).toMatch(
      /Fine-tuning these photos should take up to \d+/,
    );
    expect(screen.getByTestId('plan-estimate').textContent).toMatch(/Training should take about/);
    await fireEvent.input(screen.getByTestId('setting-unfreezeBlocks'), { target: { value: '3' } });

    await fireEvent.click(trainButton());
    expect(api.argsOf('training:start')[0].config).toEqual({ technique: 'fine-tune', unfreezeBlocks: 3 });
    expect((await screen.findByTestId('train-outcome')).dataset.status).toBe('finished');
    // The fake keeps stage 1 with the default seed: the result says the second stage was dropped.
    expect((await screen.findByTestId('train-kept-stage')).textContent).toMatch(
      /^Fine-tuning did not improve on the frozen model; the stage-1 model is kept/,
    );
  });

  it('says why a model cannot be fine-tuned, and trains it by feature extraction', async () => {
    const { api } = await openTrain({ projects: [petsProject()] });
    await fireEvent.click(screen.getByTestId('advanced-toggle'));
    await fireEvent.click(screen.getByTestId('technique-fine-tune'));
    await fireEvent.change(screen.getByTestId('backbone-select'), { target: { value: 'fake-inception' } });
    expect((screen.getByTestId('technique-fine-tune') as HTMLInputElement).disabled).toBe(true);
    expect(screen.getByTestId('fine-tune-unavailable').textContent).toMatch(/3 tensors; fine-tuning needs one/);
    expect((screen.getByTestId('technique-feature-extraction') as HTMLInputElement).checked).toBe(true);

    await fireEvent.click(trainButton());
    expect(api.argsOf('training:start')[0].config).toEqual({ backboneId: 'fake-inception' });
  });

  it('will not train with a setting out of range', async () => {
    await openTrain({ projects: [petsProject()] });
    await fireEvent.click(screen.getByTestId('advanced-toggle'));
    await fireEvent.input(screen.getByTestId('setting-dropout'), { target: { value: '1.5' } });
    expect(trainButton().disabled).toBe(true);

    await fireEvent.click(screen.getByTestId('settings-reset'));
    expect(trainButton().disabled).toBe(false);
  });

  it('cancels a running run', async () => {
    const { api, session } = await openTrain({ projects: [petsProject()], trainingStepMs: 40 });
    await fireEvent.click(trainButton());
    await fireEvent.click(await screen.findByTestId('train-cancel'));

    const [run] = await api.call('experiments:list', { projectId: session.project!.id });
    expect(api.argsOf('training:cancel')).toEqual([{ experimentId: run.id }]);
    const outcome = await screen.findByTestId('train-outcome', {}, { timeout: 3000 });
    expect(outcome.dataset.status).toBe('cancelled');
    expect(Number(screen.getByTestId('epoch-count').textContent)).toBeLessThan(FAKE_EPOCHS);
  });

  it('shows why a run failed', async () => {
    await openTrain({ projects: [petsProject()], trainingFailure: 'The backbone file is damaged.' });
    await fireEvent.click(trainButton());

    const outcome = await screen.findByTestId('train-outcome');
    expect(outcome.dataset.status).toBe('failed');
    expect(outcome.textContent).toContain('The backbone file is damaged.');
    expect(screen.queryByTestId('open-evaluation')).toBeNull();
  });

  it('picks up a run that was already going when the screen opens', async () => {
    const app = await startTestApp({ projects: [petsProject()], trainingStepMs: 10 });
    const projectId = app.session.project!.id;
    await app.api.call('training:start', { projectId, config: {} });
    await new Promise((resolve) => setTimeout(resolve, 80));

    render(Train, { props: { session: app.session }, context: app.context });

    await waitFor(() => expect(Number(screen.getByTestId('epoch-count').textContent)).toBeGreaterThan(0));
    expect((await screen.findByTestId('train-outcome', {}, { timeout: 3000 })).dataset.status).toBe('finished');
    expect(screen.getByTestId('epoch-count').textContent).toBe(String(FAKE_EPOCHS));
  });
});

describe('Importing a backbone', () => {
  const disk = {
    name: '/home/user',
    children: [
      { name: 'models', children: [{ name: 'resnet50' }, { name: 'empty-download' }, { name: 'several-resnets' }] },
    ],
  };

  async function openImport() {
    const app = await openTrain({ projects: [petsProject()], disk });
    // Importing another backbone is an implementation matter: it sits under Advanced.
    await fireEvent.click(screen.getByTestId('advanced-toggle'));
    await fireEvent.click(screen.getByTestId('backbone-import-open'));
    return app;
  }

  const backboneSelect = () => screen.getByTestId('backbone-select') as HTMLSelectElement;
  const optionNames = () => [...backboneSelect().options].map((o) => o.textContent?.trim());

  it('imports the model in a folder, says which tap it uses and why, and chooses it for training', async () => {
    const { api } = await openImport();
    const submit = screen.getByTestId('backbone-import-submit') as HTMLButtonElement;
    expect(submit.disabled).toBe(true);

    await pickLocation('backbone-import-pick', ['models', 'resnet50']);
    expect(screen.getByTestId('backbone-import-path').textContent).toBe('/home/user/models/resnet50');
    await fireEvent.input(screen.getByTestId('backbone-import-name'), { target: { value: ' My ResNet ' } });
    await fireEvent.change(screen.getByTestId('backbone-import-normalisation'), { target: { value: 'imagenet' } });
    await fireEvent.input(screen.getByTestId('backbone-import-licence'), { target: { value: 'MIT' } });
    await fireEvent.click(submit);

    const result = await screen.findByTestId('backbone-import-result');
    const [args] = api.argsOf('backbones:import');
    expect(args).toEqual({
      location: expect.any(String),
      name: 'My ResNet',
      normalisation: 'imagenet',
      licence: 'MIT',
    });
    expect(result.textContent).toContain('avgpool/output');
    expect(result.textContent).toContain('Output of the GlobalAveragePool "avgpool" that feeds the final Gemm "fc".');
    await waitFor(() => expect(optionNames()).toContain('My ResNet'));
    const importedId = backboneSelect().value;
    expect(importedId).toMatch(/^imported-/);
    expect(screen.getByTestId('backbone-facts').textContent).toContain('2,048');
    expect(screen.getByTestId('backbone-facts').textContent).toContain('MIT');

    const tap = screen.getByTestId('backbone-import-tap') as HTMLSelectElement;
    expect([...tap.options].map((o) => o.value)).toEqual([
      'avgpool/output',
      'layer4/output',
      'flatten/output',
      'fc/output',
    ]);
    await fireEvent.change(tap, { target: { value: 'fc/output' } });

    await waitFor(() => expect(screen.getByTestId('backbone-import-result').textContent).toContain('Chosen by you.'));
    expect(api.argsOf('backbones:import')[1]).toEqual({ ...args, tap: 'fc/output' });
    await waitFor(() => expect(screen.getByTestId('backbone-facts').textContent).toContain('1,000'));
    expect(backboneSelect().value).toBe(importedId);
    expect(optionNames().filter((n) => n === 'My ResNet')).toHaveLength(1);

    await waitFor(() => expect(trainButton().disabled).toBe(false));
    await fireEvent.click(trainButton());
    expect(api.argsOf('training:start')[0].config).toEqual({ backboneId: importedId });
  });

  it('shows why a folder cannot be imported, and keeps the backbone chosen before', async () => {
    await openImport();
    await pickLocation('backbone-import-pick', ['models', 'empty-download']);
    await fireEvent.click(screen.getByTestId('backbone-import-submit'));

    const error = await screen.findByTestId('backbone-import-error');
    expect(error.textContent).toBe(
      '/home/user/models/empty-download holds neither a TF.js model (model.json) nor an .onnx file.',
    );
    expect(screen.queryByTestId('backbone-import-result')).toBeNull();
    expect(backboneSelect().value).toBe('fake-mobilenet');
    expect(optionNames()).toHaveLength(2);
  });

  it('asks which .onnx file to import when the folder holds several', async () => {
    const { api } = await openImport();
    await pickLocation('backbone-import-pick', ['models', 'several-resnets']);
    await fireEvent.click(screen.getByTestId('backbone-import-submit'));
    expect((await screen.findByTestId('backbone-import-error')).textContent).toContain('name the one to import');

    await fireEvent.input(screen.getByTestId('backbone-import-file'), { target: { value: 'resnet50-int8.onnx' } });
    await fireEvent.click(screen.getByTestId('backbone-import-submit'));

    await screen.findByTestId('backbone-import-result');
    expect(screen.queryByTestId('backbone-import-error')).toBeNull();
    expect(api.argsOf('backbones:import')[1].fileName).toBe('resnet50-int8.onnx');
    await waitFor(() => expect(optionNames()).toContain('resnet50-int8'));

    // The file name belonged to that folder: choosing another starts the form afresh.
    await pickLocation('backbone-import-pick', ['models', 'resnet50']);
    expect((screen.getByTestId('backbone-import-file') as HTMLInputElement).value).toBe('');
  });
});

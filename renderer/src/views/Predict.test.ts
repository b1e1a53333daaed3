import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { FakeApiOptions } from '../lib/api/fake-api';
import { pickLocation, startTestApp } from '../test-utils';
import { exportToEnd, petsProject, trainToEnd } from '../training-test-utils';
import Predict from './Predict.svelte';

const DISK = {
  name: '/home/ana',
  children: [{ name: 'inbox', photos: 4, unreadable: ['broken.jpg'] }, { name: 'big', photos: 200 }, { name: 'out' }],
};

async function openPredict(options: FakeApiOptions = {}) {
  const app = await startTestApp({ disk: DISK, projects: [petsProject()], ...options });
  const experimentId = await trainToEnd(app.api, app.session.project!.id);
  return { ...app, experimentId };
}

async function renderPredict(app: Awaited<ReturnType<typeof openPredict>>) {
  render(Predict, { props: { session: app.session }, context: app.context });
  await screen.findByTestId('predict-model');
}

const JPEG = [0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46];
const photo = (name: string, bytes: number[]) => new File([new Uint8Array(bytes)], name, { type: 'image/jpeg' });
const base64 = (bytes: number[]) => btoa(String.fromCharCode(...bytes));
const result = (name: string) =>
  screen.getAllByTestId('predict-result').find((r) => r.dataset.name === name) as HTMLElement;

describe('Predict photos', () => {
  it('predicts a chosen photo with the newest run and shows its top classes with confidence bars', async () => {
    const app = await openPredict();
    await renderPredict(app);
    const model = { kind: 'experiment', experimentId: app.experimentId } as const;
    expect((screen.getByTestId('predict-model') as HTMLSelectElement).value).toBe(`experiment:${app.experimentId}`);

    await fireEvent.change(screen.getByTestId('predict-file-input'), { target: { files: [photo('cat.jpg', JPEG)] } });

    await waitFor(() => expect(within(result('cat.jpg')).getByTestId('predict-top')).toBeTruthy());
    const [expected] = await app.api.call('predict:photos', {
      model,
      photos: [{ name: 'cat.jpg', dataBase64: base64(JPEG) }],
    });
    expect(app.api.argsOf('predict:photos')[0]).toEqual({
      model,
      photos: [{ name: 'cat.jpg', dataBase64: base64(JPEG) }],
    });
    const card = result('cat.jpg');
    expect(within(card).getByTestId('predict-top').textContent).toBe(expected.top[0].className);
    const bars = within(card).getAllByRole('meter');
    expect(bars).toHaveLength(expected.top.length);
    expect(Number(bars[0].getAttribute('aria-valuenow'))).toBeCloseTo(expected.top[0].probability * 100, 1);
    expect(card.textContent).toContain(`${(expected.top[0].probability * 100).toFixed(1)}%`);
    expect(card.querySelector('img')?.getAttribute('src')).toMatch(/^blob:/);
    expect(within(card).queryByTestId('predict-error')).toBeNull();
  });

  it('clears the results with a bordered button right beside the Photos heading', async () => {
    const app = await openPredict();
    await renderPredict(app);
    await fireEvent.change(screen.getByTestId('predict-file-input'), { target: { files: [photo('cat.jpg', JPEG)] } });
    const clear = await screen.findByTestId('predict-clear');
    expect(clear.textContent).toBe('Clear results');
    expect(clear.previousElementSibling?.textContent).toBe('Photos');
    expect(clear.classList.contains('quiet')).toBe(false);
    await fireEvent.click(clear);
    await waitFor(() => expect(screen.queryAllByTestId('predict-result')).toHaveLength(0));
  });

  it('shows an unreadable dropped photo with its reason, next to a readable one', async () => {
    const app = await openPredict();
    await renderPredict(app);

    const files = [photo('notes.jpg', [0x68, 0x65, 0x6c, 0x6c, 0x6f]), photo('dog.jpg', JPEG)];
    await fireEvent.drop(screen.getByTestId('predict-drop'), { dataTransfer: { files } });

    await waitFor(() => expect(within(result('notes.jpg')).getByTestId('predict-error')).toBeTruthy());
    expect(within(result('notes.jpg')).getByTestId('predict-error').textContent).toBe(
      'The file is not an image Graft can read.',
    );
    expect(within(result('notes.jpg')).queryByTestId('predict-top')).toBeNull();
    expect(within(result('dog.jpg')).getByTestId('predict-top').textContent).toMatch(/^(cat|dog)$/);
  });

  it('offers the exports that passed their check, and predicts with the chosen one', async () => {
    const app = await openPredict();
    const passed = await exportToEnd(app.api, app.experimentId, 'good');
    const failed = await exportToEnd(app.api, app.experimentId, 'fail');
    await renderPredict(app);
    const select = screen.getByTestId('predict-model') as HTMLSelectElement;
    const values = [...select.options].map((o) => o.value);
    expect(values).toEqual([`experiment:${app.experimentId}`, `export:${passed.id}`]);
    expect(values).not.toContain(`export:${failed.id}`);
    expect(screen.queryByTestId('export-no-ood')).toBeNull();

    await fireEvent.change(select, { target: { value: `export:${passed.id}` } });
    // The export cannot flag photos unlike the training photos: the view says so and why.
    expect((await screen.findByTestId('export-no-ood')).textContent?.replace(/\s+/g, ' ')).toMatch(
      /without the “unlike your training photos” check: the exported file gives only class probabilities/,
    );
    await fireEvent.change(screen.getByTestId('predict-file-input'), { target: { files: [photo('cat.jpg', JPEG)] } });

    await waitFor(() => expect(app.api.argsOf('predict:photos')).toHaveLength(1));
    expect(app.api.argsOf('predict:photos')[0].model).toEqual({ kind: 'export', exportId: passed.id });
  });

  it('keeps the chosen model and its results when the view is left and shown again', async () => {
    const app = await openPredict();
    const passed = await exportToEnd(app.api, app.experimentId, 'good');
    const view = render(Predict, { props: { session: app.session }, context: app.context });
    await screen.findByTestId('predict-model');
    await fireEvent.change(screen.getByTestId('predict-model'), { target: { value: `export:${passed.id}` } });
    await fireEvent.change(screen.getByTestId('predict-file-input'), { target: { files: [photo('cat.jpg', JPEG)] } });
    await waitFor(() => expect(within(result('cat.jpg')).getByTestId('predict-top')).toBeTruthy());
    const shown = result('cat.jpg').textContent;
    view.unmount();
    expect(screen.queryAllByTestId('predict-result')).toHaveLength(0);

    await renderPredict(app);
    expect((screen.getByTestId('predict-model') as HTMLSelectElement).value).toBe(`export:${passed.id}`);
    expect(screen.getAllByTestId('predict-result')).toHaveLength(1);
    expect(result('cat.jpg').textContent).toBe(shown);
    expect(app.api.argsOf('predict:photos')).toHaveLength(1);
  });

  it('says there is no model before a run has finished', async () => {
    const app = await startTestApp({ projects: [petsProject()] });
    render(Predict, { props: { session: app.session }, context: app.context });
    expect(await screen.findByTestId('predict-empty')).toBeTruthy();
    expect(screen.queryByTestId('predict-model')).toBeNull();
  });
});

describe('Batch predict', () => {
  it('runs over a folder, shows progress, then the summary with the CSV', async () => {
    const app = await openPredict({ jobStepMs: 15 });
    await renderPredict(app);
    const start = screen.getByTestId('batch-start') as HTMLButtonElement;
    expect(start.disabled).toBe(true);

    await pickLocation('batch-source', ['inbox']);
    await pickLocation('batch-destination', ['out']);
    expect(screen.getByTestId('batch-source-path').textContent).toBe('/home/ana/inbox');
    expect(screen.getByTestId('batch-destination-path').textContent).toBe('/home/ana/out');
    await fireEvent.click(start);

    const progress = await screen.findByTestId('batch-progress');
    await waitFor(() => expect(progress.textContent).toMatch(/[1-4] \/ 5 photos.*25\.0 photos\/s.*left/s));
    expect(app.api.argsOf('predict:batchStart')).toEqual([
      {
        model: { kind: 'experiment', experimentId: app.experimentId },
        source: expect.any(String),
        destination: expect.any(String),
      },
    ]);

    const summary = await screen.findByTestId('batch-summary');
    expect(summary.dataset.status).toBe('finished');
    expect(summary.textContent).toContain('4 photos predicted');
    expect(summary.textContent).toContain('1 unreadable');
    expect(summary.textContent).toContain('/home/ana/out/predictions.csv');
    expect(screen.queryByTestId('batch-progress')).toBeNull();
  });

  it('keeps following a batch while another view shows, and shows its summary on return', async () => {
    const app = await openPredict({ jobStepMs: 10 });
    const view = render(Predict, { props: { session: app.session }, context: app.context });
    await screen.findByTestId('predict-model');
    await pickLocation('batch-source', ['inbox']);
    await pickLocation('batch-destination', ['out']);
    await fireEvent.click(screen.getByTestId('batch-start'));
    await screen.findByTestId('batch-progress');
    view.unmount();
    // The batch finishes while Predict is not shown.
    await new Promise((resolve) => setTimeout(resolve, 200));

    await renderPredict(app);
    const summary = await screen.findByTestId('batch-summary');
    expect(summary.dataset.status).toBe('finished');
    expect(summary.textContent).toContain('4 photos predicted');
    expect(screen.getByTestId('batch-source-path').textContent).toBe('/home/ana/inbox');
  });

  it('cancels a running batch', async () => {
    const app = await openPredict({ jobStepMs: 10 });
    await renderPredict(app);
    await pickLocation('batch-source', ['big']);
    await pickLocation('batch-destination', ['out']);
    await fireEvent.click(screen.getByTestId('batch-start'));

    const progress = await screen.findByTestId('batch-progress');
    await waitFor(() => expect(progress.textContent).toContain('/ 200 photos'));
    await fireEvent.click(within(progress).getByTestId('batch-cancel'));

    const summary = await screen.findByTestId('batch-summary');
    const [{ jobId }] = app.api.argsOf('predict:batchCancel');
    expect(jobId).toEqual(expect.any(Number));
    expect(summary.dataset.status).toBe('cancelled');
    expect(summary.textContent).toContain('Cancelled');
    expect(summary.textContent).not.toContain('predictions.csv');
  });
});

describe('Predict with an adapted run', () => {
  it('says the chosen run is adapted to the new domain, with its training-domain and new-domain scores', async () => {
    const app = await openPredict();
    const summary = (await app.api.call('experiments:list', { projectId: app.session.project!.id }))[0]!;
    const adaptation = {
      sourceExperimentId: 99,
      sourceName: 'Run 1',
      method: 'adabn' as const,
      targetTest: { accuracy: 0.64, count: 100 },
    };
    const call = app.api.call.bind(app.api);
    app.api.call = (async (name, args) => {
      const result = await call(name, args);
      return name === 'experiments:list' ? (result as (typeof summary)[]).map((r) => ({ ...r, adaptation })) : result;
    }) as typeof app.api.call;
    await renderPredict(app);
    const note = await screen.findByTestId('predict-adapted');
    expect(note.textContent?.replace(/\s+/g, ' ').trim()).toBe(
      `Adapted to the new-domain photos (AdaBN): on photos like the training photos it scored ${(summary.valAccuracy! * 100).toFixed(1)}% (validation), on the new domain 64.0% of 100 labelled new-domain photos. Expect it to be wrong more often on photos like the training photos.`,
    );
  });

  it('shows no adaptation note for a run trained on labelled photos', async () => {
    const app = await openPredict();
    await renderPredict(app);
    expect(screen.queryByTestId('predict-adapted')).toBeNull();
  });
});

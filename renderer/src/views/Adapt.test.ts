import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { AdaptationMethod } from '../../../common/adaptation';
import { startTestApp } from '../test-utils';
import { petsProject, trainToEnd } from '../training-test-utils';
import Adapt from './Adapt.svelte';
import Library from './Library.svelte';

const counts = () => screen.getByTestId('domain-counts').textContent?.replace(/\s+/g, ' ');

describe('Adapt', () => {
  it('marks a folder as new-domain photos, counts each domain, and offers the finished run', async () => {
    const app = await startTestApp({ projects: [petsProject()], jobStepMs: 20 });
    await trainToEnd(app.api, app.session.project!.id);
    render(Adapt, { props: { session: app.session }, context: app.context });
    const toggle = (await screen.findByTestId('target-toggle')) as HTMLInputElement;
    expect(toggle.checked).toBe(false);
    expect(counts()).toMatch(/Training photos: 40 in 1 folder/);
    expect(counts()).toMatch(/New-domain photos: 0/);
    expect((screen.getByTestId('source-run') as HTMLSelectElement).options).toHaveLength(1);

    await fireEvent.click(toggle);
    await waitFor(() => expect(counts()).toMatch(/New-domain photos: 40 in 1 folder, 40 labelled \(measure only\)/));
    expect(app.api.argsOf('domains:setFolder')).toEqual([{ folderId: expect.any(Number), domain: 'target' }]);
    expect((screen.getByTestId('target-toggle') as HTMLInputElement).checked).toBe(true);
  });

  it('shows a failed action in the view until the next action, and names each folder’s role', async () => {
    const app = await startTestApp({ projects: [petsProject()], jobStepMs: 20 });
    await trainToEnd(app.api, app.session.project!.id);
    render(Adapt, { props: { session: app.session }, context: app.context });
    const toggle = (await screen.findByTestId('target-toggle')) as HTMLInputElement;
    expect(toggle.closest('label')?.textContent?.trim()).toMatch(/^Use as new-domain photos: \/.+/);
    expect(screen.getByTestId('folder-role').textContent).toMatch(/now training photos/);
    expect(screen.getByTestId('adapt-how-to').textContent).toMatch(/Library → Add photos/);

    await fireEvent.click(screen.getByTestId('adapt-button'));
    expect((await screen.findByTestId('adapt-error')).textContent).toMatch(/no embeddings/);
    expect(app.notices.items).toHaveLength(0);
    await fireEvent.click(toggle);
    await waitFor(() => expect(screen.queryByTestId('adapt-error')).toBeNull());
    await waitFor(() => expect(screen.getByTestId('folder-role').textContent).toMatch(/now new-domain photos/));
  });

  it('lists adapted runs as sources only when asked to', async () => {
    const app = await startTestApp({ projects: [petsProject()], jobStepMs: 20 });
    const projectId = app.session.project!.id;
    const source = await trainToEnd(app.api, projectId);
    const adapted = await trainToEnd(app.api, projectId);
    const call = app.api.call.bind(app.api);
    // The fake adapts nothing, so the second run stands in for an adaptation: it has a report.
    app.api.call = ((name, args) =>
      name === 'adaptation:report' && (args as { experimentId: number }).experimentId === adapted
        ? Promise.resolve({})
        : call(name, args)) as typeof app.api.call;
    render(Adapt, { props: { session: app.session }, context: app.context });
    const include = (await screen.findByTestId('include-adapted')) as HTMLInputElement;
    const options = () =>
      [...(screen.getByTestId('source-run') as HTMLSelectElement).options].map((o) => Number(o.value));
    expect(options()).toEqual([source]);
    await fireEvent.click(include);
    await waitFor(() => expect(options().sort()).toEqual([source, adapted].sort()));
    expect(screen.queryByTestId('adapt-error')).toBeNull();
  });

  it('the Library says how many new-domain photos there are once a folder is marked', async () => {
    const app = await startTestApp({ projects: [petsProject()] });
    const projectId = app.session.project!.id;
    const [folder] = await app.api.call('folders:list', { projectId });
    await app.api.call('domains:setFolder', { folderId: folder.id, domain: 'target' });
    render(Library, { props: { session: app.session }, context: app.context });
    expect((await screen.findByTestId('new-domain-count')).textContent?.replace(/\s+/g, ' ')).toMatch(
      /40 new-domain photos in 1 folder are never trained on; the class counts below include their labelled ones, which only measure/,
    );
    // Each class says how many of its photos are new-domain photos.
    await waitFor(() =>
      expect(screen.getAllByTestId('class-new-domain-count').map((e) => e.textContent?.trim())).toEqual([
        '20 new-domain',
        '20 new-domain',
      ]),
    );
    // The folder list says which folder holds them.
    expect(
      (await screen.findByTestId('folder-new-domain')).closest('[data-testid="folder-row"]')?.getAttribute('data-id'),
    ).toBe(String(folder.id));
  });
});

describe('Adapt verdict', () => {
  /** A PACS photo → cartoon-like report: new-domain accuracy 33% → 64%, training-domain validation 95% → 88%. */
  function report(withLabels: boolean, method: AdaptationMethod = 'adabn+self-train') {
    const measures = (target: number, source: number, confidence: number) => ({
      target: {
        count: 100,
        confidenceHistogram: Array(10).fill(10),
        entropyHistogram: Array(10).fill(10),
        classProportions: [1, 0],
        meanConfidence: confidence,
        meanEntropy: 1 - confidence,
      },
      targetTest: withLabels ? { count: 100, accuracy: target, macroF1: target, confusion: [] } : null,
      sourceVal: { count: 20, accuracy: source, macroF1: source, confusion: [] },
      domainDistance: 0.239,
    });
    return {
      sourceExperimentId: 1,
      method,
      seed: 42,
      pseudoLabelThreshold: method.endsWith('self-train') ? 0.7 : null,
      classNames: ['cat', 'dog'],
      targetSnapshot: { count: 100, labelled: withLabels ? 100 : 0, hash: 'h' },
      before: measures(0.33, 0.95, 0.5),
      after: measures(0.64, 0.88, 0.8),
      pseudoLabelled: 60,
      unfamiliar: { targetShare: 0.3, sourceValShare: 0.05, threshold: 1 },
      adaptSeconds: 2,
    };
  }

  async function adaptWith(withLabels: boolean, method?: AdaptationMethod) {
    const app = await startTestApp({ projects: [petsProject()], jobStepMs: 20 });
    const finished = await trainToEnd(app.api, app.session.project!.id);
    const call = app.api.call.bind(app.api);
    // The fake adapts nothing: the finished run stands in for the adapted one and carries the report.
    let started = false;
    app.api.call = ((name, args) => {
      if (name === 'adaptation:start') {
        started = true;
        return Promise.resolve({ experimentId: finished });
      }
      if (name === 'adaptation:report' && started) return Promise.resolve(report(withLabels, method));
      return call(name, args);
    }) as typeof app.api.call;
    render(Adapt, { props: { session: app.session }, context: app.context });
    await fireEvent.click(await screen.findByTestId('adapt-button'));
    const verdict = await screen.findByTestId('adapt-verdict');
    return Object.assign(verdict, { app, runId: finished });
  }

  it('calls an adaptation better when it gains on the labelled new-domain photos; a training-domain drop is a caution', async () => {
    const verdict = await adaptWith(true);
    expect(verdict.dataset.kind).toBe('better');
    expect(verdict.textContent).toMatch(/better on the new photos \(33\.0% → 64\.0%/);
    expect(screen.queryByText(/Keep using the source run/)).toBeNull();
    expect(screen.getByTestId('adapt-caution').textContent).toMatch(/95\.0% → 88\.0%/);
    expect(screen.getByText(/AdaBN \+ self-training, 60 confident guesses/)).toBeTruthy();
    expect(screen.getByTestId('distance-explained').textContent?.replace(/\s+/g, ' ')).toMatch(
      /AdaBN \+ self-training moved the features of the new photos \(the image model itself was re-tuned\), so the distance after is measured on the moved features; the self-training after it changed only the last layer\./,
    );
    expect(screen.getByTestId('distance-explained').textContent).not.toMatch(/leaves this distance unchanged/);
    // The share's label sits beside a fixed-width track, so a 100% bar cannot push it to the next line.
    const share = screen.getByTestId('class-shares').querySelector('td.share');
    expect(share?.querySelector('.track > .bar')).toBeTruthy();
  });

  it('says self-training alone leaves the domain distance unchanged, and AdaBN alone moved the features', async () => {
    await adaptWith(true, 'self-train');
    expect(screen.getByTestId('distance-explained').textContent).toMatch(/Self-training only changes the last layer/);
    cleanup();
    await adaptWith(true, 'adabn');
    const text = screen.getByTestId('distance-explained').textContent?.replace(/\s+/g, ' ');
    expect(text).toMatch(
      /AdaBN moved the features of the new photos \(the image model itself was re-tuned\), so the distance after is measured on the moved features\./,
    );
    expect(text).not.toMatch(/Self-training|self-training/);
  });

  it('names the adapted run and opens it in Evaluate', async () => {
    const { app, runId } = await adaptWith(true);
    const name = (await app.api.call('experiments:get', { experimentId: runId })).name;
    expect(screen.getByTestId('adapted-run').textContent?.replace(/\s+/g, ' ')).toMatch(
      `The adapted model is ${name}: a new run`,
    );
    await fireEvent.click(screen.getByTestId('open-adapted-run'));
    expect(app.session.view).toBe('evaluate');
    expect(app.session.experimentId).toBe(runId);
  });

  it('without labelled new-domain photos reads the label-free signs and asks for a few labels', async () => {
    const verdict = await adaptWith(false);
    expect(verdict.dataset.kind).toBe('unsure');
    expect(verdict.textContent).toMatch(/Signs point to better: mean confidence on the new photos rose/);
    expect(verdict.textContent).toMatch(/label some/);
  });

  it('explains each method in a line and names the one recommended by measurement', async () => {
    const app = await startTestApp({ projects: [petsProject()], jobStepMs: 20 });
    await trainToEnd(app.api, app.session.project!.id);
    render(Adapt, { props: { session: app.session }, context: app.context });
    const guide = await screen.findByTestId('method-guide');
    expect(guide.querySelectorAll('li')).toHaveLength(7);
    expect([...guide.querySelectorAll('li')].filter((li) => /recommended/.test(li.textContent ?? ''))).toHaveLength(1);
    expect(guide.textContent).toMatch(/self-training: The model learns from its own confident guesses.*recommended/);
  });
});

import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
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
  });
});

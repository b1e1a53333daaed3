// Shared set-up for component tests: a fake Graft and the context the App would provide.

import { createFakeApi, type FakeApi, type FakeApiOptions } from './lib/api/fake-api';
import { type AppContext, appContextMap } from './lib/context';
import { Notices } from './lib/state/notices.svelte';
import { Session } from './lib/state/session.svelte';

export interface TestApp {
  api: FakeApi;
  notices: Notices;
  session: Session;
  context: Map<symbol, AppContext>;
}

/** A fake Graft seeded with `options`, with its session started (the last opened project is open). */
export async function startTestApp(options: FakeApiOptions = {}): Promise<TestApp> {
  const api = createFakeApi(options);
  const notices = new Notices();
  const session = new Session(api, notices);
  await session.start();
  return { api, notices, session, context: appContextMap({ api, notices }) };
}

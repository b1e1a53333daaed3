import { describe, expect, it } from 'vitest';
import type { CallArgs } from '../../../../common/contract';
import { createFakeApi } from './fake-api';

describe('fake API', () => {
  it('refuses arguments the real transports refuse, so component tests catch a renderer sending them', async () => {
    const api = createFakeApi();
    const wrong = { name: { text: 'Birds' } } as unknown as CallArgs<'projects:create'>;
    await expect(api.call('projects:create', wrong)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(api.call('projects:create', { name: 'Birds' })).resolves.toMatchObject({ name: 'Birds' });
  });
});
